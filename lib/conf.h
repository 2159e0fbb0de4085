/* Configuration from the environment or FastCGI params (DESIGN.md §5). */
#ifndef KSS_CONF_H
#define KSS_CONF_H

#include <stdbool.h>

#include "err.h"
#include "redis_url.h"

struct kss_log;

/* Where configuration comes from: CGI variables or FastCGI params, then
 * the process environment. Never HTTP_* request headers. */
struct kss_params {
	/* The value of name, or NULL when unset. */
	const char *(*get)(void *ctx, const char *name);
	void *ctx;
};

#define KSS_HASH_COST_DEFAULT 5
#define KSS_LOGIN_LIMIT_DEFAULT 50	/* failed logins per address */
#define KSS_LOGIN_WINDOW_DEFAULT 600	/* within so many seconds */
#define KSS_DIR_SIZE 4096

/* Which store KSS_STORE names. */
enum kss_store_kind {
	KSS_STORE_FILE,		/* unset, empty or "file": KSS_DIR */
	KSS_STORE_REDIS,	/* redis://, redis+unix:// (redis_url.h) */
};

struct kss_config {
	enum kss_store_kind store;	/* KSS_STORE */
	struct kss_redis_url redis;	/* KSS_STORE's Redis, when it is one */
	/* KSS_REDIS_RAW_KEYS: credentials stay as clients send them, so
	 * that an official server can share the database */
	bool raw_keys;
	char dir[KSS_DIR_SIZE];		/* KSS_DIR, or the default ("" for
					 * a Redis store without either) */
	bool registration_disabled;	/* KSS_DISABLE_REGISTRATION */
	bool strict_accept;		/* KSS_STRICT_ACCEPT */
	int hash_cost;			/* KSS_HASH_COST, yescrypt 1..11 */
	bool fsync;			/* KSS_FSYNC (default true) */
	bool auth_cache;		/* KSS_AUTH_CACHE (default true) */
	/* KSS_CACHE_DIR: the key cache CGI processes share, default
	 * $XDG_RUNTIME_DIR/kss, else (empty here) /dev/shm/kss-<uid> */
	char cache_dir[KSS_DIR_SIZE];
	/* KSS_LOGIN_LIMIT: failed logins (0: no limit) an address may
	 * have within login_window seconds */
	int login_limit;
	int login_window;
};

/* Fills cfg from p. A value kss cannot use is logged by name and gives
 * KSS_E_SERVER: a typo in the web server's config must not silently
 * leave registration open. */
enum kss_err kss_config_load(struct kss_config *cfg,
    const struct kss_params *p, const struct kss_log *log);

#define KSS_THREADS_DEFAULT 4
#define KSS_THREADS_MAX 64

/* Reads KSS_THREADS, the requests a FastCGI process serves at once (a
 * thread each): NULL or empty is the default, else a whole number from 1
 * to KSS_THREADS_MAX. Returns 0 and sets *out, or -1 for any other text. */
int kss_config_threads(const char *s, int *out);

/* Reads a boolean switch: 1/true/yes/on, 0/false/no/off or empty (any
 * case). Returns 0 and sets *out, or -1 for any other text. */
int kss_config_bool(const char *s, bool *out);

#endif
