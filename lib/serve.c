/* One request from start to answer: configuration, parsing, the Accept
 * check, routing, the handler, and the JSON response. */
#include "config.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "json.h"
#include "kss.h"
#include "req.h"
#include "route.h"
#include "server.h"
#include "store.h"

enum kss_err
kss_reply(struct kss_ctx *c, int status, json_t *out)
{
	if (out == NULL)
		return KSS_E_SERVER;
	c->status = status;
	c->out = out;
	return KSS_OK;
}

/* The checks in the official server's order (protocol.md §2): body,
 * Accept, route, then the handler. Without st, the server's store of the
 * configured directory is taken only once a request has passed them
 * all. */
static enum kss_err
dispatch(const struct kss_io *io, struct kss_server *srv,
    struct kss_store *st, struct kss_config *cfg, struct kss_req *req,
    struct kss_ctx *c, struct kss_response *resp)
{
	const struct kss_route *route;
	enum kss_err e;

	if ((e = kss_config_load(cfg, &io->params, &io->log)) != KSS_OK ||
	    (e = kss_req_parse(req, io)) != KSS_OK ||
	    (e = kss_req_accept(req->accept, cfg->strict_accept)) != KSS_OK)
		return e;
	/* PATH_INFO is the server's own word on where kss is mounted; when
	 * it says nothing that routes, the tail of the full path does. */
	e = KSS_E_NOT_FOUND;
	if (req->path != NULL)
		e = kss_route_find(req->path, req->pathlen, req->method, &route,
		    &c->arg, &c->arglen, resp->allow, sizeof(resp->allow));
	if (e == KSS_E_NOT_FOUND)
		e = kss_route_tail(req->full, req->fulllen, req->method, &route,
		    &c->arg, &c->arglen, resp->allow, sizeof(resp->allow));
	if (e != KSS_OK)
		return e;
	/* No body where one is needed reads as an unparsable one: the empty
	 * string is not JSON (DESIGN.md §2). */
	if (route->body && req->body == NULL)
		return KSS_E_JSON_PARSE;
	if (st == NULL && (e = kss_server_store(srv, cfg, &st)) != KSS_OK)
		return e;
	kss_store_set_fsync(st, cfg->fsync);
	c->store = st;
	if (srv != NULL) {
		c->authcache = kss_server_cache(srv, cfg);
		c->throttle = kss_server_throttle(srv, cfg);
	}
	return route->handler(c);
}

static void
respond(struct kss_response *resp, enum kss_err e, struct kss_ctx *c)
{
	json_t *body = c->out;

	if (e != KSS_OK) {
		json_decref(c->out);
		body = json_pack("{s:i, s:s}", "code", kss_err_code(e),
		    "message", kss_err_message(e));
		resp->status = kss_err_status(e);
	} else
		resp->status = c->status;
	if (e != KSS_E_METHOD)
		resp->allow[0] = '\0';
	resp->retry_after = e == KSS_E_THROTTLED ? c->retry_after : 0;
	resp->body = body == NULL ? NULL : kss_json_dump(body, &resp->len);
	json_decref(body);
	if (resp->body == NULL) {
		/* Out of memory: a fixed answer, the smallest allocation. */
		static const char oom[] =
		    "{\"code\":2000,\"message\":\"Unknown server error.\"}";

		resp->status = 500;
		resp->body = strdup(oom);
		resp->len = resp->body == NULL ? 0 : sizeof(oom) - 1;
	}
}

static void
serve(const struct kss_io *io, struct kss_server *srv, struct kss_store *st,
    struct kss_response *resp)
{
	struct kss_config cfg;
	struct kss_req req;
	struct kss_ctx c;
	enum kss_err e;

	memset(resp, 0, sizeof(*resp));
	memset(&c, 0, sizeof(c));
	memset(&req, 0, sizeof(req));
	c.cfg = &cfg;
	c.req = &req;
	c.log = &io->log;
	e = dispatch(io, srv, st, &cfg, &req, &c, resp);
	respond(resp, e, &c);
	kss_req_free(&req);
}

void
kss_serve(struct kss_server *srv, const struct kss_io *io,
    struct kss_response *resp)
{
	struct kss_ctx none;

	if (srv == NULL) {
		memset(resp, 0, sizeof(*resp));
		memset(&none, 0, sizeof(none));
		respond(resp, KSS_E_SERVER, &none);
		return;
	}
	kss_server_begin(srv, &io->log);
	serve(io, srv, NULL, resp);
	kss_server_end(srv);
}

void
kss_serve_store(const struct kss_io *io, struct kss_store *st,
    struct kss_response *resp)
{
	serve(io, NULL, st, resp);
}

static const char *
reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 201: return "Created";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 402: return "Payment Required";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 412: return "Precondition Failed";
	case 413: return "Content Too Large";
	case 429: return "Too Many Requests";
	case 502: return "Bad Gateway";
	default: return "Internal Server Error";
	}
}

/* v in decimal, NUL-terminated, at the end of out; returns its start. */
static const char *
decimal(char out[24], unsigned long long v)
{
	char *p = out + 23;

	*p = '\0';
	do
		*--p = (char)('0' + v % 10);
	while ((v /= 10) != 0);
	return p;
}

int
kss_response_head(const struct kss_response *resp, char *buf, size_t size)
{
	char status[24], length[24], retry[24];
	const char *allow = resp->allow[0] ? resp->allow : NULL;
	bool wait = resp->retry_after > 0;
	/* Exactly application/json, no charset: KOReader 2025.04+ checks
	 * (DESIGN.md §2). Pieces copied rather than snprintf()'d: this is
	 * on every answer. */
	const char *part[] = {
		"Status: ", decimal(status, (unsigned)resp->status), " ",
		reason(resp->status), "\r\n"
		"Content-Type: application/json\r\n"
		"Cache-Control: no-store\r\n"
		"Content-Length: ", decimal(length, resp->len),
		allow ? "\r\nAllow: " : "", allow ? allow : "",
		wait ? "\r\nRetry-After: " : "",
		wait ? decimal(retry, (unsigned long long)resp->retry_after) : "",
		"\r\n\r\n",
	};
	size_t i, n, len = 0;

	for (i = 0; i < sizeof(part) / sizeof(part[0]); i++) {
		n = strlen(part[i]);
		if (n >= size - len)
			return -1;
		memcpy(buf + len, part[i], n);
		len += n;
	}
	buf[len] = '\0';
	return (int)len;
}

void
kss_response_free(struct kss_response *resp)
{
	free(resp->body);
	resp->body = NULL;
}
