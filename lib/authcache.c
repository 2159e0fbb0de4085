#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "authcache.h"

#define ENTRIES 64	/* users a process serves at once, with room */

#define DIGEST_LEN crypto_generichash_BYTES

struct entry {
	uint8_t digest[DIGEST_LEN];
	time_t at;		/* when verified; 0 when free */
};

struct kss_authcache {
	uint8_t salt[crypto_generichash_KEYBYTES];
	struct entry e[ENTRIES];
};

struct kss_authcache *
kss_authcache_new(void)
{
	struct kss_authcache *c;

	/* Without a secret key the entries would be guessable from a memory
	 * dump; better no cache. */
	if (sodium_init() < 0 || (c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	randombytes_buf(c->salt, sizeof(c->salt));
	return c;
}

void
kss_authcache_free(struct kss_authcache *c)
{
	if (c != NULL)
		sodium_memzero(c, sizeof(*c));
	free(c);
}

/* BLAKE2b keyed with the process's secret over each string with its NUL,
 * so that no two triples meet. */
static void
digest(const struct kss_authcache *c, const char *user, const char *stored,
    const char *key, uint8_t out[DIGEST_LEN])
{
	crypto_generichash_state st;

	crypto_generichash_init(&st, c->salt, sizeof(c->salt), DIGEST_LEN);
	crypto_generichash_update(&st, (const uint8_t *)user, strlen(user) + 1);
	crypto_generichash_update(&st, (const uint8_t *)stored,
	    strlen(stored) + 1);
	crypto_generichash_update(&st, (const uint8_t *)key, strlen(key) + 1);
	crypto_generichash_final(&st, out, DIGEST_LEN);
	sodium_memzero(&st, sizeof(st));
}

static bool
fresh(const struct entry *e, time_t now)
{
	return e->at != 0 && now >= e->at && now - e->at < KSS_AUTHCACHE_TTL;
}

bool
kss_authcache_hit(const struct kss_authcache *c, const char *user,
    const char *stored, const char *key, time_t now)
{
	uint8_t d[DIGEST_LEN];
	bool hit = false;
	size_t i;

	if (c == NULL)
		return false;
	digest(c, user, stored, key, d);
	/* Every entry is compared in full, whichever matches. */
	for (i = 0; i < ENTRIES; i++)
		hit |= sodium_memcmp(d, c->e[i].digest, sizeof(d)) == 0 &&
		    fresh(&c->e[i], now);
	sodium_memzero(d, sizeof(d));
	return hit;
}

void
kss_authcache_put(struct kss_authcache *c, const char *user,
    const char *stored, const char *key, time_t now)
{
	uint8_t d[DIGEST_LEN];
	struct entry *victim;
	size_t i;

	if (c == NULL)
		return;
	digest(c, user, stored, key, d);
	/* A stale entry, else the oldest, makes room. */
	victim = &c->e[0];
	for (i = 0; i < ENTRIES; i++) {
		if (!fresh(&c->e[i], now)) {
			victim = &c->e[i];
			break;
		}
		if (c->e[i].at < victim->at)
			victim = &c->e[i];
	}
	memcpy(victim->digest, d, sizeof(d));
	sodium_memzero(d, sizeof(d));
	victim->at = now > 0 ? now : 1;
}
