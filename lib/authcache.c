#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "authcache.h"
#include "log.h"
#include "rundir.h"

#define ENTRIES 128	/* users a process serves at once, with room */
#define WAYS 8		/* entries a digest may take, compared each time */
#define SETS (ENTRIES / WAYS)

#define DIGEST_LEN crypto_generichash_BYTES
#define SECRET_LEN KSS_RUNDIR_SECRET_LEN
#define SLOT_LEN 16	/* bytes of a user's digest naming its entry file */

struct entry {
	uint8_t digest[DIGEST_LEN];
	time_t at;		/* when verified; 0 when free */
};

/* An entry file: when, then the digest. */
struct record {
	int64_t at;
	uint8_t digest[DIGEST_LEN];
};

enum state { UNOPENED, OPEN, BROKEN };

struct kss_authcache {
	uint8_t secret[SECRET_LEN];
	struct entry e[ENTRIES];	/* in memory */
	/* Shared: */
	char *dir;			/* NULL in memory */
	char *data_dir;
	const struct kss_log *log;
	enum state state;
	int fd;				/* dir, when OPEN */
};

struct kss_authcache *
kss_authcache_new(void)
{
	struct kss_authcache *c;

	/* Without a secret the entries would be guessable from a memory
	 * dump; better no cache. */
	if (sodium_init() < 0 || (c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	randombytes_buf(c->secret, sizeof(c->secret));
	c->fd = -1;
	return c;
}

struct kss_authcache *
kss_authcache_shared(const char *dir, const char *data_dir,
    const struct kss_log *log)
{
	struct kss_authcache *c;

	if (sodium_init() < 0 || (c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	c->fd = -1;
	c->log = log;
	if ((c->dir = strdup(dir)) == NULL ||
	    (c->data_dir = strdup(data_dir)) == NULL) {
		kss_authcache_free(c);
		return NULL;
	}
	return c;
}

void
kss_authcache_free(struct kss_authcache *c)
{
	if (c == NULL)
		return;
	if (c->fd >= 0)
		close(c->fd);
	free(c->dir);
	free(c->data_dir);
	sodium_memzero(c, sizeof(*c));
	free(c);
}

/* BLAKE2b keyed with the secret over each string with its NUL, so that
 * no two triples meet. */
static void
digest(const struct kss_authcache *c, const char *user, const char *stored,
    const char *key, uint8_t out[DIGEST_LEN])
{
	crypto_generichash_state st;

	crypto_generichash_init(&st, c->secret, sizeof(c->secret), DIGEST_LEN);
	crypto_generichash_update(&st, (const uint8_t *)user, strlen(user) + 1);
	crypto_generichash_update(&st, (const uint8_t *)stored,
	    strlen(stored) + 1);
	crypto_generichash_update(&st, (const uint8_t *)key, strlen(key) + 1);
	crypto_generichash_final(&st, out, DIGEST_LEN);
	sodium_memzero(&st, sizeof(st));
}

/* The entries a digest may take. The digest is keyed with the process's
 * secret: which set a login looks in tells nothing of the user, key or
 * hash to anyone who cannot compute it, so only that set is compared
 * (every entry of 64 was 18k instructions, most of a login's). Eight ways
 * of sixteen sets: a set fills up only when more than eight of the users
 * active within the TTL meet in it. */
static struct entry *
set_of(struct kss_authcache *c, const uint8_t d[DIGEST_LEN])
{
	return &c->e[(d[0] % SETS) * WAYS];
}

static bool
fresh(time_t at, time_t now)
{
	return at != 0 && now >= at && now - at < KSS_AUTHCACHE_TTL;
}

/* --- shared through a folder ------------------------------------------ */

/* Opens and checks the shared folder once; false (said on the log) when
 * it will not do. */
static bool
ready(struct kss_authcache *c)
{
	const char *why = NULL;
	int fd;

	if (c->state != UNOPENED)
		return c->state == OPEN;
	c->state = BROKEN;
	if ((fd = kss_rundir_open(c->dir, c->data_dir, &why)) >= 0 &&
	    kss_rundir_secret(fd, c->secret) < 0)
		why = errno == EINVAL ? "its secret is damaged" :
		    strerror(errno);
	if (why != NULL) {
		kss_logf(c->log, "key cache %s: %s; every login runs the KDF "
		    "(see KSS_CACHE_DIR in README)", c->dir, why);
		if (fd >= 0)
			close(fd);
		return false;
	}
	c->fd = fd;
	c->state = OPEN;
	return true;
}

/* The name of user's entry file: a keyed digest, so that the folder
 * does not list who logged in. */
static void
slot_name(const struct kss_authcache *c, const char *user, char out[40])
{
	uint8_t d[SLOT_LEN];

	crypto_generichash(d, sizeof(d), (const uint8_t *)user,
	    strlen(user) + 1, c->secret, sizeof(c->secret));
	sodium_bin2hex(out, 40, d, sizeof(d));
}

static bool
shared_hit(struct kss_authcache *c, const char *user, const uint8_t *d,
    time_t now)
{
	struct record r;
	char name[40];
	ssize_t n;
	bool hit;
	int fd;

	slot_name(c, user, name);
	if ((fd = openat(c->fd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC)) < 0)
		return false;
	n = read(fd, &r, sizeof(r));
	close(fd);
	hit = n == (ssize_t)sizeof(r) &&
	    sodium_memcmp(r.digest, d, DIGEST_LEN) == 0 &&
	    fresh((time_t)r.at, now);
	sodium_memzero(&r, sizeof(r));
	return hit;
}

static void
shared_put(struct kss_authcache *c, const char *user, const uint8_t *d,
    time_t now)
{
	struct record r;
	char name[40];

	memset(&r, 0, sizeof(r));
	r.at = now > 0 ? now : 1;
	memcpy(r.digest, d, DIGEST_LEN);
	slot_name(c, user, name);
	if (kss_rundir_publish(c->fd, name, &r, sizeof(r), false) < 0)
		kss_logf(c->log, "key cache %s: cannot write an entry: %s",
		    c->dir, strerror(errno));
	sodium_memzero(&r, sizeof(r));
}

/* --- either kind ------------------------------------------------------ */

bool
kss_authcache_hit(struct kss_authcache *c, const char *user,
    const char *stored, const char *key, time_t now)
{
	uint8_t d[DIGEST_LEN];
	bool hit = false;
	size_t i;

	if (c == NULL || (c->dir != NULL && !ready(c)))
		return false;
	digest(c, user, stored, key, d);
	if (c->dir != NULL)
		hit = shared_hit(c, user, d, now);
	else {
		const struct entry *set = set_of(c, d);

		/* Every entry of the set is compared in full, whichever
		 * matches. */
		for (i = 0; i < WAYS; i++)
			hit |= sodium_memcmp(d, set[i].digest, sizeof(d)) == 0 &&
			    fresh(set[i].at, now);
	}
	sodium_memzero(d, sizeof(d));
	return hit;
}

void
kss_authcache_put(struct kss_authcache *c, const char *user,
    const char *stored, const char *key, time_t now)
{
	uint8_t d[DIGEST_LEN];
	struct entry *set, *victim;
	size_t i;

	if (c == NULL || (c->dir != NULL && !ready(c)))
		return;
	digest(c, user, stored, key, d);
	if (c->dir != NULL) {
		shared_put(c, user, d, now);
		sodium_memzero(d, sizeof(d));
		return;
	}
	/* In the digest's set, a stale entry, else the oldest, makes
	 * room. */
	set = set_of(c, d);
	victim = &set[0];
	for (i = 0; i < WAYS; i++) {
		if (!fresh(set[i].at, now)) {
			victim = &set[i];
			break;
		}
		if (set[i].at < victim->at)
			victim = &set[i];
	}
	memcpy(victim->digest, d, sizeof(d));
	sodium_memzero(d, sizeof(d));
	victim->at = now > 0 ? now : 1;
}
