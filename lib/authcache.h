/* Memory of keys verified recently (DESIGN.md §3), so that steady traffic
 * does not run the KDF on every request. An entry is a BLAKE2b of (user,
 * stored hash, key) keyed with a random secret (libsodium): a changed
 * credential changes the stored hash and so misses; no key is kept.
 *
 * Two kinds, one interface:
 *   - in memory, for a process that serves many requests (FastCGI): the
 *     secret is drawn per process;
 *   - shared by the processes of one web server (CGI, a process per
 *     request) through a folder in RAM (tmpfs) outside the data folder:
 *     the secret is a file there, made by the first process, lost at
 *     reboot; a user's entry is one small file named by a keyed digest
 *     of the name.
 * Neither ever lives in KSS_DIR: a copy of the data folder alone gives
 * nothing to test guesses against but the KDF. */
#ifndef KSS_AUTHCACHE_H
#define KSS_AUTHCACHE_H

#include <stdbool.h>
#include <time.h>

#define KSS_AUTHCACHE_TTL 300	/* seconds an entry is trusted */

struct kss_authcache;
struct kss_log;

/* A new, empty in-memory cache with a random secret; NULL when out of
 * memory. */
struct kss_authcache *kss_authcache_new(void);

/* The cache shared through folder dir, which must not be data_dir or
 * inside it. Nothing is touched until first use; then dir is made (mode
 * 0700) if missing and checked: a folder of this user only, on tmpfs or
 * ramfs. One that will not do is said on log at each use, and the cache
 * misses: every login runs the KDF, none fails. NULL when out of
 * memory. log must outlive the cache. */
struct kss_authcache *kss_authcache_shared(const char *dir,
    const char *data_dir, const struct kss_log *log);

void kss_authcache_free(struct kss_authcache *c);

/* Whether key was verified against stored for user less than
 * KSS_AUTHCACHE_TTL seconds before now. */
bool kss_authcache_hit(struct kss_authcache *c, const char *user,
    const char *stored, const char *key, time_t now);

/* Remembers that key matches stored for user, as of now. */
void kss_authcache_put(struct kss_authcache *c, const char *user,
    const char *stored, const char *key, time_t now);

#endif
