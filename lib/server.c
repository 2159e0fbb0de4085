/* Process-lifetime state. A FastCGI process serves many requests, so it
 * keeps what each would otherwise pay for again: the open store of each
 * data directory (its fd, the layout read from .kss-layout) and the
 * verified-key cache. A CGI process keeps nothing; the same code opens a
 * store per request and closes it at the end, and shares verified keys
 * with the other CGI processes through a folder in RAM. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#include "authcache.h"
#include "dirmode.h"
#include "kss.h"
#include "lock.h"
#include "log.h"
#include "sandbox.h"
#include "server.h"
#include "store.h"
#include "throttle.h"

/* Data directories a process keeps open; a process is normally given one
 * (KSS_DIR), and more are served, opened per request, not refused. */
#define KEPT 4

struct kept {
	char *dir;		/* NULL: a free slot */
	enum kss_store_kind kind;
	struct kss_redis_url redis;	/* a Redis store's address */
	struct kss_store st;
	dev_t dev;
	ino_t ino;
};

struct kss_server {
	bool keep;
	struct kss_authcache *cache;
	struct kss_throttle *throttle;	/* for throttle_dir, throttle_data */
	char *throttle_dir;	/* cfg->cache_dir as given: "" is the default */
	char *throttle_data;
	struct kept kept[KEPT];
	struct kss_store scratch;	/* this request's, when not kept */
	const struct kss_log *cur;	/* this request's error log */
	struct kss_log relay;		/* what stores log through */
};

/* Stores outlive requests, and each request has its own error log (a
 * FastCGI stream); so stores log here, and this writes to the current
 * request's log. */
static void
relay(void *ctx, const char *line)
{
	struct kss_server *s = ctx;

	if (s->cur != NULL)
		s->cur->write(s->cur->ctx, line);
}

struct kss_server *
kss_server_new(bool keep)
{
	struct kss_server *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return NULL;
	/* libsodium asks to be set up before use (digest names, the key
	 * cache); it fails only where it cannot work at all. */
	if (sodium_init() < 0) {
		free(s);
		return NULL;
	}
	/* jansson seeds its hash function on first use; done here, before
	 * a transport starts threads, no two of them race to do it, and
	 * before the sandbox, which has no /dev/urandom. */
	json_object_seed(0);
	/* Probed once for the process, here, before the sandbox forbids
	 * the probe (memfd_create). */
	(void)kss_lock_ofd();
	s->keep = keep;
	s->relay.write = relay;
	s->relay.ctx = s;
	/* Without a cache (no memory) every request verifies: slower, not
	 * wrong. */
	if (keep)
		s->cache = kss_authcache_new();
	return s;
}

static void
drop(struct kept *k)
{
	kss_store_close(&k->st);
	free(k->dir);
	k->dir = NULL;
}

static void
drop_throttle(struct kss_server *s)
{
	kss_throttle_free(s->throttle);
	free(s->throttle_dir);
	free(s->throttle_data);
	s->throttle = NULL;
	s->throttle_dir = NULL;
	s->throttle_data = NULL;
}

bool
kss_server_threads_ok(void)
{
	return kss_lock_ofd();
}

void
kss_server_free(struct kss_server *s)
{
	size_t i;

	if (s == NULL)
		return;
	for (i = 0; i < KEPT; i++)
		drop(&s->kept[i]);
	kss_store_close(&s->scratch);
	kss_authcache_free(s->cache);
	drop_throttle(s);
	free(s);
}

void
kss_server_begin(struct kss_server *s, const struct kss_log *log)
{
	s->cur = log;
}

void
kss_server_end(struct kss_server *s)
{
	kss_store_close(&s->scratch);
	if (!s->keep) {
		kss_authcache_free(s->cache);
		s->cache = NULL;
		drop_throttle(s);
	}
	s->cur = NULL;
}

/* The shared RAM folder cfg names: KSS_CACHE_DIR, else
 * /dev/shm/kss-<uid> (named here, not per request in the configuration:
 * only a cache or a count being made asks). */
static const char *
shared_dir(const struct kss_config *cfg, char buf[40])
{
	if (cfg->cache_dir[0] != '\0')
		return cfg->cache_dir;
	snprintf(buf, 40, "/dev/shm/kss-%lu", (unsigned long)geteuid());
	return buf;
}

struct kss_authcache *
kss_server_cache(struct kss_server *s, const struct kss_config *cfg)
{
	char buf[40];

	if (!cfg->auth_cache)
		return NULL;
	/* A process per request shares the cache through a folder; it is
	 * this request's, like the store, and nothing is opened until a
	 * login asks. */
	if (!s->keep && s->cache == NULL)
		s->cache = kss_authcache_shared(shared_dir(cfg, buf), cfg->dir,
		    &s->relay);
	return s->cache;
}

struct kss_throttle *
kss_server_throttle(struct kss_server *s, const struct kss_config *cfg)
{
	const char *dir;
	char buf[40];

	if (cfg->login_limit <= 0)
		return NULL;
	/* Every process and thread counts in the one table, so even a
	 * FastCGI process keeps only its handle, made anew when a request
	 * names another folder (or another KSS_DIR, which the folder must
	 * not be in). */
	if (s->throttle != NULL &&
	    strcmp(s->throttle_dir, cfg->cache_dir) == 0 &&
	    strcmp(s->throttle_data, cfg->dir) == 0)
		return s->throttle;
	drop_throttle(s);
	dir = shared_dir(cfg, buf);
	if ((s->throttle_dir = strdup(cfg->cache_dir)) == NULL ||
	    (s->throttle_data = strdup(cfg->dir)) == NULL ||
	    (s->throttle = kss_throttle_new(dir, cfg->dir, &s->relay)) == NULL)
		drop_throttle(s);
	return s->throttle;
}

/* Whether k is the store cfg names: the same data directory, or the
 * same Redis server, database and credentials, kept raw or not. */
static bool
named(const struct kept *k, const struct kss_config *cfg)
{
	if (k->dir == NULL || k->kind != cfg->store)
		return false;
	if (cfg->store == KSS_STORE_REDIS)
		return kss_redis_url_same(&k->redis, &cfg->redis) &&
		    k->st.raw_keys == cfg->raw_keys;
	return strcmp(k->dir, cfg->dir) == 0;
}

/* Whether k, named by cfg, still is its store: a data directory must
 * still be the same directory (one moved aside and restored from a
 * backup is another, and a kept fd would write into the old one); a
 * Redis store reconnects by itself. */
static bool
current(const struct kept *k, const struct kss_config *cfg)
{
	struct stat st;

	if (k->kind == KSS_STORE_REDIS)
		return true;
	return stat(cfg->dir, &st) == 0 && st.st_dev == k->dev &&
	    st.st_ino == k->ino;
}

/* kss_server_store(), keeping the store when keep. */
static enum kss_err
store(struct kss_server *s, const struct kss_config *cfg,
    struct kss_store **st, bool keep)
{
	const char *dir = cfg->dir;
	struct kept *k, *slot = NULL;
	enum kss_err e;
	size_t i;

	*st = NULL;
	/* A process that keeps nothing still finds the store that
	 * kss_server_prepare() opened for its request. */
	for (i = 0; i < KEPT && (keep || s->kept[i].dir != NULL); i++) {
		k = &s->kept[i];
		if (named(k, cfg)) {
			if (current(k, cfg)) {
				*st = &k->st;
				return KSS_OK;
			}
			drop(k);	/* replaced: open it anew below */
		}
		if (k->dir == NULL && slot == NULL && keep)
			slot = k;
	}
	if (slot == NULL) {
		if ((e = kss_store_open(cfg, &s->relay, &s->scratch)) == KSS_OK) {
			*st = &s->scratch;
			kss_dirmode_check(kss_store_file_root(*st), dir,
			    &s->relay);
		}
		return e;
	}
	if ((e = kss_store_open(cfg, &s->relay, &slot->st)) != KSS_OK)
		return e;
	slot->kind = cfg->store;
	slot->redis = cfg->redis;
	/* Once per opening: a kept folder is not looked at again (a
	 * Redis store has none: its root is -1). */
	kss_dirmode_check(kss_store_file_root(&slot->st), dir, &s->relay);
	if ((cfg->store == KSS_STORE_FILE &&
	    kss_store_file_id(&slot->st, &slot->dev, &slot->ino) < 0) ||
	    (slot->dir = strdup(dir)) == NULL) {
		kss_logf(&s->relay, "cannot keep the store of %s: %s", dir,
		    strerror(errno));
		kss_store_close(&slot->st);
		return KSS_E_SERVER;
	}
	*st = &slot->st;
	return KSS_OK;
}

enum kss_err
kss_server_store(struct kss_server *s, const struct kss_config *cfg,
    struct kss_store **st)
{
	return store(s, cfg, st, s->keep);
}

enum kss_err
kss_server_prepare(struct kss_server *s, const struct kss_params *p,
    const struct kss_log *log, struct kss_sandbox *sb)
{
	struct kss_config cfg;
	struct kss_store *st;
	const char *dir;
	enum kss_err e;
	char buf[40];

	sb->data[0] = sb->cache[0] = '\0';
	sb->redis_inet = sb->redis_unix = false;
	s->cur = log;
	if ((e = kss_config_load(&cfg, p, log)) == KSS_OK)
		e = store(s, &cfg, &st, true);
	s->cur = NULL;
	if (e != KSS_OK)
		return e;
	/* A Redis store has no folder, and its connection is made anew
	 * in the sandbox whenever it fails. */
	if (cfg.store == KSS_STORE_REDIS) {
		sb->redis_unix = cfg.redis.path[0] != '\0';
		sb->redis_inet = !sb->redis_unix;
	} else
		memcpy(sb->data, cfg.dir, sizeof(sb->data));
	/* Landlock admits a folder, not a name: the RAM folder is made now
	 * when a setting will use it (kss_rundir_open() checks it then, and
	 * says why when it will not do). */
	if ((cfg.auth_cache && !s->keep) || cfg.login_limit > 0) {
		dir = shared_dir(&cfg, buf);
		if (mkdir(dir, 0700) == 0 || errno == EEXIST)
			snprintf(sb->cache, sizeof(sb->cache), "%s", dir);
	}
	return KSS_OK;
}
