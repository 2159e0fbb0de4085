/* Unit tests: KSS_STORE's Redis URLs (redis_url.h) and how the
 * configuration takes KSS_STORE and KSS_REDIS_RAW_KEYS (conf.h). Built
 * with and without the Redis store. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "log.h"
#include "redis_url.h"
#include "tap.h"
#include "util.h"

static const struct kss_log lg = {keep_log, NULL};

/* Parses s, which must be good; returns u. */
static struct kss_redis_url
good(const char *s)
{
	struct kss_redis_url u;
	const char *why = "";

	if (!ok(kss_redis_url_parse(s, &u, &why) == 0, "parses: %s", s))
		printf("#   why: %s\n", why);
	return u;
}

static void
bad(const char *s, const char *want)
{
	struct kss_redis_url u;
	const char *why = "";

	ok(kss_redis_url_parse(s, &u, &why) < 0 && strstr(why, want) != NULL,
	    "refused: %s (%s)", s, why);
	ok(strstr(why, "hunter2") == NULL, "the reason shows no password");
}

static void
urls(void)
{
	struct kss_redis_url u;

	u = good("redis://127.0.0.1:6380/1");
	ok(strcmp(u.host, "127.0.0.1") == 0 && u.port == 6380 && u.db == 1 &&
	    u.path[0] == '\0' && u.password[0] == '\0', "host, port, db");
	u = good("redis://cache.example");
	ok(strcmp(u.host, "cache.example") == 0 && u.port == 6379 && u.db == 0,
	    "port 6379 and db 0 by default");
	u = good("REDIS://h/");
	ok(strcmp(u.host, "h") == 0 && u.db == 0, "any case; a bare / is db 0");
	u = good("redis://:hunter2@h:1/15");
	ok(strcmp(u.password, "hunter2") == 0 && u.user[0] == '\0' &&
	    u.port == 1 && u.db == 15, "a password");
	u = good("redis://kss:p%40ss%2Fw%3Ard@h");
	ok(strcmp(u.user, "kss") == 0 && strcmp(u.password, "p@ss/w:rd") == 0,
	    "an ACL user; %%-escapes in the password");
	u = good("redis://:a@b@h");
	ok(strcmp(u.password, "a@b") == 0 && strcmp(u.host, "h") == 0,
	    "the last @ ends the password");
	u = good("redis://[::1]:7000/2");
	ok(strcmp(u.host, "::1") == 0 && u.port == 7000 && u.db == 2,
	    "an IPv6 address in brackets");
	u = good("redis+unix:///run/redis/redis.sock?db=3");
	ok(strcmp(u.path, "/run/redis/redis.sock") == 0 && u.db == 3 &&
	    u.host[0] == '\0', "a unix socket and its db");
	u = good("redis+unix://:hunter2@/tmp/r.sock");
	ok(strcmp(u.path, "/tmp/r.sock") == 0 &&
	    strcmp(u.password, "hunter2") == 0 && u.db == 0,
	    "a unix socket with a password");

	bad("redis://", "host");
	bad("redis://:hunter2@", "host");
	bad("redis://h:0", "port");
	bad("redis://h:65536", "port");
	bad("redis://h:6379x", "port");
	bad("redis://h/x", "DB");
	bad("redis://h/1/2", "DB");
	bad("redis://h/65536", "DB");
	bad("redis://h/1?timeout=3", "DB");
	bad("redis://hunter2@h", "password");
	bad("redis://:hunter2%zz@h", "escaped");
	bad("redis://:hunter2%00@h", "escaped");
	bad("redis://h o/1", "host");
	bad("redis://[::1/1", "host");
	bad("redis+unix://relative.sock", "absolute");
	bad("redis+unix:///tmp/r.sock?db=x", "db=");
	bad("redis+unix:///tmp/r.sock?pass=hunter2", "db=");
	bad("redis+unix:///"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.sock", "107");
	bad("rediss://:hunter2@h", "TLS");
	bad("http://h", "redis://");
	ok(kss_redis_url_is("Redis://x") && kss_redis_url_is("redis+unix://x") &&
	    !kss_redis_url_is("file") && !kss_redis_url_is("/var/lib/kss"),
	    "kss_redis_url_is() by the scheme");

	struct kss_redis_url a = good("redis://:p@h:1/2"), b = a;
	ok(kss_redis_url_same(&a, &b), "the same URL is the same store");
	b.db = 3;
	ok(!kss_redis_url_same(&a, &b), "another db is another store");
	b = a;
	strcpy(b.password, "q");
	ok(!kss_redis_url_same(&a, &b), "another password is another store");
}

/* The configuration from exactly these NAME=value pairs. */
struct env {
	const char *const *v;
};

static const char *
env_get(void *ctx, const char *name)
{
	const struct env *e = ctx;
	size_t n = strlen(name);
	const char *const *p;

	for (p = e->v; *p != NULL; p++)
		if (strncmp(*p, name, n) == 0 && (*p)[n] == '=')
			return *p + n + 1;
	return NULL;
}

static enum kss_err
load(struct kss_config *cfg, const char *const *v)
{
	struct env e = {v};
	struct kss_params p = {env_get, &e};

	logged[0] = '\0';
	logged_lines = 0;
	return kss_config_load(cfg, &p, &lg);
}

static void
config(void)
{
	struct kss_config cfg;
	const char *file[] = {"KSS_DIR=/d", NULL};
	const char *named[] = {"KSS_DIR=/d", "KSS_STORE=file", NULL};
	const char *redis[] = {"KSS_STORE=redis://:hunter2@h:1/2", NULL};
	const char *raw[] = {"KSS_STORE=redis://h", "KSS_REDIS_RAW_KEYS=yes",
	    NULL};
	const char *rawfile[] = {"KSS_DIR=/d", "KSS_REDIS_RAW_KEYS=true", NULL};
	const char *rawbad[] = {"KSS_STORE=redis://h", "KSS_REDIS_RAW_KEYS=2",
	    NULL};
	const char *junk[] = {"KSS_DIR=/d", "KSS_STORE=postgres://hunter2@h",
	    NULL};
	const char *broken[] = {"KSS_STORE=redis://:hunter2@h:99999", NULL};

	is_int(load(&cfg, file), KSS_OK, "no KSS_STORE");
	ok(cfg.store == KSS_STORE_FILE && !cfg.raw_keys &&
	    strcmp(cfg.dir, "/d") == 0, "is the file store at KSS_DIR");
	is_int(load(&cfg, named), KSS_OK, "KSS_STORE=file");
	ok(cfg.store == KSS_STORE_FILE, "is the file store");
	is_int(load(&cfg, junk), KSS_E_SERVER, "an unknown KSS_STORE");
	ok(logged_lines == 1 && strstr(logged, "KSS_STORE must be") != NULL &&
	    strstr(logged, "hunter2") == NULL,
	    "is one log line without the value: %s", logged);
	is_int(load(&cfg, rawfile), KSS_E_SERVER,
	    "KSS_REDIS_RAW_KEYS=true with the file store");
	ok(logged_lines == 1 && strstr(logged, "KSS_REDIS_RAW_KEYS") != NULL,
	    "is one log line: %s", logged);
#ifdef KSS_REDIS
	is_int(load(&cfg, redis), KSS_OK, "a Redis KSS_STORE");
	ok(cfg.store == KSS_STORE_REDIS && strcmp(cfg.redis.host, "h") == 0 &&
	    cfg.redis.port == 1 && cfg.redis.db == 2 && !cfg.raw_keys,
	    "is read, and needs no KSS_DIR or HOME");
	is_int(load(&cfg, raw), KSS_OK, "KSS_REDIS_RAW_KEYS with Redis");
	ok(cfg.raw_keys, "is read");
	is_int(load(&cfg, rawbad), KSS_E_SERVER, "KSS_REDIS_RAW_KEYS=2");
	ok(strstr(logged, "KSS_REDIS_RAW_KEYS") != NULL, "is named: %s",
	    logged);
	is_int(load(&cfg, broken), KSS_E_SERVER, "a malformed Redis URL");
	ok(logged_lines == 1 && strstr(logged, "KSS_STORE: the port") != NULL &&
	    strstr(logged, "hunter2") == NULL,
	    "is one log line saying why, without the password: %s", logged);
#else
	is_int(load(&cfg, redis), KSS_E_SERVER,
	    "a Redis KSS_STORE in a build without Redis");
	ok(logged_lines == 1 && strstr(logged, "--with-redis") != NULL &&
	    strstr(logged, "hunter2") == NULL,
	    "is one log line saying so: %s", logged);
	(void)raw;
	(void)rawbad;
	(void)broken;
#endif
}

int
main(void)
{
	urls();
	config();
	return tap_done();
}
