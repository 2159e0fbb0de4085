/* A FastCGI process's memory of keys it has verified (DESIGN.md §3), so
 * that steady traffic does not run the KDF on every request. An entry is
 * a BLAKE2b of (user, stored hash, key) keyed with a random per-process
 * secret (libsodium): a changed credential changes the stored hash and so
 * misses; no key is kept. */
#ifndef KSS_AUTHCACHE_H
#define KSS_AUTHCACHE_H

#include <stdbool.h>
#include <time.h>

#define KSS_AUTHCACHE_TTL 300	/* seconds an entry is trusted */

struct kss_authcache;

/* A new, empty cache with a random salt; NULL when out of memory. */
struct kss_authcache *kss_authcache_new(void);
void kss_authcache_free(struct kss_authcache *c);

/* Whether key was verified against stored for user less than
 * KSS_AUTHCACHE_TTL seconds before now. */
bool kss_authcache_hit(const struct kss_authcache *c, const char *user,
    const char *stored, const char *key, time_t now);

/* Remembers that key matches stored for user, as of now. */
void kss_authcache_put(struct kss_authcache *c, const char *user,
    const char *stored, const char *key, time_t now);

#endif
