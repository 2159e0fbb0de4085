#include "config.h"

#include <crypt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "auth.h"
#include "authcache.h"
#include "log.h"
#include "store.h"
#include "throttle.h"
#include "valid.h"

#define KDF_KEY_SIZE (crypto_hash_sha256_BYTES * 2 + 1)

/* What the KDF is given for key. libxcrypt takes a passphrase of less
 * than CRYPT_MAX_PASSPHRASE_SIZE (512) bytes and fails on a longer one,
 * which kss accepts (KSS_KEY_MAX): such a key goes in as the hex of its
 * SHA-256, so that it is hashed, verified and timed as any other. out
 * (KDF_KEY_SIZE bytes) is the caller's to wipe. */
static const char *
kdf_key(const char *key, char out[KDF_KEY_SIZE])
{
	unsigned char d[crypto_hash_sha256_BYTES];
	size_t len = strlen(key);

	if (len < CRYPT_MAX_PASSPHRASE_SIZE)
		return key;
	crypto_hash_sha256(d, (const unsigned char *)key, len);
	sodium_bin2hex(out, KDF_KEY_SIZE, d, sizeof(d));
	explicit_bzero(d, sizeof(d));
	return out;
}

/* crypt_rn() of kdf_key(key) into cd; NULL on failure. */
static const char *
kdf(const char *key, const char *setting, struct crypt_data *cd)
{
	char buf[KDF_KEY_SIZE];
	const char *out;

	out = crypt_rn(kdf_key(key, buf), setting, cd, sizeof(*cd));
	explicit_bzero(buf, sizeof(buf));
	return out;
}

enum kss_err
kss_auth_hash(const char *key, int cost, char **hash)
{
	char salt[CRYPT_GENSALT_OUTPUT_SIZE];
	struct crypt_data *cd;
	enum kss_err e = KSS_E_SERVER;

	*hash = NULL;
	/* A NULL entropy source makes libxcrypt read the OS's random. */
	if (crypt_gensalt_rn("$y$", (unsigned long)cost, NULL, 0, salt,
	    sizeof(salt)) == NULL)
		return KSS_E_SERVER;
	if ((cd = calloc(1, sizeof(*cd))) == NULL)
		return KSS_E_SERVER;
	if (kdf(key, salt, cd) != NULL &&
	    cd->output[0] != '*' && (*hash = strdup(cd->output)) != NULL)
		e = KSS_OK;
	explicit_bzero(cd, sizeof(*cd));
	free(cd);
	return e;
}

/* The length of the run of crypt(3)'s base-64 characters s starts with. */
static size_t
b64_span(const char *s)
{
	return strspn(s, "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz");
}

bool
kss_auth_hash_valid(const char *hash)
{
	/* Only the setting's params depend on the cost, so the entropy
	 * of the salt made here does not matter. */
	static const char entropy[16] = "kss:hash-check!!";
	char setting[CRYPT_GENSALT_OUTPUT_SIZE];
	const char *salt, *end;
	size_t params;
	int cost;

	if (strncmp(hash, "$y$", 3) != 0 || (params = b64_span(hash + 3)) == 0 ||
	    hash[3 + params] != '$')
		return false;
	salt = hash + 3 + params + 1;
	end = salt + b64_span(salt);
	/* yescrypt's hash: 256 bits, 43 characters. */
	if (end == salt || *end != '$' || b64_span(end + 1) != 43 ||
	    end[44] != '\0')
		return false;
	/* The params of a cost kss uses, and a salt as long as kss makes
	 * (crypt refuses some lengths, and the account could never log in). */
	for (cost = 1; cost <= 11; cost++) {
		if (crypt_gensalt_rn("$y$", (unsigned long)cost, entropy,
		    sizeof(entropy), setting, sizeof(setting)) != NULL &&
		    strncmp(setting, hash, 3 + params + 1) == 0)
			return strlen(setting) == (size_t)(end - hash);
	}
	return false;
}

bool
kss_auth_is_hash(const char *v)
{
	/* Every method's hash starts with '$' ("$y$", "$2b$", ...); a raw
	 * key that does too is a hash only if libxcrypt reads it as one. */
	return v[0] == '$' && crypt_checksalt(v) != CRYPT_SALT_INVALID;
}

static bool
ct_equal(const char *a, const char *b)
{
	size_t al = strlen(a), bl = strlen(b), i;
	unsigned char d = al != bl;

	/* Time depends on the lengths only, never on the first difference. */
	for (i = 0; i < al && i < bl; i++)
		d |= (unsigned char)(a[i] ^ b[i]);
	return d == 0;
}

bool
kss_auth_verify(const struct kss_secret *s, const char *key)
{
	struct crypt_data *cd;
	bool ok = false;

	if (!s->hashed)
		return ct_equal(s->value, key);
	if ((cd = calloc(1, sizeof(*cd))) == NULL)
		return false;
	if (kdf(key, s->value, cd) != NULL && cd->output[0] != '*')
		ok = ct_equal(cd->output, s->value);
	explicit_bzero(cd, sizeof(*cd));
	free(cd);
	return ok;
}

/* Spends what checking key against a real hash of cost costs: one
 * yescrypt run on a fixed setting. An unknown user or a legacy raw key
 * that does not match then answers no sooner than a wrong key for a
 * hashed account, so the time of a 401 does not tell which names exist
 * (DESIGN.md §3). */
static void
spend_kdf(const char *key, int cost)
{
	static const char entropy[16] = "kss:no-such-user";
	char setting[CRYPT_GENSALT_OUTPUT_SIZE];
	struct crypt_data *cd;

	if (crypt_gensalt_rn("$y$", (unsigned long)cost, entropy,
	    sizeof(entropy), setting, sizeof(setting)) == NULL ||
	    (cd = calloc(1, sizeof(*cd))) == NULL)
		return;
	kdf(key, setting, cd);
	explicit_bzero(cd, sizeof(*cd));
	free(cd);
}

/* Whether a verified secret is to be stored anew: a raw key of the
 * original kss (DESIGN.md §3) or of the official server (unless the store
 * keeps raw keys: KSS_REDIS_RAW_KEYS), or a hash made at another cost
 * than the configured one, whose time would otherwise set its account
 * apart from an unknown name's (spend_kdf runs at the configured cost). */
static bool
stale(const struct kss_secret *s, int cost, bool raw_keys)
{
	static const char entropy[16] = "kss:cost-check!!";
	char setting[CRYPT_GENSALT_OUTPUT_SIZE];
	const char *end;

	if (!s->hashed)
		return !raw_keys;
	/* "$y$<params>$<salt>": the method and its cost are the part up to
	 * the third '$'. */
	if (crypt_gensalt_rn("$y$", (unsigned long)cost, entropy,
	    sizeof(entropy), setting, sizeof(setting)) == NULL ||
	    (end = strchr(setting + 3, '$')) == NULL)
		return false;
	return strncmp(s->value, setting, (size_t)(end - setting + 1)) != 0;
}

/* Stores a verified secret s anew, hashed at cost, and makes s the one
 * stored. Of racing rewrites one wins; the others take the winner's hash
 * when key matches it. KSS_E_UNAUTHORIZED or KSS_E_NO_ACCOUNT when the
 * credential was changed or deleted meanwhile; any other failure (a
 * read-only store) is logged and leaves s as it is: the login stands. */
static enum kss_err
rehash(struct kss_store *st, const char *user, const char *key, int cost,
    const struct kss_log *log, struct kss_secret *s)
{
	struct kss_secret now = {NULL, false};
	enum kss_err e;
	char *hash;

	if (kss_auth_hash(key, cost, &hash) != KSS_OK) {
		kss_logf(log, "cannot hash a key to store it anew");
		return KSS_OK;
	}
	e = st->ops->secret_swap(st->h, user, s, hash);
	if (e == KSS_OK) {
		free(s->value);
		s->value = hash;
		s->hashed = true;
		return KSS_OK;
	}
	free(hash);
	/* A store that cannot write (read-only, full) has said why; the
	 * login stands, with the secret as it is. */
	if (e != KSS_E_UNAUTHORIZED)
		return e == KSS_E_NO_ACCOUNT ? e : KSS_OK;
	if ((e = st->ops->secret_get(st->h, user, &now)) != KSS_OK)
		return e;
	if (!now.hashed || !kss_auth_verify(&now, key)) {
		kss_secret_free(&now);
		return KSS_E_UNAUTHORIZED;
	}
	kss_secret_free(s);
	*s = now;
	return KSS_OK;
}

/* Whether who's address is over its limit of failed logins (then
 * who->retry_after says for how long). */
static bool
throttled(struct kss_asker *who, time_t now)
{
	if (who == NULL)
		return false;
	who->retry_after = kss_throttle_wait(who->throttle, who->addr,
	    who->limit, who->window, now);
	return who->retry_after > 0;
}

/* Before a login that runs the KDF: its failure counted in advance,
 * unless the address reached its limit meanwhile (true). */
static bool
begin(struct kss_asker *who, time_t now)
{
	if (who == NULL)
		return false;
	who->retry_after = kss_throttle_begin(who->throttle, who->addr,
	    who->limit, who->window, now);
	return who->retry_after > 0;
}

static void
end(struct kss_asker *who, bool ok, time_t now)
{
	if (who != NULL)
		kss_throttle_end(who->throttle, who->addr, ok, who->limit,
		    who->window, now);
}

enum kss_err
kss_auth_user(struct kss_store *st, const char *user, const char *key,
    int cost, const struct kss_log *log, struct kss_authcache *cache,
    struct kss_asker *who, struct kss_secret *out)
{
	return kss_auth_read(st, user, key, cost, log, cache, who, NULL, out);
}

enum kss_err
kss_auth_read(struct kss_store *st, const char *user, const char *key,
    int cost, const struct kss_log *log, struct kss_authcache *cache,
    struct kss_asker *who, const struct kss_auth_reader *rd,
    struct kss_secret *out)
{
	struct kss_secret s = {NULL, false};
	time_t now = time(NULL);
	enum kss_err e;

	if (user == NULL || key == NULL || *key == '\0' ||
	    strlen(key) > KSS_KEY_MAX || !kss_valid_name(user, strlen(user)))
		return KSS_E_UNAUTHORIZED;
	/* An address over its limit gets no answer about any key, not even
	 * one the cache knows good (it would tell right from wrong at no
	 * cost), and the refusal comes before anything about the name. */
	if (throttled(who, now))
		return KSS_E_THROTTLED;
	if ((e = rd != NULL ? rd->read(rd->ctx, user, key, &s) :
	    st->ops->secret_get(st->h, user, &s)) != KSS_OK) {
		/* The cache and the limit are asked as for a real account,
		 * so that their work is the same for a name without one. */
		if (e == KSS_E_NO_ACCOUNT) {
			(void)kss_authcache_hit(cache, user, "", key, now);
			if (begin(who, now))
				return KSS_E_THROTTLED;
			spend_kdf(key, cost);
			end(who, false, now);
		}
		return e;
	}
	/* The secret is read afresh every time: a changed credential has a
	 * new hash, which no cache entry matches. */
	if (!(s.hashed && kss_authcache_hit(cache, user, s.value, key, now))) {
		if (begin(who, now)) {
			kss_secret_free(&s);
			return KSS_E_THROTTLED;
		}
		if (!kss_auth_verify(&s, key)) {
			/* A raw key, or a hash the KDF did not run on at the
			 * configured cost (garbled, another method or cost),
			 * must not answer sooner than an unknown name. */
			if (stale(&s, cost, false))
				spend_kdf(key, cost);
			kss_secret_free(&s);
			end(who, false, now);
			return KSS_E_UNAUTHORIZED;
		}
		end(who, true, now);
		if (stale(&s, cost, st->raw_keys) &&
		    (e = rehash(st, user, key, cost, log, &s)) != KSS_OK) {
			kss_secret_free(&s);
			return e;
		}
		if (s.hashed)
			kss_authcache_put(cache, user, s.value, key, now);
	}
	if (out != NULL)
		*out = s;
	else
		kss_secret_free(&s);
	return KSS_OK;
}
