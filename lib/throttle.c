#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "lock.h"
#include "log.h"
#include "rundir.h"
#include "throttle.h"

#define TAG_LEN 16
#define WAYS 4		/* addresses that share a set */
#define SETS 1024
#define SET_LEN (WAYS * sizeof(struct slot))
#define TABLE_LEN (SETS * SET_LEN)	/* 128 KiB */

/* One address's count, as stored. */
struct slot {
	uint8_t tag[TAG_LEN];	/* keyed digest of the address; 0s: free */
	int64_t start;		/* the window's first failure */
	uint32_t count;		/* failures since */
	uint32_t said;		/* whether reaching the limit was logged */
};

enum state { UNOPENED, OPEN, BROKEN };

struct kss_throttle {
	char *dir;
	char *data_dir;
	const struct kss_log *log;
	enum state state;
	int fd;			/* the table */
	uint8_t secret[KSS_RUNDIR_SECRET_LEN];
};

struct kss_throttle *
kss_throttle_new(const char *dir, const char *data_dir,
    const struct kss_log *log)
{
	struct kss_throttle *t;

	if (sodium_init() < 0 || (t = calloc(1, sizeof(*t))) == NULL)
		return NULL;
	t->fd = -1;
	t->log = log;
	if ((t->dir = strdup(dir)) == NULL ||
	    (t->data_dir = strdup(data_dir)) == NULL) {
		kss_throttle_free(t);
		return NULL;
	}
	return t;
}

void
kss_throttle_free(struct kss_throttle *t)
{
	if (t == NULL)
		return;
	if (t->fd >= 0)
		close(t->fd);
	free(t->dir);
	free(t->data_dir);
	sodium_memzero(t, sizeof(*t));
	free(t);
}

/* The table, opened (made at its size if need be) in the checked
 * folder; NULL when either will not do. */
static const char *
open_table(struct kss_throttle *t)
{
	const char *why = NULL;
	struct stat st;
	int dir;

	if ((dir = kss_rundir_open(t->dir, t->data_dir, &why)) < 0)
		return why;
	if (kss_rundir_secret(dir, t->secret) < 0)
		why = errno == EINVAL ? "its secret is damaged" : strerror(errno);
	else if ((t->fd = openat(dir, KSS_THROTTLE_FILE, O_RDWR | O_CREAT |
	    O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0600)) < 0)
		why = strerror(errno);
	else if (fstat(t->fd, &st) < 0)
		why = strerror(errno);
	else if (!S_ISREG(st.st_mode))
		why = KSS_THROTTLE_FILE " is not a file";
	else if (st.st_size < (off_t)TABLE_LEN &&
	    ftruncate(t->fd, (off_t)TABLE_LEN) < 0)
		why = strerror(errno);
	close(dir);
	return why;
}

static bool
ready(struct kss_throttle *t)
{
	const char *why;

	if (t == NULL)
		return false;
	if (t->state != UNOPENED)
		return t->state == OPEN;
	t->state = BROKEN;
	if ((why = open_table(t)) != NULL) {
		kss_logf(t->log, "login limit %s: %s; failed logins are not "
		    "limited (see KSS_CACHE_DIR in README)", t->dir, why);
		if (t->fd >= 0)
			close(t->fd);
		t->fd = -1;
		return false;
	}
	t->state = OPEN;
	return true;
}

/* The address's tag and the offset of its set: a digest keyed with the
 * folder's secret, so nobody without it can aim at a set. */
static off_t
tag_of(const struct kss_throttle *t, const char *addr, uint8_t tag[TAG_LEN])
{
	uint8_t d[TAG_LEN + 4];

	crypto_generichash(d, sizeof(d), (const uint8_t *)addr, strlen(addr),
	    t->secret, sizeof(t->secret));
	memcpy(tag, d, TAG_LEN);
	return (off_t)((((uint32_t)d[TAG_LEN] << 8 | d[TAG_LEN + 1]) % SETS) *
	    SET_LEN);
}

/* Reads (write: locked for a change, else for a look) the set at off;
 * false when that fails, said on the log. */
static bool
load(struct kss_throttle *t, off_t off, struct slot set[WAYS], bool write)
{
	ssize_t n;

	if (kss_lock_range(t->fd, write ? F_WRLCK : F_RDLCK, off,
	    (off_t)SET_LEN) < 0) {
		kss_logf(t->log, "login limit %s: cannot lock: %s", t->dir,
		    strerror(errno));
		return false;
	}
	if ((n = pread(t->fd, set, SET_LEN, off)) != (ssize_t)SET_LEN) {
		kss_logf(t->log, "login limit %s: cannot read: %s", t->dir,
		    n < 0 ? strerror(errno) : "the table is short");
		kss_lock_range(t->fd, F_UNLCK, off, (off_t)SET_LEN);
		return false;
	}
	return true;
}

static bool
current(const struct slot *s, int window, time_t now)
{
	return s->count > 0 && now >= s->start && now - s->start < window;
}

static struct slot *
find(struct slot set[WAYS], const uint8_t tag[TAG_LEN])
{
	size_t i;

	for (i = 0; i < WAYS; i++) {
		if (sodium_memcmp(set[i].tag, tag, TAG_LEN) == 0)
			return &set[i];
	}
	return NULL;
}

long
kss_throttle_wait(struct kss_throttle *t, const char *addr, int limit,
    int window, time_t now)
{
	struct slot set[WAYS], *s;
	uint8_t tag[TAG_LEN];
	long wait = 0;
	off_t off;

	if (addr == NULL || *addr == '\0' || limit <= 0 || !ready(t))
		return 0;
	off = tag_of(t, addr, tag);
	if (!load(t, off, set, false))
		return 0;
	kss_lock_range(t->fd, F_UNLCK, off, (off_t)SET_LEN);
	if ((s = find(set, tag)) != NULL && current(s, window, now) &&
	    s->count >= (uint32_t)limit)
		wait = (long)(s->start + window - now);
	return wait;
}

void
kss_throttle_fail(struct kss_throttle *t, const char *addr, int limit,
    int window, time_t now)
{
	struct slot set[WAYS], *s;
	uint8_t tag[TAG_LEN];
	off_t off;
	size_t i;

	if (addr == NULL || *addr == '\0' || limit <= 0 || !ready(t))
		return;
	off = tag_of(t, addr, tag);
	if (!load(t, off, set, true))
		return;
	/* The address's slot, else one free or past its window, else the
	 * one with the fewest failures: a crowded set forgets the address
	 * least likely to be guessing. */
	if ((s = find(set, tag)) == NULL) {
		s = &set[0];
		for (i = 0; i < WAYS; i++) {
			if (!current(&set[i], window, now)) {
				s = &set[i];
				break;
			}
			if (set[i].count < s->count)
				s = &set[i];
		}
		memset(s, 0, sizeof(*s));
		memcpy(s->tag, tag, TAG_LEN);
	}
	if (!current(s, window, now)) {
		s->start = now;
		s->count = 0;
		s->said = 0;
	}
	if (s->count < UINT32_MAX)
		s->count++;
	if (s->count >= (uint32_t)limit && !s->said) {
		s->said = 1;
		kss_logf(t->log, "%u failed logins from %s within %d s: its "
		    "logins answer 429 for %ld s", s->count, addr, window,
		    (long)(s->start + window - now));
	}
	if (pwrite(t->fd, set, SET_LEN, off) != (ssize_t)SET_LEN)
		kss_logf(t->log, "login limit %s: cannot write: %s", t->dir,
		    strerror(errno));
	kss_lock_range(t->fd, F_UNLCK, off, (off_t)SET_LEN);
}
