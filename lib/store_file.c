/* The file store: the original kss's layout (DESIGN.md §3).
 *
 *   KSS_DIR/.kss-layout            how names are encoded here (below)
 *   KSS_DIR/<user>/auth.json       credential
 *   KSS_DIR/<user>/<document>.json progress record
 *   KSS_DIR/<user>/.lock           locked for every read-modify-write
 *
 * Every name passes through kss_fsname(); every file is opened relative to
 * the root's or the user's directory fd with O_NOFOLLOW. Writers replace a
 * file by rename, so a reader without a lock always sees a whole file.
 * Our own names start with '.', which no encoded name does.
 *
 * Whatever reads a file checks the real name stored inside it (auth.json's
 * x-auth-user, a record's document) when there is one: a digest name or a
 * file system that ignores letter case can make two names meet, and a
 * record for another name is no record for this one.
 *
 * Letter case: on vfat/exFAT, SMB shares or case-insensitive APFS, "Alice"
 * and "alice" are one folder and a document "AUTH" is auth.json. When the
 * store opens, .kss-layout says which encoding this folder uses; the first
 * open creates it, probing whether the file system tells case apart, and
 * a folder once marked "casefold" stays so wherever it is copied. In that
 * layout capitals are escaped (kss_fsname(), fold); a folder of the
 * original kss (capitals kept) is still found, verified by its real name.
 *
 * Locks are POSIX record locks (of the open file: lock.h) on a file
 * opened for writing: Linux NFS turns flock() into such a lock, which a
 * read-only fd (a directory's) cannot take, so a lock on the directory
 * itself fails there. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#ifdef HAVE_LINUX_OPENAT2_H
#include <linux/openat2.h>
#include <sys/syscall.h>
#endif
/* openat2() needs the kernel's struct open_how and libc's number for it
 * (glibc 2.32 and later). */
#if defined(HAVE_LINUX_OPENAT2_H) && defined(SYS_openat2)
#define HAVE_OPENAT2 1
#endif
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fsname.h"
#include "lock.h"
#include "json.h"
#include "log.h"
#include "sandbox.h"
#include "store.h"
#include "valid.h"

#define LAYOUT_FILE ".kss-layout"
#define LAYOUT_PROBE ".KSS-LAYOUT"	/* LAYOUT_FILE in other letters */

enum layout {
	LAYOUT_PLAIN,		/* the original kss's names */
	LAYOUT_FOLD,		/* capitals escaped too */
	LAYOUT_UNKNOWN,		/* could not tell: reads only */
};

/* A store kept open (FastCGI) reads a user's auth.json on every request,
 * so that a credential changed by another process counts at once, but
 * parses it only when its bytes differ from the last ones parsed for that
 * user: the same bytes say the same secret. Only hashed secrets are kept
 * (never a raw key), from files of the size kss writes. */
#define SEEN_MAX 16
#define SEEN_FILE_MAX 1024

struct seen {
	char *user;		/* NULL when free */
	char *text;		/* auth.json's bytes */
	size_t len;
	char *hash;		/* the secret they hold */
};

struct fstore {
	int root;
	enum layout layout;
	int layout_err;		/* why it is LAYOUT_UNKNOWN, or 0 */
	const struct kss_log *log;
	bool nosync;		/* KSS_FSYNC=false: writes do not wait */
	bool look;		/* opened to read only: writes nothing */
	bool no_openat2;	/* the kernel has no openat2() */
	struct seen seen[SEEN_MAX];
	size_t seen_next;	/* the entry a new user takes */
};

/* fsync(), unless the owner traded crash safety for fewer disk writes
 * (KSS_FSYNC=false). */
static int
sync_fd(const struct fstore *fs, int fd)
{
	return fs->nosync ? 0 : fsync(fd);
}

/* A fresh hidden name such as ".tmp-1f2e3d4c5b6a7988". */
static void
temp_name(const char *kind, char out[32])
{
	unsigned char r[8];
	size_t i;
	int n;

	if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r)) {
		/* Only uniqueness matters, and every caller retries a clash
		 * (O_EXCL, mkdir), so the clock and pid will do, with the
		 * address of out, which is on the caller's stack: another
		 * thread's differs. */
		unsigned long long v = (unsigned long long)time(NULL) << 20 ^
		    (unsigned long long)getpid() ^
		    (unsigned long long)(uintptr_t)out << 24;

		memcpy(r, &v, sizeof(r));
	}
	n = snprintf(out, 32, ".%s-", kind);
	for (i = 0; i < sizeof(r); i++)
		n += snprintf(out + n, 32 - (size_t)n, "%02x", r[i]);
}

static enum kss_err
fail(struct fstore *fs, const char *what, const char *name)
{
	int saved = errno;	/* callers may still look at it */

	if (fs->log != NULL)
		kss_logf(fs->log, "file store: %s %s: %s", what, name,
		    strerror(saved));
	errno = saved;
	return KSS_E_SERVER;
}

static int
open_dir_at(int at, const char *name)
{
	return openat(at, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

/* Reads all of the regular file open as fd (at most KSS_STORE_FILE_MAX
 * bytes) into a malloc'd buffer, and closes fd. -1 with errno on failure:
 * EFBIG when too large, EINVAL when not a regular file, else the I/O
 * error. */
static int
read_fd(int fd, char **buf, size_t *len)
{
	struct stat st;
	size_t n = 0, size;
	ssize_t r;
	char *b = NULL;
	int saved;

	*buf = NULL;
	if (fstat(fd, &st) < 0)
		goto err;
	if (!S_ISREG(st.st_mode)) {
		errno = EINVAL;
		goto err;
	}
	if (st.st_size > KSS_STORE_FILE_MAX) {
		errno = EFBIG;
		goto err;
	}
	/* One byte more than the size, so one read() sees the end: a
	 * regular file reads short only there, so a read that stops at the
	 * size fstat() gave, short of what was asked, is the whole file,
	 * without a second read() for the 0 that says so. One that fills
	 * the buffer found the file grown. */
	size = (size_t)st.st_size + 1;
	if ((b = malloc(size)) == NULL)
		goto err;
	for (;;) {
		if ((r = read(fd, b + n, size - n)) < 0) {
			if (errno == EINTR)
				continue;
			goto err;
		}
		if (r == 0)
			break;
		n += (size_t)r;
		if (n == size) {	/* it grew: not a file we wrote */
			errno = EFBIG;
			goto err;
		}
		if (n == size - 1)
			break;
	}
	close(fd);
	*buf = b;
	*len = n;
	return 0;
err:
	saved = errno;
	free(b);
	close(fd);
	errno = saved;
	return -1;
}

/* read_fd() of the file name in dir; ENOENT when it is missing. */
static int
read_file(int dir, const char *name, char **buf, size_t *len)
{
	int fd;

	*buf = NULL;
	/* O_NONBLOCK: a FIFO planted under a record's name must not hang
	 * the open; it changes nothing for a regular file. */
	if ((fd = openat(dir, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC)) < 0)
		return -1;
	return read_fd(fd, buf, len);
}

/* Opens the file file of the user folder dir (both encoded names) with
 * one system call where the kernel has openat2() (Linux 5.6): beneath
 * the root, no symbolic link anywhere on the way, as open_dir_at() then
 * openat(O_NOFOLLOW) would; a pull or a login so spares opening and
 * closing the folder. -1 with errno when it fails (ENOSYS without
 * openat2()); the caller then takes the long way, which says why. One
 * difference: a user folder kss may search but not list (mode 0100) is
 * read through here, where the long way refuses to open it; writes
 * there still fail. */
static int
open_beneath(struct fstore *fs, const char *dir, const char *file)
{
#ifdef HAVE_OPENAT2
	struct open_how how = {
		.flags = O_RDONLY | O_NONBLOCK | O_CLOEXEC,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS |
		    RESOLVE_NO_MAGICLINKS,
	};
	char path[2 * KSS_FSNAME_SIZE];
	size_t m = strlen(dir), n = strlen(file);
	long fd;

	if (!fs->no_openat2 && m + n + 2 <= sizeof(path)) {
		memcpy(path, dir, m);
		path[m] = '/';
		memcpy(path + m + 1, file, n + 1);
		if ((fd = syscall(SYS_openat2, fs->root, path, &how,
		    sizeof(how))) >= 0)
			return (int)fd;
		/* An older kernel, or a sandbox that forbids it. */
		if (errno == ENOSYS || errno == EPERM)
			fs->no_openat2 = true;
		return -1;
	}
#else
	(void)fs;
	(void)dir;
	(void)file;
#endif
	errno = ENOSYS;
	return -1;
}

/* Parses a file's bytes; NULL with errno EINVAL when they do not parse. */
static json_t *
parse_json(const char *buf, size_t len)
{
	json_error_t jerr;
	json_t *v;

	if ((v = json_loadb(buf, len, JSON_ALLOW_NUL, &jerr)) == NULL)
		errno = EINVAL;
	return v;
}

/* Reads the JSON file name in dir. NULL with errno ENOENT when missing,
 * EINVAL when it does not parse (or is no regular file), another errno
 * when it cannot be read: only the caller can tell a record that is
 * corrupt from one that is merely out of reach. */
static json_t *
read_json(int dir, const char *name)
{
	json_t *v;
	size_t len;
	char *buf;
	int saved;

	if (read_file(dir, name, &buf, &len) < 0)
		return NULL;
	v = parse_json(buf, len);
	saved = errno;
	free(buf);
	errno = saved;
	return v;
}

/* Whether v's member field names name, or has no such member. Every
 * byte counts: "d\u0000x" is not d (no valid name holds NUL), though a C
 * string of it reads "d". */
static bool
names(const json_t *v, const char *field, const char *name, bool required)
{
	const json_t *m = json_object_get(v, field);
	size_t len = strlen(name);

	if (m == NULL)
		return !required;
	return json_is_string(m) && json_string_length(m) == len &&
	    memcmp(json_string_value(m), name, len) == 0;
}

static int
write_all(int fd, const char *p, size_t len)
{
	ssize_t n;

	while (len > 0) {
		if ((n = write(fd, p, len)) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n, len -= (size_t)n;
	}
	return 0;
}

static off_t doc_slot(const char *name);

/* Creates the hidden file tmp in dir, for writing. A name that is free
 * (tmp empty on entry) is drawn at random; a given one is the writer's
 * own (see write_json()), so a file found under it is what a writer
 * killed before its rename left, and is replaced. */
static int
create_temp(int dir, char tmp[32])
{
	const int flags = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC;
	int fd;

	if (tmp[0] == '\0') {
		do {
			temp_name("tmp", tmp);
			fd = openat(dir, tmp, flags, 0600);
		} while (fd < 0 && errno == EEXIST);
		return fd;
	}
	if ((fd = openat(dir, tmp, flags, 0600)) < 0 && errno == EEXIST &&
	    unlinkat(dir, tmp, 0) == 0)
		fd = openat(dir, tmp, flags, 0600);
	return fd;
}

/* Writes text[0..len) to the hidden file tmp in dir (see create_temp()),
 * durably (fsync). On failure nothing is left behind, and the log names
 * the file this was to become (name). */
static enum kss_err
write_temp(struct fstore *fs, int dir, const char *name, const char *text,
    size_t len, char tmp[32])
{
	int fd, saved;

	if ((fd = create_temp(dir, tmp)) < 0)
		return fail(fs, "cannot create a temporary file for", name);
	if (write_all(fd, text, len) == 0 && sync_fd(fs, fd) == 0) {
		if (close(fd) == 0)
			return KSS_OK;
		fd = -1;
	}
	/* Close before unlink: an open fd would keep the space of a file
	 * that a full disk refused (and a FastCGI process lives long). */
	saved = errno;
	if (fd >= 0)
		close(fd);
	unlinkat(dir, tmp, 0);
	errno = saved;
	return fail(fs, "cannot write", name);
}

/* Replaces name in user folder dir with v, durably: temp file, fsync,
 * rename, fsync of the directory. The caller holds name's lock byte
 * (doc_slot()) or the whole lock file, or dir is its own unseen
 * folder, so the temp file is named after that byte: no other writer
 * uses the name meanwhile, and a writer killed before its rename leaves
 * a file the next write of the byte replaces. A user folder thus holds
 * at most one leftover per lock byte, however often writers die. */
static enum kss_err
write_json(struct fstore *fs, int dir, const char *name, const json_t *v)
{
	char tmp[32], *text;
	enum kss_err e;
	size_t len;

	if ((text = kss_json_dump(v, &len)) == NULL)
		return fail(fs, "cannot encode", name);
	/* A file too large to read back would lose the record for good. */
	if (len >= KSS_STORE_FILE_MAX) {
		free(text);
		errno = EFBIG;
		return fail(fs, "cannot write", name);
	}
	/* The newline makes the file a text file, as the original kss's. */
	text[len] = '\n';
	snprintf(tmp, sizeof(tmp), ".tmp-%ld", (long)doc_slot(name));
	e = write_temp(fs, dir, name, text, len + 1, tmp);
	text[len] = '\0';
	free(text);
	if (e != KSS_OK)
		return e;
	if (renameat(dir, tmp, dir, name) < 0) {
		e = fail(fs, "cannot rename into place", name);
		unlinkat(dir, tmp, 0);
		return e;
	}
	if (sync_fd(fs, dir) < 0)
		return fail(fs, "cannot sync the directory of", name);
	return KSS_OK;
}

static enum layout read_layout(struct fstore *fs, bool quiet);

/* Refuses a write where the layout is unknown (LAYOUT_UNKNOWN): written
 * in the wrong encoding, one name could overwrite another's file. */
static enum kss_err
writable(struct fstore *fs)
{
	if (fs->look) {
		kss_logf(fs->log, "file store: not writing: the data directory "
		    "is opened to look only");
		return KSS_E_SERVER;
	}
	/* A store may be kept open across requests (FastCGI): what could
	 * not be told then may be told now. */
	if (fs->layout == LAYOUT_UNKNOWN)
		fs->layout = read_layout(fs, true);
	if (fs->layout != LAYOUT_UNKNOWN)
		return KSS_OK;
	kss_logf(fs->log, "file store: not writing: cannot tell how names are "
	    "encoded in the data directory (%s: %s; README: Storage)",
	    LAYOUT_FILE, fs->layout_err != 0 ? strerror(fs->layout_err) :
	    "says neither plain nor casefold");
	return KSS_E_SERVER;
}

static void
encode(struct fstore *fs, const char *name, enum kss_fsname_kind kind,
    char out[KSS_FSNAME_SIZE])
{
	kss_fsname(name, strlen(name), kind, fs->layout == LAYOUT_FOLD, out);
}

/* The name a folder of the original kss would have, when it differs from
 * the current one (LAYOUT_FOLD and capitals in name); else false. */
static bool
legacy_name(struct fstore *fs, const char *name, enum kss_fsname_kind kind,
    const char *cur, char out[KSS_FSNAME_SIZE])
{
	if (fs->layout != LAYOUT_FOLD)
		return false;
	kss_fsname(name, strlen(name), kind, false, out);
	return strcmp(out, cur) != 0;
}

/* Whether the folder dir holds user's account by its own word (or, when
 * not required, says nothing against it): 1 or 0, or -1 with errno when
 * auth.json cannot be read. */
static int
owned_by(int dir, const char *user, bool required)
{
	json_t *auth = read_json(dir, KSS_STORE_AUTH_FILE);
	int rc;

	if (auth == NULL)
		return errno == ENOENT ? !required : -1;
	rc = names(auth, KSS_STORE_KEY_USER, user, required);
	json_decref(auth);
	return rc;
}

/* Opens user's directory, whose name is left in name. */
static enum kss_err
open_user(struct fstore *fs, const char *user, char name[KSS_FSNAME_SIZE],
    int *fd)
{
	char old[KSS_FSNAME_SIZE];

	encode(fs, user, KSS_FSNAME_USER, name);
	if ((*fd = open_dir_at(fs->root, name)) >= 0)
		return KSS_OK;
	if (errno == ENOENT && legacy_name(fs, user, KSS_FSNAME_USER, name,
	    old)) {
		if ((*fd = open_dir_at(fs->root, old)) >= 0) {
			int rc = owned_by(*fd, user, true);

			if (rc > 0) {
				memcpy(name, old, KSS_FSNAME_SIZE);
				return KSS_OK;
			}
			close(*fd);
			*fd = -1;
			if (rc < 0)
				return fail(fs, "cannot read the auth.json of", old);
			errno = ENOENT;
		}
	}
	return errno == ENOENT ? KSS_E_NO_ACCOUNT :
	    fail(fs, "cannot open user directory", name);
}

/* A user's directory, open and locked for a read-modify-write. */
struct locked {
	int dir;
	int lock;
	char name[KSS_FSNAME_SIZE];
};

static void
unlock_user(struct locked *l)
{
	close(l->lock);	/* drops the lock */
	close(l->dir);
}

/* Documents hashed to this many lock bytes: two documents share one
 * rarely, and then only wait for each other. */
#define DOC_SLOTS 4096

/* The lock byte of the document file name (FNV-1a). */
static off_t
doc_slot(const char *name)
{
	uint32_t h = 2166136261u;

	for (; *name != '\0'; name++)
		h = (h ^ (unsigned char)*name) * 16777619u;
	return 1 + (off_t)(h % DOC_SLOTS);
}

/* Opens and locks user's directory, making sure the directory locked is
 * still the one named (a delete may have moved it away while we
 * waited). Byte 0 of the lock file stands for the account, byte
 * doc_slot() for a document: a push of doc (dname, its file's name) holds
 * the account shared and its document alone, so pushes of different
 * documents write, and fsync, at once; a credential change or a delete
 * (dname NULL) holds the whole file. In a casefold folder a push may move
 * another document's legacy file (move_legacy): it holds the whole file
 * too. */
static enum kss_err
lock_user(struct fstore *fs, const char *user, const char *dname,
    struct locked *l)
{
	struct stat a, b;
	enum kss_err e;
	int rc;

	if ((e = writable(fs)) != KSS_OK ||
	    (e = open_user(fs, user, l->name, &l->dir)) != KSS_OK)
		return e;
	if ((l->lock = openat(l->dir, KSS_STORE_LOCK_FILE, O_RDWR | O_CREAT |
	    O_NOFOLLOW | O_CLOEXEC, 0600)) < 0) {
		e = fail(fs, "cannot open the lock of", l->name);
		close(l->dir);
		return e;
	}
	if (dname != NULL && fs->layout == LAYOUT_PLAIN)
		rc = kss_lock_range(l->lock, F_RDLCK, 0, 1) < 0 ||
		    kss_lock_range(l->lock, F_WRLCK, doc_slot(dname), 1) < 0;
	else
		rc = kss_lock_range(l->lock, F_WRLCK, 0, 0) < 0;
	if (rc) {
		e = fail(fs, "cannot lock", l->name);
		unlock_user(l);
		return e;
	}
	if (fstat(l->dir, &a) ||
	    fstatat(fs->root, l->name, &b, AT_SYMLINK_NOFOLLOW) ||
	    a.st_ino != b.st_ino || a.st_dev != b.st_dev) {
		unlock_user(l);
		return KSS_E_NO_ACCOUNT;
	}
	return KSS_OK;
}

static enum kss_err
parse_secret(struct fstore *fs, const json_t *auth, struct kss_secret *s)
{
	const char *v;
	bool hashed = true;

	if ((v = json_string_value(json_object_get(auth,
	    KSS_STORE_KEY_HASH))) == NULL) {
		hashed = false;
		v = json_string_value(json_object_get(auth, KSS_STORE_KEY_RAW));
	}
	if (v == NULL || *v == '\0') {
		kss_logf(fs->log, "file store: %s holds no key",
		    KSS_STORE_AUTH_FILE);
		return KSS_E_SERVER;
	}
	/* A key or hash holding NUL is none kss or the original kss wrote,
	 * and its first part must not stand for it. */
	if (strlen(v) != json_string_length(json_object_get(auth, hashed ?
	    KSS_STORE_KEY_HASH : KSS_STORE_KEY_RAW))) {
		kss_logf(fs->log, "file store: %s holds a key with a NUL byte",
		    KSS_STORE_AUTH_FILE);
		return KSS_E_SERVER;
	}
	if ((s->value = strdup(v)) == NULL)
		return KSS_E_SERVER;
	s->hashed = hashed;
	return KSS_OK;
}

static void
seen_drop(struct seen *k)
{
	if (k->hash != NULL)
		explicit_bzero(k->hash, strlen(k->hash));
	free(k->hash);
	free(k->text);
	free(k->user);
	memset(k, 0, sizeof(*k));
}

/* The entry of user whose bytes are text[0..len), or NULL. */
static const struct seen *
seen_find(const struct fstore *fs, const char *user, const char *text,
    size_t len)
{
	const struct seen *k;
	size_t i;

	for (i = 0; i < SEEN_MAX; i++) {
		k = &fs->seen[i];
		if (k->user != NULL && k->len == len &&
		    strcmp(k->user, user) == 0 && memcmp(k->text, text, len) == 0)
			return k;
	}
	return NULL;
}

/* Keeps text (taken, freed here when not kept) as user's auth.json, which
 * holds hash; the user's earlier entry, else the oldest, makes room. */
static void
seen_put(struct fstore *fs, const char *user, char *text, size_t len,
    const char *hash)
{
	struct seen *k = NULL, n;
	size_t i;

	if (len > SEEN_FILE_MAX) {
		free(text);
		return;
	}
	for (i = 0; i < SEEN_MAX && k == NULL; i++) {
		if (fs->seen[i].user != NULL && strcmp(fs->seen[i].user, user) == 0)
			k = &fs->seen[i];
	}
	if (k == NULL)
		k = &fs->seen[fs->seen_next++ % SEEN_MAX];
	n.text = text;
	n.len = len;
	n.user = strdup(user);
	n.hash = strdup(hash);
	seen_drop(k);
	if (n.user == NULL || n.hash == NULL) {
		seen_drop(&n);	/* out of memory: parsed again next time */
		return;
	}
	*k = n;
}

static enum kss_err secret_from(struct fstore *fs, char *buf, size_t len,
    const char *name, const char *user, struct kss_secret *s);

/* Reads the secret of user from its directory dir (named name). An
 * auth.json that names another user is no account of this one. */
static enum kss_err
read_secret(struct fstore *fs, int dir, const char *name, const char *user,
    struct kss_secret *s)
{
	size_t len;
	char *buf;

	s->value = NULL;
	if (read_file(dir, KSS_STORE_AUTH_FILE, &buf, &len) < 0)
		return errno == ENOENT ? KSS_E_NO_ACCOUNT :
		    fail(fs, "cannot read the auth.json of", name);
	return secret_from(fs, buf, len, name, user, s);
}

/* The secret of user in the bytes buf[0..len) of its auth.json (taken:
 * kept or freed here); name is its folder's, for the log. */
static enum kss_err
secret_from(struct fstore *fs, char *buf, size_t len, const char *name,
    const char *user, struct kss_secret *s)
{
	const struct seen *k;
	enum kss_err e;
	json_t *auth;

	s->value = NULL;
	if ((k = seen_find(fs, user, buf, len)) != NULL) {
		free(buf);
		if ((s->value = strdup(k->hash)) == NULL)
			return KSS_E_SERVER;
		s->hashed = true;
		return KSS_OK;
	}
	if ((auth = parse_json(buf, len)) == NULL) {
		free(buf);
		errno = EINVAL;
		return fail(fs, "cannot read the auth.json of", name);
	}
	if (!names(auth, KSS_STORE_KEY_USER, user, false))
		e = KSS_E_NO_ACCOUNT;
	else
		e = parse_secret(fs, auth, s);
	json_decref(auth);
	if (e == KSS_OK && s->hashed)
		seen_put(fs, user, buf, len, s->value);
	else
		free(buf);
	return e;
}

/* Whether the secret stored for l's user still is who: the account the
 * caller verified, not one deleted and registered anew since. */
static enum kss_err
still(struct fstore *fs, const struct locked *l, const char *user,
    const struct kss_secret *who)
{
	struct kss_secret cur = {NULL, false};
	enum kss_err e;

	if ((e = read_secret(fs, l->dir, l->name, user, &cur)) == KSS_OK &&
	    (cur.hashed != who->hashed || strcmp(cur.value, who->value) != 0))
		e = KSS_E_UNAUTHORIZED;
	kss_secret_free(&cur);
	return e;
}

/* Writes user's auth.json holding s: a hash as kss's own
 * x-auth-key-hash, a raw key (an import of the original kss's account)
 * as its x-auth-key. */
static enum kss_err
write_secret(struct fstore *fs, int dir, const char *user,
    const struct kss_secret *s)
{
	enum kss_err e;
	json_t *auth;

	auth = json_pack("{s:s, s:s}", KSS_STORE_KEY_USER, user,
	    s->hashed ? KSS_STORE_KEY_HASH : KSS_STORE_KEY_RAW, s->value);
	if (auth == NULL)
		return KSS_E_SERVER;
	e = write_json(fs, dir, KSS_STORE_AUTH_FILE, auth);
	json_decref(auth);
	return e;
}

static enum kss_err
write_auth(struct fstore *fs, int dir, const char *user, const char *hash)
{
	const struct kss_secret s = {(char *)hash, true};

	return write_secret(fs, dir, user, &s);
}

/* Empties and removes the directory name in the root; best effort, as
 * whatever is left is hidden and never read again. -1 when it stays. */
static int
remove_tree(struct fstore *fs, const char *name)
{
	struct dirent *de;
	DIR *d;
	int fd;

	if ((fd = open_dir_at(fs->root, name)) < 0)
		return -1;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			unlinkat(dirfd(d), de->d_name, 0);
	}
	closedir(d);
	return unlinkat(fs->root, name, AT_REMOVEDIR);
}

/* What a write killed midway leaves in the root: a new account's folder
 * not yet renamed into place (.new-), a deleted one not yet emptied
 * (.del-), a probe of the file system (.tmp-). Every name is kss's own:
 * no encoded user name starts with a dot. */
static bool
leftover(const char *name)
{
	return strncmp(name, ".new-", 5) == 0 ||
	    strncmp(name, ".del-", 5) == 0 || strncmp(name, ".tmp-", 5) == 0;
}

/* Removes old leftover name, a folder (a .new- one claimed first) or a
 * file: 1 when removed, 0 when another took it first, -1 when it stays. */
static int
remove_leftover(struct fstore *fs, const char *name, const struct stat *st)
{
	char claim[32];

	if (!S_ISDIR(st->st_mode))
		return unlinkat(fs->root, name, 0) == 0 ? 1 :
		    errno == ENOENT ? 0 : -1;
	/* A registration stalled a minute (or on a file system whose clock
	 * lags ours) may still rename its .new- folder into place: take
	 * the folder away under a name of our own first, so that either
	 * its rename or ours fails, never a live account emptied. */
	if (strncmp(name, ".new-", 5) == 0) {
		temp_name("del", claim);
		if (renameat(fs->root, name, fs->root, claim) < 0)
			return errno == ENOENT ? 0 : -1;
		name = claim;
	}
	return remove_tree(fs, name) == 0 ? 1 : errno == ENOENT ? 0 : -1;
}

/* Removes the root's leftovers older than KSS_STORE_LEFTOVER_AGE seconds
 * (by mtime), so that writers killed at any moment leave a bounded number
 * behind. Run by registrations and deletes, the writes that make them;
 * a user folder's own leftovers are bounded by write_json(). */
static void
sweep_root(struct fstore *fs)
{
	time_t old = time(NULL) - KSS_STORE_LEFTOVER_AGE;
	struct dirent *de;
	struct stat st;
	int fd, rc, n = 0, stuck = 0;
	DIR *d;

	if ((fd = openat(fs->root, ".", O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) < 0)
		return;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		if (!leftover(de->d_name) || fstatat(fs->root, de->d_name, &st,
		    AT_SYMLINK_NOFOLLOW) < 0 || st.st_mtime >= old)
			continue;
		if ((rc = remove_leftover(fs, de->d_name, &st)) > 0)
			n++;
		else if (rc < 0)
			stuck++;
	}
	closedir(d);
	if (n > 0)
		kss_logf(fs->log, "file store: removed %d leftover%s of "
		    "interrupted writes from the data directory", n,
		    n == 1 ? "" : "s");
	if (stuck > 0)
		kss_logf(fs->log, "file store: cannot remove %d leftover%s of "
		    "interrupted writes (.new-*, .del-*, .tmp-*) from the data "
		    "directory", stuck, stuck == 1 ? "" : "s");
}

/* Creates user's account holding s (user_create, user_create_secret). */
static enum kss_err
create(struct fstore *fs, const char *user, const struct kss_secret *s)
{
	char name[KSS_FSNAME_SIZE], tmp[32];
	enum kss_err e;
	int fd, rc;

	if ((e = writable(fs)) != KSS_OK)
		return e;
	/* Taken is taken however it was found, a legacy folder included. */
	if ((e = open_user(fs, user, name, &fd)) == KSS_OK) {
		close(fd);
		return KSS_E_USER_EXISTS;
	}
	if (e != KSS_E_NO_ACCOUNT)
		return e;
	sweep_root(fs);
	encode(fs, user, KSS_FSNAME_USER, name);
	/* Build the account under a hidden name, then rename it into place:
	 * of N racing registrations exactly one rename succeeds. */
	do
		temp_name("new", tmp);
	while ((rc = mkdirat(fs->root, tmp, 0700)) < 0 && errno == EEXIST);
	if (rc < 0)
		return fail(fs, "cannot create the user directory", name);
	if ((fd = open_dir_at(fs->root, tmp)) < 0) {
		fail(fs, "cannot open the new user directory", name);
		unlinkat(fs->root, tmp, AT_REMOVEDIR);
		return KSS_E_SERVER;
	}
	e = write_secret(fs, fd, user, s);
	close(fd);
	if (e != KSS_OK)
		goto err;
	if (kss_store_file_rename_noreplace(fs->root, tmp, name) < 0) {
		e = errno == EEXIST || errno == ENOTEMPTY ? KSS_E_USER_EXISTS :
		    fail(fs, "cannot rename into place", name);
		goto err;
	}
	if (sync_fd(fs, fs->root))
		return fail(fs, "cannot sync", "data directory");
	return KSS_OK;
err:
	if (remove_tree(fs, tmp) < 0)
		fail(fs, "cannot remove", tmp);
	return e;
}

static enum kss_err
f_user_create(void *h, const char *user, const char *hash)
{
	const struct kss_secret s = {(char *)hash, true};

	return create(h, user, &s);
}

static enum kss_err
f_user_create_secret(void *h, const char *user, const struct kss_secret *s)
{
	return create(h, user, s);
}

static enum kss_err
f_secret_get(void *h, const char *user, struct kss_secret *s)
{
	struct fstore *fs = h;
	char name[KSS_FSNAME_SIZE];
	enum kss_err e;
	int fd;

	s->value = NULL;
	/* The folder of user's own name (open_user()'s first try), in one
	 * open; anything else the long way. */
	encode(fs, user, KSS_FSNAME_USER, name);
	if ((fd = open_beneath(fs, name, KSS_STORE_AUTH_FILE)) >= 0) {
		size_t len;
		char *buf;

		if (read_fd(fd, &buf, &len) < 0)
			return fail(fs, "cannot read the auth.json of", name);
		return secret_from(fs, buf, len, name, user, s);
	}
	if ((e = open_user(fs, user, name, &fd)) != KSS_OK)
		return e;
	e = read_secret(fs, fd, name, user, s);
	close(fd);
	return e;
}

/* Whether the user folder dir is user's for the operator, who verified no
 * key and
 * may mend what is there: its auth.json names user (or no one), or
 * cannot be read at all (kss-admin user passwd sets a new one, user del
 * deletes it; the reads that failed have said so). KSS_E_NO_ACCOUNT when
 * it has none, or names another. */
static enum kss_err
claimed(int dir, const char *user)
{
	json_t *auth = read_json(dir, KSS_STORE_AUTH_FILE);
	bool mine;

	if (auth == NULL)
		return errno == ENOENT ? KSS_E_NO_ACCOUNT : KSS_OK;
	mine = names(auth, KSS_STORE_KEY_USER, user, false);
	json_decref(auth);
	return mine ? KSS_OK : KSS_E_NO_ACCOUNT;
}

static enum kss_err
f_secret_swap(void *h, const char *user, const struct kss_secret *old,
    const char *hash)
{
	struct fstore *fs = h;
	struct locked l;
	enum kss_err e;

	if ((e = lock_user(fs, user, NULL, &l)) != KSS_OK)
		return e;
	if ((e = still(fs, &l, user, old)) == KSS_OK)
		e = write_auth(fs, l.dir, user, hash);
	unlock_user(&l);
	return e;
}

static enum kss_err
f_user_delete(void *h, const char *user, const struct kss_secret *who)
{
	struct fstore *fs = h;
	struct locked l;
	enum kss_err e;
	char tmp[32];

	if ((e = lock_user(fs, user, NULL, &l)) != KSS_OK)
		return e;
	if ((e = who != NULL ? still(fs, &l, user, who) : claimed(l.dir,
	    user)) != KSS_OK) {
		unlock_user(&l);
		return e;
	}
	/* The rename below needs no write access to the folder itself, but
	 * emptying it does: an account that would be gone from the API yet
	 * whose data stayed on disk is refused instead. */
	if (faccessat(l.dir, ".", W_OK | X_OK, AT_EACCESS) < 0) {
		e = fail(fs, "cannot remove user directory", l.name);
		unlock_user(&l);
		return e;
	}
	/* One rename takes the credential and every record away at once;
	 * emptying the hidden directory afterwards is housekeeping. */
	temp_name("del", tmp);
	if (renameat(fs->root, l.name, fs->root, tmp) || sync_fd(fs, fs->root)) {
		e = fail(fs, "cannot remove user directory", l.name);
		unlock_user(&l);
		return e;
	}
	unlock_user(&l);
	if (remove_tree(fs, tmp) < 0)
		fail(fs, "cannot remove", tmp);
	sweep_root(fs);
	return KSS_OK;
}

/* Takes v, read from doc's file, as doc's record: 0 and *rec = v, or -1
 * with errno EINVAL (no object) or EEXIST (another document's). */
static int
doc_check(json_t *v, const char *doc, json_t **rec)
{
	if (!json_is_object(v)) {
		json_decref(v);
		errno = EINVAL;
		return -1;
	}
	if (!names(v, "document", doc, false)) {
		/* Another document's record under doc's name (a digest
		 * name's collision): not doc's, and not to be overwritten. */
		json_decref(v);
		errno = EEXIST;
		return -1;
	}
	*rec = v;
	return 0;
}

/* Reads doc's record from user directory dir into *rec (NULL when there
 * is none), leaving the file's name in name. Returns 0, or -1 with errno:
 * EINVAL for a record that does not parse, EEXIST for one that names
 * another document, else an I/O error; the caller judges each. */
static int
read_doc(struct fstore *fs, int dir, const char *doc,
    char name[KSS_FSNAME_SIZE], json_t **rec)
{
	char old[KSS_FSNAME_SIZE];
	json_t *v;

	*rec = NULL;
	encode(fs, doc, KSS_FSNAME_DOC, name);
	if ((v = read_json(dir, name)) == NULL && errno == ENOENT &&
	    legacy_name(fs, doc, KSS_FSNAME_DOC, name, old)) {
		/* The original kss's name: only a record that says it is
		 * doc's is taken (it may be another's on this file system). */
		if ((v = read_json(dir, old)) != NULL) {
			if (!names(v, "document", doc, true)) {
				json_decref(v);
				return 0;
			}
			memcpy(name, old, KSS_FSNAME_SIZE);
		} else if (errno == ENOENT) {
			/* A push may have just moved it to its own name
			 * (move_legacy; readers take no lock). */
			v = read_json(dir, name);
		} else
			memcpy(name, old, KSS_FSNAME_SIZE);
	}
	if (v == NULL)
		return errno == ENOENT ? 0 : -1;
	return doc_check(v, doc, rec);
}

/* A pull the short way: in a plain folder a user's own name is its
 * folder's (no legacy names, no owner check but for digest names), so the
 * record is opened in one go. 0 (with *rec, or NULL when there is none),
 * 1 after a failure it has logged, or -1 when the long way must tell. */
static int
pull_plain(struct fstore *fs, const char *user, const char *doc,
    json_t **rec)
{
	char uname[KSS_FSNAME_SIZE], dname[KSS_FSNAME_SIZE];
	size_t len;
	char *buf;
	json_t *v;
	int fd;

	if (fs->layout != LAYOUT_PLAIN)
		return -1;
	encode(fs, user, KSS_FSNAME_USER, uname);
	if (uname[0] == '=')
		return -1;
	encode(fs, doc, KSS_FSNAME_DOC, dname);
	if ((fd = open_beneath(fs, uname, dname)) < 0)
		/* No folder or no record: no record, as the long way says. */
		return errno == ENOENT ? 0 : -1;
	if (read_fd(fd, &buf, &len) < 0) {
		fail(fs, "cannot read", dname);
		return 1;
	}
	v = parse_json(buf, len);
	free(buf);
	if (v == NULL)
		errno = EINVAL;
	if (v == NULL || doc_check(v, doc, rec) < 0) {
		if (v == NULL || errno != EEXIST) {
			fail(fs, "cannot read", dname);
			return 1;
		}
	}
	return 0;
}

static enum kss_err
f_doc_get(void *h, const char *user, const char *doc, json_t **rec)
{
	struct fstore *fs = h;
	char uname[KSS_FSNAME_SIZE], dname[KSS_FSNAME_SIZE];
	enum kss_err e;
	int fd, rc;

	*rec = NULL;
	if ((rc = pull_plain(fs, user, doc, rec)) >= 0)
		return rc == 0 ? KSS_OK : KSS_E_SERVER;
	if ((e = open_user(fs, user, uname, &fd)) != KSS_OK)
		return e == KSS_E_NO_ACCOUNT ? KSS_OK : e;
	/* A folder found by another name's encoding (a legacy "Bob" where
	 * "bob" is asked for, on a file system that ignores case) is not
	 * this user's. Only there, or under a digest name, can a name meet
	 * another's: a plain name on a file system that tells case apart
	 * is the user's alone, and a pull spares a second read of
	 * auth.json. */
	if ((fs->layout != LAYOUT_PLAIN || uname[0] == '=') &&
	    (rc = owned_by(fd, user, false)) <= 0) {
		e = rc < 0 ? fail(fs, "cannot read the auth.json of", uname) :
		    KSS_OK;
		close(fd);
		return e;
	}
	rc = read_doc(fs, fd, doc, dname, rec);
	close(fd);
	if (rc < 0 && errno != EEXIST)
		return fail(fs, "cannot read", dname);
	return KSS_OK;
}

/* In a casefold folder on a file system that ignores case, name (doc's
 * own) may open the original kss's file of another document X whose name
 * differs only in case ("ABC.json" for doc "abc"). Moves that record to
 * X's own name, or drops it when X already has one (writes go there, so
 * it is newer), leaving name free. Returns 0, or -1 when name holds
 * anything else. */
static int
move_legacy(struct fstore *fs, int dir, const char *name)
{
	char own[KSS_FSNAME_SIZE], old[KSS_FSNAME_SIZE];
	const char *x;
	struct stat st;
	json_t *v;
	int rc = -1;

	if (fs->layout != LAYOUT_FOLD || (v = read_json(dir, name)) == NULL)
		return -1;
	x = json_string_value(json_object_get(v, "document"));
	if (x != NULL && legacy_name(fs, x, KSS_FSNAME_DOC,
	    kss_fsname(x, strlen(x), KSS_FSNAME_DOC, true, own), old) &&
	    strcasecmp(old, name) == 0) {
		if (fstatat(dir, own, &st, AT_SYMLINK_NOFOLLOW) == 0)
			rc = unlinkat(dir, name, 0);
		else
			rc = kss_store_file_rename_noreplace(dir, name, own);
		if (rc == 0)
			sync_fd(fs, dir);
	}
	json_decref(v);
	return rc;
}

/* Whether l's folder still holds user's account (a caller that acts
 * for the operator, who verified no key). */
static enum kss_err
account(struct fstore *fs, const struct locked *l, const char *user)
{
	struct kss_secret cur = {NULL, false};
	enum kss_err e = read_secret(fs, l->dir, l->name, user, &cur);

	kss_secret_free(&cur);
	return e;
}

/* doc_put (who, the secret the push was verified against) and, with
 * changed, doc_put_newer (who NULL: the operator's import). */
static enum kss_err
put(struct fstore *fs, const char *user, const struct kss_secret *who,
    const char *doc, const json_t *rec, bool *changed)
{
	char dname[KSS_FSNAME_SIZE], from[KSS_FSNAME_SIZE];
	struct locked l;
	enum kss_err e;
	json_t *cur;
	int rc, err;

	/* The file's name, which the lock needs, depends on the layout,
	 * which writable() settles. */
	if (fs->layout == LAYOUT_UNKNOWN && (e = writable(fs)) != KSS_OK)
		return e;
	encode(fs, doc, KSS_FSNAME_DOC, dname);
	if ((e = lock_user(fs, user, dname, &l)) != KSS_OK)
		return e;
	if ((e = who != NULL ? still(fs, &l, user, who) :
	    account(fs, &l, user)) != KSS_OK) {
		unlock_user(&l);
		return e;
	}
	rc = read_doc(fs, l.dir, doc, from, &cur);
	err = errno;
	if (rc < 0 && err == EEXIST && move_legacy(fs, l.dir, from) == 0) {
		rc = read_doc(fs, l.dir, doc, from, &cur);
		err = errno;
	}
	/* A record that does not parse is replaced by the new one; one that
	 * cannot be read (an I/O error) is left alone: replacing it would
	 * lose the device_id and metadata the push does not repeat. */
	if (rc < 0) {
		errno = err;
		if (err == EEXIST) {
			kss_logf(fs->log, "file store: %s of %s holds another "
			    "document", from, l.name);
			unlock_user(&l);
			return KSS_E_SERVER;
		}
		if (err != EINVAL) {
			e = fail(fs, "cannot read", from);
			unlock_user(&l);
			return e;
		}
		kss_logf(fs->log, "file store: replacing corrupt %s of %s",
		    from, l.name);
	}
	/* An import keeps a record at least as new as its own. */
	if (changed != NULL && cur != NULL &&
	    kss_store_timestamp(cur) >= kss_store_timestamp(rec)) {
		json_decref(cur);
		unlock_user(&l);
		return KSS_OK;
	}
	if (cur == NULL)
		cur = json_object();
	if (cur == NULL || json_object_update(cur, (json_t *)rec))
		e = KSS_E_SERVER;
	else
		e = write_json(fs, l.dir, dname, cur);
	if (changed != NULL)
		*changed = e == KSS_OK;
	/* The record came from the original kss's name: now that it lives
	 * under its own, the old file would only shadow another's. */
	if (e == KSS_OK && rc == 0 && strcmp(from, dname) != 0)
		unlinkat(l.dir, from, 0);
	json_decref(cur);
	unlock_user(&l);
	return e;
}

static enum kss_err
f_doc_put(void *h, const char *user, const struct kss_secret *who,
    const char *doc, const json_t *rec)
{
	return put(h, user, who, doc, rec, NULL);
}

static enum kss_err
f_doc_put_newer(void *h, const char *user, const char *doc,
    const json_t *rec, bool *changed)
{
	*changed = false;
	return put(h, user, NULL, doc, rec, changed);
}

static enum kss_err
f_doc_delete(void *h, const char *user, const char *doc)
{
	struct fstore *fs = h;
	char dname[KSS_FSNAME_SIZE], from[KSS_FSNAME_SIZE];
	struct locked l;
	enum kss_err e;
	json_t *cur = NULL;
	int rc;

	/* Locked as a push of doc is, so that the two are one after the
	 * other: a push that comes second makes the record anew. */
	if (fs->layout == LAYOUT_UNKNOWN && (e = writable(fs)) != KSS_OK)
		return e;
	encode(fs, doc, KSS_FSNAME_DOC, dname);
	if ((e = lock_user(fs, user, dname, &l)) != KSS_OK)
		return e;
	if ((e = claimed(l.dir, user)) != KSS_OK) {
		unlock_user(&l);
		return e;
	}
	rc = read_doc(fs, l.dir, doc, from, &cur);
	json_decref(cur);
	if ((rc == 0 && cur == NULL) || (rc < 0 && errno == EEXIST))
		e = KSS_E_NOT_FOUND;
	else if (rc < 0 && errno != EINVAL)	/* corrupt goes too */
		e = fail(fs, "cannot read", from);
	else if (unlinkat(l.dir, from, 0) < 0)
		e = fail(fs, "cannot remove", from);
	else if (sync_fd(fs, l.dir) < 0)
		e = fail(fs, "cannot sync the directory of", from);
	unlock_user(&l);
	return e;
}

static enum kss_err
f_secret_set(void *h, const char *user, const struct kss_secret *s)
{
	struct fstore *fs = h;
	struct locked l;
	enum kss_err e;

	if ((e = lock_user(fs, user, NULL, &l)) != KSS_OK)
		return e;
	if ((e = claimed(l.dir, user)) == KSS_OK)
		e = write_secret(fs, l.dir, user, s);
	unlock_user(&l);
	return e;
}

/* A growing list of names, sorted into a JSON array at the end. */
struct names {
	char **v;
	size_t n, size;
};

static int
names_add(struct names *ns, const char *name)
{
	char **v;

	if (ns->n == ns->size) {
		ns->size = ns->size * 2 + 16;
		if ((v = realloc(ns->v, ns->size * sizeof(*v))) == NULL)
			return -1;
		ns->v = v;
	}
	if ((ns->v[ns->n] = strdup(name)) == NULL)
		return -1;
	ns->n++;
	return 0;
}

static int
by_bytes(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names as a new sorted JSON array (NULL when out of memory); frees
 * them. */
static json_t *
names_array(struct names *ns)
{
	json_t *a = json_array();
	size_t i;

	qsort(ns->v, ns->n, sizeof(*ns->v), by_bytes);
	for (i = 0; i < ns->n; i++) {
		if (a != NULL && json_array_append_new(a,
		    json_string(ns->v[i])) < 0) {
			json_decref(a);
			a = NULL;
		}
		free(ns->v[i]);
	}
	free(ns->v);
	memset(ns, 0, sizeof(*ns));
	return a;
}

/* A name of a folder entry that is kss's own or no name's file: hidden,
 * as every name kss makes for itself is and no encoded name is. */
static bool
hidden(const char *name)
{
	return name[0] == '.';
}

/* Opens the root for listing; NULL (logged) when it cannot. */
static DIR *
open_listing(struct fstore *fs, int at, const char *name)
{
	DIR *d;
	int fd;

	if ((fd = openat(at, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) < 0) {
		fail(fs, "cannot open", name);
		return NULL;
	}
	if ((d = fdopendir(fd)) == NULL) {
		fail(fs, "cannot list", name);
		close(fd);
	}
	return d;
}

/* The user whose account the root's folder name is, when its auth.json
 * cannot be read: the folder's name decoded, when that is where the store
 * looks for that user (open_user()'s first try); else "". */
static void
unread_user(struct fstore *fs, const char *name, char user[KSS_FSNAME_SIZE])
{
	char want[KSS_FSNAME_SIZE];

	if (kss_fsname_decode(name, KSS_FSNAME_USER, user) < 0 ||
	    !kss_valid_name(user, strlen(user))) {
		user[0] = '\0';
		return;
	}
	encode(fs, user, KSS_FSNAME_USER, want);
	if (strcmp(want, name) != 0)
		user[0] = '\0';
}

/* The user whose account the root's folder name is, as the store finds
 * it: the name its auth.json gives (the folder's own, decoded, where it
 * gives none), if open_user() of that name opens this very folder. 1
 * with user filled, 0 when the folder is no account the store serves (no
 * auth.json, a name kss would store elsewhere: kss-admin check tells
 * which), -1 when its auth.json cannot be read (logged), with user the
 * folder's unread_user() ("" when none). */
static int
folder_user(struct fstore *fs, const char *name, char user[KSS_FSNAME_SIZE])
{
	char found[KSS_FSNAME_SIZE];
	const json_t *u;
	struct stat a, b;
	json_t *auth;
	int fd, rc = 0;

	user[0] = '\0';
	if ((fd = open_dir_at(fs->root, name)) < 0)
		return errno == ENOTDIR || errno == ELOOP || errno == ENOENT ?
		    0 : (fail(fs, "cannot open user directory", name), -1);
	if ((auth = read_json(fd, KSS_STORE_AUTH_FILE)) == NULL) {
		if (errno != ENOENT) {
			rc = (fail(fs, "cannot read the auth.json of", name), -1);
			unread_user(fs, name, user);
		}
		close(fd);
		return rc;
	}
	u = json_object_get(auth, KSS_STORE_KEY_USER);
	if (json_is_string(u) && json_string_length(u) < KSS_FSNAME_SIZE)
		memcpy(user, json_string_value(u), json_string_length(u) + 1);
	else if (u != NULL || kss_fsname_decode(name, KSS_FSNAME_USER,
	    user) < 0)
		user[0] = '\0';
	json_decref(auth);
	if (strlen(user) > 0 && kss_valid_name(user, strlen(user)) &&
	    fstat(fd, &a) == 0) {
		close(fd);
		if (open_user(fs, user, found, &fd) != KSS_OK)
			return 0;
		rc = fstat(fd, &b) == 0 && a.st_ino == b.st_ino &&
		    a.st_dev == b.st_dev;
	}
	close(fd);
	return rc;
}

static enum kss_err
f_user_list(void *h, json_t **users)
{
	struct fstore *fs = h;
	char user[KSS_FSNAME_SIZE];
	struct names ns = {NULL, 0, 0};
	enum kss_err e = KSS_OK;
	struct dirent *de;
	DIR *d;
	int rc;

	*users = NULL;
	if ((d = open_listing(fs, fs->root, ".")) == NULL)
		return KSS_E_SERVER;
	while ((de = readdir(d)) != NULL) {
		if (hidden(de->d_name) ||
		    (rc = folder_user(fs, de->d_name, user)) == 0)
			continue;
		/* One whose auth.json cannot be read is listed all the same,
		 * so that the operator sees it and may mend it. */
		if (rc < 0)
			e = KSS_E_SERVER;
		if (user[0] != '\0' && names_add(&ns, user) < 0)
			break;
	}
	closedir(d);
	if (de != NULL) {	/* out of memory */
		names_array(&ns);
		return KSS_E_SERVER;
	}
	*users = names_array(&ns);
	return *users == NULL ? KSS_E_SERVER : e;
}

/* Adds to docs the record in the file name of user folder dir, under its
 * document's id, when that record is the one doc_get() of the id reads:
 * a file kss would look for elsewhere (another name's, a stray one) is
 * no record. One that does not parse is null, when its name tells its
 * id. */
static int
list_doc(struct fstore *fs, int dir, const char *name, json_t *docs)
{
	char id[KSS_FSNAME_SIZE], want[KSS_FSNAME_SIZE], old[KSS_FSNAME_SIZE];
	const json_t *d;
	struct stat st;
	json_t *v;

	v = read_json(dir, name);
	if (v == NULL && errno != EINVAL)
		return errno == ENOENT ? 0 : (fail(fs, "cannot read", name), 0);
	d = json_object_get(v, "document");
	if (json_is_string(d) && json_string_length(d) < KSS_FSNAME_SIZE)
		memcpy(id, json_string_value(d), json_string_length(d) + 1);
	else if (d != NULL || kss_fsname_decode(name, KSS_FSNAME_DOC, id) < 0)
		id[0] = '\0';
	if (strlen(id) == 0 || !kss_valid_name(id, strlen(id)) ||
	    (v != NULL && !json_is_object(v))) {
		json_decref(v);
		return 0;
	}
	encode(fs, id, KSS_FSNAME_DOC, want);
	/* read_doc(): the id's own name, else the original kss's when the
	 * own one is missing and the record says it is the id's. */
	if (strcmp(want, name) != 0 && !(legacy_name(fs, id, KSS_FSNAME_DOC,
	    want, old) && strcmp(old, name) == 0 && d != NULL &&
	    fstatat(dir, want, &st, AT_SYMLINK_NOFOLLOW) < 0 &&
	    errno == ENOENT)) {
		json_decref(v);
		return 0;
	}
	if (v == NULL)
		fail(fs, "cannot read", name);	/* errno EINVAL: corrupt */
	return json_object_set_new(docs, id, v != NULL ? v : json_null());
}

static enum kss_err
f_doc_list(void *h, const char *user, json_t **docs)
{
	struct fstore *fs = h;
	char uname[KSS_FSNAME_SIZE];
	struct dirent *de;
	enum kss_err e;
	DIR *d;
	int fd;

	*docs = NULL;
	if ((e = open_user(fs, user, uname, &fd)) != KSS_OK)
		return e;
	if ((e = claimed(fd, user)) != KSS_OK) {
		close(fd);
		return e;
	}
	d = fdopendir(fd);
	if (d == NULL || (*docs = json_object()) == NULL) {
		e = fail(fs, "cannot list", uname);
		if (d != NULL)
			closedir(d);
		else
			close(fd);
		return e;
	}
	while ((de = readdir(d)) != NULL) {
		if (hidden(de->d_name) ||
		    strcmp(de->d_name, KSS_STORE_AUTH_FILE) == 0)
			continue;
		if (list_doc(fs, dirfd(d), de->d_name, *docs) < 0) {
			json_decref(*docs);
			*docs = NULL;
			closedir(d);
			return KSS_E_SERVER;
		}
	}
	closedir(d);
	return KSS_OK;
}

static void
f_close(void *h)
{
	struct fstore *fs = h;
	size_t i;

	for (i = 0; i < SEEN_MAX; i++)
		seen_drop(&fs->seen[i]);
	close(fs->root);
	free(fs);
}

static void
f_set_fsync(void *h, bool on)
{
	struct fstore *fs = h;

	fs->nosync = !on;
}

static const struct kss_store_ops file_ops = {
	.user_create = f_user_create,
	.secret_get = f_secret_get,
	.secret_swap = f_secret_swap,
	.user_delete = f_user_delete,
	.doc_get = f_doc_get,
	.doc_put = f_doc_put,
	.user_list = f_user_list,
	.doc_list = f_doc_list,
	.doc_delete = f_doc_delete,
	.user_create_secret = f_user_create_secret,
	.secret_set = f_secret_set,
	.doc_put_newer = f_doc_put_newer,
	.set_fsync = f_set_fsync,
	.close = f_close,
};

static const char layout_text[][80] = {
	[LAYOUT_PLAIN] = "plain\n",
	[LAYOUT_FOLD] = "casefold\n",
};
static const char layout_note[] =
    "# How kss names files in this folder (kss's README: \"Storage\").\n"
    "# Keep this file: without it a copy on another file system may\n"
    "# read under other names.\n";

/* Whether the file system of the root ignores letter case: the probe is
 * LAYOUT_FILE, or a fresh hidden file, seen under other capitals. */
static bool
caseless(int root, const char *lower, const char *upper)
{
	struct stat a, b;

	return fstatat(root, upper, &b, AT_SYMLINK_NOFOLLOW) == 0 &&
	    fstatat(root, lower, &a, AT_SYMLINK_NOFOLLOW) == 0 &&
	    a.st_ino == b.st_ino && a.st_dev == b.st_dev;
}

/* Whether the root's file system ignores letter case, probed with a
 * fresh hidden file; LAYOUT_UNKNOWN when it cannot be made. */
static enum layout
probe(struct fstore *fs)
{
	char tmp[32], upper[32];
	enum layout l;
	size_t i;
	int fd;

	do {
		temp_name("tmp", tmp);
		fd = openat(fs->root, tmp, O_WRONLY | O_CREAT | O_EXCL |
		    O_NOFOLLOW | O_CLOEXEC, 0600);
	} while (fd < 0 && errno == EEXIST);
	if (fd < 0) {
		fs->layout_err = errno;	/* a read-only folder, say */
		return LAYOUT_UNKNOWN;
	}
	close(fd);
	for (i = 0; tmp[i] != '\0'; i++)
		upper[i] = tmp[i] >= 'a' && tmp[i] <= 'z' ?
		    (char)(tmp[i] - 'a' + 'A') : tmp[i];
	upper[i] = '\0';
	l = caseless(fs->root, tmp, upper) ? LAYOUT_FOLD : LAYOUT_PLAIN;
	unlinkat(fs->root, tmp, 0);
	return l;
}

/* Writes LAYOUT_FILE saying l: in place of an existing one (replace), or
 * only where there is none, as racing first opens do (they probe the
 * same file system, so the one in place is as right). Returns l, or
 * LAYOUT_UNKNOWN when it cannot be written. */
static enum layout
save_layout(struct fstore *fs, enum layout l, bool replace)
{
	const struct kss_log *log;
	char tmp[32], text[256];
	int n, rc;

	n = snprintf(text, sizeof(text), "%s%s", layout_text[l], layout_note);
	/* Quiet: it is tried at every open, and a folder that cannot take
	 * it (full, read-only) is said once, by the write it stops
	 * (writable()). */
	log = fs->log;
	fs->log = NULL;
	tmp[0] = '\0';
	rc = write_temp(fs, fs->root, LAYOUT_FILE, text, (size_t)n, tmp) ==
	    KSS_OK ? 0 : -1;
	fs->log = log;
	if (rc < 0) {
		fs->layout_err = errno;
		return LAYOUT_UNKNOWN;
	}
	rc = replace ? renameat(fs->root, tmp, fs->root, LAYOUT_FILE) :
	    kss_store_file_rename_noreplace(fs->root, tmp, LAYOUT_FILE);
	if (rc < 0) {
		int lost = !replace && errno == EEXIST;

		if (!lost)
			fs->layout_err = errno;
		unlinkat(fs->root, tmp, 0);
		if (!lost)
			return LAYOUT_UNKNOWN;
	}
	fsync(fs->root);
	kss_logf(fs->log, "data directory: names are %s (%s written)",
	    l == LAYOUT_FOLD ? "escaped for a file system that ignores letter "
	    "case" : "those of the original kss", LAYOUT_FILE);
	return l;
}

/* Decides how names are encoded in the root (see the top of the file). */
static enum layout
read_layout(struct fstore *fs, bool quiet)
{
	size_t len;
	char *buf;
	enum layout l = LAYOUT_UNKNOWN;

	fs->layout_err = 0;
	if (read_file(fs->root, LAYOUT_FILE, &buf, &len) < 0) {
		if (errno != ENOENT) {
			fs->layout_err = errno;
			if (!quiet)
				fail(fs, "cannot read", LAYOUT_FILE);
			return LAYOUT_UNKNOWN;
		}
		/* A folder that has not been written by this kss yet: the
		 * original kss's, or a new one, read in the original kss's
		 * names by a look that writes nothing. A second read covers
		 * a first open that raced us. */
		if (fs->look)
			return LAYOUT_PLAIN;
		if ((l = probe(fs)) != LAYOUT_UNKNOWN)
			l = save_layout(fs, l, false);
		if (l != LAYOUT_UNKNOWN ||
		    read_file(fs->root, LAYOUT_FILE, &buf, &len) < 0)
			return l;
	}
	if (len >= 6 && memcmp(buf, "plain\n", 6) == 0)
		l = LAYOUT_PLAIN;
	else if (len >= 9 && memcmp(buf, "casefold\n", 9) == 0)
		l = LAYOUT_FOLD;
	else if (!quiet)
		kss_logf(fs->log, "file store: %s says neither plain nor "
		    "casefold", LAYOUT_FILE);
	free(buf);
	/* A plain folder copied onto a file system that ignores case: from
	 * now on capitals are escaped, and the old names still found. Said
	 * in the folder, so that a copy back keeps the escaped names. */
	if (l == LAYOUT_PLAIN && caseless(fs->root, LAYOUT_FILE, LAYOUT_PROBE)) {
		l = LAYOUT_FOLD;
		if (!fs->look)
			save_layout(fs, l, true);
	}
	return l;
}
int
kss_store_file_id(const struct kss_store *st, dev_t *dev, ino_t *ino)
{
	const struct fstore *fs = st->h;
	struct stat sb;

	if (st->ops != &file_ops || fstat(fs->root, &sb) < 0)
		return -1;
	*dev = sb.st_dev;
	*ino = sb.st_ino;
	return 0;
}

/* The file store of st, or NULL for another kind (the tools below). */
static struct fstore *
file_store(const struct kss_store *st)
{
	return st->ops == &file_ops ? st->h : NULL;
}

int
kss_store_file_root(const struct kss_store *st)
{
	struct fstore *fs = file_store(st);

	return fs != NULL ? fs->root : -1;
}

int
kss_store_file_name(const struct kss_store *st, const char *name,
    enum kss_fsname_kind kind, char out[KSS_FSNAME_SIZE])
{
	struct fstore *fs = file_store(st);

	if (fs == NULL || writable(fs) != KSS_OK)
		return -1;
	encode(fs, name, kind, out);
	return 0;
}

int
kss_store_file_lock(const struct kss_store *st, const char *folder, int *dir,
    int *lock)
{
	struct fstore *fs = file_store(st);
	struct stat a, b;
	int saved;

	*dir = *lock = -1;
	if (fs == NULL) {
		errno = EINVAL;
		return -1;
	}
	if ((*dir = open_dir_at(fs->root, folder)) < 0)
		return -1;
	if ((*lock = openat(*dir, KSS_STORE_LOCK_FILE, O_RDWR | O_CREAT |
	    O_NOFOLLOW | O_CLOEXEC, 0600)) < 0 ||
	    kss_lock_range(*lock, F_WRLCK, 0, 0) < 0)
		goto err;
	/* As lock_user(): a delete or a rename may have moved the folder
	 * away while this waited. */
	if (fstat(*dir, &a) || fstatat(fs->root, folder, &b,
	    AT_SYMLINK_NOFOLLOW) || a.st_ino != b.st_ino ||
	    a.st_dev != b.st_dev) {
		errno = ENOENT;
		goto err;
	}
	return 0;
err:
	saved = errno;
	if (*lock >= 0)
		close(*lock);
	close(*dir);
	*dir = *lock = -1;
	errno = saved;
	return -1;
}

int
kss_store_file_remove_leftover(const struct kss_store *st, const char *name,
    const struct stat *sb)
{
	struct fstore *fs = file_store(st);

	if (fs == NULL) {
		errno = EINVAL;
		return -1;
	}
	return remove_leftover(fs, name, sb);
}

/* The entries of the folder dir, but its lock file: what it holds. */
static int
entries(int dir)
{
	struct dirent *de;
	int fd, n = 0;
	DIR *d;

	if ((fd = fcntl(dir, F_DUPFD_CLOEXEC, 0)) < 0)
		return -1;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return -1;
	}
	rewinddir(d);
	while ((de = readdir(d)) != NULL)
		n += strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0 &&
		    strcmp(de->d_name, KSS_STORE_LOCK_FILE) != 0;
	closedir(d);
	return n;
}

int
kss_store_file_adopt(const struct kss_store *st, const char *user,
    const struct kss_secret *s)
{
	struct fstore *fs = file_store(st);
	struct locked l;
	struct stat sb;
	enum kss_err e;
	int n;

	if (fs == NULL) {
		errno = EINVAL;
		return -1;
	}
	if ((e = lock_user(fs, user, NULL, &l)) != KSS_OK)
		return e == KSS_E_NO_ACCOUNT ? 0 : -1;
	/* One that got an auth.json meanwhile is an account: not taken. */
	if (fstatat(l.dir, KSS_STORE_AUTH_FILE, &sb, AT_SYMLINK_NOFOLLOW) == 0 ||
	    errno != ENOENT) {
		unlock_user(&l);
		return 0;
	}
	/* A folder another user owns, or may write to, could have its
	 * auth.json replaced behind kss's back: not made an account. */
	if (fstat(l.dir, &sb) < 0) {
		unlock_user(&l);
		return -1;
	}
	if (sb.st_uid != geteuid() || (sb.st_mode & 022) != 0) {
		kss_logf(fs->log, "file store: %s is not kss's own folder (uid "
		    "%ju, mode %04o): no account made in it; kss-admin check "
		    "--repair, or remove it", l.name, (uintmax_t)sb.st_uid,
		    (unsigned)(sb.st_mode & 07777));
		unlock_user(&l);
		errno = EPERM;
		return -1;
	}
	n = entries(l.dir);
	e = write_secret(fs, l.dir, user, s);
	unlock_user(&l);
	if (e != KSS_OK)
		return -1;
	/* The folder's name, not the user's: no raw name in a log line. */
	kss_logf(fs->log, "file store: %s had no auth.json (no account): made "
	    "one, keeping the %d file%s the folder holds", l.name, n,
	    n == 1 ? "" : "s");
	return 1;
}

int
kss_store_file_owner(const struct kss_store *st, const char *folder,
    char user[KSS_FSNAME_SIZE])
{
	struct fstore *fs = file_store(st);

	return fs != NULL ? folder_user(fs, folder, user) : -1;
}

int
kss_store_file_mend(int dir, const char *name, const struct stat *sb,
    mode_t mode, uid_t uid)
{
	struct stat now;
	int fd = dir, saved, rc = -1;

	/* O_NONBLOCK: a FIFO put there meanwhile must not hang the open. */
	if (name != NULL && (fd = openat(dir, name, O_RDONLY | O_NOFOLLOW |
	    O_NONBLOCK | O_CLOEXEC | (S_ISDIR(sb->st_mode) ? O_DIRECTORY :
	    0))) < 0)
		return -1;
	if (fstat(fd, &now) < 0)
		goto out;
	if (now.st_dev != sb->st_dev || now.st_ino != sb->st_ino ||
	    (now.st_mode & S_IFMT) != (sb->st_mode & S_IFMT) ||
	    (!S_ISDIR(now.st_mode) && !S_ISREG(now.st_mode))) {
		errno = ESTALE;
		goto out;
	}
	if (S_ISREG(now.st_mode) && now.st_nlink != 1) {
		errno = EMLINK;
		goto out;
	}
	if (uid != (uid_t)-1 && now.st_uid != uid &&
	    fchown(fd, uid, (gid_t)-1) < 0)
		goto out;
	/* After fchown(), which may clear set-id bits. */
	if ((now.st_mode & 07777) != mode && fchmod(fd, mode) < 0)
		goto out;
	rc = 0;
out:
	saved = errno;
	if (fd != dir)
		close(fd);
	errno = saved;
	return rc;
}

json_t *
kss_store_file_read(int dir, const char *name)
{
	return read_json(dir, name);
}

int
kss_store_file_write(const struct kss_store *st, int dir, const char *name,
    const json_t *v)
{
	struct fstore *fs = file_store(st);

	if (fs == NULL) {
		errno = EINVAL;
		return -1;
	}
	return write_json(fs, dir, name, v) == KSS_OK ? 0 : -1;
}

int
kss_store_file_sync(const struct kss_store *st, int dir)
{
	struct fstore *fs = file_store(st);

	return fs != NULL ? sync_fd(fs, dir) : -1;
}

int
kss_store_file_rename_noreplace(int dir, const char *from, const char *to)
{
#ifdef HAVE_RENAMEAT2
	if (renameat2(dir, from, dir, to, RENAME_NOREPLACE) == 0)
		return 0;
	if (errno != EINVAL && errno != ENOSYS)
		return -1;
#endif
	/* rename(2) will not replace a non-empty directory, and every user
	 * directory holds auth.json. */
	return renameat(dir, from, dir, to);
}

/* mkdir -p, each missing level 0700. */
static int
make_dirs(const char *dir)
{
	char *p, *copy;
	int rc = 0;

	if ((copy = strdup(dir)) == NULL)
		return -1;
	for (p = copy + 1; rc == 0; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char c = *p;
		*p = '\0';
		if (mkdir(copy, 0700) < 0 && errno != EEXIST)
			rc = -1;
		*p = c;
		if (c == '\0')
			break;
	}
	free(copy);
	return rc;
}

/* kss_store_file_open(), or (look) kss_store_file_look(). */
static enum kss_err
open_store(const char *dir, const struct kss_log *log, bool look,
    struct kss_store *st)
{
	struct fstore *fs;
	int fd;

	st->ops = NULL;
	st->raw_keys = false;
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 &&
	    errno == ENOENT && !look && make_dirs(dir) == 0)
		fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		int err = errno;

		kss_logf(log, "data directory %s (KSS_DIR) unusable: %s%s", dir,
		    strerror(err), kss_sandbox_why(err));
		return KSS_E_SERVER;
	}
	/* Writes may fail one by one (a read-only folder still serves
	 * reads), but a folder that cannot be read or searched serves
	 * nothing: said at once, and no healthcheck passes. */
	if (faccessat(fd, ".", R_OK | X_OK, AT_EACCESS) < 0) {
		kss_logf(log, "data directory %s (KSS_DIR) unreadable: %s",
		    dir, strerror(errno));
		close(fd);
		return KSS_E_SERVER;
	}
	if ((fs = calloc(1, sizeof(*fs))) == NULL) {
		close(fd);
		return KSS_E_SERVER;
	}
	fs->root = fd;
	fs->log = log;
	fs->look = look;
	fs->layout = read_layout(fs, false);
	st->ops = &file_ops;
	st->h = fs;
	return KSS_OK;
}

enum kss_err
kss_store_file_open(const char *dir, const struct kss_log *log,
    struct kss_store *st)
{
	return open_store(dir, log, false, st);
}

enum kss_err
kss_store_file_look(const char *dir, const struct kss_log *log,
    struct kss_store *st)
{
	return open_store(dir, log, true, st);
}
