/* Unit tests: the file store when the file system fails or behaves unlike
 * ext4. The system calls the store makes are interposed here (this
 * program's definitions come before libc's), so a test can make the next
 * write fail with ENOSPC, a read with EIO, or make names meet regardless
 * of letter case as on vfat/exFAT/SMB, or refuse flock() on a read-only fd
 * as Linux NFS does; or put a link in the place of an entry right after
 * kss-admin looked at it, as a hostile writer of the data folder could. */
#include "config.h"

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#ifdef HAVE_LINUX_OPENAT2_H
#include <linux/openat2.h>
#endif

#include "auth.h"
#include "check.h"
#include "fakeio.h"
#include "kss.h"
#include "log.h"
#include "migrate.h"
#include "store.h"
#include "tap.h"
#include "util.h"

/* The fault armed: calls named call fail with err, from the nth on (1 =
 * the next one) and for count calls (0 = all); with a path, only calls
 * on an fd whose file's name ends with it count. */
static struct {
	const char *call;
	int nth, count, err;
	int seen;
	const char *path;
} fault;
static int fold;	/* names meet regardless of letter case */
static int trickle;	/* read() gives one byte at a time */
static const char *grows;	/* fstat() of this file says a byte less */
static int fsyncs;	/* fsync() calls */
static int no_openat2;	/* openat2() answers ENOSYS, as before Linux 5.6 */
static int openat2s;	/* openat2() calls */
static int nfs;		/* flock() needs a writable fd, as on Linux NFS */
/* The next lstat (fstatat AT_SYMLINK_NOFOLLOW) of an entry called name
 * is followed by a race: the entry moves to .swapped and a link to
 * target takes its place. */
static struct {
	const char *name, *target;
} swap;

static void
arm(const char *call, int nth, int count, int err)
{
	fault.call = call;
	fault.nth = nth;
	fault.count = count;
	fault.err = err;
	fault.seen = 0;
	fault.path = NULL;
}

/* arm() for calls on the file named path only. */
static void
arm_file(const char *call, const char *path, int err)
{
	arm(call, 1, 1, err);
	fault.path = path;
}

static int
on_file(int fd, const char *path)
{
	char link[64], name[4096];
	ssize_t n;
	size_t len = strlen(path);

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	if ((n = readlink(link, name, sizeof(name) - 1)) < 0)
		return 0;
	name[n] = '\0';
	return (size_t)n >= len && strcmp(name + n - len, path) == 0;
}

static void
disarm(void)
{
	fault.call = NULL;
}

/* Whether this call of name is to fail (errno set). */
static int
fails(const char *name, int fd)
{
	int n;

	if (fault.call == NULL || strcmp(fault.call, name) != 0 ||
	    (fault.path != NULL && !on_file(fd, fault.path)))
		return 0;
	n = ++fault.seen;
	if (n < fault.nth || (fault.count > 0 && n >= fault.nth + fault.count))
		return 0;
	errno = fault.err;
	return 1;
}

#define REAL(name) \
	static __typeof__(name) *real_##name; \
	if (real_##name == NULL) \
		real_##name = (__typeof__(name) *)dlsym(RTLD_NEXT, #name)

/* With fold on, a name relative to a directory fd stands for the entry
 * that equals it ignoring case, if there is one: what a case-insensitive,
 * case-preserving file system does. */
static const char *
resolve(int dir, const char *name, char *out, size_t size)
{
	struct dirent *de;
	DIR *d;
	int fd;

	if (!fold || dir == AT_FDCWD || strchr(name, '/') != NULL ||
	    (fd = fcntl(dir, F_DUPFD_CLOEXEC, 0)) < 0)
		return name;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return name;
	}
	rewinddir(d);
	while ((de = readdir(d)) != NULL) {
		if (strcasecmp(de->d_name, name) == 0) {
			snprintf(out, size, "%s", de->d_name);
			name = out;
			break;
		}
	}
	closedir(d);
	return name;
}

int
openat(int dir, const char *name, int flags, ...)
{
	char buf[256];
	mode_t mode = 0;
	va_list ap;

	REAL(openat);
	if (flags & O_CREAT) {
		va_start(ap, flags);
		mode = va_arg(ap, mode_t);
		va_end(ap);
	}
	if (fails("openat", -1))
		return -1;
	return real_openat(dir, resolve(dir, name, buf, sizeof(buf)), flags,
	    mode);
}

int
mkdirat(int dir, const char *name, mode_t mode)
{
	char buf[256];

	REAL(mkdirat);
	if (fails("mkdirat", -1))
		return -1;
	return real_mkdirat(dir, resolve(dir, name, buf, sizeof(buf)), mode);
}

int
fstatat(int dir, const char *restrict name, struct stat *restrict st,
    int flags)
{
	char buf[256];
	int rc;

	REAL(fstatat);
	REAL(renameat);
	rc = real_fstatat(dir, resolve(dir, name, buf, sizeof(buf)), st,
	    flags);
	if (rc == 0 && swap.name != NULL && (flags & AT_SYMLINK_NOFOLLOW) &&
	    strcmp(name, swap.name) == 0) {
		swap.name = NULL;
		if (real_renameat(dir, name, dir, ".swapped") < 0 ||
		    symlinkat(swap.target, dir, name) < 0)
			swap.target = NULL;	/* the test says it failed */
	}
	return rc;
}

int
unlinkat(int dir, const char *name, int flags)
{
	char buf[256];

	REAL(unlinkat);
	return real_unlinkat(dir, resolve(dir, name, buf, sizeof(buf)), flags);
}

int
renameat(int from_dir, const char *from, int to_dir, const char *to)
{
	char a[256], b[256];

	REAL(renameat);
	if (fails("renameat", -1))
		return -1;
	return real_renameat(from_dir, resolve(from_dir, from, a, sizeof(a)),
	    to_dir, resolve(to_dir, to, b, sizeof(b)));
}

int
renameat2(int from_dir, const char *from, int to_dir, const char *to,
    unsigned flags)
{
	char a[256], b[256];

	REAL(renameat2);
	if (fails("renameat", -1))
		return -1;
	return real_renameat2(from_dir, resolve(from_dir, from, a, sizeof(a)),
	    to_dir, resolve(to_dir, to, b, sizeof(b)), flags);
}

ssize_t
write(int fd, const void *buf, size_t len)
{
	REAL(write);
	/* stdout stays out of it: TAP goes there. */
	if (fd > 2 && fails("write", fd))
		return -1;
	return real_write(fd, buf, len);
}

ssize_t
read(int fd, void *buf, size_t len)
{
	REAL(read);
	if (fd > 2 && fails("read", fd))
		return -1;
	return real_read(fd, buf, trickle && fd > 2 && len > 1 ? 1 : len);
}

/* With grows set, the file grows by a byte between fstat() and read(). */
int
fstat(int fd, struct stat *st)
{
	int rc;

	REAL(fstat);
	if ((rc = real_fstat(fd, st)) == 0 && grows != NULL &&
	    S_ISREG(st->st_mode) && st->st_size > 0 && on_file(fd, grows))
		st->st_size--;
	return rc;
}

/* The store calls openat2() through syscall(); the others pass. Six
 * arguments are taken whatever the call, as glibc's own syscall() does. */
long
syscall(long n, ...)
{
	long a[6];
	va_list ap;
	int i;

	REAL(syscall);
	va_start(ap, n);
	for (i = 0; i < 6; i++)
		a[i] = va_arg(ap, long);
	va_end(ap);
#if defined(HAVE_LINUX_OPENAT2_H) && defined(SYS_openat2)
	if (n == SYS_openat2) {
		openat2s++;
		if (no_openat2 || fold) {
			/* (Folding is emulated on openat() only.) */
			errno = no_openat2 ? ENOSYS : EXDEV;
			return -1;
		}
	}
#endif
	return real_syscall(n, a[0], a[1], a[2], a[3], a[4], a[5]);
}

int
fsync(int fd)
{
	REAL(fsync);
	fsyncs++;
	if (fails("fsync", fd))
		return -1;
	return real_fsync(fd);
}

int
flock(int fd, int op)
{
	int fl;

	REAL(flock);
	/* Linux NFS emulates flock() with a POSIX lock, which a read-only fd
	 * cannot take. */
	if (nfs && (op & LOCK_EX) && (fl = fcntl(fd, F_GETFL)) >= 0 &&
	    (fl & O_ACCMODE) == O_RDONLY) {
		errno = EBADF;
		return -1;
	}
	return real_flock(fd, op);
}

static const struct kss_log lg = {keep_log, NULL};

/* Entries of dir/sub whose names start with prefix. */
static int
count_named(const char *dir, const char *sub, const char *prefix)
{
	char p[1100];
	struct dirent *de;
	DIR *d;
	int n = 0;

	snprintf(p, sizeof(p), "%s/%s", dir, sub);
	if ((d = opendir(p)) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL)
		n += strncmp(de->d_name, prefix, strlen(prefix)) == 0;
	closedir(d);
	return n;
}

static json_t *
rec(const char *doc, const char *progress)
{
	return json_pack("{s:s, s:s, s:f, s:s, s:i}", "document", doc,
	    "progress", progress, "percentage", 0.5, "device", "dev",
	    "timestamp", 1700000000);
}

static const char *
field(struct kss_store *st, const char *user, const char *doc,
    const char *name)
{
	static char buf[256];
	const char *v;
	json_t *got = NULL;

	buf[0] = '\0';
	st->ops->doc_get(st->h, user, doc, &got);
	if ((v = json_string_value(json_object_get(got, name))) != NULL)
		snprintf(buf, sizeof(buf), "%s", v);
	else if (json_is_object(json_object_get(got, name)))
		snprintf(buf, sizeof(buf), "{object}");
	json_decref(got);
	return buf;
}

/* Failed writes leave no fd open and no temp file behind, whatever step
 * fails; the stored record stays whole. */
static void
write_faults(struct kss_store *st, const char *dir)
{
	static const struct {
		const char *call;
		int err;
	} f[] = {
		{"write", ENOSPC}, {"write", EFBIG}, {"fsync", EIO},
		{"renameat", EIO}, {"openat", EMFILE}, {"openat", ENOSPC},
	};
	struct kss_secret who = {"$y$h", true};
	size_t i;
	int before, k;
	json_t *r;

	r = rec("d", "good");
	json_object_set_new(r, "device_id", json_string("ID"));
	st->ops->doc_put(st->h, "ann", &who, "d", r);
	json_decref(r);
	r = rec("d", "lost");
	for (i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		before = count_fds();
		logged[0] = '\0';
		for (k = 0; k < 5; k++) {
			/* openat: the user folder, the lock, auth.json and
			 * the record open before the temp file. */
			arm(f[i].call, strcmp(f[i].call, "openat") ? 1 : 5, 0,
			    f[i].err);
			if (st->ops->doc_put(st->h, "ann", &who, "d", r) != KSS_E_SERVER)
				break;
		}
		disarm();
		is_int(k, 5, "%s %s: 5 pushes answer a server error", f[i].call,
		    strerror(f[i].err));
		ok(strstr(logged, strerror(f[i].err)) != NULL,
		    "%s %s: logged (%s)", f[i].call, strerror(f[i].err), logged);
		is_int(count_fds(), before, "%s %s: no fd left open",
		    f[i].call, strerror(f[i].err));
		is_int(count_named(dir, "ann", ".tmp-"), 0,
		    "%s %s: no temp file left", f[i].call, strerror(f[i].err));
		is_str(field(st, "ann", "d", "progress"), "good",
		    "%s %s: the record is as it was", f[i].call,
		    strerror(f[i].err));
	}
	json_decref(r);
	is_str(field(st, "ann", "d", "device_id"), "ID",
	    "after every fault the record keeps its device_id");
}

/* A record that cannot be read is not one that does not parse: a push
 * must not replace it with a record that lacks device_id and metadata. */
static void
read_faults(struct kss_store *st)
{
	struct kss_secret who = {"$y$h", true};
	json_t *r, *got = NULL;

	r = rec("m", "one");
	json_object_set_new(r, "device_id", json_string("ID"));
	json_object_set_new(r, "metadata", json_pack("{s:s}", "title", "T"));
	st->ops->doc_put(st->h, "ann", &who, "m", r);
	json_decref(r);

	arm_file("read", "/m.json", EIO);
	is_int(st->ops->doc_get(st->h, "ann", "m", &got), KSS_E_SERVER,
	    "read EIO: a pull is a server error");
	ok(got == NULL, "read EIO: with no record");
	r = rec("m", "two");
	arm_file("read", "/m.json", EIO);
	is_int(st->ops->doc_put(st->h, "ann", &who, "m", r), KSS_E_SERVER,
	    "read EIO: a push is a server error");
	ok(fault.seen == 1, "read EIO: the record's read failed");
	disarm();
	ok(strstr(logged, "Input/output error") != NULL, "read EIO: logged (%s)",
	    logged);
	is_str(field(st, "ann", "m", "progress"), "one",
	    "read EIO: the record is not replaced");
	is_str(field(st, "ann", "m", "device_id"), "ID",
	    "read EIO: device_id kept");
	is_str(field(st, "ann", "m", "metadata"), "{object}",
	    "read EIO: metadata kept");
	is_int(st->ops->doc_put(st->h, "ann", &who, "m", r), KSS_OK,
	    "read EIO: once the disk reads again, the push goes through");
	is_str(field(st, "ann", "m", "device_id"), "ID",
	    "read EIO: and merges as usual");
	json_decref(r);

	arm_file("read", "/auth.json", EIO);
	struct kss_secret s = {NULL, false};
	is_int(st->ops->secret_get(st->h, "ann", &s), KSS_E_SERVER,
	    "read EIO on auth.json: a server error, not a missing account");
	disarm();
	kss_secret_free(&s);

	/* A file is read whole however read() splits it, and one that grows
	 * while it is read is refused: not a file kss wrote. */
	trickle = 1;
	is_str(field(st, "ann", "m", "device_id"), "ID",
	    "reads of one byte at a time: the record reads whole");
	is_int(st->ops->secret_get(st->h, "ann", &s), KSS_OK,
	    "reads of one byte at a time: so does auth.json");
	kss_secret_free(&s);
	trickle = 0;
	grows = "/m.json";
	is_int(st->ops->doc_get(st->h, "ann", "m", &got), KSS_E_SERVER,
	    "a record that grows while it is read is a server error");
	ok(strstr(logged, "File too large") != NULL, "and logged (%s)", logged);
	grows = NULL;
}

static void
account_faults(struct kss_store *st, const char *dir)
{
	struct kss_secret who = {"$y$h", true};
	int before = count_fds();

	arm("mkdirat", 1, 0, ENOSPC);
	is_int(st->ops->user_create(st->h, "bea", "$y$b"), KSS_E_SERVER,
	    "mkdir ENOSPC: registration is a server error");
	arm("write", 1, 0, ENOSPC);
	is_int(st->ops->user_create(st->h, "bea", "$y$b"), KSS_E_SERVER,
	    "write ENOSPC: registration is a server error");
	arm("renameat", 1, 0, EIO);
	is_int(st->ops->user_create(st->h, "bea", "$y$b"), KSS_E_SERVER,
	    "rename EIO: registration is a server error");
	disarm();
	is_int(count_named(dir, ".", ".new-") + count_named(dir, ".", ".tmp-"),
	    0, "registration faults leave no hidden folder or file");
	is_int(count_fds(), before, "registration faults leave no fd open");
	is_int(st->ops->user_create(st->h, "bea", "$y$b"), KSS_OK,
	    "registration works once the disk does");

	arm("write", 1, 0, ENOSPC);
	is_int(st->ops->secret_swap(st->h, "ann", &who, "$y$x"), KSS_E_SERVER,
	    "write ENOSPC: a password change is a server error");
	arm("renameat", 1, 0, EIO);
	is_int(st->ops->user_delete(st->h, "ann", &who), KSS_E_SERVER,
	    "rename EIO: a delete is a server error");
	disarm();
	struct kss_secret s = {NULL, false};
	st->ops->secret_get(st->h, "ann", &s);
	is_str(s.value, "$y$h", "the credential is as it was");
	kss_secret_free(&s);
	is_int(count_fds(), before, "and no fd is left open");
}

/* Linux NFS: flock() on a read-only fd fails; the store must lock in a
 * way that works there. */
static void
nfs_locks(struct kss_store *st)
{
	struct kss_secret who = {"$y$h", true};
	json_t *r = rec("n", "p");

	nfs = 1;
	is_int(st->ops->doc_put(st->h, "ann", &who, "n", r), KSS_OK,
	    "NFS locking: a push");
	is_int(st->ops->secret_swap(st->h, "ann", &who, "$y$h2"), KSS_OK,
	    "NFS locking: a password change");
	who.value = "$y$h2";
	is_int(st->ops->secret_swap(st->h, "ann", &who, "$y$h"), KSS_OK,
	    "NFS locking: and back");
	nfs = 0;
	json_decref(r);
}

/* A file system that ignores letter case (vfat, exFAT, SMB). */
static void
caseless(const char *root)
{
	struct kss_secret a = {"$y$a", true}, A = {"$y$A", true};
	struct kss_secret s = {NULL, false};
	struct kss_store st;
	char dir[600], p[700];
	json_t *r;
	FILE *f;

	snprintf(dir, sizeof(dir), "%s/caseless", root);
	fold = 1;
	if (!is_int(kss_store_file_open(dir, &lg, &st), KSS_OK,
	    "caseless: store opens")) {
		fold = 0;
		return;
	}
	snprintf(p, sizeof(p), "%s/.kss-layout", dir);
	ok((f = fopen(p, "r")) != NULL && fgets(p, sizeof(p), f) != NULL &&
	    strcmp(p, "casefold\n") == 0, "caseless: detected, casefold layout");
	if (f != NULL)
		fclose(f);
	is_int(st.ops->user_create(st.h, "alice", "$y$a"), KSS_OK,
	    "caseless: alice registers");
	is_int(st.ops->user_create(st.h, "Alice", "$y$A"), KSS_OK,
	    "caseless: so does Alice, a user of her own");
	st.ops->secret_get(st.h, "alice", &s);
	is_str(s.value, "$y$a", "caseless: alice keeps her credential");
	kss_secret_free(&s);
	r = rec("AUTH", "p");
	is_int(st.ops->doc_put(st.h, "alice", &a, "AUTH", r), KSS_OK,
	    "caseless: a document AUTH");
	json_decref(r);
	st.ops->secret_get(st.h, "alice", &s);
	is_str(s.value, "$y$a", "caseless: leaves auth.json alone");
	kss_secret_free(&s);
	st.ops->secret_get(st.h, "Alice", &s);
	is_str(s.value, "$y$A", "caseless: Alice keeps hers");
	kss_secret_free(&s);
	r = rec("abc", "lower");
	st.ops->doc_put(st.h, "Alice", &A, "abc", r);
	json_decref(r);
	r = rec("ABC", "upper");
	st.ops->doc_put(st.h, "Alice", &A, "ABC", r);
	json_decref(r);
	is_str(field(&st, "Alice", "abc", "progress"), "lower",
	    "caseless: documents abc and ABC");
	is_str(field(&st, "Alice", "ABC", "progress"), "upper",
	    "caseless: are two records");
	kss_store_close(&st);
	fold = 0;
}

/* Whether dir/rel exists under exactly that name. */
static int
on_disk(const char *dir, const char *rel)
{
	char p[1100];
	struct stat st;
	int was = fold, rc;

	fold = 0;
	snprintf(p, sizeof(p), "%s/%s", dir, rel);
	rc = fstatat(AT_FDCWD, p, &st, AT_SYMLINK_NOFOLLOW) == 0;
	fold = was;
	return rc;
}

/* A login that would store the credential anew (a raw key, a hash of
 * another cost) stands when the store cannot be written. */
static void
rehash_unwritable(struct kss_store *st, const char *dir)
{
	struct kss_secret s = {NULL, false};
	char p[700];
	char *cheap;

	snprintf(p, sizeof(p), "%s/raw", dir);
	mkdir(p, 0700);
	snprintf(p, sizeof(p), "%s/raw/auth.json", dir);
	put_text(p, "{\"x-auth-user\": \"raw\", \"x-auth-key\": \"rawkey\"}");
	arm("write", 1, 0, EROFS);
	is_int(kss_auth_user(st, "raw", "rawkey", 2, &lg, NULL, NULL, &s), KSS_OK,
	    "unwritable: a raw key still logs in");
	disarm();
	ok(!s.hashed && s.value != NULL && strcmp(s.value, "rawkey") == 0,
	    "unwritable: and stays as it was");
	kss_secret_free(&s);
	if (kss_auth_hash("cheapkey", 1, &cheap) != KSS_OK)
		return;
	st->ops->user_create(st->h, "cheap", cheap);
	arm("write", 1, 0, EROFS);
	is_int(kss_auth_user(st, "cheap", "cheapkey", 2, &lg, NULL, NULL, &s), KSS_OK,
	    "unwritable: a hash of another cost still logs in");
	disarm();
	is_str(s.value, cheap, "unwritable: and stays as it was");
	kss_secret_free(&s);
	free(cheap);
}

/* A .kss-layout that says neither word: reads go on, writes are refused
 * with a log line, and once it is mended the same open store writes. */
static void
garbled_layout(const char *root)
{
	struct kss_store st;
	char dir[600], p[700];

	snprintf(dir, sizeof(dir), "%s/garbled", root);
	mkdir(dir, 0700);
	snprintf(p, sizeof(p), "%s/.kss-layout", dir);
	put_text(p, "nonsense\n");
	if (!is_int(kss_store_file_open(dir, &lg, &st), KSS_OK,
	    "garbled layout: the store opens"))
		return;
	logged[0] = '\0';
	is_int(st.ops->user_create(st.h, "gil", "$y$g"), KSS_E_SERVER,
	    "garbled layout: a registration is refused");
	ok(strstr(logged, ".kss-layout") != NULL, "garbled layout: said (%s)",
	    logged);
	ok(!on_disk(dir, "gil"), "garbled layout: nothing written");
	put_text(p, "plain\n");
	is_int(st.ops->user_create(st.h, "gil", "$y$g"), KSS_OK,
	    "garbled layout: mended, the same store writes");
	kss_store_close(&st);
}

/* The original kss's folder, copied onto a file system that ignores case:
 * its capitals are found, but no longer given out. */
static void
copied(const char *root)
{
	struct kss_secret s = {NULL, false}, bob = {"$y$B", true};
	struct kss_store st;
	char dir[600], p[700];
	json_t *r, *got = NULL;
	FILE *f;

	snprintf(dir, sizeof(dir), "%s/copied", root);
	if (kss_store_file_open(dir, &lg, &st) != KSS_OK)
		return;
	st.ops->user_create(st.h, "Bob", "$y$B");
	r = rec("ABC", "old ABC");
	st.ops->doc_put(st.h, "Bob", &bob, "ABC", r);
	json_decref(r);
	r = rec("DEF", "old DEF");
	st.ops->doc_put(st.h, "Bob", &bob, "DEF", r);
	json_decref(r);
	kss_store_close(&st);
	fold = 1;
	if (!is_int(kss_store_file_open(dir, &lg, &st), KSS_OK,
	    "copied: store opens")) {
		fold = 0;
		return;
	}
	is_int(st.ops->secret_get(st.h, "Bob", &s), KSS_OK,
	    "copied: Bob is found");
	kss_secret_free(&s);
	is_int(st.ops->secret_get(st.h, "bob", &s), KSS_E_NO_ACCOUNT,
	    "copied: bob is not Bob");
	is_str(field(&st, "bob", "ABC", "progress"), "",
	    "copied: nor are Bob's records bob's");
	/* Whose folder it is must be read: when it cannot be, a pull is a
	 * server error, not another user's record. */
	arm_file("read", "/auth.json", EIO);
	is_int(st.ops->doc_get(st.h, "bob", "ABC", &got), KSS_E_SERVER,
	    "read EIO on auth.json: a pull is a server error");
	disarm();
	ok(got == NULL, "read EIO on auth.json: with no record");
	is_int(st.ops->user_create(st.h, "bob", "$y$b"), KSS_E_USER_EXISTS,
	    "copied: nor can take Bob's folder");
	st.ops->secret_get(st.h, "Bob", &s);
	is_str(s.value, "$y$B", "copied: Bob's credential intact");
	kss_secret_free(&s);

	/* Bob/ABC.json is also what abc.json opens here. */
	is_str(field(&st, "Bob", "ABC", "progress"), "old ABC",
	    "copied: Bob's old record ABC reads");
	is_str(field(&st, "Bob", "abc", "progress"), "",
	    "copied: and is no record of abc");
	r = rec("abc", "new abc");
	is_int(st.ops->doc_put(st.h, "Bob", &bob, "abc", r), KSS_OK,
	    "copied: a push of abc, whose name meets the old ABC.json");
	json_decref(r);
	is_str(field(&st, "Bob", "abc", "progress"), "new abc",
	    "copied: reads back");
	is_str(field(&st, "Bob", "ABC", "progress"), "old ABC",
	    "copied: and ABC's record, moved to its own name, too");
	r = rec("DEF", "new DEF");
	json_object_del(r, "device");
	is_int(st.ops->doc_put(st.h, "Bob", &bob, "DEF", r), KSS_OK,
	    "copied: a push of DEF over its old record");
	json_decref(r);
	is_str(field(&st, "Bob", "DEF", "device"), "dev",
	    "copied: merges with the old record");
	ok(!on_disk(dir, "Bob/DEF.json") && on_disk(dir, "Bob/%44%45%46.json"),
	    "copied: whose old file is gone, moved to its own name");
	r = rec("def", "new def");
	is_int(st.ops->doc_put(st.h, "Bob", &bob, "def", r), KSS_OK,
	    "copied: then def is free: the old DEF.json is gone");
	json_decref(r);
	is_str(field(&st, "Bob", "DEF", "progress"), "new DEF",
	    "copied: DEF as pushed");
	is_str(field(&st, "Bob", "def", "progress"), "new def",
	    "copied: def as pushed");
	/* Both the old file and the new one of GHI: the new one is the
	 * record, and the old one goes when ghi is pushed. */
	snprintf(p, sizeof(p), "%s/Bob/GHI.json", dir);
	put_text(p, "{\"document\": \"GHI\", \"progress\": \"older\"}");
	snprintf(p, sizeof(p), "%s/Bob/%%47%%48%%49.json", dir);
	put_text(p, "{\"document\": \"GHI\", \"progress\": \"newer\"}");
	is_str(field(&st, "Bob", "GHI", "progress"), "newer",
	    "copied: of an old and a new file, the new one is the record");
	r = rec("ghi", "new ghi");
	is_int(st.ops->doc_put(st.h, "Bob", &bob, "ghi", r), KSS_OK,
	    "copied: a push of ghi, whose name meets the old GHI.json");
	json_decref(r);
	ok(!on_disk(dir, "Bob/GHI.json"), "copied: which is dropped");
	is_str(field(&st, "Bob", "GHI", "progress"), "newer",
	    "copied: GHI keeps its record");
	is_str(field(&st, "Bob", "ghi", "progress"), "new ghi",
	    "copied: ghi has its own");
	kss_store_close(&st);
	fold = 0;
	snprintf(p, sizeof(p), "%s/.kss-layout", dir);
	ok((f = fopen(p, "r")) != NULL && fgets(p, sizeof(p), f) != NULL &&
	    strcmp(p, "casefold\n") == 0, "copied: the folder says casefold now");
	if (f != NULL)
		fclose(f);

	/* Copied back onto a file system that tells case apart: the escaped
	 * names written meanwhile are still the ones read. */
	if (!is_int(kss_store_file_open(dir, &lg, &st), KSS_OK,
	    "copied back: store opens"))
		return;
	is_str(field(&st, "Bob", "DEF", "progress"), "new DEF",
	    "copied back: DEF reads");
	is_str(field(&st, "Bob", "ABC", "progress"), "old ABC",
	    "copied back: so does ABC");
	is_str(field(&st, "Bob", "abc", "progress"), "new abc",
	    "copied back: and abc");
	kss_store_close(&st);
}

/* KSS_FSYNC=false: writes land (whole, by rename) without one fsync. */
static void
no_fsync(struct kss_store *st)
{
	static const struct kss_secret who = {"$y$h", true};
	json_t *r = rec("nf", "one"), *got = NULL;

	fsyncs = 0;
	is_int(st->ops->doc_put(st->h, "ann", &who, "nf", r), KSS_OK, "a push");
	ok(fsyncs >= 2, "syncs the record and its folder (%d fsyncs)", fsyncs);
	json_decref(r);
	kss_store_set_fsync(st, false);
	fsyncs = 0;
	r = rec("nf", "two");
	is_int(st->ops->doc_put(st->h, "ann", &who, "nf", r), KSS_OK,
	    "with KSS_FSYNC=false, a push");
	json_decref(r);
	is_int(st->ops->secret_swap(st->h, "ann", &who, "$y$h"), KSS_OK,
	    "a credential change");
	is_int(st->ops->user_create(st->h, "nofsync", "$y$h"), KSS_OK,
	    "and a registration");
	is_int(fsyncs, 0, "call no fsync");
	st->ops->doc_get(st->h, "ann", "nf", &got);
	is_str(json_string_value(json_object_get(got, "progress")), "two",
	    "and the push is read back");
	json_decref(got);
	kss_store_set_fsync(st, true);
	fsyncs = 0;
	r = rec("nf", "three");
	st->ops->doc_put(st->h, "ann", &who, "nf", r);
	json_decref(r);
	ok(fsyncs >= 2, "set back, pushes sync again (%d)", fsyncs);
}

/* KSS_FSYNC from a request's configuration reaches the store. */
static int
serve_push(struct kss_store *st, const char *fsync_var)
{
	static const char body[] = "{\"document\":\"sp\",\"progress\":\"p\","
	    "\"percentage\":0.5,\"device\":\"k\"}";
	char cl[40];
	const char *vars[] = {"REQUEST_METHOD=PUT", "PATH_INFO=/syncs/progress",
	    "HTTP_X_AUTH_USER=sam", "HTTP_X_AUTH_KEY=samkey",
	    "KSS_HASH_COST=1", "KSS_DIR=/unused", fsync_var, cl, NULL};
	struct kss_response resp;
	struct fake f;
	struct kss_io io = fake_io(&f, vars, body);

	snprintf(cl, sizeof(cl), "CONTENT_LENGTH=%zu", sizeof(body) - 1);
	fsyncs = 0;
	kss_serve_store(&io, st, &resp);
	kss_response_free(&resp);
	return resp.status;
}

static void
fsync_config(struct kss_store *st)
{
	char *hash;

	if (kss_auth_hash("samkey", 1, &hash) != KSS_OK ||
	    st->ops->user_create(st->h, "sam", hash) != KSS_OK) {
		ok(0, "a user to push as");
		return;
	}
	free(hash);
	is_int(serve_push(st, "KSS_FSYNC=false"), 200,
	    "a request with KSS_FSYNC=false pushes");
	is_int(fsyncs, 0, "without an fsync");
	is_int(serve_push(st, "X=1"), 200, "the next without it");
	ok(fsyncs >= 2, "syncs (%d)", fsyncs);
}

/* Whether the store was built with openat2() and this kernel has it (not
 * under valgrind, an old kernel or a seccomp policy that refuses it). */
static bool
have_openat2(void)
{
#if defined(HAVE_LINUX_OPENAT2_H) && defined(SYS_openat2)
	struct open_how how = {.flags = O_RDONLY | O_CLOEXEC};
	long fd = syscall(SYS_openat2, AT_FDCWD, "/", &how, sizeof(how));

	if (fd < 0)
		return false;
	close((int)fd);
	return true;
#else
	return false;
#endif
}

/* A login and a pull open their file with one openat2(); without it
 * (Linux before 5.6, a sandbox) they take the long way, with the same
 * answers, and the store stops asking. */
static void
openat2_or_not(const char *root)
{
	static const struct kss_secret who = {"$y$h", true};
	struct kss_secret s = {NULL, false};
	struct kss_store st;
	char dir[600];
	json_t *r, *got = NULL;
	bool avail = have_openat2();
	int pass;

	for (pass = 0; pass < 2; pass++) {
		snprintf(dir, sizeof(dir), "%s/openat2-%d", root, pass);
		if (kss_store_file_open(dir, &lg, &st) != KSS_OK ||
		    st.ops->user_create(st.h, "ann", "$y$h") != KSS_OK) {
			ok(0, "a store for openat2");
			return;
		}
		r = rec("d", "page");
		st.ops->doc_put(st.h, "ann", &who, "d", r);
		json_decref(r);
		no_openat2 = pass == 1;
		openat2s = 0;
		is_int(st.ops->secret_get(st.h, "ann", &s), KSS_OK,
		    "%s: a login", pass ? "without openat2()" : "with it");
		is_str(s.value, "$y$h", "reads the secret");
		kss_secret_free(&s);
		is_int(st.ops->doc_get(st.h, "ann", "d", &got), KSS_OK, "a pull");
		is_str(json_string_value(json_object_get(got, "progress")),
		    "page", "reads the record");
		json_decref(got);
		got = NULL;
		is_int(st.ops->doc_get(st.h, "ann", "none", &got), KSS_OK,
		    "a pull of no record");
		ok(got == NULL, "finds none");
		is_int(st.ops->secret_get(st.h, "nobody", &s), KSS_E_NO_ACCOUNT,
		    "an unknown name has no account");
		if (!avail) {
			skip("the count of openat2() calls",
			    "no openat2() here (kernel, sandbox or build)");
		} else if (pass == 0)
			is_int(openat2s, 4, "each opened its file with openat2()");
		else
			is_int(openat2s, 1, "openat2() asked once, then no more");
		no_openat2 = 0;
		kss_store_close(&st);
	}
}

/* The mode of path, or -1. */
static int
mode_of(const char *path)
{
	struct stat sb;

	return stat(path, &sb) == 0 ? (int)(sb.st_mode & 07777) : -1;
}

/* Puts back what swap moved away in dir/sub: the link goes, the entry
 * returns under name. */
static void
unswap(const char *dir, const char *sub, const char *name)
{
	char p[1200], q[1200];

	snprintf(p, sizeof(p), "%s/%s/%s", dir, sub, name);
	snprintf(q, sizeof(q), "%s/%s/.swapped", dir, sub);
	unlink(p);
	rename(q, p);
}

/* Arms swap: the next lstat of name is followed by a link to target in
 * its place. */
static void
arm_swap(const char *name, const char *target)
{
	swap.name = name;
	swap.target = target;
}

/* kss-admin check --repair and migrate set modes (and owners) on what
 * they opened without following a link, whatever is at the path by
 * then: a link put in the place of a user folder or of a file right
 * after they looked (a writer of the data folder racing them, as root
 * runs them) is never followed out of the folder, nor a file with other
 * names (a hard link) changed. */
static void
no_follow(const char *root)
{
	struct kss_check_report r = {NULL, NULL, 0, 0, 0};
	struct kss_migrate_report m = {NULL, NULL, 0, 0};
	char dir[600], outside[600], file[600], p[1200];
	struct kss_store st;

	snprintf(dir, sizeof(dir), "%s/nofollow", root);
	snprintf(outside, sizeof(outside), "%s/outside", root);
	snprintf(file, sizeof(file), "%s/outside.txt", root);
	mkdir(outside, 0755);
	chmod(outside, 0755);
	put_text(file, "not kss's");
	chmod(file, 0644);
	if (!is_int(kss_store_file_open(dir, &lg, &st), KSS_OK,
	    "no_follow: store opens") ||
	    !is_int(st.ops->user_create(st.h, "zed", "$y$h"), KSS_OK,
	    "no_follow: a user"))
		return;
	chmod(at(dir, "zed"), 0755);
	arm_swap("zed", outside);
	kss_check(&st, true, &r);
	ok(swap.name == NULL && swap.target != NULL,
	    "check --repair: a link took the user folder's place after the "
	    "look");
	is_int(mode_of(outside), 0755, "check --repair: the folder outside "
	    "keeps its mode");
	unswap(dir, ".", "zed");

	chmod(at(dir, "zed/auth.json"), 0644);
	arm_swap("auth.json", file);
	kss_check(&st, true, &r);
	ok(swap.name == NULL && swap.target != NULL,
	    "check --repair: a link took auth.json's place after the look");
	is_int(mode_of(file), 0644, "check --repair: the file outside keeps "
	    "its mode");
	unswap(dir, "zed", "auth.json");

	chmod(at(dir, "zed/auth.json"), 0644);
	arm_swap("auth.json", file);
	kss_migrate_in_place(&st, 1, false, &m);
	ok(swap.name == NULL && swap.target != NULL,
	    "migrate: a link took auth.json's place after the look");
	is_int(mode_of(file), 0644, "migrate: the file outside keeps its "
	    "mode");
	unswap(dir, "zed", "auth.json");

	snprintf(p, sizeof(p), "%s/zed/linked.json", dir);
	if (link(file, p) < 0)
		ok(0, "no_follow: a hard link");
	kss_check(&st, true, &r);
	is_int(mode_of(file), 0644, "check --repair: a file with another name "
	    "(a hard link) keeps its mode");
	chmod(file, 0644);
	kss_migrate_in_place(&st, 1, false, &m);
	is_int(mode_of(file), 0644, "migrate: so does it");
	unlink(p);
	kss_store_close(&st);
}

int
main(void)
{
	char root[] = "/tmp/kss-fault-XXXXXX", dir[600], cmd[700];
	struct kss_store st;

	if (mkdtemp(root) == NULL)
		return 1;
	snprintf(dir, sizeof(dir), "%s/data", root);
	if (is_int(kss_store_file_open(dir, &lg, &st), KSS_OK, "store opens")) {
		st.ops->user_create(st.h, "ann", "$y$h");
		write_faults(&st, dir);
		read_faults(&st);
		nfs_locks(&st);
		account_faults(&st, dir);
		rehash_unwritable(&st, dir);
		no_fsync(&st);
		fsync_config(&st);
		kss_store_close(&st);
	}
	openat2_or_not(root);
	caseless(root);
	copied(root);
	garbled_layout(root);
	no_follow(root);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	if (system(cmd) != 0)
		return 1;
	return tap_done();
}
