#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "conf.h"
#include "log.h"

int
kss_config_bool(const char *s, bool *out)
{
	static const char *const yes[] = {"1", "true", "yes", "on"};
	static const char *const no[] = {"", "0", "false", "no", "off"};
	size_t i;

	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*out = true;
			return 0;
		}
	}
	for (i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
		if (strcasecmp(s, no[i]) == 0) {
			*out = false;
			return 0;
		}
	}
	return -1;
}

int
kss_config_threads(const char *s, int *out)
{
	char *end;
	long n;

	if (s == NULL || *s == '\0') {
		*out = KSS_THREADS_DEFAULT;
		return 0;
	}
	errno = 0;
	n = strtol(s, &end, 10);
	if (errno || *end != '\0' || n < 1 || n > KSS_THREADS_MAX ||
	    s[0] < '0' || s[0] > '9')
		return -1;
	*out = (int)n;
	return 0;
}

static const char *
get(const struct kss_params *p, const char *name)
{
	return p->get(p->ctx, name);
}

static enum kss_err
load_bool(const struct kss_params *p, const struct kss_log *log,
    const char *name, bool *out)
{
	const char *v = get(p, name);

	*out = false;
	if (v == NULL || kss_config_bool(v, out) == 0)
		return KSS_OK;
	kss_logf(log, "%s must be true or false (1/0, yes/no, on/off)", name);
	return KSS_E_SERVER;
}

/* A switch that is on unless set to false. */
static enum kss_err
load_bool_on(const struct kss_params *p, const struct kss_log *log,
    const char *name, bool *out)
{
	const char *v = get(p, name);

	*out = true;
	if (v == NULL || *v == '\0')
		return KSS_OK;
	return load_bool(p, log, name, out);
}

/* out = a then b; -1 when that does not fit. (Not snprintf(): this runs
 * for every request, and a FastCGI process serves many.) */
static int
join(char out[KSS_DIR_SIZE], const char *a, const char *b)
{
	size_t m = strlen(a), n = strlen(b);

	if (m + n >= KSS_DIR_SIZE)
		return -1;
	memcpy(out, a, m);
	memcpy(out + m, b, n + 1);
	return 0;
}

/* KSS_STORE: the file store unless it names a Redis store, which this
 * build must have. The value is never logged: it may hold a password. */
static enum kss_err
load_store(struct kss_config *cfg, const struct kss_params *p,
    const struct kss_log *log)
{
	const char *v = get(p, "KSS_STORE");
	enum kss_err e;

	cfg->store = KSS_STORE_FILE;
	if ((e = load_bool(p, log, "KSS_REDIS_RAW_KEYS", &cfg->raw_keys)) !=
	    KSS_OK)
		return e;
	if (v == NULL || *v == '\0' || strcmp(v, "file") == 0) {
		if (!cfg->raw_keys)
			return KSS_OK;
		kss_logf(log, "KSS_REDIS_RAW_KEYS=true needs a Redis store "
		    "(KSS_STORE=redis://...)");
		return KSS_E_SERVER;
	}
	if (!kss_redis_url_is(v)) {
		kss_logf(log, "KSS_STORE must be file, "
		    "redis://[:PASSWORD@]HOST[:PORT][/DB] or "
		    "redis+unix:///PATH[?db=DB]");
		return KSS_E_SERVER;
	}
#ifndef KSS_REDIS
	kss_logf(log, "KSS_STORE names a Redis store, but this kss was built "
	    "without one (./configure --with-redis)");
	return KSS_E_SERVER;
#else
	const char *why;

	if (kss_redis_url_parse(v, &cfg->redis, &why) < 0) {
		kss_logf(log, "KSS_STORE: %s", why);
		return KSS_E_SERVER;
	}
	cfg->store = KSS_STORE_REDIS;
	return KSS_OK;
#endif
}

/* The original kss's default: $XDG_DATA_HOME/kss, else
 * ~/.local/share/kss; a packager may set one with --with-default-dir.
 * A Redis store needs none. */
static enum kss_err
load_dir(struct kss_config *cfg, const struct kss_params *p,
    const struct kss_log *log)
{
	const char *v;
	int n;

	if ((v = get(p, "KSS_DIR")) != NULL && *v != '\0')
		n = join(cfg->dir, v, "");
#ifdef KSS_DEFAULT_DIR
	else
		n = join(cfg->dir, KSS_DEFAULT_DIR, "");
#else
	else if ((v = get(p, "XDG_DATA_HOME")) != NULL && *v == '/')
		n = join(cfg->dir, v, "/kss");
	else if ((v = get(p, "HOME")) != NULL && *v == '/')
		n = join(cfg->dir, v, "/.local/share/kss");
	else if (cfg->store != KSS_STORE_FILE) {
		cfg->dir[0] = '\0';
		return KSS_OK;
	} else {
		kss_logf(log, "KSS_DIR is not set and there is no HOME to "
		    "default to; set KSS_DIR in the web server's environment");
		return KSS_E_SERVER;
	}
#endif
	if (n < 0) {
		kss_logf(log, "KSS_DIR is too long");
		return KSS_E_SERVER;
	}
	return KSS_OK;
}

static enum kss_err
load_cost(struct kss_config *cfg, const struct kss_params *p,
    const struct kss_log *log)
{
	const char *v = get(p, "KSS_HASH_COST");
	char *end;
	long n;

	cfg->hash_cost = KSS_HASH_COST_DEFAULT;
	if (v == NULL || *v == '\0')
		return KSS_OK;
	errno = 0;
	n = strtol(v, &end, 10);
	if (errno || *end != '\0' || n < 1 || n > 11) {
		kss_logf(log, "KSS_HASH_COST must be a whole number from 1 to 11");
		return KSS_E_SERVER;
	}
	cfg->hash_cost = (int)n;
	return KSS_OK;
}

/* Where CGI processes share verified keys: in RAM, outside KSS_DIR
 * (authcache.h). The runtime folder of a user session or a service
 * (systemd's RuntimeDirectory), else the tmpfs every Linux has. */
static enum kss_err
load_cache(struct kss_config *cfg, const struct kss_params *p,
    const struct kss_log *log)
{
	enum kss_err e;
	const char *v;
	int n;

	if ((e = load_bool_on(p, log, "KSS_AUTH_CACHE", &cfg->auth_cache)) !=
	    KSS_OK)
		return e;
	if ((v = get(p, "KSS_CACHE_DIR")) != NULL && *v != '\0') {
		if (*v != '/') {
			kss_logf(log, "KSS_CACHE_DIR must be an absolute path");
			return KSS_E_SERVER;
		}
		n = join(cfg->cache_dir, v, "");
	} else if ((v = get(p, "XDG_RUNTIME_DIR")) != NULL && *v == '/')
		n = join(cfg->cache_dir, v, "/kss");
	else {
		/* /dev/shm/kss-<uid>, named by kss_server_cache(): only a
		 * CGI process needs it. */
		cfg->cache_dir[0] = '\0';
		n = 0;
	}
	if (n < 0) {
		kss_logf(log, "KSS_CACHE_DIR is too long");
		return KSS_E_SERVER;
	}
	return KSS_OK;
}

/* KSS_LOGIN_LIMIT: "N/S", N failed logins from one address within S
 * seconds; "off" (or any false value) for none, where every client comes
 * through one proxy address; "on" (any true value) for the default. */
static enum kss_err
load_login_limit(struct kss_config *cfg, const struct kss_params *p,
    const struct kss_log *log)
{
	const char *v = get(p, "KSS_LOGIN_LIMIT");
	bool on;
	char *end;
	long n, s;

	cfg->login_limit = KSS_LOGIN_LIMIT_DEFAULT;
	cfg->login_window = KSS_LOGIN_WINDOW_DEFAULT;
	if (v == NULL || *v == '\0')
		return KSS_OK;
	if (kss_config_bool(v, &on) == 0) {
		if (!on)
			cfg->login_limit = 0;
		return KSS_OK;
	}
	errno = 0;
	if (*v >= '0' && *v <= '9' && (n = strtol(v, &end, 10), *end == '/') &&
	    end[1] >= '0' && end[1] <= '9' && (s = strtol(end + 1, &end, 10),
	    *end == '\0') && errno == 0 && n >= 1 && n <= 1000000 && s >= 1 &&
	    s <= 86400) {
		cfg->login_limit = (int)n;
		cfg->login_window = (int)s;
		return KSS_OK;
	}
	kss_logf(log, "KSS_LOGIN_LIMIT must be N/S (N failed logins from one "
	    "address within S seconds, N 1-1000000, S 1-86400) or off");
	return KSS_E_SERVER;
}

enum kss_err
kss_config_load(struct kss_config *cfg, const struct kss_params *p,
    const struct kss_log *log)
{
	enum kss_err e;

	if ((e = load_store(cfg, p, log)) != KSS_OK ||
	    (e = load_dir(cfg, p, log)) != KSS_OK ||
	    (e = load_bool(p, log, "KSS_DISABLE_REGISTRATION",
		&cfg->registration_disabled)) != KSS_OK ||
	    (e = load_bool(p, log, "KSS_STRICT_ACCEPT",
		&cfg->strict_accept)) != KSS_OK ||
	    (e = load_cost(cfg, p, log)) != KSS_OK ||
	    (e = load_bool_on(p, log, "KSS_FSYNC", &cfg->fsync)) != KSS_OK ||
	    (e = load_cache(cfg, p, log)) != KSS_OK ||
	    (e = load_login_limit(cfg, p, log)) != KSS_OK)
		return e;
	return KSS_OK;
}
