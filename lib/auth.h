/* Credentials: yescrypt hashes via libxcrypt, constant-time checks, and
 * the check of a request's x-auth-user / x-auth-key (protocol.md §3). */
#ifndef KSS_AUTH_H
#define KSS_AUTH_H

#include <stdbool.h>

#include "err.h"

struct kss_authcache;
struct kss_log;
struct kss_secret;
struct kss_store;
struct kss_throttle;

#define KSS_KEY_MAX 4096	/* bytes in a key */

/* Hashes key with yescrypt at cost (1..11); *hash is malloc'd. A key of
 * 512 bytes or more, past what libxcrypt takes, is hashed (and verified)
 * as the hex of its SHA-256. */
enum kss_err kss_auth_hash(const char *key, int cost, char **hash);

/* Whether hash is a credential kss can verify and would make itself: a
 * whole yescrypt hash ("$y$<params>$<salt>$<hash>") at one of the costs
 * kss_auth_hash() takes. A hash of another method, md5crypt say, would
 * let a copy of the data folder be guessed at far less than the KDF's
 * cost; params of no cost kss makes could cost any time at each login.
 * No KDF is run. */
bool kss_auth_hash_valid(const char *hash);

/* Whether a stored credential v is a hash (a crypt(3) string of a method
 * libxcrypt knows) rather than a raw key: the Redis store keeps either in
 * one string, as the official server keeps its raw keys. */
bool kss_auth_is_hash(const char *v);

/* Whether key matches the stored secret, in time that does not depend on
 * where they differ. */
bool kss_auth_verify(const struct kss_secret *s, const char *key);

/* Who asks, for the limit on failed logins per address (throttle.h). */
struct kss_asker {
	struct kss_throttle *throttle;	/* NULL: no limit */
	const char *addr;		/* REMOTE_ADDR, or NULL */
	int limit, window;		/* KSS_LOGIN_LIMIT */
	long retry_after;		/* set with KSS_E_THROTTLED */
};

/* Authenticates user and key against st. KSS_OK when they match; a
 * legacy raw key is then rewritten hashed at cost (best effort, logged),
 * unless st keeps raw keys (st->raw_keys).
 * KSS_E_NO_ACCOUNT when a well-formed user does not exist; otherwise
 * KSS_E_UNAUTHORIZED or KSS_E_SERVER. A match found in cache (may be
 * NULL) skips the KDF, and a new one is added to it. who (may be NULL)
 * says where the login comes from: from an address over its limit of
 * failed logins any login is KSS_E_THROTTLED, before the store or the
 * cache is asked; one that runs the KDF and fails is counted. When s is
 * not NULL it receives the secret the key matched (caller frees). */
enum kss_err kss_auth_user(struct kss_store *st, const char *user,
    const char *key, int cost, const struct kss_log *log,
    struct kss_authcache *cache, struct kss_asker *who, struct kss_secret *s);

/* Where kss_auth_read() gets user's secret (as secret_get() answers),
 * for a request that reads more in the same step (a pull with its
 * record) or trusts a remembered secret a write will check again (a
 * push). */
struct kss_auth_reader {
	enum kss_err (*read)(void *ctx, const char *user, const char *key,
	    struct kss_secret *s);
	void *ctx;
};

/* kss_auth_user() with the secret read by rd (NULL: the store's
 * secret_get()). */
enum kss_err kss_auth_read(struct kss_store *st, const char *user,
    const char *key, int cost, const struct kss_log *log,
    struct kss_authcache *cache, struct kss_asker *who,
    const struct kss_auth_reader *rd, struct kss_secret *s);

#endif
