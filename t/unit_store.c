/* Unit tests: the store contract, run against the file and the memory
 * store, then what only the file store promises (layout, durability
 * details, legacy files). */
#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "store.h"
#include "tap.h"

static char logged[512];

static void
logw(void *ctx, const char *line)
{
	(void)ctx;
	snprintf(logged, sizeof(logged), "%s", line);
}

static const struct kss_log lg = {logw, NULL};

static json_t *
rec(const char *doc, const char *progress, const char *device_id)
{
	json_t *r = json_pack("{s:s, s:s, s:f, s:s, s:i}", "document", doc,
	    "progress", progress, "percentage", 0.25, "device", "dev",
	    "timestamp", 1700000000);

	if (device_id != NULL)
		json_object_set_new(r, "device_id", json_string(device_id));
	return r;
}

static void
contract(const char *name, struct kss_store *st)
{
	const struct kss_store_ops *o = st->ops;
	struct kss_secret s = {NULL, false};
	json_t *r, *got;

	is_int(o->secret_get(st->h, "ann", &s), KSS_E_NO_ACCOUNT,
	    "%s: unknown user", name);
	is_int(o->user_create(st->h, "ann", "$y$hash1"), KSS_OK,
	    "%s: create", name);
	is_int(o->user_create(st->h, "ann", "$y$hash2"), KSS_E_USER_EXISTS,
	    "%s: create twice", name);
	is_int(o->user_create(st->h, "Ann", "$y$hash3"), KSS_OK,
	    "%s: names are case-sensitive", name);
	is_int(o->secret_get(st->h, "ann", &s), KSS_OK, "%s: read secret", name);
	is_str(s.value, "$y$hash1", "%s: the first secret stays", name);
	ok(s.hashed, "%s: marked hashed", name);

	struct kss_secret wrong = {"$y$other", true};
	is_int(o->secret_swap(st->h, "ann", &wrong, "$y$new"),
	    KSS_E_UNAUTHORIZED, "%s: swap from a stale secret fails", name);
	is_int(o->secret_swap(st->h, "ann", &s, "$y$new"), KSS_OK,
	    "%s: swap from the current secret", name);
	is_int(o->secret_swap(st->h, "ann", &s, "$y$newer"), KSS_E_UNAUTHORIZED,
	    "%s: a second swap from the same secret fails", name);
	is_int(o->secret_swap(st->h, "nobody", &s, "$y$x"), KSS_E_NO_ACCOUNT,
	    "%s: swap for an unknown user", name);
	kss_secret_free(&s);

	is_int(o->doc_get(st->h, "ann", "d1", &got), KSS_OK, "%s: get none", name);
	ok(got == NULL, "%s: no record yet", name);
	r = rec("d1", "p1", "ID1");
	is_int(o->doc_put(st->h, "ann", "d1", r), KSS_OK, "%s: put", name);
	json_decref(r);
	r = rec("d1", "p2", NULL);
	json_object_set_new(r, "metadata", json_pack("{s:s}", "title", "T"));
	is_int(o->doc_put(st->h, "ann", "d1", r), KSS_OK, "%s: put again", name);
	json_decref(r);
	r = rec("d1", "p3", NULL);
	is_int(o->doc_put(st->h, "ann", "d1", r), KSS_OK, "%s: and again", name);
	json_decref(r);
	o->doc_get(st->h, "ann", "d1", &got);
	is_str(json_string_value(json_object_get(got, "progress")), "p3",
	    "%s: last write wins", name);
	is_str(json_string_value(json_object_get(got, "device_id")), "ID1",
	    "%s: device_id kept when a push omits it", name);
	is_str(json_string_value(json_object_get(json_object_get(got,
	    "metadata"), "title")), "T", "%s: metadata kept", name);
	json_decref(got);
	o->doc_get(st->h, "Ann", "d1", &got);
	ok(got == NULL, "%s: users do not see each other's records", name);
	r = rec("x", "p", NULL);
	is_int(o->doc_put(st->h, "nobody", "x", r), KSS_E_NO_ACCOUNT,
	    "%s: put for an unknown user", name);
	json_decref(r);

	is_int(o->user_delete(st->h, "ann"), KSS_OK, "%s: delete", name);
	is_int(o->user_delete(st->h, "ann"), KSS_E_NO_ACCOUNT,
	    "%s: delete twice", name);
	is_int(o->secret_get(st->h, "ann", &s), KSS_E_NO_ACCOUNT,
	    "%s: credential gone", name);
	o->doc_get(st->h, "ann", "d1", &got);
	ok(got == NULL, "%s: records gone", name);
	is_int(o->user_create(st->h, "ann", "$y$again"), KSS_OK,
	    "%s: the name can be registered again", name);
	o->doc_get(st->h, "ann", "d1", &got);
	ok(got == NULL, "%s: with no old records", name);
}

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
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", dir, rel);
	if ((f = fopen(p, "w")) != NULL) {
		fputs(text, f);
		fclose(f);
	}
}

static void
file_only(const char *root)
{
	struct kss_store st;
	struct kss_secret s = {NULL, false};
	char dir[512], id[200], path[600];
	json_t *r, *got;
	size_t i;

	snprintf(dir, sizeof(dir), "%s/new/sub", root);
	is_int(kss_store_file_open(dir, &lg, &st), KSS_OK,
	    "a missing data directory is created");
	struct stat sb;
	ok(stat(dir, &sb) == 0 && (sb.st_mode & 0777) == 0700,
	    "with mode 0700");

	st.ops->user_create(st.h, "bob", "$y$h");
	ok(exists(dir, "bob/auth.json"), "layout: <dir>/bob/auth.json");
	r = rec("0b229176d4e8db7f6d2b5a4952368d7a", "p", NULL);
	st.ops->doc_put(st.h, "bob", "0b229176d4e8db7f6d2b5a4952368d7a", r);
	json_decref(r);
	ok(exists(dir, "bob/0b229176d4e8db7f6d2b5a4952368d7a.json"),
	    "layout: <dir>/bob/<document>.json");
	r = rec("auth", "p", NULL);
	st.ops->doc_put(st.h, "bob", "auth", r);
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
	is_int(st.ops->doc_put(st.h, "bob", id, r), KSS_OK, "long id stored");
	json_decref(r);
	st.ops->doc_get(st.h, "bob", id, &got);
	is_str(json_string_value(json_object_get(got, "progress")), "long",
	    "long id reads back");
	json_decref(got);

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
	kss_secret_free(&s);
	is_int(st.ops->doc_get(st.h, "carol", "abc", &got), KSS_OK,
	    "the original kss's document file reads");
	is_str(json_string_value(json_object_get(got, "device")), "kobo",
	    "with its fields");
	json_decref(got);

	put_file(dir, "carol/bad.json", "{not json");
	is_int(st.ops->doc_get(st.h, "carol", "bad", &got), KSS_E_SERVER,
	    "a corrupt file is a server error");
	ok(strstr(logged, "bad.json") != NULL, "and is logged: %s", logged);

	/* A symlink planted as a user directory is never followed. */
	snprintf(path, sizeof(path), "%s/evil", dir);
	if (symlink("/tmp", path) == 0) {
		ok(st.ops->secret_get(st.h, "evil", &s) == KSS_E_SERVER,
		    "a symlinked user directory is refused");
		kss_secret_free(&s);
	}
	kss_store_close(&st);

	put_file(root, "afile", "x");
	snprintf(dir, sizeof(dir), "%s/afile", root);
	logged[0] = '\0';
	is_int(kss_store_file_open(dir, &lg, &st), KSS_E_SERVER,
	    "a data directory that is a file is refused");
	ok(strstr(logged, "KSS_DIR") != NULL, "with a log line: %s", logged);
	if (geteuid() != 0) {
		snprintf(dir, sizeof(dir), "%s/ro", root);
		mkdir(dir, 0500);
		is_int(kss_store_file_open(dir, &lg, &st), KSS_E_SERVER,
		    "a read-only data directory is refused");
	}
}

int
main(void)
{
	char root[] = "/tmp/kss-unit-XXXXXX", dir[600], cmd[700];
	struct kss_store st;

	if (mkdtemp(root) == NULL)
		return 1;
	snprintf(dir, sizeof(dir), "%s/data", root);
	if (kss_store_file_open(dir, &lg, &st) == KSS_OK) {
		contract("file", &st);
		kss_store_close(&st);
	}
	if (kss_store_mem_open(&st) == KSS_OK) {
		contract("memory", &st);
		kss_store_close(&st);
	}
	file_only(root);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	if (system(cmd) != 0)
		return 1;
	return tap_done();
}
