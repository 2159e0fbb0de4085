/* Unit tests: the FastCGI process's cache of verified keys. The module is
 * compiled in here, so that its entries can be looked at: they must be
 * keyed digests, under a key of each process's own. */
#include "config.h"

#include <string.h>

#include "../lib/authcache.c"
#include "tap.h"

/* What an entry would hold if the digest were not keyed, or keyed with
 * key (all zeros: a key never drawn). */
static void
digest_with(const uint8_t *key, size_t keylen, uint8_t out[DIGEST_LEN])
{
	static const char in[] = "u\0$y$j9T$salt$hash\0k";

	crypto_generichash(out, DIGEST_LEN, (const uint8_t *)in, sizeof(in),
	    key, keylen);
}

static void
keyed(time_t t)
{
	struct kss_authcache *a = kss_authcache_new(), *b = kss_authcache_new();
	uint8_t plain[DIGEST_LEN], zero[crypto_generichash_KEYBYTES] = {0};
	uint8_t zeroed[DIGEST_LEN];

	if (!ok(a != NULL && b != NULL, "two caches")) {
		kss_authcache_free(a);
		kss_authcache_free(b);
		return;
	}
	kss_authcache_put(a, "u", "$y$j9T$salt$hash", "k", t);
	kss_authcache_put(b, "u", "$y$j9T$salt$hash", "k", t);
	ok(memcmp(a->e[0].digest, b->e[0].digest, DIGEST_LEN) != 0,
	    "one entry, two processes: two digests (each its own key)");
	digest_with(NULL, 0, plain);
	digest_with(zero, sizeof(zero), zeroed);
	ok(memcmp(a->e[0].digest, plain, DIGEST_LEN) != 0 &&
	    memcmp(a->e[0].digest, zeroed, DIGEST_LEN) != 0,
	    "neither an unkeyed digest nor one under a zero key");
	kss_authcache_free(a);
	kss_authcache_free(b);
}

int
main(void)
{
	struct kss_authcache *c = kss_authcache_new(), *other;
	const char *h = "$y$j9T$salt$hash", *h2 = "$y$j9T$salt2$hash2";
	char name[16];
	time_t t = 1000000;
	int i;

	ok(c != NULL, "a cache");
	ok(!kss_authcache_hit(c, "u", h, "k", t), "empty: miss");
	kss_authcache_put(c, "u", h, "k", t);
	ok(kss_authcache_hit(c, "u", h, "k", t + 1), "put, then hit");
	ok(!kss_authcache_hit(c, "u", h, "K", t + 1), "another key misses");
	ok(!kss_authcache_hit(c, "v", h, "k", t + 1), "another user misses");
	ok(!kss_authcache_hit(c, "u", h2, "k", t + 1),
	    "a changed credential (new hash) misses");
	ok(!kss_authcache_hit(c, "uk", "", "", t + 1) &&
	    !kss_authcache_hit(c, "u", "$y$j9T$salt$hashk", "", t + 1) &&
	    !kss_authcache_hit(c, "u$", "y$j9T$salt$hash", "k", t + 1),
	    "the three strings cannot shift into each other");
	ok(kss_authcache_hit(c, "u", h, "k", t + KSS_AUTHCACHE_TTL - 1),
	    "still fresh just before the TTL");
	ok(!kss_authcache_hit(c, "u", h, "k", t + KSS_AUTHCACHE_TTL),
	    "stale at the TTL");
	ok(!kss_authcache_hit(c, "u", h, "k", t - 1),
	    "stale when the clock went back");
	other = kss_authcache_new();
	ok(!kss_authcache_hit(other, "u", h, "k", t + 1),
	    "another process's cache (salt) knows nothing");
	kss_authcache_free(other);
	keyed(t);

	/* Filling it evicts the oldest, never fails. */
	for (i = 0; i < 200; i++) {
		snprintf(name, sizeof(name), "user%d", i);
		kss_authcache_put(c, name, h, "k", t + 2 + i);
	}
	ok(kss_authcache_hit(c, "user199", h, "k", t + 202), "the newest stays");
	ok(!kss_authcache_hit(c, "user0", h, "k", t + 202), "the oldest went");
	ok(!kss_authcache_hit(NULL, "u", h, "k", t), "no cache: miss");
	kss_authcache_put(NULL, "u", h, "k", t);
	ok(!kss_authcache_hit(NULL, "u", h, "k", t),
	    "no cache: a put is a no-op, and still nothing hits");
	kss_authcache_free(c);
	return tap_done();
}
