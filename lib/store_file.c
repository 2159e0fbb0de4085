/* The file store: the original kss's layout (DESIGN.md §3).
 *
 *   KSS_DIR/<user>/auth.json       credential
 *   KSS_DIR/<user>/<document>.json progress record
 *
 * Every name passes through kss_fsname(); every file is opened relative to
 * the root's or the user's directory fd with O_NOFOLLOW. Writers replace a
 * file by rename, so a reader without a lock always sees a whole file;
 * read-modify-write holds flock() on the user's directory. Our own
 * temporary names start with '.', which no encoded name does. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fsname.h"
#include "json.h"
#include "log.h"
#include "store.h"

#define AUTH_FILE "auth.json"
#define KEY_RAW "x-auth-key"		/* the original kss: the key itself */
#define KEY_HASH "x-auth-key-hash"	/* kss: crypt(3) of the key */
#define KEY_USER "x-auth-user"

struct fstore {
	int root;
	const struct kss_log *log;
};

/* A fresh hidden name such as ".tmp-1f2e3d4c5b6a7988". */
static void
temp_name(const char *kind, char out[32])
{
	unsigned char r[8];
	size_t i;
	int n;

	if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r)) {
		/* Only uniqueness matters, and every caller retries a clash
		 * (O_EXCL, mkdir), so the clock and pid will do. */
		unsigned long long v = (unsigned long long)time(NULL) << 20 ^
		    (unsigned long long)getpid();

		memcpy(r, &v, sizeof(r));
	}
	n = snprintf(out, 32, ".%s-", kind);
	for (i = 0; i < sizeof(r); i++)
		n += snprintf(out + n, 32 - (size_t)n, "%02x", r[i]);
}

static enum kss_err
fail(struct fstore *fs, const char *what, const char *name)
{
	kss_logf(fs->log, "file store: %s %s: %s", what, name, strerror(errno));
	return KSS_E_SERVER;
}

static int
open_dir_at(int at, const char *name)
{
	return openat(at, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

/* Reads the JSON file name in dir. NULL with errno ENOENT when missing,
 * with errno EINVAL when it does not parse. */
static json_t *
read_json(int dir, const char *name)
{
	json_error_t jerr;
	json_t *v;
	int fd, saved;

	if ((fd = openat(dir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		return NULL;
	v = json_loadfd(fd, JSON_ALLOW_NUL, &jerr);
	saved = errno;
	close(fd);
	errno = v == NULL ? EINVAL : saved;
	return v;
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

/* Replaces name in dir with v, durably: temp file, fsync, rename, fsync
 * of the directory. */
static enum kss_err
write_json(struct fstore *fs, int dir, const char *name, const json_t *v)
{
	char tmp[32], *text;
	size_t len;
	int fd = -1;

	if ((text = kss_json_dump(v, &len)) == NULL)
		return fail(fs, "cannot encode", name);
	do {
		temp_name("tmp", tmp);
		fd = openat(dir, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
		    O_CLOEXEC, 0600);
	} while (fd < 0 && errno == EEXIST);
	if (fd < 0) {
		free(text);
		return fail(fs, "cannot create", tmp);
	}
	if (write_all(fd, text, len) || write_all(fd, "\n", 1) ||
	    fsync(fd) || close(fd)) {
		fd = -1;
		goto err;
	}
	fd = -1;
	if (renameat(dir, tmp, dir, name) || fsync(dir))
		goto err;
	free(text);
	return KSS_OK;
err:
	fail(fs, "cannot write", name);
	if (fd >= 0)
		close(fd);
	unlinkat(dir, tmp, 0);
	free(text);
	return KSS_E_SERVER;
}

/* Opens user's directory, whose encoded name is left in name. */
static enum kss_err
open_user(struct fstore *fs, const char *user, char name[KSS_FSNAME_SIZE],
    int *fd)
{
	kss_fsname(user, strlen(user), KSS_FSNAME_USER, name);
	if ((*fd = open_dir_at(fs->root, name)) >= 0)
		return KSS_OK;
	return errno == ENOENT ? KSS_E_NO_ACCOUNT :
	    fail(fs, "cannot open user directory", name);
}

/* Opens and locks user's directory for a read-modify-write, making sure
 * the directory locked is still the one named (a delete may have moved
 * it away while we waited). */
static enum kss_err
lock_user(struct fstore *fs, const char *user, int *dirfd)
{
	char name[KSS_FSNAME_SIZE];
	struct stat a, b;
	enum kss_err e;
	int fd;

	if ((e = open_user(fs, user, name, &fd)) != KSS_OK)
		return e;
	while (flock(fd, LOCK_EX) < 0) {
		if (errno != EINTR) {
			close(fd);
			return fail(fs, "cannot lock", name);
		}
	}
	if (fstat(fd, &a) || fstatat(fs->root, name, &b, AT_SYMLINK_NOFOLLOW) ||
	    a.st_ino != b.st_ino || a.st_dev != b.st_dev) {
		close(fd);
		return KSS_E_NO_ACCOUNT;
	}
	*dirfd = fd;
	return KSS_OK;
}

static enum kss_err
parse_secret(struct fstore *fs, const json_t *auth, struct kss_secret *s)
{
	const char *v;
	bool hashed = true;

	if ((v = json_string_value(json_object_get(auth, KEY_HASH))) == NULL) {
		hashed = false;
		v = json_string_value(json_object_get(auth, KEY_RAW));
	}
	if (v == NULL || *v == '\0') {
		kss_logf(fs->log, "file store: %s holds no key", AUTH_FILE);
		return KSS_E_SERVER;
	}
	if ((s->value = strdup(v)) == NULL)
		return KSS_E_SERVER;
	s->hashed = hashed;
	return KSS_OK;
}

static enum kss_err
read_secret(struct fstore *fs, int dir, struct kss_secret *s)
{
	enum kss_err e;
	json_t *auth;

	if ((auth = read_json(dir, AUTH_FILE)) == NULL)
		return errno == ENOENT ? KSS_E_NO_ACCOUNT :
		    fail(fs, "cannot read", AUTH_FILE);
	e = parse_secret(fs, auth, s);
	json_decref(auth);
	return e;
}

static enum kss_err
write_auth(struct fstore *fs, int dir, const char *user, const char *hash)
{
	enum kss_err e;
	json_t *auth;

	auth = json_pack("{s:s, s:s}", KEY_USER, user, KEY_HASH, hash);
	if (auth == NULL)
		return KSS_E_SERVER;
	e = write_json(fs, dir, AUTH_FILE, auth);
	json_decref(auth);
	return e;
}

/* Empties and removes the directory name in the root; best effort, as
 * whatever is left is hidden and never read again. */
static void
remove_tree(struct fstore *fs, const char *name)
{
	struct dirent *de;
	DIR *d;
	int fd;

	if ((fd = open_dir_at(fs->root, name)) < 0)
		return;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			unlinkat(dirfd(d), de->d_name, 0);
	}
	closedir(d);
	if (unlinkat(fs->root, name, AT_REMOVEDIR))
		fail(fs, "cannot remove", name);
}

static int
rename_noreplace(int dir, const char *from, const char *to)
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

static enum kss_err
f_user_create(void *h, const char *user, const char *hash)
{
	struct fstore *fs = h;
	char name[KSS_FSNAME_SIZE], tmp[32];
	enum kss_err e;
	struct stat st;
	int fd, rc;

	kss_fsname(user, strlen(user), KSS_FSNAME_USER, name);
	if (fstatat(fs->root, name, &st, AT_SYMLINK_NOFOLLOW) == 0)
		return KSS_E_USER_EXISTS;
	/* Build the account under a hidden name, then rename it into place:
	 * of N racing registrations exactly one rename succeeds. */
	do
		temp_name("new", tmp);
	while ((rc = mkdirat(fs->root, tmp, 0700)) < 0 && errno == EEXIST);
	if (rc < 0)
		return fail(fs, "cannot create user directory", tmp);
	if ((fd = open_dir_at(fs->root, tmp)) < 0) {
		fail(fs, "cannot open user directory", tmp);
		unlinkat(fs->root, tmp, AT_REMOVEDIR);
		return KSS_E_SERVER;
	}
	e = write_auth(fs, fd, user, hash);
	close(fd);
	if (e != KSS_OK)
		goto err;
	if (rename_noreplace(fs->root, tmp, name) < 0) {
		e = errno == EEXIST || errno == ENOTEMPTY ? KSS_E_USER_EXISTS :
		    fail(fs, "cannot rename into place", name);
		goto err;
	}
	if (fsync(fs->root))
		return fail(fs, "cannot sync", "data directory");
	return KSS_OK;
err:
	remove_tree(fs, tmp);
	return e;
}

static enum kss_err
f_secret_get(void *h, const char *user, struct kss_secret *s)
{
	struct fstore *fs = h;
	char name[KSS_FSNAME_SIZE];
	enum kss_err e;
	int fd;

	if ((e = open_user(fs, user, name, &fd)) != KSS_OK)
		return e;
	e = read_secret(fs, fd, s);
	close(fd);
	return e;
}

static enum kss_err
f_secret_swap(void *h, const char *user, const struct kss_secret *old,
    const char *hash)
{
	struct fstore *fs = h;
	struct kss_secret cur = {NULL, false};
	enum kss_err e;
	int fd;

	if ((e = lock_user(fs, user, &fd)) != KSS_OK)
		return e;
	if ((e = read_secret(fs, fd, &cur)) == KSS_OK) {
		if (cur.hashed != old->hashed || strcmp(cur.value, old->value))
			e = KSS_E_UNAUTHORIZED;
		else
			e = write_auth(fs, fd, user, hash);
	}
	kss_secret_free(&cur);
	close(fd);
	return e;
}

static enum kss_err
f_user_delete(void *h, const char *user)
{
	struct fstore *fs = h;
	char name[KSS_FSNAME_SIZE], tmp[32];
	enum kss_err e;
	int fd;

	if ((e = lock_user(fs, user, &fd)) != KSS_OK)
		return e;
	/* One rename takes the credential and every record away at once;
	 * emptying the hidden directory afterwards is housekeeping. */
	temp_name("del", tmp);
	kss_fsname(user, strlen(user), KSS_FSNAME_USER, name);
	if (renameat(fs->root, name, fs->root, tmp) || fsync(fs->root)) {
		e = fail(fs, "cannot remove user directory", name);
		close(fd);
		return e;
	}
	close(fd);
	remove_tree(fs, tmp);
	return KSS_OK;
}

static enum kss_err
f_doc_get(void *h, const char *user, const char *doc, json_t **rec)
{
	struct fstore *fs = h;
	char uname[KSS_FSNAME_SIZE], dname[KSS_FSNAME_SIZE];
	const char *stored;
	enum kss_err e;
	json_t *v;
	int fd;

	*rec = NULL;
	if ((e = open_user(fs, user, uname, &fd)) != KSS_OK)
		return e == KSS_E_NO_ACCOUNT ? KSS_OK : e;
	kss_fsname(doc, strlen(doc), KSS_FSNAME_DOC, dname);
	v = read_json(fd, dname);
	close(fd);
	if (v == NULL)
		return errno == ENOENT ? KSS_OK : fail(fs, "cannot read", dname);
	/* A digest-named file keeps its real name inside: a record for
	 * another id is no record for this one. */
	stored = json_string_value(json_object_get(v, "document"));
	if (!json_is_object(v) || (stored != NULL && strcmp(stored, doc))) {
		json_decref(v);
		return KSS_OK;
	}
	*rec = v;
	return KSS_OK;
}

static enum kss_err
f_doc_put(void *h, const char *user, const char *doc, const json_t *rec)
{
	struct fstore *fs = h;
	char dname[KSS_FSNAME_SIZE];
	enum kss_err e;
	json_t *cur;
	int fd;

	if ((e = lock_user(fs, user, &fd)) != KSS_OK)
		return e;
	kss_fsname(doc, strlen(doc), KSS_FSNAME_DOC, dname);
	/* A record that does not parse is replaced by the new one; one that
	 * cannot be read at all is left alone. */
	if ((cur = read_json(fd, dname)) == NULL && errno != ENOENT) {
		if (errno != EINVAL) {
			e = fail(fs, "cannot read", dname);
			close(fd);
			return e;
		}
		kss_logf(fs->log, "file store: replacing corrupt %s", dname);
	}
	if (!json_is_object(cur)) {
		json_decref(cur);
		cur = json_object();
	}
	if (cur == NULL || json_object_update(cur, (json_t *)rec))
		e = KSS_E_SERVER;
	else
		e = write_json(fs, fd, dname, cur);
	json_decref(cur);
	close(fd);
	return e;
}

static void
f_close(void *h)
{
	struct fstore *fs = h;

	close(fs->root);
	free(fs);
}

static const struct kss_store_ops file_ops = {
	f_user_create, f_secret_get, f_secret_swap, f_user_delete,
	f_doc_get, f_doc_put, f_close,
};

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

enum kss_err
kss_store_file_open(const char *dir, const struct kss_log *log,
    struct kss_store *st)
{
	struct fstore *fs;
	int fd;

	st->ops = NULL;
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 &&
	    errno == ENOENT && make_dirs(dir) == 0)
		fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		kss_logf(log, "data directory %s (KSS_DIR) unusable: %s", dir,
		    strerror(errno));
		return KSS_E_SERVER;
	}
	if (faccessat(fd, ".", W_OK | X_OK, AT_EACCESS) < 0) {
		kss_logf(log, "data directory %s (KSS_DIR) not writable: %s",
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
	st->ops = &file_ops;
	st->h = fs;
	return KSS_OK;
}
