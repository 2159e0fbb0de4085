#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
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
#define KEY_MAX 64	/* an address as counted (addr_key()) */

/* One address's count, as stored. */
struct slot {
	uint8_t tag[TAG_LEN];	/* keyed digest of the address; 0s: free */
	int64_t start;		/* the window's first failure */
	uint32_t count;		/* failures since, and logins in flight */
	uint32_t said;		/* whether reaching the limit was logged */
};

enum state { UNOPENED, OPEN, BROKEN };

struct kss_throttle {
	char *dir;
	char *data_dir;
	const struct kss_log *log;
	enum state state;
	time_t broken_at;
	int fd;			/* the table, when OPEN */
	struct slot *table;	/* mapped, shared with every process */
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

static void
unmap(struct kss_throttle *t)
{
	if (t->table != NULL)
		munmap(t->table, TABLE_LEN);
	t->table = NULL;
	if (t->fd >= 0)
		close(t->fd);
	t->fd = -1;
}

void
kss_throttle_free(struct kss_throttle *t)
{
	if (t == NULL)
		return;
	unmap(t);
	free(t->dir);
	free(t->data_dir);
	sodium_memzero(t, sizeof(*t));
	free(t);
}

/* Opens the table (made at its size if need be) in the checked folder
 * and maps it; why not, or NULL. Only kss's user can shrink the file
 * under the mapping (the folder is 0700), and then could stop kss
 * anyway. */
static const char *
open_table(struct kss_throttle *t)
{
	const char *why = NULL;
	struct stat st;
	void *p;
	int dir;

	if ((dir = kss_rundir_open(t->dir, t->data_dir, &why)) < 0)
		return why;
	if (kss_rundir_secret(dir, t->secret) < 0)
		why = errno == EINVAL ? "its secret is damaged" : strerror(errno);
	else if ((t->fd = openat(dir, KSS_THROTTLE_FILE, O_RDWR | O_CREAT |
	    O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0600)) < 0)
		why = errno == ELOOP ? KSS_THROTTLE_FILE " is a symbolic link" :
		    strerror(errno);
	else if (fstat(t->fd, &st) < 0)
		why = strerror(errno);
	else if (!S_ISREG(st.st_mode))
		why = KSS_THROTTLE_FILE " is not a file";
	else if (st.st_size < (off_t)TABLE_LEN &&
	    ftruncate(t->fd, (off_t)TABLE_LEN) < 0)
		why = strerror(errno);
	else if ((p = mmap(NULL, TABLE_LEN, PROT_READ | PROT_WRITE,
	    MAP_SHARED, t->fd, 0)) == MAP_FAILED)
		why = strerror(errno);
	else
		t->table = p;
	close(dir);
	return why;
}

static bool
ready(struct kss_throttle *t, time_t now)
{
	const char *why;

	if (t == NULL)
		return false;
	if (t->state == BROKEN && (now < t->broken_at ||
	    now - t->broken_at >= KSS_THROTTLE_RETRY))
		t->state = UNOPENED;
	if (t->state != UNOPENED)
		return t->state == OPEN;
	if ((why = open_table(t)) != NULL) {
		kss_logf(t->log, "login limit %s: %s; failed logins are not "
		    "limited (see KSS_CACHE_DIR in README)", t->dir, why);
		unmap(t);
		t->state = BROKEN;
		t->broken_at = now;
		return false;
	}
	t->state = OPEN;
	return true;
}

/* The address as counted: an IPv6 address by its /64 (a host is given a
 * whole one to pick from), an IPv4-mapped one as the IPv4 address,
 * anything else as it is. */
static void
addr_key(const char *addr, char out[KEY_MAX])
{
	unsigned char a[16];
	size_t n;

	if (strchr(addr, ':') != NULL && inet_pton(AF_INET6, addr, a) == 1) {
		if (IN6_IS_ADDR_V4MAPPED((struct in6_addr *)a) &&
		    inet_ntop(AF_INET, a + 12, out, KEY_MAX) != NULL)
			return;
		sodium_bin2hex(out, KEY_MAX, a, 8);
		strcat(out, "/64");
		return;
	}
	n = strnlen(addr, KEY_MAX - 1);
	memcpy(out, addr, n);
	out[n] = '\0';
}

/* The address's tag and its set: a digest keyed with the folder's secret,
 * so nobody without it can aim at a set. */
static struct slot *
set_of(const struct kss_throttle *t, const char *addr, uint8_t tag[TAG_LEN])
{
	uint8_t d[TAG_LEN + 2];
	char key[KEY_MAX];

	addr_key(addr, key);
	crypto_generichash(d, sizeof(d), (const uint8_t *)key, strlen(key),
	    t->secret, sizeof(t->secret));
	memcpy(tag, d, TAG_LEN);
	return &t->table[(((unsigned)d[TAG_LEN] << 8 | d[TAG_LEN + 1]) % SETS) *
	    WAYS];
}

static off_t
offset(const struct kss_throttle *t, const struct slot *set)
{
	return (off_t)((size_t)(set - t->table) * sizeof(struct slot));
}

static bool
lock_set(struct kss_throttle *t, const struct slot *set, short type)
{
	if (kss_lock_range(t->fd, type, offset(t, set), (off_t)SET_LEN) == 0)
		return true;
	if (type != F_UNLCK)
		kss_logf(t->log, "login limit %s: cannot lock: %s", t->dir,
		    strerror(errno));
	return false;
}

/* Whether s counts failures of a window still open at now. */
static bool
current(const struct slot *s, int window, time_t now)
{
	return s->count > 0 && s->start <= now && s->start > now - window;
}

static struct slot *
find(struct slot *set, const uint8_t tag[TAG_LEN])
{
	size_t i;

	for (i = 0; i < WAYS; i++) {
		if (sodium_memcmp(set[i].tag, tag, TAG_LEN) == 0)
			return &set[i];
	}
	return NULL;
}

static long
wait_of(const struct slot *s, int limit, int window, time_t now)
{
	if (s == NULL || !current(s, window, now) || s->count < (uint32_t)limit)
		return 0;
	return (long)(s->start + window - now);
}

static bool
counted(const char *addr, int limit)
{
	return addr != NULL && *addr != '\0' && limit > 0;
}

long
kss_throttle_wait(struct kss_throttle *t, const char *addr, int limit,
    int window, time_t now)
{
	struct slot copy[WAYS];
	uint8_t tag[TAG_LEN];

	if (!counted(addr, limit) || !ready(t, now))
		return 0;
	/* A copy taken without the lock: a write beside it can only make
	 * this one answer as of just before or after. */
	memcpy(copy, set_of(t, addr, tag), sizeof(copy));
	return wait_of(find(copy, tag), limit, window, now);
}

long
kss_throttle_begin(struct kss_throttle *t, const char *addr, int limit,
    int window, time_t now)
{
	struct slot *set, *s;
	uint8_t tag[TAG_LEN];
	long wait;
	size_t i;

	if (!counted(addr, limit) || !ready(t, now))
		return 0;
	set = set_of(t, addr, tag);
	if (!lock_set(t, set, F_WRLCK))
		return 0;
	s = find(set, tag);
	if ((wait = wait_of(s, limit, window, now)) > 0) {
		lock_set(t, set, F_UNLCK);
		return wait;
	}
	/* Else the address's slot, or one free or past its window, or the
	 * one with the fewest failures: a crowded set forgets the address
	 * least likely to be guessing. */
	if (s == NULL) {
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
	lock_set(t, set, F_UNLCK);
	return 0;
}

void
kss_throttle_end(struct kss_throttle *t, const char *addr, bool ok,
    int limit, int window, time_t now)
{
	struct slot *set, *s;
	uint8_t tag[TAG_LEN];
	uint32_t count = 0;
	int64_t start = 0;
	bool say = false;

	if (!counted(addr, limit) || t == NULL || t->state != OPEN)
		return;
	set = set_of(t, addr, tag);
	if (!lock_set(t, set, F_WRLCK))
		return;
	/* The slot may have been taken over meanwhile (a crowded set), or
	 * its window ended: then there is nothing of this login's left. */
	if ((s = find(set, tag)) != NULL && current(s, window, now)) {
		if (ok && s->count > 0)
			s->count--;
		else if (s->count >= (uint32_t)limit && !s->said) {
			s->said = 1;
			say = true;
			count = s->count;
			start = s->start;
		}
	}
	lock_set(t, set, F_UNLCK);
	if (say)
		kss_logf(t->log, "%u failed logins from %s within %d s: its "
		    "logins answer 429 for %ld s", count, addr, window,
		    (long)(start + window - now));
}
