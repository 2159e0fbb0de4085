/* Unit tests: the caches of verified keys. The module is compiled in
 * here, so that its entries can be looked at: they must be keyed
 * digests, under a key of each process's own (in memory) or of the
 * shared folder's (CGI). */
#include "config.h"

#include <dirent.h>
#include <pwd.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <linux/magic.h>

#include "../lib/authcache.c"
#include "tap.h"
#include "util.h"

static const struct kss_log lg = {keep_log, NULL};

/* What an entry would hold if the digest were not keyed, or keyed with
 * key (all zeros: a key never drawn). */
static void
digest_with(const uint8_t *key, size_t keylen, uint8_t out[DIGEST_LEN])
{
	static const char in[] = "u\0$y$j9T$salt$hash\0k";

	crypto_generichash(out, DIGEST_LEN, (const uint8_t *)in, sizeof(in),
	    key, keylen);
}

/* The one entry in use of an in-memory cache, or NULL. */
static const struct entry *
only_entry(const struct kss_authcache *c)
{
	const struct entry *found = NULL;
	size_t i;

	for (i = 0; i < ENTRIES; i++) {
		if (c->e[i].at != 0) {
			if (found != NULL)
				return NULL;
			found = &c->e[i];
		}
	}
	return found;
}

static void
keyed(time_t t)
{
	const struct entry *ea, *eb;
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
	ea = only_entry(a);
	eb = only_entry(b);
	if (!ok(ea != NULL && eb != NULL, "a put takes one entry")) {
		kss_authcache_free(a);
		kss_authcache_free(b);
		return;
	}
	ok(memcmp(ea->digest, eb->digest, DIGEST_LEN) != 0,
	    "one entry, two processes: two digests (each its own key)");
	digest_with(NULL, 0, plain);
	digest_with(zero, sizeof(zero), zeroed);
	ok(memcmp(ea->digest, plain, DIGEST_LEN) != 0 &&
	    memcmp(ea->digest, zeroed, DIGEST_LEN) != 0,
	    "neither an unkeyed digest nor one under a zero key");
	kss_authcache_free(a);
	kss_authcache_free(b);
}

/* --- shared through a folder (CGI) ------------------------------------ */

static char shm[] = "/dev/shm/kss-authcache-XXXXXX";	/* tmpfs */
static char disk[] = "/var/tmp/kss-authcache-XXXXXX";	/* not */

/* The names in dir (not . and ..), into out; their count. */
static int
list(const char *dir, char out[][64], int max)
{
	struct dirent *de;
	DIR *d;
	int n = 0;

	if ((d = opendir(dir)) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (n < max)
			snprintf(out[n], 64, "%.63s", de->d_name);
		n++;
	}
	closedir(d);
	return n;
}

/* Whether the file path holds the bytes of s. */
static bool
holds(const char *path, const char *s)
{
	char buf[4096];
	size_t n;
	FILE *f = fopen(path, "rb");

	if (f == NULL)
		return false;
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	return memmem(buf, n, s, strlen(s)) != NULL;
}

static bool
on_tmpfs(const char *path)
{
	struct statfs fs;

	return statfs(path, &fs) == 0 &&
	    (fs.f_type == TMPFS_MAGIC || fs.f_type == RAMFS_MAGIC);
}

static void
shared(time_t t)
{
	static const char user[] = "reader-gwendolyn", key[] = "hunter2-key-xyz";
	static const char h[] = "$y$j9T$salt$hash", h2[] = "$y$j9T$salt2$hash";
	struct kss_authcache *a, *b;
	char dir[512], names[8][64], entry[512];
	struct stat st;
	int n, i, fd;

	snprintf(dir, sizeof(dir), "%s", at(shm, "cache"));
	logged_lines = 0;
	a = kss_authcache_shared(dir, disk, &lg);
	b = kss_authcache_shared(dir, disk, &lg);
	if (!ok(a != NULL && b != NULL, "two shared handles (two processes)"))
		return;
	ok(lstat(dir, &st) < 0, "nothing is made before first use");
	ok(!kss_authcache_hit(a, user, h, key, t), "empty: miss");
	ok(lstat(dir, &st) == 0 && S_ISDIR(st.st_mode) &&
	    (st.st_mode & 0777) == 0700, "first use makes the folder, 0700");
	ok(lstat(at(dir, KSS_RUNDIR_SECRET_FILE), &st) == 0 && st.st_size == SECRET_LEN &&
	    (st.st_mode & 0777) == 0600, "and its secret: %d bytes, 0600",
	    SECRET_LEN);
	kss_authcache_put(a, user, h, key, t);
	ok(kss_authcache_hit(b, user, h, key, t + 1),
	    "put by one process, hit by another");
	ok(kss_authcache_hit(a, user, h, key, t + 1), "and by itself");
	ok(!kss_authcache_hit(b, user, h, "hunter2-key-xyZ", t + 1),
	    "another key misses");
	ok(!kss_authcache_hit(b, "reader-gwendolyN", h, key, t + 1),
	    "another user misses");
	ok(!kss_authcache_hit(b, user, h2, key, t + 1),
	    "a changed credential (new hash) misses");
	ok(kss_authcache_hit(b, user, h, key, t + KSS_AUTHCACHE_TTL - 1),
	    "fresh just before the TTL");
	ok(!kss_authcache_hit(b, user, h, key, t + KSS_AUTHCACHE_TTL),
	    "stale at the TTL");
	ok(!kss_authcache_hit(b, user, h, key, t - 1),
	    "stale when the clock went back");

	kss_authcache_put(b, user, h, key, t);
	kss_authcache_put(b, "reader-two", h, key, t);
	n = list(dir, names, 8);
	is_int(n, 3, "one file per user and the secret; no temp file left");
	entry[0] = '\0';
	for (i = 0; i < n && i < 8; i++) {
		if (strcmp(names[i], KSS_RUNDIR_SECRET_FILE) == 0)
			continue;
		ok(strlen(names[i]) == 2 * SLOT_LEN &&
		    strspn(names[i], "0123456789abcdef") == 2 * SLOT_LEN,
		    "an entry is named by a digest (%s)", names[i]);
		ok(!holds(at(dir, names[i]), user) &&
		    !holds(at(dir, names[i]), key) &&
		    !holds(at(dir, names[i]), h),
		    "and holds neither name, key nor hash");
	}

	/* A damaged entry misses; the next login writes it anew. */
	slot_name(a, user, names[0]);
	snprintf(entry, sizeof(entry), "%s", at(dir, names[0]));
	if ((fd = open(entry, O_WRONLY | O_TRUNC)) >= 0) {
		ok(write(fd, "0123456789", 10) == 10, "an entry cut short");
		close(fd);
	}
	ok(!kss_authcache_hit(a, user, h, key, t + 1), "misses");
	kss_authcache_put(a, user, h, key, t);
	ok(kss_authcache_hit(a, user, h, key, t + 1),
	    "and is whole again after the next login");
	ok(unlink(entry) == 0 && mkfifo(entry, 0600) == 0,
	    "a FIFO in place of an entry");
	ok(!kss_authcache_hit(a, user, h, key, t + 1),
	    "misses at once (no hang)");
	kss_authcache_put(a, user, h, key, t);
	ok(kss_authcache_hit(a, user, h, key, t + 1),
	    "and the next login replaces it");
	is_int(logged_lines, 0, "no log line while the folder is fine");
	kss_authcache_free(a);
	kss_authcache_free(b);
}

/* A folder that will not do: every use misses, a put writes nothing, and
 * the log says why, once. */
static void
refused(const char *dir, const char *data, const char *why, const char *what)
{
	struct kss_authcache *c = kss_authcache_shared(dir, data, &lg);
	char names[4][64];
	int before = list(dir, names, 4);

	logged_lines = 0;
	logged[0] = '\0';
	if (c == NULL) {
		ok(0, "a handle for %s", what);
		return;
	}
	kss_authcache_put(c, "u", "$y$h", "k", 1000);
	ok(!kss_authcache_hit(c, "u", "$y$h", "k", 1001) &&
	    list(dir, names, 4) == before, "%s: misses, writes nothing", what);
	ok(logged_lines == 1 && strstr(logged, why) != NULL &&
	    strstr(logged, dir) != NULL, "and says why, once (%d: %s)",
	    logged_lines, logged);
	kss_authcache_free(c);
}

static void
unfit_folders(void)
{
	int fd;

	refused(at(shm, "no/such"), disk, "No such file", "a missing parent");
	if (mkdir(at(shm, "open"), 0755) == 0 &&
	    chmod(at(shm, "open"), 0755) == 0)
		refused(at(shm, "open"), disk, "others may use it",
		    "a folder others may read");
	if (mkdir(at(shm, "real"), 0700) == 0 &&
	    symlink(at(shm, "real"), at(shm, "link")) == 0)
		refused(at(shm, "link"), disk, "not a folder", "a symlink");
	if (mkdir(at(shm, "data"), 0700) == 0 &&
	    mkdir(at(shm, "data/sub"), 0700) == 0) {
		refused(at(shm, "data"), at(shm, "data"), "in the data folder",
		    "the data folder itself");
		refused(at(shm, "data/sub"), at(shm, "data"),
		    "in the data folder", "a folder inside the data folder");
		refused(at(shm, "data/sub"), at(shm, "data/"),
		    "in the data folder", "the same, data folder named with /");
	}
	if (mkdir(at(shm, "beside"), 0700) == 0)
		refused(at(shm, "beside"), at(shm, "data"),
		    "data folder's file system",
		    "a folder beside the data folder, on its file system (a "
		    "bind mount could put it inside)");
	if (on_tmpfs(disk))
		skip("a folder on disk", "/var/tmp is a tmpfs here");
	else if (mkdir(at(disk, "cache"), 0700) == 0)
		refused(at(disk, "cache"), at(shm, "data"), "not in RAM",
		    "a folder on disk");
	if (mkdir(at(shm, "bad"), 0700) == 0 &&
	    (fd = open(at(shm, "bad/" KSS_RUNDIR_SECRET_FILE), O_WRONLY | O_CREAT,
	    0600)) >= 0) {
		if (write(fd, "short", 5) == 5)
			refused(at(shm, "bad"), disk, "damaged",
			    "a secret cut short");
		close(fd);
	}
	if (mkdir(at(shm, "fifo"), 0700) == 0 &&
	    mkfifo(at(shm, "fifo/" KSS_RUNDIR_SECRET_FILE), 0600) == 0)
		refused(at(shm, "fifo"), disk, "damaged",
		    "a FIFO for a secret (no hang)");
	if (geteuid() != 0)
		skip("a folder of another user", "needs root to chown");
	else {
		struct passwd *pw = getpwnam("nobody");

		if (pw != NULL && mkdir(at(shm, "theirs"), 0700) == 0 &&
		    chown(at(shm, "theirs"), pw->pw_uid, pw->pw_gid) == 0)
			refused(at(shm, "theirs"), disk, "another user",
			    "a folder of another user");
		else
			ok(0, "a folder owned by nobody");
	}
}

/* Processes making the folder at once agree on one secret: what each
 * writes, every other reads. */
static void
race(time_t t)
{
	enum { N = 8 };
	struct kss_authcache *c;
	char dir[512], name[32], names[N + 2][64];
	int go[2], i, status, good = 0, hits = 0;
	pid_t pid[N];

	snprintf(dir, sizeof(dir), "%s", at(shm, "race"));
	if (!ok(pipe(go) == 0, "a start line"))
		return;
	for (i = 0; i < N; i++) {
		if ((pid[i] = fork()) == 0) {
			char x;

			close(go[1]);
			(void)read(go[0], &x, 1);	/* until the parent closes */
			snprintf(name, sizeof(name), "racer%d", i);
			logged_lines = 0;
			c = kss_authcache_shared(dir, disk, &lg);
			kss_authcache_put(c, name, "$y$h", "k", t);
			_exit(c != NULL && logged_lines == 0 &&
			    kss_authcache_hit(c, name, "$y$h", "k", t) ? 0 : 1);
		}
	}
	close(go[0]);
	close(go[1]);
	for (i = 0; i < N; i++)
		if (pid[i] > 0 && waitpid(pid[i], &status, 0) == pid[i] &&
		    WIFEXITED(status) && WEXITSTATUS(status) == 0)
			good++;
	is_int(good, N, "%d processes make the folder at once, each fine", N);
	c = kss_authcache_shared(dir, disk, &lg);
	for (i = 0; i < N; i++) {
		snprintf(name, sizeof(name), "racer%d", i);
		hits += kss_authcache_hit(c, name, "$y$h", "k", t + 1);
	}
	is_int(hits, N, "and all used one secret: a later process sees all");
	is_int(list(dir, names, N + 2), N + 1, "one secret, one entry each");
	kss_authcache_free(c);
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
	if (mkdtemp(disk) == NULL || mkdtemp(shm) == NULL ||
	    !on_tmpfs(shm))
		skip("the shared cache", "no tmpfs at /dev/shm");
	else {
		shared(t);
		unfit_folders();
		race(t);
	}

	/* Filling it evicts the oldest, never fails: 2,000 users in 200
	 * seconds (each set of entries gets far more than its ways). */
	for (i = 0; i < 2000; i++) {
		snprintf(name, sizeof(name), "user%d", i);
		kss_authcache_put(c, name, h, "k", t + 2 + i / 10);
	}
	ok(kss_authcache_hit(c, "user1999", h, "k", t + 202),
	    "the newest stays");
	ok(!kss_authcache_hit(c, "user0", h, "k", t + 202), "the oldest went");
	ok(!kss_authcache_hit(NULL, "u", h, "k", t), "no cache: miss");
	kss_authcache_put(NULL, "u", h, "k", t);
	ok(!kss_authcache_hit(NULL, "u", h, "k", t),
	    "no cache: a put is a no-op, and still nothing hits");
	kss_authcache_free(c);
	if (shm[strlen(shm) - 1] != 'X' || disk[strlen(disk) - 1] != 'X') {
		char cmd[200];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s' '%s'", shm, disk);
		if (system(cmd) != 0)
			return 1;
	}
	return tap_done();
}
