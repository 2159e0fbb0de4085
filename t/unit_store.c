/* Unit tests: the store contract, run against the file and the memory
 * store, then what only the file store promises (layout, durability
 * details, legacy files). */
#include "config.h"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <grp.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "lock.h"
#include "log.h"
#include "migrate.h"
#include "store.h"
#include "tap.h"
#include "util.h"
#include "contract.h"

static const struct kss_log lg = {keep_log, NULL};

static int
exists(const char *dir, const char *rel)
{
	char p[1100];
	struct stat st;

	snprintf(p, sizeof(p), "%s/%s", dir, rel);
	return lstat(p, &st) == 0;
}

static void
put_file(const char *dir, const char *rel, const char *text)
{
	char p[1100];

	snprintf(p, sizeof(p), "%s/%s", dir, rel);
	put_text(p, text);
}

static char *
slurp(const char *dir, const char *rel)
{
	static char buf[4096];
	char p[1100];
	size_t n = 0;
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", dir, rel);
	buf[0] = '\0';
	if ((f = fopen(p, "r")) != NULL) {
		n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
	}
	buf[n] = '\0';
	return buf;
}

static void
file_only(const char *root)
{
	struct kss_store st;
	struct kss_secret s = {NULL, false}, bob = {"$y$h", true};
	char dir[512], id[200], path[600], user[200];
	json_t *r, *got;
	size_t i;

	snprintf(dir, sizeof(dir), "%s/new/sub", root);
	is_int(kss_store_file_open(dir, &lg, &st), KSS_OK,
	    "a missing data directory is created");
	struct stat sb;
	ok(stat(dir, &sb) == 0 && (sb.st_mode & 0777) == 0700,
	    "with mode 0700");
	ok(strncmp(slurp(dir, ".kss-layout"), "plain\n", 6) == 0,
	    "a case-sensitive file system gets the plain layout");

	st.ops->user_create(st.h, "bob", "$y$h");
	ok(exists(dir, "bob/auth.json"), "layout: <dir>/bob/auth.json");
	r = rec("0b229176d4e8db7f6d2b5a4952368d7a", "p", NULL);
	st.ops->doc_put(st.h, "bob", &bob, "0b229176d4e8db7f6d2b5a4952368d7a", r);
	json_decref(r);
	ok(exists(dir, "bob/0b229176d4e8db7f6d2b5a4952368d7a.json"),
	    "layout: <dir>/bob/<document>.json");
	ok(exists(dir, "bob/.lock"), "pushes lock <dir>/bob/.lock");
	r = rec("auth", "p", NULL);
	st.ops->doc_put(st.h, "bob", &bob, "auth", r);
	json_decref(r);
	is_int(st.ops->secret_get(st.h, "bob", &s), KSS_OK,
	    "a document named auth leaves the credential alone");
	is_str(s.value, "$y$h", "credential intact");
	kss_secret_free(&s);

	/* A long UTF-8 id is digest-named and still reads back. */
	for (i = 0; i + 3 <= 128; i += 3)
		memcpy(id + i, "\xe2\x82\xac", 3);
	id[i] = '\0';
	r = rec(id, "long", NULL);
	is_int(st.ops->doc_put(st.h, "bob", &bob, id, r), KSS_OK,
	    "long id stored");
	json_decref(r);
	st.ops->doc_get(st.h, "bob", id, &got);
	is_str(json_string_value(json_object_get(got, "progress")), "long",
	    "long id reads back");
	json_decref(got);
	/* So does a long username, whose folder is digest-named. */
	memcpy(user, id, sizeof(user));
	is_int(st.ops->user_create(st.h, user, "$y$long"), KSS_OK,
	    "long username stored");
	is_int(st.ops->secret_get(st.h, user, &s), KSS_OK,
	    "long username reads back");
	kss_secret_free(&s);

	/* Whatever reads a file checks the name stored inside. */
	snprintf(path, sizeof(path), "%s/carl", dir);
	mkdir(path, 0700);
	put_file(dir, "carl/auth.json",
	    "{\"x-auth-user\": \"bob\", \"x-auth-key-hash\": \"$y$b\"}");
	is_int(st.ops->secret_get(st.h, "carl", &s), KSS_E_NO_ACCOUNT,
	    "an auth.json naming another user is no account");

	/* The store keeps the secret parsed from auth.json's bytes; any
	 * other bytes, even of the same length, are read as they are. */
	put_file(dir, "carl/auth.json",
	    "{\"x-auth-user\": \"carl\", \"x-auth-key-hash\": \"$y$c1\"}");
	for (i = 0; i < 2; i++) {
		is_int(st.ops->secret_get(st.h, "carl", &s), KSS_OK,
		    "auth.json read (%zu)", i + 1);
		ok(s.hashed && strcmp(s.value, "$y$c1") == 0, "its hash (%zu)",
		    i + 1);
		kss_secret_free(&s);
	}
	put_file(dir, "carl/auth.json",
	    "{\"x-auth-user\": \"carl\", \"x-auth-key-hash\": \"$y$c2\"}");
	st.ops->secret_get(st.h, "carl", &s);
	is_str(s.value, "$y$c2", "a hash changed in place counts at once");
	kss_secret_free(&s);
	put_file(dir, "carl/auth.json",
	    "{\"x-auth-user\": \"carl\", \"x-auth-key\": \"$y$c2\"}");
	st.ops->secret_get(st.h, "carl", &s);
	ok(!s.hashed && strcmp(s.value, "$y$c2") == 0,
	    "so does a raw key in its place");
	kss_secret_free(&s);
	put_file(dir, "carl/auth.json",
	    "{\"x-auth-user\": \"carl\", \"x-auth-key-hash\": \"$y$c2\"}");
	st.ops->secret_get(st.h, "carl", &s);
	kss_secret_free(&s);
	put_file(dir, "carl/auth.json",
	    "{\"x-auth-user\": \"bob\", \"x-auth-key-hash\": \"$y$c2\"}");
	is_int(st.ops->secret_get(st.h, "carl", &s), KSS_E_NO_ACCOUNT,
	    "an auth.json changed to name another user is no account");
	put_file(dir, "carl/auth.json", "{\"x-auth-user\": \"carl\",");
	is_int(st.ops->secret_get(st.h, "carl", &s), KSS_E_SERVER,
	    "and a broken one an error");
	/* Every byte of a stored name or key counts: the C string of
	 * "carl\u0000x" reads "carl" (found by t/fuzz_store.c). */
	put_file(dir, "carl/auth.json",
	    "{\"x-auth-user\": \"carl\\u0000x\", \"x-auth-key\": \"k\"}");
	is_int(st.ops->secret_get(st.h, "carl", &s), KSS_E_NO_ACCOUNT,
	    "an auth.json naming carl\\u0000x is not carl's");
	put_file(dir, "carl/auth.json",
	    "{\"x-auth-user\": \"carl\", \"x-auth-key\": \"k\\u0000x\"}");
	is_int(st.ops->secret_get(st.h, "carl", &s), KSS_E_SERVER,
	    "a raw key holding NUL is an error, not the key k");
	ok(strstr(logged, "NUL") != NULL, "logged: %s", logged);
	put_file(dir, "carl/auth.json",
	    "{\"x-auth-user\": \"carl\", \"x-auth-key-hash\": \"$y$c\\u0000\"}");
	is_int(st.ops->secret_get(st.h, "carl", &s), KSS_E_SERVER,
	    "so is a hash holding NUL");
	put_file(dir, "bob/nul.json", "{\"document\": \"nul\\u0000x\", "
	    "\"progress\": \"p\"}");
	is_int(st.ops->doc_get(st.h, "bob", "nul", &got), KSS_OK,
	    "a record naming nul\\u0000x reads");
	ok(got == NULL, "as no record of nul");
	json_decref(got);
	put_file(dir, "bob/other.json", "{\"document\": \"zzz\", \"progress\": "
	    "\"p\", \"percentage\": 0.5, \"device\": \"d\", \"timestamp\": 1}");
	is_int(st.ops->doc_get(st.h, "bob", "other", &got), KSS_OK,
	    "a record naming another document reads");
	ok(got == NULL, "as no record");
	r = rec("other", "p", NULL);
	is_int(st.ops->doc_put(st.h, "bob", &bob, "other", r), KSS_E_SERVER,
	    "a push does not overwrite another document's record");
	json_decref(r);
	ok(strstr(logged, "another document") != NULL, "logged: %s", logged);
	ok(strstr(slurp(dir, "bob/other.json"), "zzz") != NULL,
	    "which stays as it was");

	/* Neither a FIFO nor a symlink under a record's name is followed,
	 * and neither hangs a reader. */
	snprintf(path, sizeof(path), "%s/bob/fifo.json", dir);
	if (mkfifo(path, 0600) == 0) {
		is_int(st.ops->doc_get(st.h, "bob", "fifo", &got), KSS_E_SERVER,
		    "a FIFO as a record is an error, not a hang");
	} else
		skip("a FIFO as a record", "mkfifo failed");
	put_file(root, "target", "{\"document\": \"link\"}");
	snprintf(path, sizeof(path), "%s/bob/link.json", dir);
	snprintf(id, sizeof(id), "%s/target", root);
	if (symlink(id, path) == 0) {
		is_int(st.ops->doc_get(st.h, "bob", "link", &got), KSS_E_SERVER,
		    "a symlinked record is not followed");
		r = rec("link", "p", NULL);
		st.ops->doc_put(st.h, "bob", &bob, "link", r);
		json_decref(r);
		is_str(slurp(root, "target"), "{\"document\": \"link\"}",
		    "nor written through");
	} else {
		skip("a symlinked record is not followed", "symlink failed");
		skip("nor written through", "symlink failed");
	}

	/* Nor a link that stays inside the data folder: to another user's
	 * record of the same document, or to another user's folder. */
	st.ops->user_create(st.h, "ann", "$y$h");
	put_file(dir, "ann/shared.json", "{\"document\": \"shared\", "
	    "\"progress\": \"ann's\"}");
	ok(exists(dir, "ann/shared.json"), "ann has a record \"shared\"");
	snprintf(path, sizeof(path), "%s/bob/shared.json", dir);
	if (symlink("../ann/shared.json", path) == 0) {
		got = NULL;
		ok(st.ops->doc_get(st.h, "bob", "shared", &got) != KSS_OK ||
		    got == NULL, "a record linked to another user's is not read");
		json_decref(got);
	} else
		skip("a record linked to another user's", "symlink failed");
	snprintf(path, sizeof(path), "%s/bobby", dir);
	if (symlink("bob", path) == 0) {
		got = NULL;
		ok(st.ops->secret_get(st.h, "bobby", &s) != KSS_OK,
		    "a user folder linked to another's gives no secret");
		kss_secret_free(&s);
		ok(st.ops->doc_get(st.h, "bobby",
		    "0b229176d4e8db7f6d2b5a4952368d7a", &got) != KSS_OK ||
		    got == NULL, "nor its records");
		json_decref(got);
	} else
		skip("a user folder linked to another's", "symlink failed");

	/* The original kss's files, as it wrote them. */
	snprintf(path, sizeof(path), "%s/carol", dir);
	mkdir(path, 0700);
	put_file(dir, "carol/auth.json",
	    "{\"x-auth-user\": \"carol\", \"x-auth-key\": \"rawkey\"}");
	put_file(dir, "carol/abc.json", "{\"document\": \"abc\", \"progress\": "
	    "null, \"percentage\": 0.5, \"device\": \"kobo\", \"timestamp\": 1}");
	is_int(st.ops->secret_get(st.h, "carol", &s), KSS_OK,
	    "the original kss's auth.json reads");
	ok(!s.hashed && strcmp(s.value, "rawkey") == 0, "as a raw key");
	is_int(st.ops->secret_swap(st.h, "carol", &s, "$y$carol"), KSS_OK,
	    "and can be rewritten hashed");
	kss_secret_free(&s);
	st.ops->secret_get(st.h, "carol", &s);
	ok(s.hashed, "now hashed");
	is_int(st.ops->doc_get(st.h, "carol", "abc", &got), KSS_OK,
	    "the original kss's document file reads");
	is_str(json_string_value(json_object_get(got, "device")), "kobo",
	    "with its fields");
	json_decref(got);

	put_file(dir, "carol/bad.json", "{not json");
	is_int(st.ops->doc_get(st.h, "carol", "bad", &got), KSS_E_SERVER,
	    "a corrupt file is a server error");
	ok(strstr(logged, "bad.json") != NULL, "and is logged: %s", logged);
	r = rec("bad", "fixed", NULL);
	is_int(st.ops->doc_put(st.h, "carol", &s, "bad", r), KSS_OK,
	    "a push replaces a corrupt record");
	json_decref(r);
	st.ops->doc_get(st.h, "carol", "bad", &got);
	is_str(json_string_value(json_object_get(got, "progress")), "fixed",
	    "which then reads");
	json_decref(got);
	kss_secret_free(&s);

	/* A symlink planted as a user directory is never followed. */
	snprintf(path, sizeof(path), "%s/evil", dir);
	if (symlink("/tmp", path) == 0) {
		ok(st.ops->secret_get(st.h, "evil", &s) == KSS_E_SERVER,
		    "a symlinked user directory is refused");
		kss_secret_free(&s);
	} else
		skip("a symlinked user directory is refused", "symlink failed");
	kss_store_close(&st);

	put_file(root, "afile", "x");
	snprintf(dir, sizeof(dir), "%s/afile", root);
	logged[0] = '\0';
	is_int(kss_store_file_open(dir, &lg, &st), KSS_E_SERVER,
	    "a data directory that is a file is refused");
	ok(strstr(logged, "KSS_DIR") != NULL, "with a log line: %s", logged);
}

/* The casefold layout, as a file system that ignores case gets it; here
 * on one that does not, marked by hand, which shows the names used. */
static void
casefold(const char *root)
{
	struct kss_store st;
	struct kss_secret s = {NULL, false}, al = {"$y$A", true};
	char dir[512], path[600];
	json_t *r, *got, *list;

	snprintf(dir, sizeof(dir), "%s/fold", root);
	mkdir(dir, 0700);
	put_file(dir, ".kss-layout", "casefold\n");
	/* A folder of the original kss, capitals kept. */
	snprintf(path, sizeof(path), "%s/Bob", dir);
	mkdir(path, 0700);
	put_file(dir, "Bob/auth.json",
	    "{\"x-auth-user\": \"Bob\", \"x-auth-key\": \"raw\"}");
	put_file(dir, "Bob/ABC.json", "{\"document\": \"ABC\", \"progress\": "
	    "\"old\", \"percentage\": 0.5, \"device\": \"k\", \"timestamp\": 1}");
	put_file(dir, "Bob/XYZ.json", "{\"document\": \"xyz\", \"progress\": "
	    "\"x\", \"percentage\": 0.5, \"device\": \"k\", \"timestamp\": 1}");
	if (!ok(kss_store_file_open(dir, &lg, &st) == KSS_OK,
	    "casefold: store opens")) {
		skip("casefold: the rest", "store did not open");
		return;
	}
	is_int(st.ops->user_create(st.h, "Alice", "$y$A"), KSS_OK,
	    "casefold: create Alice");
	ok(exists(dir, "%41lice/auth.json"), "casefold: as %%41lice");
	r = rec("AUTH", "p", NULL);
	is_int(st.ops->doc_put(st.h, "Alice", &al, "AUTH", r), KSS_OK,
	    "casefold: a document AUTH");
	json_decref(r);
	ok(exists(dir, "%41lice/%41%55%54%48.json"), "casefold: as %%41%%55%%54%%48.json");
	is_int(st.ops->secret_get(st.h, "Bob", &s), KSS_OK,
	    "casefold: a folder of the original kss is found");
	ok(!s.hashed && strcmp(s.value, "raw") == 0, "casefold: with its key");
	is_int(st.ops->doc_get(st.h, "Bob", "ABC", &got), KSS_OK,
	    "casefold: and its records");
	is_str(json_string_value(json_object_get(got, "progress")), "old",
	    "casefold: by their old names");
	json_decref(got);
	st.ops->doc_get(st.h, "Bob", "XYZ", &got);
	ok(got == NULL, "casefold: not one that names another document");
	r = rec("ABC", "new", NULL);
	json_object_del(r, "device");
	is_int(st.ops->doc_put(st.h, "Bob", &s, "ABC", r), KSS_OK,
	    "casefold: a push to an old record");
	json_decref(r);
	st.ops->doc_get(st.h, "Bob", "ABC", &got);
	ok(exists(dir, "Bob/%41%42%43.json"), "casefold: lands under the new name");
	is_str(json_string_value(json_object_get(got, "progress")), "new",
	    "casefold: and reads back");
	is_str(json_string_value(json_object_get(got, "device")), "k",
	    "casefold: keeping the old record's fields");
	json_decref(got);
	kss_secret_free(&s);
	is_int(st.ops->user_create(st.h, "Bob", "$y$B"), KSS_E_USER_EXISTS,
	    "casefold: an old folder's name stays taken");
	/* A record under doc's own name that names a document no rule moves
	 * here (a digest collision, a stray file): refused, left alone. */
	put_file(dir, "Bob/mno.json", "{\"document\": \"xyz\"}");
	r = rec("mno", "p", NULL);
	st.ops->secret_get(st.h, "Bob", &s);
	logged[0] = '\0';
	is_int(st.ops->doc_put(st.h, "Bob", &s, "mno", r), KSS_E_SERVER,
	    "casefold: a push over another document's record is refused");
	kss_secret_free(&s);
	json_decref(r);
	ok(strstr(logged, "another document") != NULL, "casefold: said so: %s",
	    logged);
	is_str(slurp(dir, "Bob/mno.json"), "{\"document\": \"xyz\"}",
	    "casefold: the record is left alone");
	snprintf(path, sizeof(path), "%s/Eve", dir);
	mkdir(path, 0700);
	put_file(dir, "Eve/auth.json",
	    "{\"x-auth-user\": \"eve\", \"x-auth-key\": \"raw\"}");
	is_int(st.ops->secret_get(st.h, "Eve", &s), KSS_E_NO_ACCOUNT,
	    "casefold: an old folder that names another user is not taken");
	is_int(st.ops->user_list(st.h, &list), KSS_OK, "casefold: list users");
	is_str(text(list), "[\"Alice\",\"Bob\"]",
	    "casefold: old and new folders, by their real names");
	json_decref(list);
	put_file(dir, "Bob/DEF.json", "{\"document\": \"DEF\"}");
	put_file(dir, "Bob/GHI.json", "{\"document\": \"GHI\"}");
	put_file(dir, "Bob/%47%48%49.json", "{\"document\": \"GHI\", "
	    "\"progress\": \"new\"}");
	is_int(st.ops->doc_list(st.h, "Bob", &list), KSS_OK,
	    "casefold: list records");
	is_str(keys(list), "ABC DEF GHI", "casefold: under old names and new, "
	    "not under another's");
	is_str(json_string_value(json_object_get(json_object_get(list, "GHI"),
	    "progress")), "new", "casefold: the new name first, as doc_get");
	json_decref(list);
	is_int(st.ops->doc_delete(st.h, "Bob", "DEF"), KSS_OK,
	    "casefold: delete a record under its old name");
	ok(!exists(dir, "Bob/DEF.json"), "casefold: gone");
	kss_store_close(&st);
}

/* The requests waiting to lock the file at path: the "->" lines of
 * /proc/locks naming its inode (kss's locks are the open file's, shown
 * with pid -1, so the file tells them apart, not the pid; by the inode
 * alone, as btrfs shows the file system's device there, not stat()'s).
 * Their number, or -1 when /proc/locks or the file cannot be read; the
 * range start of the last one in *start. */
static int
lock_waits(const char *path, long long *start)
{
	char line[256], want[64], *p;
	struct stat sb;
	int n = 0;
	FILE *f;

	if (stat(path, &sb) != 0 || (f = fopen("/proc/locks", "r")) == NULL)
		return -1;
	snprintf(want, sizeof(want), ":%lu ", (unsigned long)sb.st_ino);
	while (fgets(line, sizeof(line), f) != NULL) {
		if (strstr(line, " -> ") == NULL ||
		    (p = strstr(line, want)) == NULL)
			continue;
		n++;
		/* "... maj:min:ino start end" */
		if (start != NULL)
			*start = atoll(p + strlen(want));
	}
	fclose(f);
	return n;
}

/* Waits (bounded) until a request to lock path from byte start waits: 1
 * when one does, 0 when none would, -1 when /proc/locks cannot be read.
 * A whole-file request (start 0) so tells itself from a document's. */
static int
comes_to_wait_from(const char *path, long long start)
{
	char line[256], want[64], *p;
	struct stat sb;
	int i, found = 0;
	FILE *f;

	if (stat(path, &sb) != 0)
		return -1;
	snprintf(want, sizeof(want), ":%lu ", (unsigned long)sb.st_ino);
	for (i = 0; i < 1000 && !found; i++) {
		if (i > 0)
			usleep(10000);
		if ((f = fopen("/proc/locks", "r")) == NULL)
			return -1;
		while (fgets(line, sizeof(line), f) != NULL) {
			if (strstr(line, " -> ") != NULL &&
			    (p = strstr(line, want)) != NULL &&
			    atoll(p + strlen(want)) == start)
				found = 1;
		}
		fclose(f);
	}
	return found;
}

/* The range start a lone request waiting on path waits for, or -1. */
static long long
wait_start(const char *path)
{
	long long start = -1;

	return lock_waits(path, &start) == 1 ? start : -1;
}

/* Waits (bounded) until n requests wait to lock path: 1 when they do, 0
 * when they would not, -1 when /proc/locks cannot be read. */
static int
comes_to_wait(const char *path, int n)
{
	int i, w = 0;

	for (i = 0; i < 1000 && (w = lock_waits(path, NULL)) >= 0 && w < n;
	    i++)
		usleep(10000);
	return w < 0 ? -1 : w >= n;
}

/* Waits (bounded) for pid to exit; its status, or -1 if it would not. */
static int
ends(pid_t pid)
{
	int i, status;

	for (i = 0; i < 1000; i++) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
		usleep(10000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	return -1;
}

/* A child that pushes doc for ann, or (doc NULL) changes her secret. */
static pid_t
writer(struct kss_store *st, const char *doc)
{
	static const struct kss_secret who = {"$y$same", true};
	pid_t pid;

	fflush(stdout);
	if ((pid = fork()) == 0) {
		json_t *r = rec(doc != NULL ? doc : "x", "p", NULL);
		enum kss_err e = doc != NULL ?
		    st->ops->doc_put(st->h, "ann", &who, doc, r) :
		    st->ops->secret_swap(st->h, "ann", &who, "$y$same");

		json_decref(r);
		_exit(e);
	}
	return pid;
}

static int
set_range(int fd, short type, off_t start, off_t len)
{
	struct flock fl = {.l_type = type, .l_whence = SEEK_SET,
	    .l_start = start, .l_len = len};

	return fcntl(fd, F_SETLK, &fl);
}

/* The number of entries of dir/rel whose names start with prefix. */
static int
count_prefix(const char *dir, const char *rel, const char *prefix)
{
	struct dirent *de;
	char p[1100];
	int n = 0;
	DIR *d;

	snprintf(p, sizeof(p), "%s/%s", dir, rel);
	if ((d = opendir(p)) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL)
		n += strncmp(de->d_name, prefix, strlen(prefix)) == 0;
	closedir(d);
	return n;
}

/* Sets the modification time of dir/rel to secs seconds ago. */
static int
age(const char *dir, const char *rel, time_t secs)
{
	struct timespec t[2];
	char p[1100];

	snprintf(p, sizeof(p), "%s/%s", dir, rel);
	clock_gettime(CLOCK_REALTIME, &t[0]);
	t[0].tv_sec -= secs;
	t[1] = t[0];
	return utimensat(AT_FDCWD, p, t, AT_SYMLINK_NOFOLLOW);
}

/* What writers killed midway leave stays bounded: a push's temporary
 * file is named after its document's lock byte, so the next push of that
 * byte replaces one a killed push left; registrations and deletes sweep
 * the root of old .new-, .del- and .tmp- leftovers, and leave young ones
 * (a live registration's) alone. */
static void
leftovers(const char *root)
{
	static const struct kss_secret who = {"$y$same", true};
	char dir[600], p[700], tmp[64];
	struct kss_store st;
	long long slot;
	json_t *r;
	pid_t a;
	int fd;

	snprintf(dir, sizeof(dir), "%s/leftovers", root);
	if (kss_store_file_open(dir, &lg, &st) != KSS_OK ||
	    st.ops->user_create(st.h, "ann", "$y$same") != KSS_OK) {
		ok(0, "leftovers: a store and a user");
		return;
	}
	r = rec("a", "first", NULL);
	is_int(st.ops->doc_put(st.h, "ann", &who, "a", r), KSS_OK,
	    "leftovers: a first push");
	json_decref(r);
	/* a's lock byte, from a push held waiting for it. */
	snprintf(p, sizeof(p), "%s/ann/.lock", dir);
	if ((fd = open(p, O_RDWR)) < 0 || set_range(fd, F_WRLCK, 1, 0) < 0) {
		ok(0, "leftovers: the test locks every document's byte");
		return;
	}
	a = writer(&st, "a");
	slot = comes_to_wait(p, 1) == 1 ? wait_start(p) : -1;
	kill(a, SIGKILL);
	waitpid(a, NULL, 0);
	close(fd);
	if (!ok(slot >= 1, "leftovers: a's lock byte is %lld", slot)) {
		kss_store_close(&st);
		return;
	}
	snprintf(tmp, sizeof(tmp), "ann/.tmp-%lld", slot);
	put_file(dir, tmp, "{\"document\": \"a\", \"progr");
	r = rec("a", "second", NULL);
	is_int(st.ops->doc_put(st.h, "ann", &who, "a", r), KSS_OK,
	    "leftovers: a push over what a killed push of its byte left");
	json_decref(r);
	ok(strstr(slurp(dir, "ann/a.json"), "second") != NULL,
	    "leftovers: lands");
	is_int(count_prefix(dir, "ann", ".tmp-"), 0,
	    "leftovers: and takes the leftover with it");
	/* Something under that name that is no leftover of kss's stops the
	 * push, and the record stays as it was. */
	snprintf(p, sizeof(p), "%s/%s", dir, tmp);
	mkdir(p, 0700);
	snprintf(p, sizeof(p), "%s/%s/keep", dir, tmp);
	put_text(p, "");
	r = rec("a", "third", NULL);
	logged[0] = '\0';
	is_int(st.ops->doc_put(st.h, "ann", &who, "a", r), KSS_E_SERVER,
	    "leftovers: a folder in its place stops the push");
	json_decref(r);
	ok(strstr(logged, "temporary file") != NULL, "leftovers: logged: %s",
	    logged);
	ok(strstr(slurp(dir, "ann/a.json"), "second") != NULL,
	    "leftovers: the record is as it was");

	/* The root: old leftovers go at the next registration, young ones
	 * stay; user folders are never touched. */
	mkdir(at(dir, ".new-old"), 0700);
	put_file(dir, ".new-old/auth.json", "{}");
	mkdir(at(dir, ".del-old"), 0700);
	put_file(dir, ".del-old/a.json", "{}");
	put_file(dir, ".del-old/.tmp-7", "{");
	put_file(dir, ".tmp-old", "");
	mkdir(at(dir, ".new-young"), 0700);
	ok(age(dir, ".new-old", 120) == 0 && age(dir, ".del-old", 120) == 0 &&
	    age(dir, ".tmp-old", 120) == 0 && age(dir, "ann", 3600) == 0,
	    "leftovers: three old ones in the root");
	logged[0] = '\0';
	is_int(st.ops->user_create(st.h, "bob", "$y$b"), KSS_OK,
	    "leftovers: a registration");
	ok(!exists(dir, ".new-old") && !exists(dir, ".del-old") &&
	    !exists(dir, ".tmp-old"), "leftovers: sweeps them");
	ok(strstr(logged, "removed 3 leftovers") != NULL, "leftovers: "
	    "logged: %s", logged);
	ok(exists(dir, ".new-young") && exists(dir, "ann/a.json") &&
	    exists(dir, "bob/auth.json"), "leftovers: and nothing else");
	mkdir(at(dir, ".del-old2"), 0700);
	/* 10 s from the limit either way: a busy machine may take seconds
	 * between here and the sweep. */
	ok(age(dir, ".del-old2", 70) == 0 && age(dir, ".new-young", 50) == 0,
	    "leftovers: one old enough, one young enough");
	is_int(st.ops->user_delete(st.h, "bob", &(struct kss_secret){"$y$b",
	    true}), KSS_OK, "leftovers: a delete");
	ok(!exists(dir, ".del-old2") && exists(dir, ".new-young") &&
	    count_prefix(dir, ".", ".del-") == 0, "leftovers: sweeps the old "
	    "one, and its own");
	/* One it cannot remove (a folder inside: kss makes none) is said. */
	mkdir(at(dir, ".new-stuck"), 0700);
	mkdir(at(dir, ".new-stuck/sub"), 0700);
	put_file(dir, ".new-stuck/sub/x", "");
	age(dir, ".new-stuck", 120);
	logged[0] = '\0';
	is_int(st.ops->user_create(st.h, "cy", "$y$c"), KSS_OK,
	    "leftovers: a registration beside one that cannot go");
	ok(strstr(logged, "cannot remove 1 leftover") != NULL,
	    "leftovers: logged: %s", logged);
	ok(count_prefix(dir, ".", ".new-") == 1 &&
	    count_prefix(dir, ".", ".del-") == 1, "leftovers: it was claimed "
	    "(renamed .del-) before it was emptied");
	kss_store_close(&st);
}

/* A push that waits for the user's lock while the account is deleted and
 * registered anew, with the very same secret: once it has the lock, the
 * folder it locked is no longer the user's, and it must not write. */
static void
deleted_while_waiting(const char *root)
{
	char dir[600], p[700], q[700];
	struct kss_store st;
	json_t *got = NULL;
	pid_t pid;
	int fd, w;

	snprintf(dir, sizeof(dir), "%s/lockrace", root);
	if (kss_store_file_open(dir, &lg, &st) != KSS_OK ||
	    st.ops->user_create(st.h, "ann", "$y$same") != KSS_OK) {
		ok(0, "lock race: a store and a user");
		return;
	}
	snprintf(p, sizeof(p), "%s/ann/.lock", dir);
	if ((fd = open(p, O_RDWR | O_CREAT, 0600)) < 0 ||
	    set_range(fd, F_WRLCK, 0, 0) < 0) {
		ok(0, "lock race: the test takes ann's lock");
		return;
	}
	pid = writer(&st, "d");
	if ((w = comes_to_wait(p, 1)) < 0)
		skip("lock race: the push waits for the lock",
		    "/proc/locks cannot be read");
	if (w < 0 || !ok(w == 1, "lock race: the push waits for the lock")) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		close(fd);
		return;
	}
	snprintf(q, sizeof(q), "%s/.del-test", dir);
	snprintf(p, sizeof(p), "%s/ann", dir);
	ok(rename(p, q) == 0 && st.ops->user_create(st.h, "ann", "$y$same") ==
	    KSS_OK, "lock race: ann deleted and registered again meanwhile");
	close(fd);
	is_int(ends(pid), KSS_E_NO_ACCOUNT,
	    "lock race: the push, once it has the lock, finds no account");
	st.ops->doc_get(st.h, "ann", "d", &got);
	ok(got == NULL, "lock race: the new account holds no record");
	json_decref(got);
	ok(!exists(dir, ".del-test/d.json"), "lock race: nor does the old folder");
	kss_store_close(&st);
}

/* Pushes of different documents of one user do not wait for each other
 * (so their fsyncs overlap); a credential change waits for pushes in
 * flight; in a casefold folder a push waits for any other. The test
 * stands for a push in flight by holding what one holds: byte 0 shared,
 * its document's byte. */
static void
doc_locks(const char *root)
{
	char dir[600], p[700];
	struct kss_store st;
	long long slot;
	pid_t a, b, c;
	int fd;

	snprintf(dir, sizeof(dir), "%s/doclocks", root);
	if (kss_store_file_open(dir, &lg, &st) != KSS_OK ||
	    st.ops->user_create(st.h, "ann", "$y$same") != KSS_OK) {
		ok(0, "doc locks: a store and a user");
		return;
	}
	snprintf(p, sizeof(p), "%s/ann/.lock", dir);
	if ((fd = open(p, O_RDWR | O_CREAT, 0600)) < 0 ||
	    set_range(fd, F_WRLCK, 1, 0) < 0) {
		ok(0, "doc locks: the test locks every document's byte");
		return;
	}
	a = writer(&st, "a");
	if (!ok(comes_to_wait(p, 1) == 1,
	    "doc locks: a push waits for its document")) {
		kill(a, SIGKILL);
		waitpid(a, NULL, 0);
		close(fd);
		kss_store_close(&st);
		return;
	}
	slot = wait_start(p);
	ok(slot >= 1, "doc locks: for one byte of the lock file (%lld)", slot);
	/* Now hold only a's byte, and the account shared, as a's push
	 * would. */
	ok(set_range(fd, F_RDLCK, 0, 1) == 0 &&
	    (slot <= 1 || set_range(fd, F_UNLCK, 1, (off_t)slot - 1) == 0) &&
	    set_range(fd, F_UNLCK, (off_t)slot + 1, 0) == 0,
	    "doc locks: the test holds the account shared and a's byte");
	b = writer(&st, "b");
	is_int(ends(b), KSS_OK,
	    "doc locks: a push of another document goes through meanwhile");
	/* Changing the test's locks woke a's push to look again: it waits
	 * anew once it has run (bounded), not at once on a busy machine. */
	ok(comes_to_wait(p, 1) == 1 && lock_waits(p, NULL) == 1,
	    "doc locks: while a's push still waits");
	c = writer(&st, NULL);
	ok(comes_to_wait(p, 2) == 1,
	    "doc locks: a credential change waits for the push in flight");
	close(fd);
	is_int(ends(a), KSS_OK, "doc locks: once it ends, a's push lands");
	is_int(ends(c), KSS_OK, "doc locks: and the change");
	ok(exists(dir, "ann/a.json") && exists(dir, "ann/b.json"),
	    "doc locks: both records on disk");
	/* A document's byte is taken exclusively: held shared (as no push
	 * holds it), it still stops a push of that document. */
	if ((fd = open(p, O_RDWR)) < 0 || set_range(fd, F_RDLCK, 0, 1) < 0 ||
	    slot < 1 || set_range(fd, F_RDLCK, (off_t)slot, 1) < 0) {
		ok(0, "doc locks: the test holds a's byte shared");
	} else {
		a = writer(&st, "a");
		ok(comes_to_wait(p, 1) == 1,
		    "doc locks: a push waits for its document's byte held shared");
		close(fd);
		fd = -1;
		is_int(ends(a), KSS_OK, "doc locks: and then lands");
	}
	if (fd >= 0)
		close(fd);
	kss_store_close(&st);

	/* Casefold: a push may move another document's legacy file. */
	snprintf(dir, sizeof(dir), "%s/doclocks-fold", root);
	mkdir(dir, 0700);
	put_file(dir, ".kss-layout", "casefold\n");
	if (kss_store_file_open(dir, &lg, &st) != KSS_OK ||
	    st.ops->user_create(st.h, "ann", "$y$same") != KSS_OK) {
		ok(0, "doc locks: a casefold store and a user");
		return;
	}
	snprintf(p, sizeof(p), "%s/ann/.lock", dir);
	if ((fd = open(p, O_RDWR | O_CREAT, 0600)) < 0 ||
	    set_range(fd, F_RDLCK, 0, 1) < 0) {
		ok(0, "doc locks: the test holds ann's account shared");
		kss_store_close(&st);
		return;
	}
	a = writer(&st, "a");
	ok(comes_to_wait(p, 1) == 1,
	    "doc locks: casefold: a push waits for any other");
	close(fd);
	is_int(ends(a), KSS_OK, "doc locks: casefold: and then lands");
	kss_store_close(&st);
}

struct push {
	struct kss_store *st;
	enum kss_err e;
};

static void *
push_doc_t(void *arg)
{
	static const struct kss_secret who = {"$y$same", true};
	struct push *a = arg;
	json_t *r = rec("t", "p", NULL);

	a->e = a->st->ops->doc_put(a->st->h, "ann", &who, "t", r);
	json_decref(r);
	return NULL;
}

/* Threads of one FastCGI process (KSS_THREADS) each hold a store, and
 * must wait for each other's locks as processes do: the store's locks
 * are the open file's, not the process's. Here the test (this process)
 * holds a process lock on ann's lock file, and a push on another thread
 * of the same process must wait for it; with process locks, a process
 * never waits for itself and the push would go straight through. */
static void
thread_locks(const char *root)
{
	char dir[600], p[700];
	struct kss_store st, st2;
	struct push a;
	pthread_t t;
	int fd;

	if (!kss_lock_ofd()) {
		skip("threads: a push waits for a lock its own process holds",
		    "this kernel has no open file description locks");
		return;
	}
	snprintf(dir, sizeof(dir), "%s/threadlocks", root);
	if (kss_store_file_open(dir, &lg, &st) != KSS_OK ||
	    st.ops->user_create(st.h, "ann", "$y$same") != KSS_OK ||
	    kss_store_file_open(dir, &lg, &st2) != KSS_OK) {
		ok(0, "threads: two stores and a user");
		return;
	}
	snprintf(p, sizeof(p), "%s/ann/.lock", dir);
	if ((fd = open(p, O_RDWR | O_CREAT, 0600)) < 0 ||
	    set_range(fd, F_WRLCK, 0, 0) < 0) {
		ok(0, "threads: the test takes ann's lock");
		return;
	}
	a.st = &st2;
	a.e = KSS_E_SERVER;
	if (pthread_create(&t, NULL, push_doc_t, &a) != 0) {
		ok(0, "threads: a thread");
		close(fd);
		return;
	}
	ok(comes_to_wait(p, 1) == 1,
	    "threads: a push waits for a lock its own process holds");
	ok(!exists(dir, "ann/t.json"), "threads: and has not written");
	close(fd);
	pthread_join(t, NULL);
	is_int(a.e, KSS_OK, "threads: once it is let go, the push lands");
	ok(exists(dir, "ann/t.json"), "threads: its record on disk");
	kss_store_close(&st2);
	kss_store_close(&st);
}

/* Runs f in a child as an unprivileged user (nobody) when we are root,
 * so that permissions apply; returns f's result, or -1. */
static int
as_nobody(int (*f)(const char *), const char *arg)
{
	int status;
	pid_t pid;

	if (geteuid() != 0)
		return f(arg);
	fflush(stdout);
	if ((pid = fork()) < 0)
		return -1;
	if (pid == 0) {
		if (setgroups(0, NULL) || setgid(65534) || setuid(65534))
			_exit(99);
		_exit(f(arg));
	}
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

/* What a store on a folder it cannot write does, as bits of a result:
 * each bit set is a check that failed. */
static int
use_ro(const char *dir)
{
	struct kss_secret s = {NULL, false}, ann = {"$y$ro", true};
	struct kss_store st;
	json_t *r, *got = NULL;
	int bad = 0;

	if (kss_store_file_open(dir, &lg, &st) != KSS_OK)
		return 1;
	bad |= (st.ops->secret_get(st.h, "ann", &s) != KSS_OK) << 1;
	kss_secret_free(&s);
	bad |= (st.ops->doc_get(st.h, "ann", "d", &got) != KSS_OK ||
	    got == NULL) << 2;
	json_decref(got);
	r = rec("d", "new", NULL);
	logged[0] = '\0';
	bad |= (st.ops->doc_put(st.h, "ann", &ann, "d", r) != KSS_E_SERVER) << 3;
	bad |= (strstr(logged, "Permission denied") == NULL) << 4;
	json_decref(r);
	bad |= (st.ops->user_create(st.h, "bea", "$y$b") != KSS_E_SERVER) << 5;
	bad |= (st.ops->secret_swap(st.h, "ann", &ann, "$y$x") !=
	    KSS_E_SERVER) << 6;
	bad |= (st.ops->user_delete(st.h, "ann", &ann) != KSS_E_SERVER) << 7;
	kss_store_close(&st);
	return bad;
}

/* One user's folder that cannot be written, in a data folder that can:
 * a delete must not answer 200 and leave the data behind. */
static int
delete_ro_user(const char *dir)
{
	struct kss_secret dan = {"$y$dan", true}, s = {NULL, false};
	struct kss_store st;
	int bad = 0;

	if (kss_store_file_open(dir, &lg, &st) != KSS_OK)
		return 1;
	bad |= (st.ops->user_delete(st.h, "dan", &dan) != KSS_E_SERVER) << 1;
	bad |= (st.ops->secret_get(st.h, "dan", &s) != KSS_OK) << 2;
	kss_secret_free(&s);
	bad |= (st.ops->user_create(st.h, "eli", "$y$eli") != KSS_OK) << 3;
	kss_store_close(&st);
	return bad;
}

/* A data folder that cannot be read or searched serves nothing. */
static int
open_unreadable(const char *dir)
{
	struct kss_store st;
	enum kss_err e;

	logged[0] = '\0';
	e = kss_store_file_open(dir, &lg, &st);
	kss_store_close(&st);
	return (e != KSS_E_SERVER) | (strstr(logged, "unreadable") == NULL) << 1;
}

static void
unwritable_parts(const char *root)
{
	struct kss_store st;
	char dir[600], cmd[1400];

	snprintf(dir, sizeof(dir), "%s/rouser", root);
	if (kss_store_file_open(dir, &lg, &st) != KSS_OK) {
		ok(0, "a read-only user folder: a store to start from");
		return;
	}
	st.ops->user_create(st.h, "dan", "$y$dan");
	{
		struct kss_secret dan = {"$y$dan", true};
		json_t *r = rec("d", "p", NULL);

		/* A push leaves dan/.lock, so the delete gets past the lock
		 * to the folder it cannot empty. */
		st.ops->doc_put(st.h, "dan", &dan, "d", r);
		json_decref(r);
	}
	kss_store_close(&st);
	snprintf(cmd, sizeof(cmd), "%s '%s' && chmod a-w '%s/dan'",
	    geteuid() == 0 ? "chown -R 65534:65534" : "true", dir, dir);
	if (system(cmd) != 0)
		printf("# cannot make %s/dan read-only\n", dir);
	chmod(root, 0755);
	is_int(as_nobody(delete_ro_user, dir), 0,
	    "a user folder that cannot be emptied: the delete is refused, the "
	    "account stays, others register (bits set are failed checks)");
	snprintf(cmd, sizeof(cmd), "chmod 0444 '%s'", dir);
	if (system(cmd) != 0)
		printf("# cannot chmod %s\n", dir);
	is_int(as_nobody(open_unreadable, dir), 0,
	    "a data folder that cannot be searched is refused, and said");
	chmod(root, 0700);
	snprintf(cmd, sizeof(cmd), "chmod -R u+rwx '%s'", dir);
	if (system(cmd) != 0)
		printf("# cannot restore %s\n", dir);
}

/* A folder kss can read but not write (a permissions mistake, a backup
 * served as it is) serves logins and pulls; only writes fail. */
static void
read_only(const char *root)
{
	struct kss_secret ann = {"$y$ro", true};
	struct kss_store st;
	char dir[600], cmd[1400];
	json_t *r;

	snprintf(dir, sizeof(dir), "%s/ro", root);
	if (kss_store_file_open(dir, &lg, &st) != KSS_OK) {
		ok(0, "read-only: a store to start from");
		return;
	}
	st.ops->user_create(st.h, "ann", "$y$ro");
	r = rec("d", "old", NULL);
	st.ops->doc_put(st.h, "ann", &ann, "d", r);
	json_decref(r);
	kss_store_close(&st);
	/* Readable but not writable by whoever runs the check. */
	if (geteuid() == 0)
		snprintf(cmd, sizeof(cmd), "chown -R 65534:65534 '%s' && "
		    "chmod -R a-w '%s'", dir, dir);
	else
		snprintf(cmd, sizeof(cmd), "chmod -R a-w '%s'", dir);
	if (system(cmd) != 0)
		printf("# cannot make %s read-only\n", dir);
	chmod(root, 0755);
	is_int(as_nobody(use_ro, dir), 0,
	    "read-only: reads work, every write is a logged server error "
	    "(as uid %d or nobody; bits set are failed checks)",
	    (int)geteuid());
	chmod(root, 0700);
	snprintf(cmd, sizeof(cmd), "chmod -R u+w '%s'", dir);
	if (system(cmd) != 0)
		printf("# cannot make %s writable again\n", dir);
}

/* The admin operations on what the file system holds: only what the
 * server would serve is listed, by its real name, and the admin's writes
 * take the server's locks. */
static void
file_admin(const char *root)
{
	static const struct kss_secret ann = {"$y$same", true};
	static const struct kss_secret other = {"$y$other", true};
	struct kss_secret raw = {"rawkey", false};
	char dir[600], p[700], id[200], user[200], *big;
	json_t *list, *r;
	struct kss_store st;
	long long slot;
	bool changed;
	size_t i;
	pid_t a, b;
	int fd;

	snprintf(dir, sizeof(dir), "%s/admin", root);
	if (kss_store_file_open(dir, &lg, &st) != KSS_OK) {
		ok(0, "admin: a store");
		return;
	}
	st.ops->user_create(st.h, "ann", "$y$same");
	st.ops->user_create(st.h, "a b/..", "$y$x");
	for (i = 0; i + 3 <= 128; i += 3)
		memcpy(user + i, "\xe2\x82\xac", 3);
	user[i] = '\0';
	st.ops->user_create(st.h, user, "$y$long");
	is_int(st.ops->user_create_secret(st.h, "old", &raw), KSS_OK,
	    "admin: an imported raw key");
	is_str(slurp(dir, "old/auth.json"),
	    "{\"x-auth-user\":\"old\",\"x-auth-key\":\"rawkey\"}\n",
	    "admin: is stored as the original kss stored it");
	/* Folders the store does not serve under any name. */
	mkdir(at(dir, "noauth"), 0700);
	mkdir(at(dir, "bob.smith"), 0700);	/* the original kss's name */
	put_file(dir, "bob.smith/auth.json",
	    "{\"x-auth-user\": \"bob.smith\", \"x-auth-key\": \"k\"}");
	mkdir(at(dir, "carl"), 0700);
	put_file(dir, "carl/auth.json",
	    "{\"x-auth-user\": \"ann\", \"x-auth-key-hash\": \"$y$c\"}");
	mkdir(at(dir, "dora"), 0700);	/* no name inside: the folder's */
	put_file(dir, "dora/auth.json", "{\"x-auth-key-hash\": \"$y$d\"}");
	mkdir(at(dir, "%2Ehidden"), 0700);	/* an encoded name */
	put_file(dir, "%2Ehidden/auth.json", "{\"x-auth-key-hash\": \"$y$h\"}");
	mkdir(at(dir, ".new-x"), 0700);
	put_file(dir, ".new-x/auth.json", "{\"x-auth-user\": \"newx\"}");
	put_file(dir, "afile", "{}");
	if (symlink("ann", at(dir, "link")) != 0)
		ok(0, "admin: a symlinked folder");
	is_int(st.ops->user_list(st.h, &list), KSS_OK, "admin: list users");
	is_int(json_array_size(list), 6, "admin: six accounts: %s", text(list));
	ok(count_in(list, "ann") == 1 && count_in(list, "a b/..") == 1 &&
	    count_in(list, user) == 1 && count_in(list, "old") == 1,
	    "admin: by their real names, encoded and digest-named too");
	ok(count_in(list, "dora") == 1 && count_in(list, ".hidden") == 1,
	    "admin: and by the folder's name where auth.json names none");
	ok(count_in(list, "bob.smith") == 0 && count_in(list, "noauth") == 0 &&
	    count_in(list, "newx") == 0 && count_in(list, "link") == 0,
	    "admin: not a folder kss would not find, nor one without "
	    "auth.json, a leftover or a link");
	json_decref(list);
	is_int(st.ops->doc_list(st.h, "bob.smith", &list), KSS_E_NO_ACCOUNT,
	    "admin: no records for the original kss's folder: migrate first");
	is_int(st.ops->doc_list(st.h, "noauth", &list), KSS_E_NO_ACCOUNT,
	    "admin: nor for a folder without auth.json");
	is_int(st.ops->doc_list(st.h, "carl", &list), KSS_E_NO_ACCOUNT,
	    "admin: nor for one whose auth.json names another user");

	/* Records: by their real ids; what doc_get would not read is not
	 * listed, what it cannot read is null. */
	r = rec("auth", "p-auth", NULL);
	st.ops->doc_put(st.h, "ann", &ann, "auth", r);
	json_decref(r);
	for (i = 0; i + 3 <= 128; i += 3)
		memcpy(id + i, "\xe2\x82\xac", 3);
	id[i] = '\0';
	r = rec(id, "p-long", NULL);
	st.ops->doc_put(st.h, "ann", &ann, id, r);
	json_decref(r);
	r = rec("x.y", "p-dot", NULL);
	st.ops->doc_put(st.h, "ann", &ann, "x.y", r);
	json_decref(r);
	put_file(dir, "ann/noname.json", "{\"progress\": \"p-noname\"}");
	put_file(dir, "ann/other.json", "{\"document\": \"zzz\"}");
	put_file(dir, "ann/broken.json", "{\"document\": ");
	put_file(dir, "ann/x.y.json", "{\"document\": \"x.y\"}");
	put_file(dir, "ann/notes.txt", "{\"document\": \"notes\"}");
	put_file(dir, "ann/.tmp-5", "{\"document\": \"tmp\"}");
	logged[0] = '\0';
	is_int(st.ops->doc_list(st.h, "ann", &list), KSS_OK,
	    "admin: list records");
	is_str(keys(list), "auth broken noname x.y \xe2\x82\xac\xe2\x82\xac"
	    "\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac"
	    "\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac"
	    "\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac"
	    "\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac"
	    "\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac"
	    "\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac"
	    "\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac"
	    "\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac",
	    "admin: the records doc_get reads, by their real ids");
	is_str(json_string_value(json_object_get(json_object_get(list, "x.y"),
	    "progress")), "p-dot", "admin: from the file kss reads (x%%2Ey.json)");
	ok(json_is_null(json_object_get(list, "broken")),
	    "admin: a corrupt record is null");
	ok(strstr(logged, "broken.json") != NULL, "admin: and logged: %s",
	    logged);
	json_decref(list);
	is_int(st.ops->doc_delete(st.h, "ann", "other"), KSS_E_NOT_FOUND,
	    "admin: a file holding another document's record is no record");
	ok(exists(dir, "ann/other.json"), "admin: and stays");
	is_int(st.ops->doc_delete(st.h, "ann", "broken"), KSS_OK,
	    "admin: a corrupt record can be deleted");
	ok(!exists(dir, "ann/broken.json"), "admin: and is gone");
	is_int(st.ops->doc_delete(st.h, "ann", id), KSS_OK,
	    "admin: so can a digest-named one");
	is_int(st.ops->doc_delete(st.h, "ann", "auth"), KSS_OK,
	    "admin: and one named auth");
	ok(exists(dir, "ann/auth.json") && !exists(dir, "ann/%61uth.json"),
	    "admin: which leaves auth.json alone");
	r = rec("imp", "p", NULL);
	is_int(st.ops->doc_put_newer(st.h, "noauth", "imp", r, &changed),
	    KSS_E_NO_ACCOUNT, "admin: no import into a folder without "
	    "auth.json");
	ok(!exists(dir, "noauth/imp.json"), "admin: nothing written there");
	is_int(st.ops->secret_set(st.h, "noauth", &raw), KSS_E_NO_ACCOUNT,
	    "admin: nor a secret");
	ok(!exists(dir, "noauth/auth.json"), "admin: no auth.json made");
	put_file(dir, "ann/imp.json", "{\"document\": \"imp\", \"progr");
	is_int(st.ops->doc_put_newer(st.h, "ann", "imp", r, &changed), KSS_OK,
	    "admin: an import over a corrupt record");
	ok(changed && strstr(slurp(dir, "ann/imp.json"), "\"p\"") != NULL,
	    "admin: replaces it");
	json_decref(r);
	/* A file too large to read back is never written. */
	r = rec("huge", "p", NULL);
	if ((big = calloc(1, KSS_STORE_FILE_MAX + 1)) != NULL) {
		memset(big, 'x', KSS_STORE_FILE_MAX);
		json_object_set_new(r, "progress", json_string(big));
		free(big);
	}
	i = (size_t)count_prefix(dir, "ann", ".tmp-");
	is_int(st.ops->doc_put_newer(st.h, "ann", "huge", r, &changed),
	    KSS_E_SERVER, "admin: a record larger than the store reads is "
	    "refused");
	ok(!exists(dir, "ann/huge.json") && count_prefix(dir, "ann",
	    ".tmp-") == (int)i, "admin: nothing written, nothing left");
	json_decref(r);
	/* The operator's changes take a folder whose auth.json names no
	 * one else, or cannot be read: never one naming another user, nor
	 * one without auth.json. */
	is_int(st.ops->secret_set(st.h, "carl", &raw), KSS_E_NO_ACCOUNT,
	    "admin: no secret set where auth.json names another user");
	is_int(st.ops->user_delete(st.h, "carl", NULL), KSS_E_NO_ACCOUNT,
	    "admin: nor the operator's delete");
	is_int(st.ops->user_delete(st.h, "noauth", NULL), KSS_E_NO_ACCOUNT,
	    "admin: nor of a folder without auth.json");
	ok(exists(dir, "carl/auth.json") && exists(dir, "noauth"),
	    "admin: both stay");
	put_file(dir, "carl/auth.json", "{\"x-auth-user\": \"carl\", ");
	put_file(dir, "carl/c1.json", "{\"document\": \"c1\"}");
	logged[0] = '\0';
	is_int(st.ops->user_list(st.h, &list), KSS_E_SERVER,
	    "admin: a corrupt auth.json is an error");
	ok(list != NULL, "admin: that does not stop the list");
	ok(count_in(list, "carl") == 1 && count_in(list, "ann") == 1,
	    "admin: which lists it by its folder's name, for the operator to "
	    "mend: %s", text(list));
	ok(strstr(logged, "carl") != NULL, "admin: and says so: %s", logged);
	json_decref(list);
	is_int(st.ops->doc_list(st.h, "carl", &list), KSS_OK,
	    "admin: its records are listed");
	is_str(keys(list), "c1", "admin: all of them");
	json_decref(list);
	is_int(st.ops->secret_set(st.h, "carl", &raw), KSS_OK,
	    "admin: a new secret replaces the corrupt one");
	is_str(slurp(dir, "carl/auth.json"),
	    "{\"x-auth-user\":\"carl\",\"x-auth-key\":\"rawkey\"}\n",
	    "admin: written whole");
	put_file(dir, "carl/auth.json", "{\"x-auth-user\": \"carl\", ");
	is_int(st.ops->user_delete(st.h, "carl", NULL), KSS_OK,
	    "admin: the operator's delete takes a corrupt one");
	ok(!exists(dir, "carl"), "admin: gone");

	/* The admin's writes wait for the server's locks: a delete or an
	 * import of a document for a push of it, a new secret for every
	 * push. */
	r = rec("imp", "p", NULL);
	st.ops->doc_put(st.h, "ann", &ann, "imp", r);
	json_decref(r);
	snprintf(p, sizeof(p), "%s/ann/.lock", dir);
	if ((fd = open(p, O_RDWR)) < 0 || set_range(fd, F_WRLCK, 1, 0) < 0) {
		ok(0, "admin: the test locks every document's byte");
		kss_store_close(&st);
		return;
	}
	fflush(stdout);
	if ((a = fork()) == 0)
		_exit(st.ops->doc_delete(st.h, "ann", "imp"));
	slot = comes_to_wait(p, 1) == 1 ? wait_start(p) : -1;
	ok(slot >= 1, "admin: a record's delete waits for its byte (%lld)",
	    slot);
	ok(exists(dir, "ann/imp.json"), "admin: the record is there meanwhile");
	ok(slot >= 1 && set_range(fd, F_RDLCK, 0, 1) == 0 &&
	    (slot <= 1 || set_range(fd, F_UNLCK, 1, (off_t)slot - 1) == 0) &&
	    set_range(fd, F_UNLCK, (off_t)slot + 1, 0) == 0,
	    "admin: the test holds the account shared and imp's byte");
	ok(comes_to_wait(p, 1) == 1 && exists(dir, "ann/imp.json"),
	    "admin: the delete still waits");
	if ((b = fork()) == 0)
		_exit(st.ops->secret_set(st.h, "ann", &other));
	ok(comes_to_wait_from(p, 0) == 1, "admin: a new secret waits too, for "
	    "the whole lock");
	ok(strstr(slurp(dir, "ann/auth.json"), other.value) == NULL,
	    "admin: and has not written");
	close(fd);
	is_int(ends(a), KSS_OK, "admin: once the push is done, the delete "
	    "goes on");
	ok(!exists(dir, "ann/imp.json"), "admin: and the record is gone");
	is_int(ends(b), KSS_OK, "admin: so does the new secret");
	ok(strstr(slurp(dir, "ann/auth.json"), other.value) != NULL,
	    "admin: which is written");
	while (waitpid(-1, NULL, 0) > 0)
		;
	kss_store_close(&st);
}

/* kss-admin migrate in place works on each account under its whole lock,
 * as a password change takes it, and on what it reads there: a change
 * that lands while it waits is what it finds, and is kept. */
static void
migrate_locks(const char *root)
{
	static const char changed[] =
	    "{\"x-auth-user\":\"alice\",\"x-auth-key-hash\":\"$y$new\"}\n";
	struct kss_migrate_report r = {NULL, NULL, 0, 0};
	char dir[600], p[700];
	struct kss_store st;
	pid_t a;
	int fd;

	snprintf(dir, sizeof(dir), "%s/migrate-lock", root);
	mkdir(dir, 0700);
	mkdir(at(dir, "alice"), 0700);
	put_file(dir, "alice/auth.json",
	    "{\"x-auth-user\": \"alice\", \"x-auth-key\": \"old-raw-key\"}");
	snprintf(p, sizeof(p), "%s/alice/.lock", dir);
	if (kss_store_file_open(dir, &lg, &st) != KSS_OK ||
	    (fd = open(p, O_RDWR | O_CREAT, 0600)) < 0 ||
	    set_range(fd, F_WRLCK, 0, 0) < 0) {
		ok(0, "migrate: a store, the test holding alice's lock");
		return;
	}
	fflush(stdout);
	if ((a = fork()) == 0)
		_exit(kss_migrate_in_place(&st, 1, false, &r) == 0 &&
		    r.problems == 0 ? 0 : 1);
	ok(comes_to_wait(p, 1) == 1, "migrate: waits for the user's lock");
	ok(strstr(slurp(dir, "alice/auth.json"), "old-raw-key") != NULL,
	    "migrate: and writes nothing meanwhile");
	/* A password change, holding the lock, writes the new hash. */
	put_file(dir, "alice/auth.json", changed);
	close(fd);
	is_int(ends(a), 0, "migrate: goes on once the lock is free");
	is_str(slurp(dir, "alice/auth.json"), changed,
	    "migrate: and keeps the credential it finds under the lock, not "
	    "the raw key it saw before");
	kss_store_close(&st);
}

/* kss-admin check --repair removes a user folder's old .tmp- under the
 * folder's whole lock: a push writes its temporary file under its lock
 * byte, and may still be at it. */
static void
check_locks(const char *root)
{
	struct kss_check_report r = {NULL, NULL, 0, 0, 0};
	char dir[600], p[700];
	struct kss_store st;
	pid_t a;
	int fd;

	snprintf(dir, sizeof(dir), "%s/check-lock", root);
	if (kss_store_file_open(dir, &lg, &st) != KSS_OK ||
	    st.ops->user_create(st.h, "ann", "$y$ann") != KSS_OK) {
		ok(0, "check: a store and a user");
		return;
	}
	put_file(dir, "ann/.tmp-77", "{\"document\": ");
	snprintf(p, sizeof(p), "%s/ann/.lock", dir);
	if (age(dir, "ann/.tmp-77", 120) < 0 ||
	    (fd = open(p, O_RDWR | O_CREAT, 0600)) < 0 ||
	    set_range(fd, F_RDLCK, 0, 1) < 0) {
		ok(0, "check: an old .tmp-, the test holding ann's lock as a "
		    "push does");
		kss_store_close(&st);
		return;
	}
	fflush(stdout);
	if ((a = fork()) == 0)
		_exit(kss_check(&st, true, &r) == 0 && r.fixed == 1 ? 0 : 1);
	ok(comes_to_wait_from(p, 0) == 1, "check --repair: waits for the "
	    "user's whole lock");
	ok(exists(dir, "ann/.tmp-77"), "check --repair: the .tmp- stays "
	    "meanwhile");
	close(fd);
	is_int(ends(a), 0, "check --repair: then removes it");
	ok(!exists(dir, "ann/.tmp-77"), "check --repair: gone");
	kss_store_close(&st);
}

/* kss-admin user add makes a folder without auth.json, which blocks its
 * name, the account (kss_store_file_adopt()): under the folder's whole
 * lock, keeping what the folder holds, and never a folder that is an
 * account. */
static void
adopt(const char *root)
{
	static const struct kss_secret s = {"$y$adopted", true};
	char dir[600], p[700];
	struct kss_store st;
	json_t *list = NULL;
	pid_t a;
	int fd;

	snprintf(dir, sizeof(dir), "%s/adopt", root);
	if (kss_store_file_open(dir, &lg, &st) != KSS_OK) {
		ok(0, "adopt: a store");
		return;
	}
	is_int(kss_store_file_adopt(&st, "nobody", &s), 0,
	    "adopt: no folder, nothing made");
	ok(!exists(dir, "nobody"), "adopt: nor a folder");
	st.ops->user_create(st.h, "ann", "$y$ann");
	is_int(kss_store_file_adopt(&st, "ann", &s), 0,
	    "adopt: an account is not taken");
	ok(strstr(slurp(dir, "ann/auth.json"), "$y$ann") != NULL,
	    "adopt: its auth.json stays");
	mkdir(at(dir, "ghost"), 0700);
	put_file(dir, "ghost/g1.json", "{\"document\": \"g1\", "
	    "\"progress\": \"pg\"}");
	snprintf(p, sizeof(p), "%s/ghost/.lock", dir);
	if ((fd = open(p, O_RDWR | O_CREAT, 0600)) < 0 ||
	    set_range(fd, F_RDLCK, 0, 1) < 0) {
		ok(0, "adopt: the test holds ghost's lock as a push does");
		kss_store_close(&st);
		return;
	}
	fflush(stdout);
	if ((a = fork()) == 0)
		_exit(kss_store_file_adopt(&st, "ghost", &s));
	ok(comes_to_wait(p, 1) == 1, "adopt: waits for the folder's lock");
	ok(!exists(dir, "ghost/auth.json"), "adopt: writes nothing meanwhile");
	close(fd);
	is_int(ends(a), 1, "adopt: then makes the account");
	is_str(slurp(dir, "ghost/auth.json"), "{\"x-auth-user\":\"ghost\","
	    "\"x-auth-key-hash\":\"$y$adopted\"}\n", "adopt: its auth.json");
	ok(st.ops->doc_list(st.h, "ghost", &list) == KSS_OK &&
	    strcmp(keys(list), "g1") == 0, "adopt: the record it held is "
	    "the account's");
	json_decref(list);
	kss_store_close(&st);
}

/* A store opened to look (kss-admin's dry runs) makes nothing: neither
 * a missing folder nor .kss-layout, nor anything a write would. */
static void
look(const char *root)
{
	struct kss_secret s = {NULL, false};
	char dir[600];
	struct kss_store st;

	snprintf(dir, sizeof(dir), "%s/look", root);
	is_int(kss_store_file_look(dir, &lg, &st), KSS_E_SERVER,
	    "look: a missing folder is an error");
	ok(!exists(root, "look"), "look: and is not made");
	mkdir(dir, 0700);
	mkdir(at(dir, "olaf"), 0700);
	put_file(dir, "olaf/auth.json",
	    "{\"x-auth-user\": \"olaf\", \"x-auth-key\": \"k\"}");
	if (!is_int(kss_store_file_look(dir, &lg, &st), KSS_OK,
	    "look: the original kss's folder opens"))
		return;
	ok(!exists(dir, ".kss-layout"), "look: no .kss-layout written");
	ok(st.ops->secret_get(st.h, "olaf", &s) == KSS_OK &&
	    strcmp(s.value, "k") == 0, "look: read in the original kss's names");
	kss_secret_free(&s);
	is_int(st.ops->user_create(st.h, "new", "$y$n"), KSS_E_SERVER,
	    "look: a write is refused");
	ok(!exists(dir, "new") && !exists(dir, ".kss-layout") &&
	    count_prefix(dir, ".", ".") == 2, "look: nothing made");
	kss_store_close(&st);
}

static void
open_or_fail(const char *name, enum kss_err e, struct kss_store *st)
{
	if (!is_int(e, KSS_OK, "%s store opens", name))
		return;
	contract(name, st);
	admin_contract(name, st);
	kss_store_close(st);
}

int
main(void)
{
	char root[] = "/tmp/kss-unit-XXXXXX", dir[600], cmd[700];
	struct kss_store st;

	if (mkdtemp(root) == NULL)
		return 1;
	snprintf(dir, sizeof(dir), "%s/data", root);
	open_or_fail("file", kss_store_file_open(dir, &lg, &st), &st);
	open_or_fail("memory", kss_store_mem_open(&st), &st);
	file_only(root);
	file_admin(root);
	migrate_locks(root);
	adopt(root);
	look(root);
	check_locks(root);
	casefold(root);
	deleted_while_waiting(root);
	doc_locks(root);
	leftovers(root);
	thread_locks(root);
	read_only(root);
	unwritable_parts(root);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	if (system(cmd) != 0)
		return 1;
	return tap_done();
}
