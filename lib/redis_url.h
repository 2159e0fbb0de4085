/* Where a Redis store is (KSS_STORE; README, "Scaling out"), read from
 * its URL without touching the network:
 *
 *   redis://[[USER]:PASSWORD@]HOST[:PORT][/DB]
 *   redis+unix://[[USER]:PASSWORD@]/PATH[?db=DB]
 *
 * HOST is a name, an IPv4 address or an IPv6 one in brackets; PORT
 * 6379 and DB 0 when left out. USER, PASSWORD and PATH may hold
 * %XX-escaped bytes (a password with '@' or '/'). Built whether or not
 * this kss has the Redis store, so that configuration errors read the
 * same everywhere. */
#ifndef KSS_REDIS_URL_H
#define KSS_REDIS_URL_H

#include <stdbool.h>

#define KSS_REDIS_PORT 6379
#define KSS_REDIS_DB_MAX 65535

struct kss_redis_url {
	char host[256];		/* "" for a unix socket; IPv6 unbracketed */
	char path[108];		/* the unix socket (sun_path's size), or "" */
	char user[128];		/* ACL user (Redis 6+), "" for the default */
	char password[512];	/* "" for none */
	int port;
	int db;
};

/* Whether s names a Redis store at all (its scheme, any case), however
 * malformed the rest. */
bool kss_redis_url_is(const char *s);

/* Fills *u from s: 0, or -1 with *why a fixed phrase saying what is
 * wrong (never a part of s: it may hold a password). */
int kss_redis_url_parse(const char *s, struct kss_redis_url *u,
    const char **why);

/* Whether a and b name the same store with the same credentials. */
bool kss_redis_url_same(const struct kss_redis_url *a,
    const struct kss_redis_url *b);

#endif
