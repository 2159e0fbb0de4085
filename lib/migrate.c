#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "auth.h"
#include "backup.h"
#include "fsname.h"
#include "migrate.h"
#include "store.h"
#include "valid.h"

/* A record file of a user folder, as read. */
struct src_doc {
	char file[KSS_FSNAME_SIZE];
	char id[KSS_FSNAME_SIZE];
	json_t *rec;
};

/* A user folder, as read. */
struct src_user {
	char folder[KSS_FSNAME_SIZE];
	char name[KSS_FSNAME_SIZE];
	struct kss_secret s;	/* value malloc'd */
	bool named;		/* auth.json says x-auth-user */
	struct src_doc *docs;
	size_t ndocs;
};

static void
report(struct kss_migrate_report *r, bool problem, const char *user,
    const char *doc, const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void
report(struct kss_migrate_report *r, bool problem, const char *user,
    const char *doc, const char *fmt, ...)
{
	char what[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (problem)
		r->problems++;
	else
		r->changes++;
	if (r->say != NULL)
		r->say(r->ctx, user, doc, what, problem);
}

static void
user_free(struct src_user *u)
{
	size_t i;

	for (i = 0; i < u->ndocs; i++)
		json_decref(u->docs[i].rec);
	free(u->docs);
	kss_secret_free(&u->s);
	memset(u, 0, sizeof(*u));
}

/* A JSON string member without NUL, copied into out; false otherwise. */
static bool
member(const json_t *v, const char *key, char out[KSS_FSNAME_SIZE])
{
	const json_t *m = json_object_get(v, key);

	if (!json_is_string(m) || json_string_length(m) >= KSS_FSNAME_SIZE ||
	    strlen(json_string_value(m)) != json_string_length(m))
		return false;
	memcpy(out, json_string_value(m), json_string_length(m) + 1);
	return true;
}

/* Whether the file name file is one kss or the original kss gives name
 * (of kind): the name itself, or its encoding in either layout. */
static bool
called(const char *file, const char *name, enum kss_fsname_kind kind)
{
	char enc[KSS_FSNAME_SIZE];
	size_t len = strlen(name);

	if (kind == KSS_FSNAME_DOC ? strlen(file) == len + 5 &&
	    strncmp(file, name, len) == 0 && strcmp(file + len, ".json") == 0 :
	    strcmp(file, name) == 0)
		return true;
	return strcmp(kss_fsname(name, len, kind, false, enc), file) == 0 ||
	    strcmp(kss_fsname(name, len, kind, true, enc), file) == 0;
}

/* The id of the record in file: what it says ("document"), if the file
 * is called by it; else the name the file is called by. */
static bool
doc_id(const char *file, const json_t *rec, char id[KSS_FSNAME_SIZE])
{
	size_t len = strlen(file) - strlen(".json");

	if (member(rec, "document", id))
		return called(file, id, KSS_FSNAME_DOC);
	if (kss_fsname_decode(file, KSS_FSNAME_DOC, id) < 0) {
		memcpy(id, file, len);
		id[len] = '\0';
	}
	return true;
}

static int
add_doc(struct src_user *u, const char *file, const char *id, json_t *rec)
{
	struct src_doc *d;

	if ((d = realloc(u->docs, (u->ndocs + 1) * sizeof(*d))) == NULL)
		return -1;
	u->docs = d;
	d = &u->docs[u->ndocs++];
	snprintf(d->file, sizeof(d->file), "%s", file);
	snprintf(d->id, sizeof(d->id), "%s", id);
	d->rec = rec;
	return 0;
}

static bool
ends_with(const char *s, const char *tail)
{
	size_t m = strlen(s), n = strlen(tail);

	return m > n && strcmp(s + m - n, tail) == 0;
}

/* Reads the user folder folder, open as dir, into u. -1 when it is no
 * account migrate can take (said as a problem), leaving it alone. */
static int
read_user(int dir, const char *folder, struct src_user *u,
    struct kss_migrate_report *r)
{
	char dec[KSS_FSNAME_SIZE], id[KSS_FSNAME_SIZE];
	const char *key;
	struct dirent *de;
	struct stat st;
	json_t *auth, *rec;
	int fd;
	DIR *d;

	memset(u, 0, sizeof(*u));
	snprintf(u->folder, sizeof(u->folder), "%s", folder);
	if ((auth = kss_store_file_read(dir, KSS_STORE_AUTH_FILE)) == NULL ||
	    !json_is_object(auth)) {
		report(r, true, folder, NULL, "%s: left alone",
		    auth != NULL || errno == EINVAL ? "auth.json does not parse" :
		    errno == ENOENT ? "no auth.json (no account)" :
		    "auth.json cannot be read");
		json_decref(auth);
		return -1;
	}
	/* The original kss named the folder by the name itself; kss by its
	 * encoding. An auth.json that names someone else is not taken. */
	u->named = member(auth, KSS_STORE_KEY_USER, u->name);
	if (kss_fsname_decode(folder, KSS_FSNAME_USER, dec) < 0)
		snprintf(dec, sizeof(dec), "%s", folder);
	if (!u->named)
		memcpy(u->name, dec, sizeof(u->name));
	if (u->named && !called(folder, u->name, KSS_FSNAME_USER)) {
		report(r, true, folder, NULL, "auth.json names another user: "
		    "left alone");
		goto fail;
	}
	if (!kss_valid_name(u->name, strlen(u->name))) {
		report(r, true, folder, NULL, "a user name kss refuses (':', "
		    "a control character, over 128 bytes): left alone");
		goto fail;
	}
	u->s.hashed = json_is_string(json_object_get(auth, KSS_STORE_KEY_HASH));
	key = json_string_value(json_object_get(auth, u->s.hashed ?
	    KSS_STORE_KEY_HASH : KSS_STORE_KEY_RAW));
	if (key == NULL || *key == '\0' || strlen(key) > KSS_KEY_MAX ||
	    (u->s.value = strdup(key)) == NULL) {
		report(r, true, u->name, NULL, "auth.json holds no key: left "
		    "alone");
		goto fail;
	}
	json_decref(auth);
	auth = NULL;
	/* A listing of its own: dir stays the caller's. */
	if ((fd = fcntl(dir, F_DUPFD_CLOEXEC, 0)) < 0 ||
	    (d = fdopendir(fd)) == NULL) {
		report(r, true, u->name, NULL, "cannot list the folder: %s",
		    strerror(errno));
		if (fd >= 0)
			close(fd);
		user_free(u);
		return -1;
	}
	rewinddir(d);
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' ||
		    strcmp(de->d_name, KSS_STORE_AUTH_FILE) == 0 ||
		    !ends_with(de->d_name, ".json") ||
		    fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    !S_ISREG(st.st_mode))
			continue;	/* kss-admin check tells of strays */
		if ((rec = kss_store_file_read(dirfd(d), de->d_name)) == NULL ||
		    !json_is_object(rec)) {
			report(r, true, u->name, de->d_name, "does not parse: "
			    "left alone");
			json_decref(rec);
			continue;
		}
		if (!doc_id(de->d_name, rec, id) ||
		    !kss_valid_name(id, strlen(id))) {
			report(r, true, u->name, de->d_name, "%s: left alone",
			    kss_valid_name(id, strlen(id)) ? "holds the record "
			    "of another document" : "a document id kss refuses");
			json_decref(rec);
			continue;
		}
		if (add_doc(u, de->d_name, id, rec) < 0)
			json_decref(rec);
	}
	closedir(d);
	return 0;
fail:
	json_decref(auth);
	user_free(u);
	return -1;
}

/* Opens the folder folder of root as *dir; -1 (said) when it cannot. */
static int
open_folder(int root, const char *folder, int *dir,
    struct kss_migrate_report *r)
{
	if ((*dir = openat(root, folder, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) >= 0)
		return 0;
	report(r, true, folder, NULL, "cannot open the folder: %s",
	    strerror(errno));
	return -1;
}

static int
by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The user folders of root (its entries that are folders, not hidden,
 * not links), sorted: a NULL-ended malloc'd array, or NULL. */
static char **
folders(int root)
{
	struct dirent *de;
	struct stat st;
	char **v = NULL, **nv;
	size_t n = 0;
	DIR *d;
	int fd;

	if ((fd = openat(root, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 ||
	    (d = fdopendir(fd)) == NULL) {
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' || fstatat(root, de->d_name, &st,
		    AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR(st.st_mode))
			continue;
		if ((nv = realloc(v, (n + 2) * sizeof(*v))) == NULL)
			break;
		v = nv;
		if ((v[n] = strdup(de->d_name)) != NULL)
			n++;
	}
	closedir(d);
	if (v == NULL && (v = calloc(1, sizeof(*v))) == NULL)
		return NULL;
	v[n] = NULL;
	qsort(v, n, sizeof(*v), by_name);
	return v;
}

static void
folders_free(char **v)
{
	size_t i;

	for (i = 0; v != NULL && v[i] != NULL; i++)
		free(v[i]);
	free(v);
}

/* Folders 0700, files 0600 (what kss makes): the number changed, or (dry
 * run) to change. Only what is opened without following a link is
 * changed (kss_store_file_mend()): migrate may run as root on a folder
 * others can write to. What it cannot change is said (user NULL: the data
 * folder). */
static int
tighten(int dir, const char *user, bool dry_run, struct kss_migrate_report *r)
{
	struct dirent *de;
	struct stat st;
	int fd, n = 0;
	DIR *d;

	if (fstat(dir, &st) == 0 && (st.st_mode & 077)) {
		if (dry_run || kss_store_file_mend(dir, NULL, &st,
		    st.st_mode & 0700, (uid_t)-1) == 0)
			n++;
	}
	if ((fd = openat(dir, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 ||
	    (d = fdopendir(fd)) == NULL) {
		if (fd >= 0)
			close(fd);
		return n;
	}
	while ((de = readdir(d)) != NULL) {
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    !S_ISREG(st.st_mode) || !(st.st_mode & 077))
			continue;
		if (dry_run || kss_store_file_mend(dirfd(d), de->d_name, &st,
		    st.st_mode & 0600, (uid_t)-1) == 0)
			n++;
		else
			report(r, true, user, de->d_name, "mode %04o left as "
			    "it is: %s", (unsigned)(st.st_mode & 07777),
			    errno == ELOOP ? "a link is there now" :
			    errno == EMLINK ? "a file with other names (hard "
			    "links)" : strerror(errno));
	}
	closedir(d);
	return n;
}

/* Moves each record of u in its folder dir to the name kss looks for it
 * by; of two records of one document, the newer stays. */
static void
move_docs(struct kss_store *st, int dir, struct src_user *u, bool dry_run,
    struct kss_migrate_report *r)
{
	char want[KSS_FSNAME_SIZE];
	struct src_doc *d;
	json_t *there;
	size_t i;

	for (i = 0; i < u->ndocs; i++) {
		d = &u->docs[i];
		if (kss_store_file_name(st, d->id, KSS_FSNAME_DOC, want) < 0 ||
		    strcmp(want, d->file) == 0)
			continue;
		there = kss_store_file_read(dir, want);
		if (there != NULL && kss_store_timestamp(there) >=
		    kss_store_timestamp(d->rec)) {
			if (!dry_run && unlinkat(dir, d->file, 0) < 0)
				report(r, true, u->name, d->id, "cannot remove "
				    "%s: %s", d->file, strerror(errno));
			else
				report(r, false, u->name, d->id, "%s removed: %s, "
				    "where kss looks, is as new", d->file, want);
		} else if (!dry_run && renameat(dir, d->file, dir, want) < 0) {
			report(r, true, u->name, d->id, "cannot rename %s to %s: "
			    "%s", d->file, want, strerror(errno));
		} else {
			report(r, false, u->name, d->id, "record moved from %s to "
			    "%s%s", d->file, want, there != NULL ? " (replacing an "
			    "older one)" : "");
			snprintf(d->file, sizeof(d->file), "%s", want);
		}
		json_decref(there);
	}
	if (!dry_run)
		kss_store_file_sync(st, dir);
}

/* Writes u's auth.json anew: its name in it, a raw key hashed. */
static void
fix_auth(struct kss_store *st, int dir, struct src_user *u, int cost,
    bool dry_run, struct kss_migrate_report *r)
{
	char *hash = NULL;
	json_t *auth;

	if (u->s.hashed && u->named)
		return;
	if (!u->s.hashed && !dry_run &&
	    kss_auth_hash(u->s.value, cost, &hash) != KSS_OK) {
		report(r, true, u->name, NULL, "cannot hash the raw key");
		return;
	}
	auth = json_pack("{s:s, s:s}", KSS_STORE_KEY_USER, u->name, KSS_STORE_KEY_HASH,
	    hash != NULL ? hash : u->s.value);
	if (!dry_run && (auth == NULL ||
	    kss_store_file_write(st, dir, KSS_STORE_AUTH_FILE, auth) < 0))
		report(r, true, u->name, NULL, "cannot write auth.json");
	else
		report(r, false, u->name, NULL, "%s", !u->s.hashed ? "raw key "
		    "of the original kss hashed" : "name written into auth.json");
	json_decref(auth);
	if (hash != NULL) {
		explicit_bzero(hash, strlen(hash));
		free(hash);
	}
}

/* The entries of the folder dir but its account's own (auth.json, .lock)
 * and, unless gone, those named in taken: what a merge leaves. -1 when
 * it cannot be listed. */
static int
remains(int dir, const struct src_user *u, const bool *taken)
{
	struct dirent *de;
	size_t i;
	int fd, n = 0;
	DIR *d;

	if ((fd = fcntl(dir, F_DUPFD_CLOEXEC, 0)) < 0 ||
	    (d = fdopendir(fd)) == NULL) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	rewinddir(d);
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0 ||
		    strcmp(de->d_name, KSS_STORE_AUTH_FILE) == 0 ||
		    strcmp(de->d_name, KSS_STORE_LOCK_FILE) == 0)
			continue;
		for (i = 0; i < u->ndocs; i++) {
			if (taken[i] && strcmp(u->docs[i].file, de->d_name) == 0)
				break;
		}
		n += i == u->ndocs;
	}
	closedir(d);
	return n;
}

/* Merges the records of u, read from its folder dir, into the folder
 * want of the same user (newer winning), and removes from dir each
 * record it took; dir itself goes only when nothing else is left in it
 * (what read_user() left alone, files kss does not make), else it stays
 * with what remains, and that is said. */
static void
merge_folder(struct kss_store *st, int root, int dir, struct src_user *u,
    const char *want, bool dry_run, struct kss_migrate_report *r)
{
	bool *taken, changed;
	json_t *rec;
	size_t i;
	int merged = 0, left;

	if ((taken = calloc(u->ndocs + 1, sizeof(*taken))) == NULL) {
		report(r, true, u->name, NULL, "out of memory: folder %s left "
		    "alone", u->folder);
		return;
	}
	for (i = 0; i < u->ndocs; i++) {
		if (dry_run) {
			taken[i] = true;
			merged++;
			continue;
		}
		rec = kss_valid_record(u->docs[i].rec, u->docs[i].id,
		    strlen(u->docs[i].id));
		if (rec == NULL || st->ops->doc_put_newer(st->h, u->name,
		    u->docs[i].id, rec, &changed) != KSS_OK)
			report(r, true, u->name, u->docs[i].id, "cannot merge "
			    "into %s: left in %s", want, u->folder);
		else {
			taken[i] = true;
			merged += changed;
			/* Its record is where kss looks now, or an older
			 * one (a newer there won). */
			if (unlinkat(dir, u->docs[i].file, 0) < 0 &&
			    errno != ENOENT)
				taken[i] = false;
		}
		json_decref(rec);
	}
	report(r, false, u->name, NULL, "folder %s merged into %s, the account "
	    "kss finds (%d newer record%s taken; its own key kept)", u->folder,
	    want, merged, merged == 1 ? "" : "s");
	if ((left = remains(dir, u, taken)) != 0)
		report(r, true, u->name, NULL, "folder %s keeps what was not "
		    "merged (%d file%s%s): left alone", u->folder, left,
		    left == 1 ? "" : "s", left < 0 ? ", cannot be listed" : "");
	else if (!dry_run) {
		unlinkat(dir, KSS_STORE_AUTH_FILE, 0);
		unlinkat(dir, KSS_STORE_LOCK_FILE, 0);
		if (unlinkat(root, u->folder, AT_REMOVEDIR) < 0)
			report(r, true, u->name, NULL, "cannot remove %s: %s",
			    u->folder, strerror(errno));
	}
	if (!dry_run) {
		kss_store_file_sync(st, dir);
		kss_store_file_sync(st, root);
	}
	free(taken);
}

/* u's folder dir, not where kss looks for it, moved there; or, where a
 * folder of u's is there already (an account made anew), merged into
 * that one (merge_folder()). */
static void
move_folder(struct kss_store *st, int root, int dir, struct src_user *u,
    const char *want, bool dry_run, struct kss_migrate_report *r)
{
	char owner[KSS_FSNAME_SIZE];
	struct stat sb;

	if (fstatat(root, want, &sb, AT_SYMLINK_NOFOLLOW) < 0) {
		if (dry_run || kss_store_file_rename_noreplace(root,
		    u->folder, want) == 0) {
			if (!dry_run)
				kss_store_file_sync(st, root);
			report(r, false, u->name, NULL, "folder %s renamed to %s, "
			    "where kss looks", u->folder, want);
			return;
		}
		if (errno != EEXIST && errno != ENOTEMPTY) {
			report(r, true, u->name, NULL, "cannot rename the folder "
			    "%s to %s: %s", u->folder, want, strerror(errno));
			return;
		}
		/* Made meanwhile (a registration): merged below. */
	}
	if (kss_store_file_owner(st, want, owner) != 1 ||
	    strcmp(owner, u->name) != 0) {
		report(r, true, u->name, NULL, "folder %s: kss looks for this "
		    "user at %s, which holds something else: left alone",
		    u->folder, want);
		return;
	}
	merge_folder(st, root, dir, u, want, dry_run, r);
}

/* Opens the user folder folder of root as *dir, to be read and then
 * changed: one holding an auth.json (an account), unless dry_run, under
 * its whole lock (*lock, else -1), as a password change takes it, so
 * that what migrate reads there is what it changes, and a change made
 * while it waited is not undone. A folder that is no account is only
 * read (its .lock is not made). -1 (said) when it cannot. */
static int
take_folder(struct kss_store *st, int root, const char *folder,
    bool dry_run, int *dir, int *lock, struct kss_migrate_report *r)
{
	char auth[KSS_FSNAME_SIZE + sizeof(KSS_STORE_AUTH_FILE) + 1];
	struct stat sb;

	*dir = *lock = -1;
	snprintf(auth, sizeof(auth), "%s/%s", folder, KSS_STORE_AUTH_FILE);
	if (dry_run || fstatat(root, auth, &sb, AT_SYMLINK_NOFOLLOW) < 0)
		return open_folder(root, folder, dir, r);
	if (kss_store_file_lock(st, folder, dir, lock) == 0)
		return 0;
	report(r, true, folder, NULL, "cannot lock the folder: %s",
	    strerror(errno));
	return -1;
}

/* Brings the account u, read from its folder dir under its lock (or,
 * dry_run, unlocked), into kss's layout. */
static void
migrate_user(struct kss_store *st, int root, int dir, struct src_user *u,
    int cost, bool dry_run, struct kss_migrate_report *r)
{
	char want[KSS_FSNAME_SIZE];
	int n;

	if (kss_store_file_name(st, u->name, KSS_FSNAME_USER, want) < 0) {
		report(r, true, u->name, NULL, "cannot tell how names are "
		    "encoded here (.kss-layout): left alone");
		return;
	}
	move_docs(st, dir, u, dry_run, r);
	fix_auth(st, dir, u, cost, dry_run, r);
	if ((n = tighten(dir, u->name, dry_run, r)) > 0)
		report(r, false, u->name, NULL, "permissions tightened (%d: "
		    "folders 0700, files 0600)", n);
	if (strcmp(want, u->folder) != 0)
		move_folder(st, root, dir, u, want, dry_run, r);
}

int
kss_migrate_in_place(struct kss_store *st, int cost, bool dry_run,
    struct kss_migrate_report *r)
{
	struct src_user u;
	char **v;
	size_t i;
	int root = kss_store_file_root(st), dir, lock;

	if (root < 0 || (v = folders(root)) == NULL)
		return -1;
	if (tighten(root, NULL, dry_run, r) > 0)
		report(r, false, NULL, NULL, "the data folder made 0700");
	for (i = 0; v[i] != NULL; i++) {
		if (take_folder(st, root, v[i], dry_run, &dir, &lock, r) < 0)
			continue;
		if (read_user(dir, v[i], &u, r) == 0) {
			/* An auth.json put there by hand since take_folder()
			 * looked: not changed without the lock. */
			if (!dry_run && lock < 0)
				report(r, true, u.name, NULL, "auth.json came "
				    "while migrate looked: left alone (run it "
				    "again)");
			else
				migrate_user(st, root, dir, &u, cost, dry_run, r);
			user_free(&u);
		}
		if (lock >= 0)
			close(lock);
		close(dir);
	}
	folders_free(v);
	return 0;
}

/* An import's change or problem, as migrate's. */
static void
copied(void *ctx, const char *user, const char *doc, const char *what,
    bool problem)
{
	struct kss_migrate_report *r = ctx;

	report(r, problem, user, doc, "%s", what);
}

int
kss_migrate_copy(const char *dir, struct kss_store *to, int cost,
    bool dry_run, struct kss_migrate_report *r)
{
	struct kss_secret there = {NULL, false};
	const struct kss_import_report told = {copied, r};
	struct kss_import_counts n;
	struct src_user u;
	json_t *users = json_array(), *docs, *in, *one;
	char **v = NULL, *why = NULL, *hash;
	size_t i, k;
	int root, fd, rc = 0;
	bool taken;

	if (users == NULL ||
	    (root = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		json_decref(users);
		return -1;
	}
	if ((v = folders(root)) == NULL)
		rc = -1;
	for (i = 0; rc == 0 && v[i] != NULL; i++) {
		if (open_folder(root, v[i], &fd, r) < 0)
			continue;
		taken = read_user(fd, v[i], &u, r) == 0;
		close(fd);
		if (!taken)
			continue;
		docs = json_object();
		for (k = 0; k < u.ndocs; k++)
			json_object_set(docs, u.docs[k].id, u.docs[k].rec);
		/* A raw key is hashed, once: the hash there already when
		 * the key matches it (a second run changes nothing). */
		hash = NULL;
		if (!u.s.hashed) {
			if (to->ops->secret_get(to->h, u.name, &there) == KSS_OK &&
			    there.hashed && kss_auth_verify(&there, u.s.value))
				hash = strdup(there.value);
			else if (kss_auth_hash(u.s.value, cost, &hash) != KSS_OK)
				hash = NULL;
			kss_secret_free(&there);
			if (hash == NULL) {
				report(r, true, u.name, NULL, "cannot hash the "
				    "raw key");
				json_decref(docs);
				user_free(&u);
				continue;
			}
		}
		one = json_pack("{s:s, s:s, s:o}", "name", u.name, "key_hash",
		    hash != NULL ? hash : u.s.value, "documents", docs);
		json_array_append_new(users, one);
		free(hash);
		user_free(&u);
	}
	folders_free(v);
	close(root);
	in = json_pack("{s:i, s:o}", "kss_export", KSS_EXPORT_VERSION, "users",
	    users);
	if (rc == 0 && (in == NULL || kss_backup_import_report(to, in, dry_run,
	    &n, &told, &why) != KSS_OK)) {
		report(r, true, NULL, NULL, "the copy is not whole%s%s",
		    why != NULL ? ": " : " (see above)", why != NULL ? why : "");
		free(why);
	}
	json_decref(in);
	return rc;
}
