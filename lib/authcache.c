#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#ifdef __linux__
#include <linux/magic.h>
#include <sys/vfs.h>
#endif

#include <sodium.h>

#include "authcache.h"
#include "log.h"

#define ENTRIES 128	/* users a process serves at once, with room */
#define WAYS 8		/* entries a digest may take, compared each time */
#define SETS (ENTRIES / WAYS)

#define DIGEST_LEN crypto_generichash_BYTES
#define SECRET_LEN crypto_generichash_KEYBYTES
#define SLOT_LEN 16	/* bytes of a user's digest naming its entry file */
#define SECRET_FILE "secret"
#define DEPTH_MAX 256	/* folders walked up looking for the data folder */

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

/* Whether the folder open as fd (whose stat is at) is the folder data or
 * inside it: a cache in the data folder would be copied with it. */
static bool
within(int fd, struct stat at, const struct stat *data)
{
	struct stat up;
	int cur = fd, next, depth;
	bool in = false;

	/* Walked up even across devices: a tmpfs may be mounted inside
	 * the data folder. */
	for (depth = 0; depth < DEPTH_MAX; depth++) {
		if (at.st_dev == data->st_dev && at.st_ino == data->st_ino) {
			in = true;
			break;
		}
		if ((next = openat(cur, "..", O_RDONLY | O_DIRECTORY |
		    O_CLOEXEC)) < 0)
			break;
		if (cur != fd)
			close(cur);
		cur = next;
		if (fstat(cur, &up) < 0 ||
		    (up.st_dev == at.st_dev && up.st_ino == at.st_ino))
			break;	/* the root */
		at = up;
	}
	if (cur != fd)
		close(cur);
	return in;
}

/* Why the folder open as fd will not do, or NULL when it will. */
static const char *
unfit(int fd, const char *data_dir)
{
	struct stat st, data;

	if (fstat(fd, &st) < 0)
		return strerror(errno);
	if (st.st_uid != geteuid())
		return "it belongs to another user";
	if ((st.st_mode & 077) != 0)
		return "others may use it (it must be mode 0700)";
	/* (A data folder that cannot be seen: the store said why.) */
	if (stat(data_dir, &data) == 0) {
		if (within(fd, st, &data))
			return "it is in the data folder (KSS_DIR)";
		if (st.st_dev == data.st_dev)
			return "it is on the data folder's file system "
			    "(KSS_DIR): a bind mount could put it inside";
	}
#ifdef __linux__
	{
		struct statfs fs;

		if (fstatfs(fd, &fs) < 0)
			return strerror(errno);
		/* On a disk, the secret and entries would outlive a reboot
		 * and go into backups beside KSS_DIR. */
		if (fs.f_type != TMPFS_MAGIC && fs.f_type != RAMFS_MAGIC)
			return "it is not in RAM (tmpfs or ramfs)";
	}
#endif
	return NULL;
}

static int
read_secret(int dir, uint8_t secret[SECRET_LEN])
{
	uint8_t buf[SECRET_LEN + 1];
	ssize_t n;
	int fd;

	/* Non-blocking: a FIFO put there must not hang a request. */
	if ((fd = openat(dir, SECRET_FILE, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC)) < 0)
		return -1;
	n = read(fd, buf, sizeof(buf));
	close(fd);
	if (n != SECRET_LEN) {
		sodium_memzero(buf, sizeof(buf));
		errno = n < 0 ? errno : EINVAL;
		return -1;
	}
	memcpy(secret, buf, SECRET_LEN);
	sodium_memzero(buf, sizeof(buf));
	return 0;
}

/* A temp name of this process, unique in the folder. */
static void
temp_name(char out[40])
{
	snprintf(out, 40, ".tmp.%ld.%08x", (long)getpid(),
	    (unsigned)randombytes_random());
}

/* Writes len bytes to a new temp file in dir and links or renames it to
 * name: whole or not at all, whatever runs beside. With link (for the
 * secret) the first to get there wins and the rest keep theirs out. */
static int
publish(int dir, const char *name, const void *p, size_t len, bool link)
{
	char tmp[40];
	int fd, rc = -1, err;
	ssize_t n;

	temp_name(tmp);
	if ((fd = openat(dir, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0600)) < 0)
		return -1;
	if ((n = write(fd, p, len)) == (ssize_t)len) {
		if (link)
			rc = linkat(dir, tmp, dir, name, 0);
		else
			rc = renameat(dir, tmp, dir, name);
	} else if (n >= 0)
		errno = ENOSPC;
	err = errno;
	close(fd);
	if (link || rc < 0)
		unlinkat(dir, tmp, 0);
	errno = err;
	return rc;
}

/* The folder's secret, made by the first process that needs it. */
static int
load_secret(int dir, uint8_t secret[SECRET_LEN])
{
	uint8_t mine[SECRET_LEN];
	int rc;

	if (read_secret(dir, secret) == 0)
		return 0;
	if (errno != ENOENT)
		return -1;
	randombytes_buf(mine, sizeof(mine));
	rc = publish(dir, SECRET_FILE, mine, sizeof(mine), true);
	sodium_memzero(mine, sizeof(mine));
	if (rc < 0 && errno != EEXIST)
		return -1;
	return read_secret(dir, secret);
}

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
	fd = open(c->dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT &&
	    (mkdir(c->dir, 0700) == 0 || errno == EEXIST))
		fd = open(c->dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
		    O_CLOEXEC);
	if (fd < 0)
		why = errno == ENOTDIR || errno == ELOOP ?
		    "it is not a folder" : strerror(errno);
	else if ((why = unfit(fd, c->data_dir)) == NULL &&
	    load_secret(fd, c->secret) < 0)
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
	if (publish(c->fd, name, &r, sizeof(r), false) < 0)
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
