/* Fuzz target: the file store's readers of what is on disk (a record,
 * auth.json, .kss-layout), through real files and whole requests.
 *
 * The input is one user's files as found in KSS_DIR: a mode byte, the
 * bytes of the record of one document, then, optionally, a line "--" and
 * the bytes of the user's auth.json:
 *
 *     p{"document":"d","progress":"p","percentage":0.5}
 *     --
 *     {"x-auth-user":"u","x-auth-key":"5f4dcc3b5aa765d61d8327deb882cf99"}
 *
 * An empty record is no record file; without "--" auth.json is the one
 * kss writes (a hash of key "k"), and an empty one is no auth.json. The
 * mode says which folder of which layout they lie in (modes[] below):
 * kss's own names in a plain or casefold folder, a folder of the original
 * kss without .kss-layout, the original kss's capitalised names in a
 * casefold folder, digest names, and a folder whose layout is unknown
 * (reads only). Beside that user lies user v, whose files are sound.
 *
 * Each run writes the files under a folder in RAM made once per process
 * (/dev/shm/kss-fuzz-<pid>), opens a file store on it, and serves through
 * kss_serve_store() what a client does: a pull of the document, a login
 * with the right key and with a wrong one, a push, then a pull again
 * where the push had more to do than write, and a pull of v's record
 * where this user got a 500. It checks that every answer is a status
 * with a JSON object, that the outcomes are those the files call for (a
 * corrupt record is 500 for its user only, a corrupt auth.json 500, a
 * wrong key never 200, a raw key rewritten as a hash), that every 500 is
 * logged, and that the push repairs a corrupt record, keeps the members
 * it does not replace, and leaves a record that parses. Build with clang
 * -fsanitize=fuzzer and t/fuzz_kdf.c (README: Fuzzing); make check
 * replays t/corpus-store/ through t/fuzz_replay.c. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#include "auth.h"
#include "fakeio.h"
#include "fsname.h"
#include "fuzz.h"
#include "kss.h"
#include "store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define SEP "\n--\n"
#define KEY "k"			/* the key of the auth.json kss writes */
#define LONG_NAME_BYTES 86	/* of 2-byte letters: a digest name */

/* Where the user's files lie, and how kss may treat them. */
struct mode {
	char letter;
	const char *layout;	/* .kss-layout's text; NULL: none */
	const char *user, *udir;
	const char *doc, *dfile;	/* the record as found */
	const char *nfile;	/* where a push writes it */
	bool legacy;		/* found by the original kss's names: the
				 * files must name their owner */
	bool writes;		/* the layout is known */
};

static char long_name[LONG_NAME_BYTES + 1];
static char long_udir[KSS_FSNAME_SIZE], long_dfile[KSS_FSNAME_SIZE];

static const struct mode modes[] = {
	{'p', "plain\n", "u", "u", "d", "d.json", "d.json", false, true},
	/* The original kss's folder: the store probes and marks it. */
	{'n', NULL, "u", "u", "d", "d.json", "d.json", false, true},
	{'c', "casefold\n", "U", "%55", "D", "%44.json", "%44.json", false,
	    true},
	{'o', "casefold\n", "U", "U", "D", "D.json", "%44.json", true, true},
	{'d', "plain\n", long_name, long_udir, long_name, long_dfile,
	    long_dfile, false, true},
	{'r', "neither\n", "u", "u", "d", "d.json", "d.json", false, false},
};
#define NMODES (sizeof(modes) / sizeof(modes[0]))

/* User v's files, the same in every run. */
static const char v_record[] = "{\"document\": \"e\", \"progress\": \"v-p\", "
    "\"percentage\": 0.5, \"device\": \"v\", \"timestamp\": 7}\n";

static char root[64];		/* KSS_DIR, made once */
static char *hash;		/* kss's hash of KEY, made once */

struct run {
	const struct mode *m;
	const char *rec, *auth;	/* the files' bytes; auth NULL: kss's own */
	size_t reclen, authlen;
	int logs;		/* lines the store and kss_serve() logged */
	char why[512];		/* the first invariant broken, or "" */
	int pull, login, wrong, pull_v, push, pull2;
};

static void __attribute__((format(printf, 2, 3)))
broken(struct run *r, const char *fmt, ...)
{
	va_list ap;

	if (r->why[0] != '\0')
		return;
	va_start(ap, fmt);
	vsnprintf(r->why, sizeof(r->why), fmt, ap);
	va_end(ap);
}

static void
count_log(void *ctx, const char *line)
{
	(void)line;
	((struct run *)ctx)->logs++;
}

static int
rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path) < 0 && errno != ENOENT ? -1 : 0;
}

static void
cleanup(void)
{
	if (root[0] != '\0')
		nftw(root, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
}

static const char *
at(const char *dir, const char *file)
{
	static char buf[2][512];
	static int n;

	n = !n;
	if (dir == NULL)
		snprintf(buf[n], sizeof(buf[n]), "%s/%s", root, file);
	else
		snprintf(buf[n], sizeof(buf[n]), "%s/%s/%s", root, dir, file);
	return buf[n];
}

static int
put(const char *path, const char *text, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	ssize_t n = 0;

	if (fd < 0)
		return -1;
	while (len > 0 && (n = write(fd, text, len)) > 0)
		text += n, len -= (size_t)n;
	return close(fd) < 0 || n < 0 ? -1 : 0;
}

/* auth.json as kss writes it, for user. */
static int
put_auth(const char *dir, const char *user)
{
	json_t *auth = json_pack("{s:s, s:s}", "x-auth-user", user,
	    "x-auth-key-hash", hash);
	char *text = json_dumps(auth, JSON_COMPACT);
	int rc = text == NULL ? -1 :
	    put(at(dir, "auth.json"), text, strlen(text));

	free(text);
	json_decref(auth);
	return rc;
}

/* The whole file path into a malloc'd buffer (NUL added), or NULL. */
static char *
get(const char *path, size_t *len)
{
	struct stat st;
	char *buf;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return NULL;
	if (fstat(fd, &st) < 0 || (buf = malloc((size_t)st.st_size + 1)) ==
	    NULL) {
		close(fd);
		return NULL;
	}
	*len = (size_t)read(fd, buf, (size_t)st.st_size);
	close(fd);
	if (*len != (size_t)st.st_size) {
		free(buf);
		return NULL;
	}
	buf[*len] = '\0';
	return buf;
}

static json_t *
get_json(const char *path)
{
	size_t len;
	char *buf = get(path, &len);
	json_t *v;

	if (buf == NULL)
		return NULL;
	v = json_loadb(buf, len, JSON_ALLOW_NUL, NULL);
	free(buf);
	return v;
}

/* The folder in RAM with v's files, the long name's encodings and the
 * hash, once. */
static int
setup(void)
{
	const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" :
	    getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp";
	size_t i;

	if (root[0] != '\0')
		return 0;
	if (sodium_init() < 0)
		return -1;
	for (i = 0; i < LONG_NAME_BYTES; i += 2)
		memcpy(long_name + i, "\xc3\xa9", 2);	/* e acute */
	kss_fsname(long_name, LONG_NAME_BYTES, KSS_FSNAME_USER, false,
	    long_udir);
	kss_fsname(long_name, LONG_NAME_BYTES, KSS_FSNAME_DOC, false,
	    long_dfile);
	if (kss_auth_hash(KEY, 1, &hash) != KSS_OK)
		return -1;
	snprintf(root, sizeof(root), "%.40s/kss-fuzz-%ld", base,
	    (long)getpid());
	cleanup();
	if (mkdir(root, 0700) < 0) {
		root[0] = '\0';
		return -1;
	}
	atexit(cleanup);
	if (mkdir(at(NULL, "v"), 0700) < 0 || put_auth("v", "v") < 0 ||
	    put(at("v", "e.json"), v_record, strlen(v_record)) < 0)
		return -1;
	return 0;
}

/* Empties the user folder dir; removes it too unless keep. */
static int
clear(const char *dir, bool keep)
{
	struct dirent *de;
	DIR *d;
	int fd;

	if ((fd = open(at(NULL, dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return errno == ENOENT ? 0 : -1;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			unlinkat(fd, de->d_name, 0);
	}
	closedir(d);
	return keep ? 0 : rmdir(at(NULL, dir));
}

/* Lays the files of a run out: no user folder but this mode's, and v's,
 * which stays. */
static int
lay_out(const struct run *r)
{
	static const char *const udirs[] = {"u", "%55", "U", long_udir};
	const struct mode *m = r->m;
	size_t i;

	for (i = 0; i < sizeof(udirs) / sizeof(udirs[0]); i++) {
		if (clear(udirs[i], strcmp(udirs[i], m->udir) == 0) < 0)
			return -1;
	}
	if (mkdir(at(NULL, m->udir), 0700) < 0 && errno != EEXIST)
		return -1;
	if (m->layout != NULL ?
	    put(at(NULL, ".kss-layout"), m->layout, strlen(m->layout)) < 0 :
	    unlink(at(NULL, ".kss-layout")) < 0 && errno != ENOENT)
		return -1;
	if (r->reclen > 0 && put(at(m->udir, m->dfile), r->rec, r->reclen) < 0)
		return -1;
	if (r->auth == NULL)
		return put_auth(m->udir, m->user);
	return r->authlen == 0 ? 0 :
	    put(at(m->udir, "auth.json"), r->auth, r->authlen);
}

/* Whether v is the JSON string s, every byte of it. */
static bool
is(const json_t *v, const char *s)
{
	return json_is_string(v) && json_string_length(v) == strlen(s) &&
	    memcmp(json_string_value(v), s, strlen(s)) == 0;
}

/* Serves one request on st; returns its status (-1: none) and, when out
 * is not NULL, its body. */
static int
ask(struct run *r, struct kss_store *st, const char *method, const char *path,
    const char *user, const char *key, const char *body, json_t **out)
{
	char vpath[512], vuser[512], vkey[KSS_KEY_MAX + 32], vdir[128],
	    vlen[48];
	const char *vars[] = {"KSS_HASH_COST=1", vdir, method, vpath, vuser,
	    vkey, vlen, NULL};
	struct kss_response resp;
	struct kss_io io;
	struct fake f;
	int status;

	snprintf(vdir, sizeof(vdir), "KSS_DIR=%s", root);
	snprintf(vpath, sizeof(vpath), "PATH_INFO=%s", path);
	snprintf(vuser, sizeof(vuser), "HTTP_X_AUTH_USER=%s", user);
	snprintf(vkey, sizeof(vkey), "HTTP_X_AUTH_KEY=%s", key);
	snprintf(vlen, sizeof(vlen), "CONTENT_LENGTH=%zu",
	    body != NULL ? strlen(body) : 0);
	io = fake_io(&f, vars, body);
	io.log.write = count_log;
	io.log.ctx = r;
	kss_serve_store(&io, st, &resp);
	if (out != NULL)
		*out = NULL;
	if (!fuzz_answer_ok(&resp)) {
		broken(r, "%s %s: not a JSON object: %d %s", method + 15, path,
		    resp.status, resp.body ? resp.body : "(null)");
		kss_response_free(&resp);
		return -1;
	}
	if (out != NULL)
		*out = json_loadb(resp.body, resp.len, JSON_ALLOW_NUL, NULL);
	status = resp.status;
	kss_response_free(&resp);
	return status;
}

/* What the record file holds, as the store must judge it. */
enum rec_state {
	REC_NONE,	/* no file */
	REC_CORRUPT,	/* does not parse (or, as doc's own name, is no
			 * object): a pull is 500, a push replaces it */
	REC_OTHER,	/* another document's, or in a legacy file not
			 * shown to be doc's: no record, left alone */
	REC_OURS,
};

static enum rec_state
rec_state(const struct run *r, json_t **old)
{
	const json_t *doc;
	json_t *v;

	*old = NULL;
	if (r->reclen == 0)
		return REC_NONE;
	if ((v = json_loadb(r->rec, r->reclen, JSON_ALLOW_NUL, NULL)) == NULL)
		return REC_CORRUPT;
	doc = json_object_get(v, "document");
	if (r->m->legacy ? !is(doc, r->m->doc) :
	    json_is_object(v) && doc != NULL && !is(doc, r->m->doc)) {
		json_decref(v);
		return REC_OTHER;
	}
	if (!json_is_object(v)) {
		json_decref(v);
		return REC_CORRUPT;
	}
	*old = v;
	return REC_OURS;
}

/* The login status auth.json calls for with the right key, which it
 * leaves in key: 200, 401 or 500, or 0 for 200 or 401 (a hash other than
 * kss's own of KEY, which only the KDF can judge). *raw is set when the
 * file holds the original kss's raw key. */
static int
expect_login(const struct run *r, char key[KSS_KEY_MAX + 2], bool *raw)
{
	const json_t *name, *h, *k;
	json_t *auth;
	int want;

	snprintf(key, KSS_KEY_MAX + 2, "%s", KEY);
	*raw = false;
	if (r->auth == NULL)
		return 200;
	if (r->authlen == 0)
		return 401;
	if ((auth = json_loadb(r->auth, r->authlen, JSON_ALLOW_NUL, NULL)) ==
	    NULL)
		return 500;
	name = json_object_get(auth, "x-auth-user");
	h = json_object_get(auth, "x-auth-key-hash");
	k = json_object_get(auth, "x-auth-key");
	if (name != NULL ? !is(name, r->m->user) :
	    r->m->legacy || !json_is_object(auth))
		/* Another user's (or, found by an old name, not shown to
		 * be this one's): no account; no object, no key. */
		want = name != NULL || r->m->legacy ? 401 : 500;
	else if (json_is_string(h))
		want = json_string_length(h) == 0 ||
		    strlen(json_string_value(h)) != json_string_length(h) ? 500 :
		    strcmp(json_string_value(h), hash) == 0 ? 200 : 0;
	else if (!json_is_string(k) || json_string_length(k) == 0)
		want = 500;	/* no key */
	else {
		/* A key holding NUL is no key a client could send: the part
		 * before the NUL is sent, and must not log in. A key longer
		 * than any a client may send is cut one byte longer. */
		if (json_string_value(k)[0] != '\0')
			snprintf(key, KSS_KEY_MAX + 2, "%s",
			    json_string_value(k));
		*raw = strlen(json_string_value(k)) == json_string_length(k);
		want = !*raw ? 500 : json_string_length(k) > KSS_KEY_MAX ?
		    401 : 200;	/* too long: refused before the store */
	}
	json_decref(auth);
	return want;
}

/* Whether v holds a member of the name and a type the pull answer may
 * have (protocol.md §4.4, syncs.c record_view()). */
static bool
typed(const char *name, const json_t *v)
{
	if (strcmp(name, "document") == 0 || strcmp(name, "progress") == 0 ||
	    strcmp(name, "device") == 0 || strcmp(name, "device_id") == 0)
		return json_is_string(v);
	if (strcmp(name, "percentage") == 0)
		return json_is_number(v);
	if (strcmp(name, "timestamp") == 0)
		return json_is_integer(v);
	if (strcmp(name, "metadata") == 0)
		return json_is_object(v);
	return false;
}

/* Checks the first pull's answer against the record. */
static void
check_pull(struct run *r, const json_t *body, enum rec_state st,
    const json_t *old)
{
	const char *name;
	json_t *v;

	if (st != REC_OURS) {
		if (json_object_size(body) != 0)
			broken(r, "pull: no record of the document, yet %zu "
			    "members", json_object_size(body));
		return;
	}
	if (!is(json_object_get(body, "document"), r->m->doc))
		broken(r, "pull: not the document asked for");
	json_object_foreach((json_t *)body, name, v) {
		if (!typed(name, v))
			broken(r, "pull: member %s of the wrong type", name);
		else if (strcmp(name, "document") != 0 &&
		    json_object_get(old, name) == NULL)
			broken(r, "pull: member %s not in the record", name);
	}
}

/* After a push that succeeded: the record lies under its own name, holds
 * what was pushed and every other member it held before, and nothing
 * else; a legacy file it came from is gone. */
static void
check_pushed(struct run *r, const json_t *pushed, json_int_t when,
    enum rec_state st, const json_t *old)
{
	const struct mode *m = r->m;
	json_t *now = get_json(at(m->udir, m->nfile)), *v;
	const char *name;
	struct stat sb;

	if (!json_is_object(now)) {
		broken(r, "push: the record left does not parse");
		json_decref(now);
		return;
	}
	json_object_foreach((json_t *)pushed, name, v) {
		if (!json_equal(json_object_get(now, name), v))
			broken(r, "push: %s not stored", name);
	}
	if (json_integer_value(json_object_get(now, "timestamp")) != when)
		broken(r, "push: not the timestamp answered");
	json_object_foreach(now, name, v) {
		if (json_object_get(pushed, name) != NULL ||
		    strcmp(name, "timestamp") == 0)
			continue;
		if (st != REC_OURS || !json_equal(json_object_get(old, name), v))
			broken(r, "push: member %s not the record's", name);
	}
	if (st == REC_OURS) {
		json_object_foreach((json_t *)old, name, v) {
			if (json_object_get(now, name) == NULL)
				broken(r, "push: member %s lost", name);
		}
	}
	if (m->legacy && st == REC_OURS &&
	    lstat(at(m->udir, m->dfile), &sb) == 0)
		broken(r, "push: the legacy file stays");
	json_decref(now);
}

/* Whether the record file still holds exactly what was laid out. */
static bool
untouched(const struct run *r)
{
	size_t len;
	char *buf = get(at(r->m->udir, r->m->dfile), &len);
	bool same = buf != NULL ? len == r->reclen &&
	    memcmp(buf, r->rec, len) == 0 : r->reclen == 0;

	free(buf);
	return same;
}

/* After a login with the original kss's raw key, auth.json is as kss
 * writes it: the user and a hash. */
static void
check_rehashed(struct run *r)
{
	json_t *auth = get_json(at(r->m->udir, "auth.json"));

	if (json_object_size(auth) != 2 ||
	    !is(json_object_get(auth, "x-auth-user"), r->m->user) ||
	    !json_is_string(json_object_get(auth, "x-auth-key-hash")))
		broken(r, "login: auth.json not rewritten with a hash");
	json_decref(auth);
}

static void
exercise(struct run *r, struct kss_store *st)
{
	const struct mode *m = r->m;
	char path[512], key[KSS_KEY_MAX + 2], wrong[KSS_KEY_MAX + 8], *text;
	json_t *body, *old, *pushed, *want_v;
	enum rec_state rs = rec_state(r, &old);
	int want = 0, logs;
	json_int_t when;
	bool raw;

	want = expect_login(r, key, &raw);
	snprintf(path, sizeof(path), "/syncs/progress/%s", m->doc);
	snprintf(wrong, sizeof(wrong), "%s!", key);
	logs = r->logs;
	r->pull = ask(r, st, "REQUEST_METHOD=GET", path, m->user, key, NULL,
	    &body);
	r->login = ask(r, st, "REQUEST_METHOD=GET", "/users/auth", m->user,
	    key, NULL, NULL);
	if (want != 0 ? r->login != want :
	    r->login != 200 && r->login != 401)
		broken(r, "login: %d where auth.json calls for %d", r->login,
		    want);
	if (r->login != 200 ? r->pull != r->login :
	    r->pull != (rs == REC_CORRUPT ? 500 : 200))
		broken(r, "pull: %d after a login of %d", r->pull, r->login);
	if (r->pull == 200)
		check_pull(r, body, rs, old);
	json_decref(body);
	if (raw && r->login == 200 && m->writes)
		check_rehashed(r);
	r->wrong = ask(r, st, "REQUEST_METHOD=GET", "/users/auth", m->user,
	    wrong, NULL, NULL);
	if (r->wrong == 200)
		broken(r, "login: a wrong key logs in");
	pushed = json_pack("{s:s, s:s, s:f, s:s}", "document", m->doc,
	    "progress", "P", "percentage", 0.25, "device", "fz");
	text = json_dumps(pushed, JSON_COMPACT);
	r->push = ask(r, st, "REQUEST_METHOD=PUT", "/syncs/progress", m->user,
	    key, text, &body);
	free(text);
	when = json_integer_value(json_object_get(body, "timestamp"));
	json_decref(body);
	if (r->login != 200) {
		if (r->push != r->login)
			broken(r, "push: %d after a login of %d", r->push,
			    r->login);
	} else if (!m->writes || (rs == REC_OTHER && !m->legacy)) {
		/* Nowhere to write, or another document's record in the
		 * way: refused, and the record left alone. */
		if (r->push != 500 || !untouched(r))
			broken(r, "push: %d over a record it must leave alone",
			    r->push);
	} else if (r->push != 200)
		broken(r, "push: %d", r->push);
	else
		check_pushed(r, pushed, when, rs, old);
	/* Read back through kss where the push had more to do than write
	 * (the rest is unit_store's): over a corrupt record, and beside a
	 * legacy file it may leave. */
	if (r->push == 200 && (rs == REC_CORRUPT || m->legacy)) {
		r->pull2 = ask(r, st, "REQUEST_METHOD=GET", path, m->user, key,
		    NULL, &body);
		if (r->pull2 != 200 ||
		    !is(json_object_get(body, "progress"), "P") ||
		    json_integer_value(json_object_get(body, "timestamp")) !=
		    when)
			broken(r, "pull after the push: %d", r->pull2);
		json_decref(body);
	}
	json_decref(pushed);
	json_decref(old);
	/* Another user's sound record answers whatever this one's files
	 * did: asked where they did harm (fewer requests a run, more runs
	 * a second). */
	if (r->pull == 500 || r->login == 500 || r->push == 500) {
		r->pull_v = ask(r, st, "REQUEST_METHOD=GET",
		    "/syncs/progress/e", "v", KEY, NULL, &body);
		want_v = json_loads(v_record, 0, NULL);
		if (r->pull_v != 200 || !json_equal(body, want_v))
			broken(r, "pull of another user's record: %d",
			    r->pull_v);
		json_decref(want_v);
		json_decref(body);
	}
	if ((r->pull == 500 || r->login == 500 || r->push == 500) &&
	    r->logs == logs)
		broken(r, "a 500 without a log line");
}

/* Runs one input: 0 with what happened in r, or -1 when it could not
 * run (out of memory, no folder to write in). */
static int
fuzz_store(const uint8_t *data, size_t size, struct run *r)
{
	struct kss_log log = {count_log, r};
	struct kss_store st;
	const char *sep;
	size_t i;

	memset(r, 0, sizeof(*r));
	if (size == 0 || setup() < 0)
		return size == 0 ? 0 : -1;
	r->m = &modes[data[0] % NMODES];
	for (i = 0; i < NMODES; i++) {
		if (modes[i].letter == data[0])
			r->m = &modes[i];
	}
	r->rec = (const char *)data + 1;
	r->reclen = size - 1;
	if ((sep = memmem(r->rec, r->reclen, SEP, strlen(SEP))) != NULL) {
		r->auth = sep + strlen(SEP);
		r->authlen = r->reclen - (size_t)(r->auth - r->rec);
		r->reclen = (size_t)(sep - r->rec);
	}
	if (lay_out(r) < 0)
		return -1;
	if (kss_store_file_open(root, &log, &st) != KSS_OK) {
		broken(r, "the store does not open");
		return 0;
	}
	exercise(r, &st);
	kss_store_close(&st);
	return 0;
}

const char fuzz_corpus[] = "corpus-store";

/* A seed's name states the status of the first pull (a) and, when given,
 * of the login with the right key (b). */
int
fuzz_check(const uint8_t *data, size_t size, int a, long b, char *what,
    size_t whatsize)
{
	struct run r;

	if (fuzz_store(data, size, &r) < 0)
		return -1;
	if (r.why[0] != '\0') {
		snprintf(what, whatsize, "%s", r.why);
		return 0;
	}
	snprintf(what, whatsize, "pull %d, login %d, wrong key %d, push %d, "
	    "pull %d", r.pull, r.login, r.wrong, r.push, r.pull2);
	if (a > 0 && (r.pull != a || (b != 0 && r.login != b))) {
		snprintf(what + strlen(what), whatsize - strlen(what),
		    ": not the %d%s%.0ld named", a, b != 0 ? "-" : "", b);
		return 0;
	}
	return 1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct run r;

	if (fuzz_store(data, size, &r) == 0 && r.why[0] != '\0') {
		fprintf(stderr, "fuzz_store: %s\n", r.why);
		abort();
	}
	return 0;
}
