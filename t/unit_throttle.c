/* Unit tests: the count of failed logins per address (throttle.c). The
 * module is compiled in here, so that the table itself can be looked at:
 * fixed in size, and holding no address in the clear. */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <linux/magic.h>

#include "../lib/throttle.c"
#include "tap.h"
#include "util.h"

static const struct kss_log lg = {keep_log, NULL};
static char shm[] = "/dev/shm/kss-throttle-XXXXXX";	/* tmpfs */
static char data[] = "/var/tmp/kss-throttle-XXXXXX";	/* KSS_DIR */

static bool
file_has(const char *path, const char *s)
{
	static char buf[TABLE_LEN];
	size_t n;
	FILE *f = fopen(path, "rb");

	if (f == NULL)
		return false;
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	return memmem(buf, n, s, strlen(s)) != NULL;
}

/* A login from addr that ran the KDF and failed. */
static void
fail(struct kss_throttle *t, const char *addr, int limit, int window,
    time_t now)
{
	if (kss_throttle_begin(t, addr, limit, window, now) == 0)
		kss_throttle_end(t, addr, false, limit, window, now);
}

/* The count of addr's slot, or -1 when it has none. */
static long
count_of(struct kss_throttle *t, const char *addr)
{
	uint8_t tag[TAG_LEN];
	struct slot *s;

	if (t->table == NULL)
		return -1;
	s = find(set_of(t, addr, tag), tag);
	return s == NULL ? -1 : (long)s->count;
}

/* The limit, the window, another address, the log. */
static void
counts(const char *dir, time_t t)
{
	struct kss_throttle *a = kss_throttle_new(dir, data, &lg);
	struct kss_throttle *b = kss_throttle_new(dir, data, &lg);
	struct stat st;
	int i, said;

	if (!ok(a != NULL && b != NULL, "two handles (two processes)"))
		goto out;
	is_int((int)kss_throttle_wait(a, "192.0.2.1", 3, 60, t), 0,
	    "no failure yet: no wait");
	logged_lines = 0;
	fail(a, "192.0.2.1", 3, 60, t);
	fail(b, "192.0.2.1", 3, 60, t + 5);
	is_int((int)kss_throttle_wait(a, "192.0.2.1", 3, 60, t + 6), 0,
	    "two failures of three allowed: no wait");
	is_int(logged_lines, 0, "and nothing logged");
	fail(a, "192.0.2.1", 3, 60, t + 10);
	is_int((int)kss_throttle_wait(b, "192.0.2.1", 3, 60, t + 10), 50,
	    "the third, counted by either process: wait for the window's "
	    "end (50 s)");
	is_int(logged_lines, 1, "said once");
	ok(strstr(logged, "192.0.2.1") != NULL && strstr(logged, "429") != NULL,
	    "naming the address: %s", logged);
	said = logged_lines;
	for (i = 0; i < 5; i++)
		fail(b, "192.0.2.1", 3, 60, t + 20);
	is_int(logged_lines, said, "not said again within the window");
	is_int((int)kss_throttle_wait(a, "192.0.2.2", 3, 60, t + 20), 0,
	    "another address is not held up");
	is_int((int)kss_throttle_wait(a, "192.0.2.1", 3, 60, t + 59), 1,
	    "one second before the window ends: 1 s");
	is_int((int)kss_throttle_wait(a, "192.0.2.1", 3, 60, t + 60), 0,
	    "at its end: free again");
	fail(a, "192.0.2.1", 3, 60, t + 61);
	is_int((int)kss_throttle_wait(a, "192.0.2.1", 3, 60, t + 61), 0,
	    "a failure after the window starts a new count");
	is_int((int)kss_throttle_wait(a, "192.0.2.1", 2, 60, t + 61), 0,
	    "of one");
	is_int((int)kss_throttle_wait(a, "192.0.2.1", 1, 60, t + 61), 60,
	    "which a limit of one already stops");
	is_int((int)kss_throttle_wait(a, "192.0.2.1", 0, 60, t + 61), 0,
	    "a limit of 0 stops nothing");
	is_int((int)kss_throttle_wait(a, NULL, 1, 60, t) +
	    (int)kss_throttle_wait(a, "", 1, 60, t), 0,
	    "no address: nothing to count");
	ok(stat(at(dir, KSS_THROTTLE_FILE), &st) == 0 &&
	    st.st_size == (off_t)TABLE_LEN && (st.st_mode & 0777) == 0600,
	    "the table: %d bytes, mode 0600", (int)TABLE_LEN);
	ok(!file_has(at(dir, KSS_THROTTLE_FILE), "192.0.2.1"),
	    "it holds no address in the clear");
out:
	kss_throttle_free(a);
	kss_throttle_free(b);
}

/* Thousands of addresses: the table stays its size, and an address that
 * keeps failing is still held while the others come and go. */
static void
crowd(const char *dir, time_t t)
{
	struct kss_throttle *a = kss_throttle_new(dir, data, &lg);
	struct stat st;
	char addr[32];
	int i, held = 0;

	for (i = 0; i < 4; i++)
		fail(a, "198.51.100.7", 5, 600, t);
	for (i = 0; i < 20000; i++) {
		snprintf(addr, sizeof(addr), "2001:db8::%x", i);
		fail(a, addr, 5, 600, t);
		if (i % 100 == 0) {
			fail(a, "198.51.100.7", 5, 600, t);
			held += kss_throttle_wait(a, "198.51.100.7", 5, 600, t) > 0;
		}
	}
	ok(stat(at(dir, KSS_THROTTLE_FILE), &st) == 0 &&
	    st.st_size == (off_t)TABLE_LEN, "20,000 addresses: the table "
	    "keeps its size");
	is_int(held, 200, "the guesser, past its limit, is held throughout "
	    "(a crowded set forgets those with the fewest failures)");
	kss_throttle_free(a);
}

/* Logins in flight count before their KDF ends, so that many at once
 * cannot pass the limit; a success takes its count back. */
static void
in_flight(const char *dir, time_t t)
{
	struct kss_throttle *a = kss_throttle_new(dir, data, &lg);
	int i, taken = 0;

	for (i = 0; i < 10; i++)
		taken += kss_throttle_begin(a, "192.0.2.20", 3, 60, t) == 0;
	is_int(taken, 3, "10 logins at once from one address, limit 3: 3 "
	    "go on to the KDF, 7 are refused before it");
	kss_throttle_end(a, "192.0.2.20", true, 3, 60, t);
	is_int((int)count_of(a, "192.0.2.20"), 2, "a success takes its count "
	    "back");
	is_int((int)kss_throttle_wait(a, "192.0.2.20", 3, 60, t), 0,
	    "and the address may try again");
	kss_throttle_end(a, "192.0.2.20", false, 3, 60, t);
	kss_throttle_end(a, "192.0.2.20", false, 3, 60, t);
	is_int((int)count_of(a, "192.0.2.20"), 2, "failures stay counted");
	kss_throttle_free(a);
}

/* An IPv6 host picks addresses from its /64: they count as one; an
 * IPv4-mapped address counts as the IPv4 one. */
static void
prefixes(const char *dir, time_t t)
{
	struct kss_throttle *a = kss_throttle_new(dir, data, &lg);

	fail(a, "2001:db8:1:2::1", 2, 60, t);
	fail(a, "2001:db8:1:2:aaaa:bbbb:cccc:dddd", 2, 60, t);
	ok(kss_throttle_wait(a, "2001:db8:1:2::ffff", 2, 60, t) > 0,
	    "two failures from one /64: a third address of it waits");
	is_int((int)kss_throttle_wait(a, "2001:db8:1:3::1", 2, 60, t), 0,
	    "the next /64 does not");
	fail(a, "::ffff:192.0.2.30", 2, 60, t);
	fail(a, "192.0.2.30", 2, 60, t);
	ok(kss_throttle_wait(a, "192.0.2.30", 2, 60, t) > 0 &&
	    kss_throttle_wait(a, "::ffff:192.0.2.30", 2, 60, t) > 0,
	    "::ffff:192.0.2.30 and 192.0.2.30 are one address");
	kss_throttle_free(a);
}

/* Processes failing at once from one address: every failure counted. */
static void
racing(const char *dir, time_t t)
{
	struct kss_throttle *a;
	int i, j, status, bad = 0;
	pid_t pid[8];

	fflush(stdout);
	for (i = 0; i < 8; i++) {
		if ((pid[i] = fork()) == 0) {
			a = kss_throttle_new(dir, data, &lg);
			for (j = 0; j < 2000; j++)
				fail(a, "192.0.2.40", 1000000, 60, t);
			kss_throttle_free(a);
			_exit(0);
		}
	}
	for (i = 0; i < 8; i++)
		if (pid[i] < 0 || waitpid(pid[i], &status, 0) != pid[i] ||
		    !WIFEXITED(status) || WEXITSTATUS(status) != 0)
			bad++;
	a = kss_throttle_new(dir, data, &lg);
	(void)kss_throttle_wait(a, "192.0.2.40", 1000000, 60, t);
	is_int((int)count_of(a, "192.0.2.40") + bad, 16000,
	    "8 processes x 2,000 failures at once: 16,000 counted");
	kss_throttle_free(a);
}

/* A table file that is not a plain file: said, nothing limited; tried
 * again after KSS_THROTTLE_RETRY seconds, and then it works. */
static void
bad_tables(time_t t)
{
	static const char *const kinds[] = {"link", "fifo", "dir"};
	struct kss_throttle *a;
	char dir[600];
	size_t i;

	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		snprintf(dir, sizeof(dir), "%s", at(shm, kinds[i]));
		if (mkdir(dir, 0700) != 0 ||
		    (i == 0 && symlink("/etc/passwd", at(dir, "logins")) != 0) ||
		    (i == 1 && mkfifo(at(dir, "logins"), 0600) != 0) ||
		    (i == 2 && mkdir(at(dir, "logins"), 0700) != 0)) {
			ok(0, "a %s as the table", kinds[i]);
			continue;
		}
		a = kss_throttle_new(dir, data, &lg);
		logged_lines = 0;
		fail(a, "192.0.2.50", 1, 60, t);
		ok(kss_throttle_wait(a, "192.0.2.50", 1, 60, t) == 0 &&
		    logged_lines == 1 && strstr(logged, "not limited") != NULL,
		    "a %s as the table: said once, nothing limited: %s",
		    kinds[i], logged);
		if (i == 1) {
			unlink(at(dir, "logins"));
			fail(a, "192.0.2.50", 1, 60,
			    t + KSS_THROTTLE_RETRY - 1);
			ok(kss_throttle_wait(a, "192.0.2.50", 1, 60,
			    t + KSS_THROTTLE_RETRY - 1) == 0 && logged_lines == 1,
			    "fixed, it is not tried again before %d s",
			    KSS_THROTTLE_RETRY);
			fail(a, "192.0.2.50", 1, 60, t + KSS_THROTTLE_RETRY);
			ok(kss_throttle_wait(a, "192.0.2.50", 1, 60,
			    t + KSS_THROTTLE_RETRY) > 0, "then it is, and counts");
		}
		kss_throttle_free(a);
	}
}

/* A folder that will not do (see unit_authcache for each refusal): said
 * once, and nothing is limited. */
static void
unfit(time_t t)
{
	struct kss_throttle *a = kss_throttle_new(at(data, "cache"), data, &lg);
	int i;

	logged_lines = 0;
	for (i = 0; i < 3; i++)
		fail(a, "192.0.2.9", 1, 60, t);
	is_int((int)kss_throttle_wait(a, "192.0.2.9", 1, 60, t), 0,
	    "a folder in KSS_DIR: nothing is limited");
	is_int(logged_lines, 1, "said once");
	ok(strstr(logged, "login limit") != NULL &&
	    strstr(logged, "not limited") != NULL, "why: %s", logged);
	kss_throttle_free(a);
	ok(kss_throttle_wait(NULL, "x", 1, 60, t) == 0, "no handle: no wait");
	fail(NULL, "x", 1, 60, t);
}

int
main(void)
{
	struct statfs fs;
	time_t t = 1000000;
	char cmd[200];

	if (mkdtemp(shm) == NULL || mkdtemp(data) == NULL)
		return !ok(0, "temporary folders");
	if (statfs(shm, &fs) != 0 || (fs.f_type != TMPFS_MAGIC &&
	    fs.f_type != RAMFS_MAGIC))
		skip("the table", "no tmpfs at /dev/shm");
	else {
		counts(at(shm, "a"), t);
		crowd(at(shm, "b"), t);
		in_flight(at(shm, "c"), t);
		prefixes(at(shm, "d"), t);
		racing(at(shm, "e"), t);
		bad_tables(t);
	}
	unfit(t);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s' '%s'", shm, data);
	if (system(cmd) != 0)
		return 1;
	return tap_done();
}
