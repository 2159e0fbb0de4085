#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "fsname.h"
#include "store.h"
#include "valid.h"

struct run {
	struct kss_store *st;
	struct kss_check_report *r;
	bool repair;
	int root;
	uid_t uid;		/* the data folder's owner */
	time_t now;
};

static void
found(struct run *k, enum kss_check_state state, const char *dir,
    const char *name, const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void
found(struct run *k, enum kss_check_state state, const char *dir,
    const char *name, const char *fmt, ...)
{
	char path[2 * KSS_FSNAME_SIZE + 2], what[600];
	va_list ap;

	snprintf(path, sizeof(path), "%s%s%s", dir != NULL ? dir : "",
	    dir != NULL && name != NULL ? "/" : "", name != NULL ? name : "");
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (state == KSS_CHECK_PROBLEM)
		k->r->problems++;
	else if (state == KSS_CHECK_FIXED)
		k->r->fixed++;
	else
		k->r->notes++;
	if (k->r->say != NULL)
		k->r->say(k->r->ctx, path[0] != '\0' ? path : ".", what, state);
}

/* A name kss makes for a write under way: a leftover when a writer died. */
static bool
leftover(const char *name, bool in_root)
{
	return strncmp(name, ".tmp-", 5) == 0 || (in_root &&
	    (strncmp(name, ".new-", 5) == 0 || strncmp(name, ".del-", 5) == 0));
}

/* A leftover name of dir (the folder user, or the root when user is
 * NULL), st its stat: older than a minute, a problem or, with repair,
 * removed; younger, a write that may still be under way. */
static void
check_leftover(struct run *k, int dir, const char *user, const char *name,
    const struct stat *st)
{
	long age = (long)(k->now - st->st_mtime);
	int rc;

	if (age < KSS_STORE_LEFTOVER_AGE) {
		found(k, KSS_CHECK_NOTE, user, name, "a write under way? (%ld s "
		    "old): left", age);
		return;
	}
	if (!k->repair) {
		found(k, KSS_CHECK_PROBLEM, user, name, "left by an interrupted "
		    "write (%ld s old): --repair removes it", age);
		return;
	}
	/* The root's as the store sweeps them (a .new- claimed first). */
	if (user == NULL)
		rc = kss_store_file_remove_leftover(k->st, name, st) < 0 ? -1 : 0;
	else
		rc = unlinkat(dir, name, 0);
	if (rc < 0)
		found(k, KSS_CHECK_PROBLEM, user, name, "left by an interrupted "
		    "write, cannot be removed: %s", strerror(errno));
	else
		found(k, KSS_CHECK_FIXED, user, name, "left by an interrupted "
		    "write (%ld s old): removed", age);
}

/* Why kss_store_file_mend() left an entry as it is. */
static const char *
not_mended(int err)
{
	switch (err) {
	case ELOOP:
		return "a link is there now";
	case ESTALE:
		return "it changed while check looked";
	case EMLINK:
		return "a file with other names (hard links), which may be "
		    "outside the data folder";
	default:
		return strerror(err);
	}
}

/* Mode (0700 folders, 0600 files) and owner of name in dir (dir itself
 * when name is NULL), st its lstat. A repair changes only what it opens
 * without following a link (kss_store_file_mend()): check may run as
 * root on a folder others can write to. */
static void
check_mode(struct run *k, int dir, const char *user, const char *name,
    const struct stat *st)
{
	mode_t want = S_ISDIR(st->st_mode) ? 0700 : 0600;
	mode_t mode = st->st_mode & 07777;
	bool owner = st->st_uid != k->uid, loose = (mode & ~want) != 0;
	bool give = k->repair && owner && geteuid() == 0;

	if (!owner && !loose)
		return;
	if (k->repair && (loose || give) && kss_store_file_mend(dir, name,
	    st, mode & want, give ? k->uid : (uid_t)-1) < 0) {
		found(k, KSS_CHECK_PROBLEM, user, name, "mode %04o, uid %ld: "
		    "left as it is: %s", (unsigned)mode, (long)st->st_uid,
		    not_mended(errno));
		return;
	}
	if (owner && give)
		found(k, KSS_CHECK_FIXED, user, name, "belonged to uid %ld, not "
		    "the data folder's owner (%ld): given to it",
		    (long)st->st_uid, (long)k->uid);
	else if (owner)
		found(k, KSS_CHECK_PROBLEM, user, name, "belongs to uid %ld, not "
		    "the data folder's owner (%ld)%s", (long)st->st_uid,
		    (long)k->uid, k->repair ? ": only root can change it" :
		    ": --repair as root gives it back");
	if (loose && k->repair)
		found(k, KSS_CHECK_FIXED, user, name, "mode %04o: made %04o",
		    (unsigned)mode, (unsigned)(mode & want));
	else if (loose)
		found(k, KSS_CHECK_PROBLEM, user, name, "mode %04o, readable by "
		    "others than kss's user: --repair makes it %04o",
		    (unsigned)mode, (unsigned)want);
}

/* A record file of the user folder dir (of user, whose account the store
 * serves when served). */
static void
check_record(struct run *k, int dir, const char *folder, const char *user,
    bool served, const char *name)
{
	char id[KSS_FSNAME_SIZE], want[KSS_FSNAME_SIZE];
	const json_t *d;
	json_t *v;

	/* A push replaces a record that does not parse, and refuses one it
	 * cannot read (it would lose what the push does not repeat), as
	 * doc rm does. */
	if ((v = kss_store_file_read(dir, name)) == NULL && errno != EINVAL) {
		if (errno != ENOENT)	/* else gone meanwhile */
			found(k, KSS_CHECK_PROBLEM, folder, name, "%s: kss "
			    "cannot read it, so a push of it fails too (and doc "
			    "rm): make it readable, or remove the file",
			    strerror(errno));
		return;
	}
	if (v == NULL || !json_is_object(v)) {
		found(k, KSS_CHECK_PROBLEM, folder, name, "does not parse as a "
		    "record: doc rm removes it, or the next push of it "
		    "replaces it");
		json_decref(v);
		return;
	}
	d = json_object_get(v, "document");
	if (json_is_string(d) && json_string_length(d) < sizeof(id) &&
	    strlen(json_string_value(d)) == json_string_length(d))
		memcpy(id, json_string_value(d), json_string_length(d) + 1);
	else if (kss_fsname_decode(name, KSS_FSNAME_DOC, id) < 0)
		id[0] = '\0';
	json_decref(v);
	if (id[0] == '\0' || !kss_valid_name(id, strlen(id))) {
		found(k, KSS_CHECK_PROBLEM, folder, name, "no document id kss "
		    "accepts");
		return;
	}
	if (!served || kss_store_file_name(k->st, id, KSS_FSNAME_DOC, want) < 0 ||
	    strcmp(want, name) == 0)
		return;
	found(k, KSS_CHECK_PROBLEM, folder, name, "kss looks for document "
	    "'%s' of '%s' under %s, not here: kss-admin migrate moves it",
	    id, user, want);
}

/* The user folder folder, which holds no auth.json: what mends it. */
static void
no_account(struct run *k, const char *folder)
{
	char user[KSS_FSNAME_SIZE], want[KSS_FSNAME_SIZE];

	/* user add makes the account in the folder kss looks in for the
	 * name (kss_store_file_adopt()). */
	if (kss_fsname_decode(folder, KSS_FSNAME_USER, user) >= 0 &&
	    kss_valid_name(user, strlen(user)) &&
	    kss_store_file_name(k->st, user, KSS_FSNAME_USER, want) == 0 &&
	    strcmp(want, folder) == 0)
		found(k, KSS_CHECK_PROBLEM, folder, NULL, "no auth.json: no "
		    "account, yet its name can neither register nor log in: "
		    "kss-admin user add '%s' makes the account here, keeping "
		    "what the folder holds, or remove the folder", user);
	else
		found(k, KSS_CHECK_PROBLEM, folder, NULL, "no auth.json: no "
		    "account, and no name kss looks for here: remove the "
		    "folder");
}

/* A user folder of the root. */
static void
check_user(struct run *k, const char *folder, const struct stat *fst)
{
	char user[KSS_FSNAME_SIZE], want[KSS_FSNAME_SIZE];
	struct dirent *de;
	struct stat st;
	json_t *auth;
	bool served = false;
	int dir, lock, fd;
	DIR *d;

	user[0] = '\0';
	check_mode(k, k->root, NULL, folder, fst);
	if ((fd = openat(k->root, folder, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) < 0) {
		found(k, KSS_CHECK_PROBLEM, folder, NULL, "cannot be opened: %s",
		    strerror(errno));
		return;
	}
	if ((auth = kss_store_file_read(fd, KSS_STORE_AUTH_FILE)) == NULL ||
	    !json_is_object(auth)) {
		if (auth == NULL && errno == ENOENT)
			no_account(k, folder);
		else
			found(k, KSS_CHECK_PROBLEM, folder, KSS_STORE_AUTH_FILE,
			    "%s: the user cannot log in", auth != NULL || errno == EINVAL ?
			    "does not parse" : strerror(errno));
	} else if ((served = kss_store_file_owner(k->st, folder, user) == 1)) {
		/* Its key is looked at below. */
	} else {
		const char *u = json_string_value(json_object_get(auth,
		    KSS_STORE_KEY_USER));

		if (u == NULL && kss_fsname_decode(folder, KSS_FSNAME_USER,
		    user) >= 0)
			u = user;
		if (u != NULL && kss_valid_name(u, strlen(u)) &&
		    kss_store_file_name(k->st, u, KSS_FSNAME_USER, want) == 0)
			found(k, KSS_CHECK_PROBLEM, folder, NULL, "kss looks for "
			    "user '%s' under %s, not here: kss-admin migrate "
			    "moves it", u, want);
		else
			found(k, KSS_CHECK_PROBLEM, folder, NULL, "no user name "
			    "kss accepts: kss cannot serve it");
	}
	if (auth != NULL && json_object_get(auth, KSS_STORE_KEY_HASH) == NULL &&
	    json_is_string(json_object_get(auth, KSS_STORE_KEY_RAW)))
		found(k, KSS_CHECK_PROBLEM, folder, KSS_STORE_AUTH_FILE, "the raw "
		    "key of the original kss: kss-admin migrate hashes it (so "
		    "does the user's next login)");
	json_decref(auth);
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0 ||
		    fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		if ((S_ISREG(st.st_mode) || S_ISDIR(st.st_mode)) &&
		    !leftover(de->d_name, false))
			check_mode(k, dirfd(d), folder, de->d_name, &st);
		if (leftover(de->d_name, false) && S_ISREG(st.st_mode)) {
			/* A push writes its .tmp- under its lock byte: the
			 * whole lock waits for every push. */
			if (k->repair && k->now - st.st_mtime >=
			    KSS_STORE_LEFTOVER_AGE) {
				if (kss_store_file_lock(k->st, folder, &dir,
				    &lock) < 0) {
					found(k, KSS_CHECK_PROBLEM, folder,
					    de->d_name, "cannot lock the folder: "
					    "%s", strerror(errno));
					continue;
				}
				check_leftover(k, dir, folder, de->d_name, &st);
				close(lock);
				close(dir);
			} else
				check_leftover(k, dirfd(d), folder, de->d_name,
				    &st);
		} else if (strcmp(de->d_name, KSS_STORE_LOCK_FILE) == 0 &&
		    S_ISREG(st.st_mode)) {
			continue;
		} else if (de->d_name[0] == '.' || !S_ISREG(st.st_mode) ||
		    strlen(de->d_name) <= 5 ||
		    strcmp(de->d_name + strlen(de->d_name) - 5, ".json") != 0) {
			found(k, KSS_CHECK_PROBLEM, folder, de->d_name, "%s: kss "
			    "stores nothing so", S_ISLNK(st.st_mode) ?
			    "a link" : S_ISDIR(st.st_mode) ? "a folder" :
			    "not kss's");
		} else if (strcmp(de->d_name, KSS_STORE_AUTH_FILE) != 0) {
			check_record(k, dirfd(d), folder, user, served,
			    de->d_name);
		}
	}
	closedir(d);
}

static int
by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int
kss_check(struct kss_store *st, bool repair, struct kss_check_report *r)
{
	struct run k = {st, r, repair, kss_store_file_root(st), 0, time(NULL)};
	char probe[KSS_FSNAME_SIZE], **v = NULL, **nv;
	struct dirent *de;
	struct stat sb;
	size_t n = 0, i;
	DIR *d;
	int fd;

	if (k.root < 0 || fstat(k.root, &sb) < 0)
		return -1;
	k.uid = sb.st_uid;
	check_mode(&k, k.root, NULL, NULL, &sb);
	if (kss_store_file_name(st, "x", KSS_FSNAME_USER, probe) < 0)
		found(&k, KSS_CHECK_PROBLEM, NULL, ".kss-layout", "cannot tell how "
		    "names are encoded (README: Storage): kss writes nothing");
	if ((fd = openat(k.root, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 ||
	    (d = fdopendir(fd)) == NULL) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	/* In order, so that a report reads the same each time. */
	while ((de = readdir(d)) != NULL) {
		if ((nv = realloc(v, (n + 1) * sizeof(*v))) == NULL)
			break;
		v = nv;
		if ((v[n] = strdup(de->d_name)) != NULL)
			n++;
	}
	closedir(d);
	qsort(v, n, sizeof(*v), by_name);
	for (i = 0; i < n; i++) {
		const char *name = v[i];

		if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0 ||
		    fstatat(k.root, name, &sb, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		if (strcmp(name, ".kss-layout") == 0 && S_ISREG(sb.st_mode))
			check_mode(&k, k.root, NULL, name, &sb);
		else if (leftover(name, true))
			check_leftover(&k, k.root, NULL, name, &sb);
		else if (name[0] == '.' || !S_ISDIR(sb.st_mode))
			found(&k, KSS_CHECK_PROBLEM, NULL, name, "%s: kss stores "
			    "nothing so", S_ISLNK(sb.st_mode) ? "a link (kss never "
			    "follows one)" : name[0] == '.' ? "not kss's" :
			    "a file, not a user's folder");
		else
			check_user(&k, name, &sb);
	}
	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
	return 0;
}
