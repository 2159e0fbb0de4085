/* Unit tests: the count of failed logins per address (throttle.c). The
 * module is compiled in here, so that the table itself can be looked at:
 * fixed in size, and holding no address in the clear. */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <linux/magic.h>

#include "../lib/throttle.c"
#include "tap.h"
#include "util.h"

static const struct kss_log lg = {keep_log, NULL};
static char shm[] = "/dev/shm/kss-throttle-XXXXXX";	/* tmpfs */
static char data[] = "/var/tmp/kss-throttle-XXXXXX";	/* KSS_DIR */

static const char *
at(const char *base, const char *rel)
{
	static char buf[4][512];
	static int n;

	n = (n + 1) % 4;
	snprintf(buf[n], sizeof(buf[n]), "%.250s/%.250s", base, rel);
	return buf[n];
}

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
	kss_throttle_fail(a, "192.0.2.1", 3, 60, t);
	kss_throttle_fail(b, "192.0.2.1", 3, 60, t + 5);
	is_int((int)kss_throttle_wait(a, "192.0.2.1", 3, 60, t + 6), 0,
	    "two failures of three allowed: no wait");
	is_int(logged_lines, 0, "and nothing logged");
	kss_throttle_fail(a, "192.0.2.1", 3, 60, t + 10);
	is_int((int)kss_throttle_wait(b, "192.0.2.1", 3, 60, t + 10), 50,
	    "the third, counted by either process: wait for the window's "
	    "end (50 s)");
	is_int(logged_lines, 1, "said once");
	ok(strstr(logged, "192.0.2.1") != NULL && strstr(logged, "429") != NULL,
	    "naming the address: %s", logged);
	said = logged_lines;
	for (i = 0; i < 5; i++)
		kss_throttle_fail(b, "192.0.2.1", 3, 60, t + 20);
	is_int(logged_lines, said, "not said again within the window");
	is_int((int)kss_throttle_wait(a, "192.0.2.2", 3, 60, t + 20), 0,
	    "another address is not held up");
	is_int((int)kss_throttle_wait(a, "192.0.2.1", 3, 60, t + 59), 1,
	    "one second before the window ends: 1 s");
	is_int((int)kss_throttle_wait(a, "192.0.2.1", 3, 60, t + 60), 0,
	    "at its end: free again");
	kss_throttle_fail(a, "192.0.2.1", 3, 60, t + 61);
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
		kss_throttle_fail(a, "198.51.100.7", 5, 600, t);
	for (i = 0; i < 20000; i++) {
		snprintf(addr, sizeof(addr), "2001:db8::%x", i);
		kss_throttle_fail(a, addr, 5, 600, t);
		if (i % 100 == 0) {
			kss_throttle_fail(a, "198.51.100.7", 5, 600, t);
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

/* A folder that will not do (see unit_authcache for each refusal): said
 * once, and nothing is limited. */
static void
unfit(time_t t)
{
	struct kss_throttle *a = kss_throttle_new(at(data, "cache"), data, &lg);
	int i;

	logged_lines = 0;
	for (i = 0; i < 3; i++)
		kss_throttle_fail(a, "192.0.2.9", 1, 60, t);
	is_int((int)kss_throttle_wait(a, "192.0.2.9", 1, 60, t), 0,
	    "a folder in KSS_DIR: nothing is limited");
	is_int(logged_lines, 1, "said once");
	ok(strstr(logged, "login limit") != NULL &&
	    strstr(logged, "not limited") != NULL, "why: %s", logged);
	kss_throttle_free(a);
	ok(kss_throttle_wait(NULL, "x", 1, 60, t) == 0, "no handle: no wait");
	kss_throttle_fail(NULL, "x", 1, 60, t);
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
	}
	unfit(t);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s' '%s'", shm, data);
	if (system(cmd) != 0)
		return 1;
	return tap_done();
}
