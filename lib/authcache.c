#include "config.h"

#include <crypt.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/types.h>

#include "auth.h"
#include "authcache.h"
#include "sha256.h"
#include "valid.h"

#define ENTRIES 64	/* users a process serves at once, with room */

struct entry {
	uint8_t digest[KSS_SHA256_LEN];
	time_t at;		/* when verified; 0 when free */
};

struct kss_authcache {
	uint8_t salt[32];
	struct entry e[ENTRIES];
};

struct kss_authcache *
kss_authcache_new(void)
{
	struct kss_authcache *c = calloc(1, sizeof(*c));

	if (c != NULL &&
	    getrandom(c->salt, sizeof(c->salt), 0) != (ssize_t)sizeof(c->salt)) {
		/* Without a secret salt the entries would be guessable from
		 * a memory dump; better no cache. */
		free(c);
		c = NULL;
	}
	return c;
}

void
kss_authcache_free(struct kss_authcache *c)
{
	if (c != NULL)
		explicit_bzero(c, sizeof(*c));
	free(c);
}

/* The salt, then each string with its NUL, so that no two triples meet.
 * False for strings too long to cache (kss bounds users and keys). */
static bool
digest(const struct kss_authcache *c, const char *user, const char *stored,
    const char *key, uint8_t out[KSS_SHA256_LEN])
{
	uint8_t buf[sizeof(c->salt) + (KSS_NAME_MAX + 1) + CRYPT_OUTPUT_SIZE +
	    (KSS_KEY_MAX + 1)];
	size_t lu = strlen(user) + 1, ls = strlen(stored) + 1;
	size_t lk = strlen(key) + 1, n = sizeof(c->salt);

	if (lu > KSS_NAME_MAX + 1 || ls > CRYPT_OUTPUT_SIZE ||
	    lk > KSS_KEY_MAX + 1)
		return false;
	memcpy(buf, c->salt, n);
	memcpy(buf + n, user, lu);
	memcpy(buf + n + lu, stored, ls);
	memcpy(buf + n + lu + ls, key, lk);
	kss_sha256(buf, n + lu + ls + lk, out);
	explicit_bzero(buf, n + lu + ls + lk);
	return true;
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
	uint8_t d[KSS_SHA256_LEN], diff;
	bool hit = false;
	size_t i, j;

	if (c == NULL || !digest(c, user, stored, key, d))
		return false;
	/* Every entry is compared in full, whichever matches. */
	for (i = 0; i < ENTRIES; i++) {
		for (diff = 0, j = 0; j < sizeof(d); j++)
			diff |= (uint8_t)(d[j] ^ c->e[i].digest[j]);
		hit |= diff == 0 && fresh(&c->e[i], now);
	}
	explicit_bzero(d, sizeof(d));
	return hit;
}

void
kss_authcache_put(struct kss_authcache *c, const char *user,
    const char *stored, const char *key, time_t now)
{
	uint8_t d[KSS_SHA256_LEN];
	struct entry *victim;
	size_t i;

	if (c == NULL || !digest(c, user, stored, key, d))
		return;
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
	victim->at = now > 0 ? now : 1;
}
