#include "config.h"

#include <string.h>
#include <strings.h>

#include "redis_url.h"
#include "valid.h"

static const char tcp[] = "redis://";
static const char unx[] = "redis+unix://";

bool
kss_redis_url_is(const char *s)
{
	return strncasecmp(s, tcp, sizeof(tcp) - 1) == 0 ||
	    strncasecmp(s, unx, sizeof(unx) - 1) == 0 ||
	    strncasecmp(s, "rediss://", 9) == 0;
}

/* s[0..len) into out (size bytes with the NUL), %XX decoded (RFC 3986
 * §2.1); -1 for a bad escape, a NUL byte or no room. */
static int
decode(const char *s, size_t len, char *out, size_t size)
{
	size_t i, n = 0;
	int c, hi, lo;

	for (i = 0; i < len; i++) {
		c = (unsigned char)s[i];
		if (c == '%') {
			if (len - i < 3)
				return -1;
			if ((hi = kss_hex_value(s[i + 1])) < 0 ||
			    (lo = kss_hex_value(s[i + 2])) < 0)
				return -1;
			c = hi << 4 | lo;
			i += 2;
		}
		if (c == '\0' || n + 1 >= size)
			return -1;
		out[n++] = (char)c;
	}
	out[n] = '\0';
	return 0;
}

/* A whole decimal number from lo to hi in s[0..len); -1 when not. */
static long
number(const char *s, size_t len, long lo, long hi)
{
	long v = 0;
	size_t i;

	if (len == 0 || len > 6)
		return -1;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v < lo || v > hi ? -1 : v;
}

/* "[USER]:PASSWORD" (RFC 3986's userinfo, as redis-cli -u takes it). */
static int
userinfo(const char *s, size_t len, struct kss_redis_url *u,
    const char **why)
{
	const char *colon = memchr(s, ':', len);

	if (colon == NULL) {
		*why = "the password goes after a ':' (redis://:PASSWORD@HOST)";
		return -1;
	}
	if (decode(s, (size_t)(colon - s), u->user, sizeof(u->user)) < 0 ||
	    decode(colon + 1, len - (size_t)(colon - s) - 1, u->password,
	    sizeof(u->password)) < 0) {
		*why = "the user or password is too long or badly %-escaped";
		return -1;
	}
	return 0;
}

static bool
host_char(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_';
}

/* HOST[:PORT], HOST a name, IPv4 address or [IPv6 address]. */
static int
hostport(const char *s, size_t len, struct kss_redis_url *u,
    const char **why)
{
	const char *end = s + len, *h = s, *he, *p;
	size_t i;
	long port = KSS_REDIS_PORT;

	*why = "the host is missing or not a name or address";
	if (len > 0 && *s == '[') {
		if ((he = memchr(s, ']', len)) == NULL)
			return -1;
		h = s + 1;
		p = he + 1;
		for (i = 0; h + i < he; i++)
			if (kss_hex_value(h[i]) < 0 && h[i] != ':' && h[i] != '.')
				return -1;
	} else {
		he = memchr(s, ':', len);
		he = he == NULL ? end : he;
		p = he;
		for (i = 0; h + i < he; i++)
			if (!host_char((unsigned char)h[i]))
				return -1;
	}
	if (he == h || (size_t)(he - h) >= sizeof(u->host))
		return -1;
	memcpy(u->host, h, (size_t)(he - h));
	u->host[he - h] = '\0';
	if (p < end) {
		if (*p != ':' ||
		    (port = number(p + 1, (size_t)(end - p - 1), 1, 65535)) < 0) {
			*why = "the port is not a number from 1 to 65535";
			return -1;
		}
	}
	u->port = (int)port;
	return 0;
}

/* What follows the scheme of redis://. */
static int
parse_tcp(const char *s, struct kss_redis_url *u, const char **why)
{
	size_t alen = strcspn(s, "/?#"), dlen;
	const char *at = NULL, *a = s, *q;

	for (q = s; q < s + alen; q++)
		if (*q == '@')
			at = q;
	if (at != NULL) {
		if (userinfo(s, (size_t)(at - s), u, why) < 0)
			return -1;
		a = at + 1;
	}
	if (hostport(a, (size_t)(s + alen - a), u, why) < 0)
		return -1;
	s += alen;
	if (*s == '\0' || strcmp(s, "/") == 0)
		return 0;
	dlen = strlen(s + 1);
	if (*s != '/' || (u->db = (int)number(s + 1, dlen, 0,
	    KSS_REDIS_DB_MAX)) < 0) {
		*why = "after the host comes only /DB, a number from 0 to 65535";
		return -1;
	}
	return 0;
}

/* What follows the scheme of redis+unix://. */
static int
parse_unix(const char *s, struct kss_redis_url *u, const char **why)
{
	const char *at = strstr(s, "@/"), *q;
	size_t plen;

	if (*s != '/' && at != NULL) {
		if (userinfo(s, (size_t)(at - s), u, why) < 0)
			return -1;
		s = at + 1;
	}
	plen = strcspn(s, "?#");
	if (*s != '/' || decode(s, plen, u->path, sizeof(u->path)) < 0) {
		*why = "redis+unix:// takes an absolute socket path of at most "
		    "107 bytes (redis+unix:///run/redis.sock)";
		return -1;
	}
	q = s + plen;
	if (*q == '\0')
		return 0;
	if (strncmp(q, "?db=", 4) != 0 || (u->db = (int)number(q + 4,
	    strlen(q + 4), 0, KSS_REDIS_DB_MAX)) < 0) {
		*why = "after the socket path comes only ?db=DB, a number from "
		    "0 to 65535";
		return -1;
	}
	return 0;
}

int
kss_redis_url_parse(const char *s, struct kss_redis_url *u,
    const char **why)
{
	memset(u, 0, sizeof(*u));
	u->port = KSS_REDIS_PORT;
	if (strncasecmp(s, tcp, sizeof(tcp) - 1) == 0)
		return parse_tcp(s + sizeof(tcp) - 1, u, why);
	if (strncasecmp(s, unx, sizeof(unx) - 1) == 0) {
		u->port = 0;
		return parse_unix(s + sizeof(unx) - 1, u, why);
	}
	if (strncasecmp(s, "rediss://", 9) == 0)
		*why = "Redis over TLS (rediss://) is not built in: connect "
		    "through a local TLS tunnel (stunnel) or a unix socket";
	else
		*why = "it is not a redis:// or redis+unix:// URL";
	return -1;
}

bool
kss_redis_url_same(const struct kss_redis_url *a,
    const struct kss_redis_url *b)
{
	return strcmp(a->host, b->host) == 0 && strcmp(a->path, b->path) == 0 &&
	    strcmp(a->user, b->user) == 0 &&
	    strcmp(a->password, b->password) == 0 && a->port == b->port &&
	    a->db == b->db;
}
