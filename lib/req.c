#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "kss.h"
#include "req.h"
#include "valid.h"

static const char *const methods[KSS_M__MAX] = {
	[KSS_M_GET] = "GET",
	[KSS_M_POST] = "POST",
	[KSS_M_PUT] = "PUT",
	[KSS_M_DELETE] = "DELETE",
	[KSS_M_OTHER] = "",
};

const char *
kss_method_name(enum kss_method m)
{
	return (unsigned)m < KSS_M__MAX ? methods[m] : "";
}

static const char *
param(const struct kss_io *io, const char *name)
{
	return io->params.get(io->params.ctx, name);
}

static enum kss_method
method(const char *s)
{
	enum kss_method m;

	for (m = 0; s != NULL && m < KSS_M_OTHER; m++) {
		if (strcmp(s, methods[m]) == 0)
			return m;
	}
	return KSS_M_OTHER;
}

/* Percent-decodes s up to '?' or its end; a '%' without two hex digits
 * stays as it is. */
static char *
uri_path(const char *s, size_t *len)
{
	size_t n = strcspn(s, "?"), i, o = 0;
	char *out = malloc(n + 1);
	int hi, lo;

	if (out == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		if (s[i] == '%' && i + 2 < n && (hi = kss_hex_value(s[i + 1])) >= 0 &&
		    (lo = kss_hex_value(s[i + 2])) >= 0) {
			out[o++] = (char)(hi << 4 | lo);
			i += 2;
		} else
			out[o++] = s[i];
	}
	out[o] = '\0';
	*len = o;
	return out;
}

/* The request's paths (RFC 3875 §4.1.5, §4.1.13). PATH_INFO, when the
 * server splits it off, is the path below kss's mount point. The full path
 * is SCRIPT_NAME + PATH_INFO: servers that map kss at the root often leave
 * PATH_INFO empty with the whole path in SCRIPT_NAME (nginx's
 * fastcgi_params), or split it at the first segment (lighttpd's "/").
 * Without either, the decoded path of REQUEST_URI. */
static int
resolve_paths(struct kss_req *r, const struct kss_io *io)
{
	const char *sn = param(io, "SCRIPT_NAME"), *pi = param(io, "PATH_INFO");
	size_t a = sn ? strlen(sn) : 0, b = pi ? strlen(pi) : 0;
	const char *uri;

	if (b > 0) {
		if ((r->path = strdup(pi)) == NULL)
			return -1;
		r->pathlen = b;
	}
	if (a + b == 0 && (uri = param(io, "REQUEST_URI")) != NULL) {
		r->full = uri_path(uri, &r->fulllen);
		return r->full == NULL ? -1 : 0;
	}
	if ((r->full = malloc(a + b + 1)) == NULL)
		return -1;
	memcpy(r->full, sn ? sn : "", a);
	memcpy(r->full + a, pi ? pi : "", b + 1);
	r->fulllen = a + b;
	return 0;
}

/* CONTENT_LENGTH = 1*digit (RFC 3875 §4.1.2); absent or empty is no body.
 * Returns 0 and the length, or -1 when it is not a number. */
static int
content_length(const char *s, size_t *len)
{
	size_t n = 0;

	*len = 0;
	if (s == NULL || *s == '\0')
		return 0;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		if (n <= KSS_BODY_MAX)	/* saturate: all we ask is "too big?" */
			n = n * 10 + (size_t)(*s - '0');
	}
	*len = n;
	return 0;
}

static enum kss_err
read_body(struct kss_req *r, const struct kss_io *io, size_t len)
{
	enum kss_err e;
	size_t got = 0;
	char *buf;
	long n;

	if ((buf = malloc(len)) == NULL)
		return KSS_E_SERVER;
	while (got < len) {
		n = io->read(io->read_ctx, buf + got, len - got);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	e = got < len ? KSS_E_JSON_PARSE : kss_json_parse_body(buf, len, &r->body);
	free(buf);
	return e;
}

enum kss_err
kss_req_parse(struct kss_req *r, const struct kss_io *io)
{
	size_t len;

	memset(r, 0, sizeof(*r));
	r->method = method(param(io, "REQUEST_METHOD"));
	r->accept = param(io, "HTTP_ACCEPT");
	r->user = param(io, "HTTP_X_AUTH_USER");
	r->key = param(io, "HTTP_X_AUTH_KEY");
	r->addr = param(io, "REMOTE_ADDR");
	if (resolve_paths(r, io) < 0)
		return KSS_E_SERVER;
	if (content_length(param(io, "CONTENT_LENGTH"), &len) < 0)
		return KSS_E_JSON_PARSE;
	if (len > KSS_BODY_MAX)
		return KSS_E_TOO_LARGE;
	return len == 0 ? KSS_OK : read_body(r, io, len);
}

void
kss_req_free(struct kss_req *r)
{
	free(r->path);
	free(r->full);
	json_decref(r->body);
	r->path = NULL;
	r->full = NULL;
	r->body = NULL;
}

enum kss_err
kss_req_accept(const char *accept, bool strict)
{
	static const char head[] = "application/vnd.koreader.v";
	static const char tail[] = "+json";
	const char *p, *digits;
	size_t i, n;

	if (accept == NULL)
		return strict ? KSS_E_ACCEPT_MISSING : KSS_OK;
	for (i = 0; i < sizeof(head) - 1; i++) {
		if (accept[i] == '\0' || (head[i] != '.' && accept[i] != head[i]))
			goto nomatch;
	}
	/* (%d+) is greedy and (.*) then takes anything, so the major
	 * version is the longest run of digits. */
	for (digits = p = accept + i; *p >= '0' && *p <= '9'; p++)
		;
	n = strlen(p);
	if (p == digits || n < sizeof(tail) - 1 ||
	    strcmp(p + n - (sizeof(tail) - 1), tail) != 0)
		goto nomatch;
	while (digits < p - 1 && *digits == '0')
		digits++;
	if (p - digits != 1 || *digits != '1')
		return KSS_E_ACCEPT_VERSION;
	return KSS_OK;
nomatch:
	return strict ? KSS_E_ACCEPT_FORMAT : KSS_OK;
}
