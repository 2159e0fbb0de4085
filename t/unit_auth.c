/* Unit tests: what a login costs. crypt_rn() is interposed (this
 * program's definition comes before libcrypt's) to count the KDF runs and
 * see their settings: an unknown user must cost what a wrong key for a
 * real one costs, or the time of a 401 tells which names exist. */
#include "config.h"

#include <crypt.h>
#include <dlfcn.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "auth.h"
#include "authcache.h"
#include "log.h"
#include "store.h"
#include "tap.h"
#include "util.h"

#define COST 4

static int runs;		/* crypt_rn() calls */
/* Called once, at the next crypt_rn(): another request acting while this
 * one runs the KDF. */
static void (*meanwhile)(void);
static char setting[CRYPT_OUTPUT_SIZE];	/* the last one's, up to the salt */

char *
crypt_rn(const char *phrase, const char *set, void *data, int size)
{
	static char *(*real)(const char *, const char *, void *, int);
	const char *p = set;
	int i;

	if (real == NULL)
		real = (char *(*)(const char *, const char *, void *, int))
		    dlsym(RTLD_NEXT, "crypt_rn");
	runs++;
	if (meanwhile != NULL) {
		void (*f)(void) = meanwhile;

		meanwhile = NULL;
		f();
	}
	/* "$y$<params>$": the method and its cost. */
	for (i = 0; i < 3 && (p = strchr(p, '$')) != NULL; i++)
		p++;
	snprintf(setting, sizeof(setting), "%.*s",
	    p != NULL ? (int)(p - set) : 0, set);
	return real(phrase, set, data, size);
}

static const struct kss_log lg = {keep_log, NULL};

/* Runs and cost of one kss_auth_user(). */
static enum kss_err
login(struct kss_store *st, const char *user, const char *key)
{
	runs = 0;
	setting[0] = '\0';
	return kss_auth_user(st, user, key, COST, &lg, NULL, NULL, NULL);
}

static struct kss_store st;
static char *racer;	/* the hash a racing request stores */

static void
race_upgrade(void)
{
	struct kss_secret raw = {"rawkey", false};

	st.ops->secret_swap(st.h, "old", &raw, racer);
}

/* Runs and outcome of a login through cache c. */
static enum kss_err
login_with(struct kss_authcache *c, const char *user, const char *key)
{
	runs = 0;
	return kss_auth_user(&st, user, key, COST, &lg, c, NULL, NULL);
}

/* CGI: each request a process of its own, sharing verified keys through
 * a folder in RAM. Each process here is a handle of its own. */
static void
shared(const char *root)
{
	char dir[] = "/dev/shm/kss-auth-XXXXXX", cache[100], cmd[120];
	struct kss_secret ann = {NULL, false};
	struct kss_authcache *c;
	char *hash;

	if (mkdtemp(dir) == NULL) {
		skip("the shared key cache", "no /dev/shm");
		return;
	}
	snprintf(cache, sizeof(cache), "%s/c", dir);
	c = kss_authcache_shared(cache, root, &lg);
	is_int(login_with(c, "nobody", "right"), KSS_E_NO_ACCOUNT,
	    "an unknown name");
	snprintf(cmd, sizeof(cmd), "%s/secret", cache);
	ok(access(cmd, F_OK) == 0,
	    "asks the cache as a real account's login does (same work)");
	is_int(login_with(c, "ann", "right"), KSS_OK, "a first CGI login");
	is_int(runs, 1, "runs the KDF");
	kss_authcache_free(c);
	c = kss_authcache_shared(cache, root, &lg);
	is_int(login_with(c, "ann", "right"), KSS_OK, "the next process's");
	is_int(runs, 0, "runs none: it was verified by another");
	is_int(login_with(c, "ann", "wrong"), KSS_E_UNAUTHORIZED,
	    "a wrong key");
	is_int(runs, 1, "still costs the KDF");
	is_int(login_with(c, "nobody", "right"), KSS_E_NO_ACCOUNT,
	    "an unknown name");
	is_int(runs, 1, "too");
	/* A changed password: the cached verification was of the old hash. */
	st.ops->secret_get(st.h, "ann", &ann);
	if (kss_auth_hash("new", COST, &hash) == KSS_OK) {
		is_int(st.ops->secret_swap(st.h, "ann", &ann, hash), KSS_OK,
		    "ann's password changed");
		free(hash);
	}
	kss_secret_free(&ann);
	is_int(login_with(c, "ann", "right"), KSS_E_UNAUTHORIZED,
	    "the old key no longer logs in");
	is_int(runs, 1, "after a KDF run: no entry matches the new hash");
	is_int(login_with(c, "ann", "new"), KSS_OK, "the new one does");
	kss_authcache_free(c);
	c = kss_authcache_shared(cache, root, &lg);
	is_int(login_with(c, "ann", "new"), KSS_OK, "and in the next process");
	is_int(runs, 0, "from the cache");
	kss_authcache_free(c);
	/* A folder that will not do costs speed, never a login. */
	if (chmod(cache, 0755) == 0) {
		c = kss_authcache_shared(cache, root, &lg);
		is_int(login_with(c, "ann", "new"), KSS_OK,
		    "with the cache's folder open to others, a login works");
		is_int(runs, 1, "running the KDF");
		kss_authcache_free(c);
	}
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		ok(0, "remove %s", dir);
}

int
main(void)
{
	char root[] = "/tmp/kss-auth-XXXXXX", path[200], cost[CRYPT_OUTPUT_SIZE];
	static char longkey[KSS_KEY_MAX + 1], json[KSS_KEY_MAX + 64];
	struct kss_secret got = {NULL, false};
	char *hash;

	if (mkdtemp(root) == NULL || kss_store_file_open(root, &lg, &st) != KSS_OK ||
	    kss_auth_hash("right", COST, &hash) != KSS_OK)
		return 1;
	st.ops->user_create(st.h, "ann", hash);
	free(hash);
	/* An account of the original kss: the raw key stored. */
	snprintf(path, sizeof(path), "%s/old", root);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/old/auth.json", root);
	put_text(path, "{\"x-auth-user\": \"old\", \"x-auth-key\": \"rawkey\"}");

	is_int(login(&st, "ann", "right"), KSS_OK, "the right key logs in");
	is_int(runs, 1, "with one KDF run");
	is_int(login(&st, "ann", "wrong"), KSS_E_UNAUTHORIZED,
	    "a wrong key does not");
	is_int(runs, 1, "after one KDF run");
	snprintf(cost, sizeof(cost), "%s", setting);
	ok(strncmp(cost, "$y$", 3) == 0, "yescrypt at the configured cost (%s)",
	    cost);
	is_int(login(&st, "nobody", "wrong"), KSS_E_NO_ACCOUNT,
	    "an unknown user does not");
	is_int(runs, 1, "after one KDF run too");
	is_str(setting, cost, "of the same method and cost");
	is_int(login(&st, "old", "wrong"), KSS_E_UNAUTHORIZED,
	    "a wrong key for a legacy raw-key account does not");
	is_int(runs, 1, "after one KDF run too");
	is_str(setting, cost, "of the same method and cost");
	is_int(login(&st, "bad:name", "wrong"), KSS_E_UNAUTHORIZED,
	    "a name no account can have is refused");
	snprintf(path, sizeof(path), "%s/garbled", root);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/garbled/auth.json", root);
	put_text(path, "{\"x-auth-user\": \"garbled\", \"x-auth-key-hash\": "
	    "\"$y$garbage\"}");
	is_int(login(&st, "garbled", "wrong"), KSS_E_UNAUTHORIZED,
	    "a garbled stored hash refuses a key");
	is_str(setting, cost, "after a KDF run at the configured cost");

	/* A key past the 511 bytes libxcrypt takes, up to KSS_KEY_MAX, is
	 * one as any other (found by t/fuzz_store.c: a raw key that long was
	 * never stored anew, and a registration with it answered 500). */
	memset(longkey, 'k', KSS_KEY_MAX);
	longkey[KSS_KEY_MAX] = '\0';
	if (kss_auth_hash(longkey, COST, &hash) == KSS_OK) {
		struct kss_secret s = {hash, true};

		ok(kss_auth_verify(&s, longkey), "a %d-byte key hashes and "
		    "verifies", KSS_KEY_MAX);
		longkey[600] = 'x';
		ok(!kss_auth_verify(&s, longkey),
		    "one that differs past byte 511 does not");
		longkey[600] = 'k';
		free(hash);
	} else
		ok(0, "a %d-byte key hashes", KSS_KEY_MAX);
	longkey[512] = '\0';
	is_int(login(&st, "ann", longkey), KSS_E_UNAUTHORIZED,
	    "a wrong 512-byte key does not log in");
	is_int(runs, 1, "after one KDF run");
	is_str(setting, cost, "at the configured cost");
	snprintf(path, sizeof(path), "%s/long", root);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/long/auth.json", root);
	snprintf(json, sizeof(json), "{\"x-auth-user\": \"long\", "
	    "\"x-auth-key\": \"%s\"}", longkey);
	put_text(path, json);
	is_int(login(&st, "long", longkey), KSS_OK,
	    "a legacy raw key of 512 bytes logs in");
	st.ops->secret_get(st.h, "long", &got);
	ok(got.hashed, "and is stored anew, hashed");
	kss_secret_free(&got);
	is_int(login(&st, "long", longkey), KSS_OK, "and logs in again");

	/* A hash made at another cost is made anew at the configured one at
	 * the next good login, so its account's 401s cost what others do. */
	if (kss_auth_hash("cheap", COST - 2, &hash) == KSS_OK) {
		st.ops->user_create(st.h, "bea", hash);
		free(hash);
	}
	is_int(login(&st, "bea", "cheap"), KSS_OK, "a login of a cheaper hash");
	st.ops->secret_get(st.h, "bea", &got);
	ok(got.value != NULL && strncmp(got.value, cost, strlen(cost)) == 0,
	    "stores it anew at the configured cost (%s)", got.value);
	kss_secret_free(&got);
	st.ops->secret_get(st.h, "ann", &got);
	hash = got.value;
	got.value = NULL;
	login(&st, "ann", "right");
	st.ops->secret_get(st.h, "ann", &got);
	is_str(got.value, hash, "a hash at the configured cost stays as it is");
	kss_secret_free(&got);
	free(hash);

	/* Racing first logins of a raw-key account: both rewrite it, one
	 * wins; the other takes the winner's hash, since its key matches. */
	if (kss_auth_hash("rawkey", COST, &racer) != KSS_OK)
		return 1;
	snprintf(path, sizeof(path), "%s/old/auth.json", root);
	put_text(path, "{\"x-auth-user\": \"old\", \"x-auth-key\": \"rawkey\"}");
	meanwhile = race_upgrade;
	is_int(kss_auth_user(&st, "old", "rawkey", COST, &lg, NULL, NULL, &got),
	    KSS_OK,
	    "a legacy login that loses the race to rewrite the key stands");
	is_str(got.value, racer, "with the winner's hash as its secret");
	ok(got.hashed, "marked hashed");
	kss_secret_free(&got);
	free(racer);
	/* But a key changed meanwhile is a key no longer good. */
	if (kss_auth_hash("changed", COST, &racer) != KSS_OK)
		return 1;
	put_text(path, "{\"x-auth-user\": \"old\", \"x-auth-key\": \"rawkey\"}");
	meanwhile = race_upgrade;
	is_int(kss_auth_user(&st, "old", "rawkey", COST, &lg, NULL, NULL, &got),
	    KSS_E_UNAUTHORIZED, "a legacy login whose key changed meanwhile fails");
	free(racer);
	shared(root);
	kss_store_close(&st);
	snprintf(path, sizeof(path), "rm -rf '%s'", root);
	if (system(path) != 0)
		return 1;
	return tap_done();
}
