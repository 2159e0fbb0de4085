/* Unit tests: kss-admin's library: KOReader's document ids against every
 * vector of docid.md, the key of a password, the commands on users and
 * documents (on the memory store: the file store's side is
 * unit_store.c's), and the search of a library. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <crypt.h>

#include "admin.h"
#include "auth.h"
#include "backup.h"
#include "docid.h"
#include "library.h"
#include "store.h"
#include "tap.h"
#include "util.h"

/* docid.md's synthetic file of n bytes: byte i is (i*31 + (i >> 8)) mod
 * 256. */
static int
synthetic(const char *path, size_t n)
{
	unsigned char buf[4096];
	size_t i, k;
	FILE *f = fopen(path, "wb");

	if (f == NULL)
		return -1;
	for (i = 0; i < n; i += k) {
		for (k = 0; k < sizeof(buf) && i + k < n; k++)
			buf[k] = (unsigned char)(((i + k) * 31 + ((i + k) >> 8)) %
			    256);
		fwrite(buf, 1, k, f);
	}
	return fclose(f);
}

static const char *
binary_of(const char *path)
{
	static char id[KSS_DOCID_SIZE];
	int fd = open(path, O_RDONLY);

	strcpy(id, "(cannot read)");
	if (fd >= 0) {
		if (kss_docid_binary(fd, id) < 0)
			strcpy(id, "(read failed)");
		close(fd);
	}
	return id;
}

static void
docids(const char *root)
{
	static const struct {
		size_t n;
		const char *md5;
	} v[] = {
		{500, "21f0df72cce9bc7da8dae2512ee5feed"},
		{1024, "f4cd1641040a17288bb6104d9e66bdb5"},
		{1025, "170a888db01c00d8fc3e5d8d84de5838"},
		{2048, "d0e59a0c7b893c3b8d6a9bddbd64e631"},
		{3000, "d0e59a0c7b893c3b8d6a9bddbd64e631"},
		{200000, "1784b150454ef4cf6780ceb94af0386f"},
		{1050000, "0fca5c751677ecbc2dcfe80ea75ace32"},
	};
	char id[KSS_DOCID_SIZE], digits[17];
	const char *path;
	size_t i;
	off_t off;
	int fd;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		path = at(root, "synthetic");
		if (synthetic(path, v[i].n) < 0) {
			ok(0, "docid: the synthetic file of %zu bytes", v[i].n);
			continue;
		}
		is_str(binary_of(path), v[i].md5, "docid: binary of the "
		    "synthetic file of %zu bytes", v[i].n);
	}
	path = at(root, "empty");
	put_text(path, "");
	is_str(binary_of(path), "d41d8cd98f00b204e9800998ecf8427e",
	    "docid: an empty file's is the MD5 of nothing");

	/* The sparse file of 1 GiB + 1 KiB: all twelve samples. */
	path = at(root, "sparse");
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) < 0 ||
	    ftruncate(fd, 1073742848) < 0) {
		ok(0, "docid: a sparse file");
	} else {
		for (i = 0; i < 12; i++) {
			off = i == 0 ? 0 : (off_t)1024 << (2 * (i - 1));
			snprintf(digits, sizeof(digits), "%016lld",
			    (long long)off);
			if (pwrite(fd, digits, 16, off) != 16)
				break;
		}
		ok(i == 12, "docid: the sparse file's twelve marks");
		close(fd);
		is_str(binary_of(path), "266ff27c24919f4cec96f90f9b3231ca",
		    "docid: binary of the sparse file of 1 GiB");
	}
	unlink(path);

	kss_docid_filename("minimal-v3plus2.epub", id);
	is_str(id, "35322b7036d0c3298eedde8c30429693",
	    "docid: the filename method");
	kss_docid_filename("/some/folder/minimal-v3plus2.epub", id);
	is_str(id, "35322b7036d0c3298eedde8c30429693",
	    "docid: of the base name only");
	kss_admin_key("password", id);
	is_str(id, "5f4dcc3b5aa765d61d8327deb882cf99",
	    "key: KOReader's for \"password\" (its MD5)");
	kss_admin_key("pässwörd", id);
	is_str(id, "12841e4ba5e37d2fbfc78458c6714ade",
	    "key: of the UTF-8 bytes");
	fd = open(root, O_RDONLY | O_DIRECTORY);
	ok(kss_docid_binary(fd, id) < 0 && errno == EISDIR,
	    "docid: a folder is an error, not an id");
	close(fd);
}

static json_t *
rec(const char *doc, const char *device, long long ts)
{
	return json_pack("{s:s, s:s, s:f, s:s, s:I}", "document", doc,
	    "progress", "/body/p[1]", "percentage", 0.3188, "device", device,
	    "timestamp", (json_int_t)ts);
}

static void
commands(void)
{
	struct kss_secret s = {NULL, false}, raw = {"rawkey", false};
	struct kss_store st;
	json_t *out, *r, *u;
	char key[KSS_DOCID_SIZE];

	if (kss_store_mem_open(&st) != KSS_OK) {
		ok(0, "a memory store");
		return;
	}
	is_int(kss_admin_user_add(&st, "ann", "correct horse", 1), KSS_OK,
	    "user add");
	is_int(kss_admin_user_add(&st, "ann", "other", 1), KSS_E_USER_EXISTS,
	    "user add of a taken name");
	is_int(kss_admin_user_add(&st, "a:b", "pw", 1), KSS_E_INVALID,
	    "user add of a name the server refuses");
	is_int(kss_admin_user_add(&st, "bad\xff", "pw", 1), KSS_E_INVALID,
	    "user add of a name that is not UTF-8");
	st.ops->secret_get(st.h, "ann", &s);
	kss_admin_key("correct horse", key);
	ok(s.hashed && strncmp(s.value, "$y$", 3) == 0,
	    "stored as a yescrypt hash");
	ok(kss_auth_verify(&s, key), "of the key KOReader sends");
	ok(!kss_auth_verify(&s, "correct horse"),
	    "not of the password itself");
	kss_secret_free(&s);
	is_int(kss_auth_user(&st, "ann", key, 1, NULL, NULL, NULL, NULL),
	    KSS_OK, "the server's login takes it");

	is_int(kss_admin_user_passwd(&st, "ann", "battery staple", 1), KSS_OK,
	    "user passwd");
	is_int(kss_auth_user(&st, "ann", key, 1, NULL, NULL, NULL, NULL),
	    KSS_E_UNAUTHORIZED, "the old key no longer logs in");
	kss_admin_key("battery staple", key);
	is_int(kss_auth_user(&st, "ann", key, 1, NULL, NULL, NULL, NULL),
	    KSS_OK, "the new one does");
	is_int(kss_admin_user_passwd(&st, "nobody", "x", 1), KSS_E_NO_ACCOUNT,
	    "user passwd of an unknown user");
	is_int(kss_admin_user_exists(&st, "ann"), KSS_OK, "ann exists");
	is_int(kss_admin_user_exists(&st, "nobody"), KSS_E_NO_ACCOUNT,
	    "nobody does not");
	is_int(kss_admin_user_exists(&st, ""), KSS_E_INVALID,
	    "an empty name is none");

	st.ops->user_create_secret(st.h, "old", &raw);
	r = rec("d1", "Kobo", 1700000100);
	json_object_set_new(r, "metadata", json_pack("{s:s, s:s}", "title",
	    "Dune", "authors", "Frank Herbert"));
	st.ops->doc_put(st.h, "old", &raw, "d1", r);
	json_decref(r);
	r = rec("d2", "PocketBook", 1700000200);
	json_object_set_new(r, "junk", json_string("x"));
	json_object_set_new(r, "device_id", json_null());
	st.ops->doc_put(st.h, "old", &raw, "d2", r);
	json_decref(r);
	r = rec("d3", "Kobo", 1700000000);
	st.ops->doc_put(st.h, "old", &raw, "d3", r);
	json_decref(r);

	is_int(kss_admin_user_list(&st, &out), KSS_OK, "user list");
	is_int(json_array_size(out), 2, "two users");
	u = json_array_get(out, 0);
	is_str(json_string_value(json_object_get(u, "name")), "ann",
	    "sorted by name");
	ok(json_is_null(json_object_get(u, "last_sync")) &&
	    json_integer_value(json_object_get(u, "documents")) == 0,
	    "ann: no documents, no last sync");
	u = json_array_get(out, 1);
	is_int(json_integer_value(json_object_get(u, "documents")), 3,
	    "old: three documents");
	is_int(json_integer_value(json_object_get(u, "last_sync")), 1700000200,
	    "old: the newest record's time");
	r = json_object_get(u, "devices");
	ok(json_array_size(r) == 2 && strcmp(json_string_value(
	    json_array_get(r, 0)), "Kobo") == 0 && strcmp(json_string_value(
	    json_array_get(r, 1)), "PocketBook") == 0,
	    "old: the devices seen, once each, sorted");
	ok(json_is_true(json_object_get(u, "raw_key")) &&
	    json_is_false(json_object_get(json_array_get(out, 0), "raw_key")),
	    "raw_key: old's is the original kss's, ann's hashed");
	json_decref(out);

	is_int(kss_admin_doc_list(&st, "old", &out), KSS_OK, "doc list");
	ok(json_array_size(out) == 3 && strcmp(json_string_value(
	    json_object_get(json_array_get(out, 0), "document")), "d2") == 0 &&
	    strcmp(json_string_value(json_object_get(json_array_get(out, 2),
	    "document")), "d3") == 0, "newest first");
	r = json_array_get(out, 0);
	ok(json_object_get(r, "junk") == NULL &&
	    json_object_get(r, "device_id") == NULL,
	    "as a pull answers (unknown keys and nulls left out)");
	is_str(json_string_value(json_object_get(json_object_get(
	    json_array_get(out, 1), "metadata"), "title")), "Dune",
	    "with metadata");
	json_decref(out);
	is_int(kss_admin_doc_list(&st, "nobody", &out), KSS_E_NO_ACCOUNT,
	    "doc list of an unknown user");
	is_int(kss_admin_doc_list(&st, "../x", &out), KSS_E_NO_ACCOUNT,
	    "doc list of a hostile name finds none");

	is_int(kss_admin_doc_show(&st, "old", "d1", &out), KSS_OK, "doc show");
	is_str(json_string_value(json_object_get(out, "device")), "Kobo",
	    "its fields");
	json_decref(out);
	is_int(kss_admin_doc_show(&st, "old", "d9", &out), KSS_E_NOT_FOUND,
	    "doc show of a document not there");
	is_int(kss_admin_doc_show(&st, "nobody", "d1", &out), KSS_E_NO_ACCOUNT,
	    "doc show for an unknown user");
	is_int(kss_admin_doc_show(&st, "old", "a:b", &out), KSS_E_DOCUMENT,
	    "doc show of an id the server refuses");
	is_int(kss_admin_doc_rm(&st, "old", "d1"), KSS_OK, "doc rm");
	is_int(kss_admin_doc_rm(&st, "old", "d1"), KSS_E_NOT_FOUND,
	    "doc rm again");
	is_int(kss_admin_doc_rm(&st, "old", ""), KSS_E_DOCUMENT,
	    "doc rm of an empty id");

	is_int(kss_admin_user_del(&st, "old"), KSS_OK, "user del");
	is_int(kss_admin_user_del(&st, "old"), KSS_E_NO_ACCOUNT,
	    "user del again");
	is_int(st.ops->doc_get(st.h, "old", "d2", &out), KSS_OK,
	    "the records went with it");
	ok(out == NULL, "none left");
	is_int(kss_admin_user_del(&st, "x\ny"), KSS_E_INVALID,
	    "user del of a name with a control character");
	kss_store_close(&st);
}

static void
count_change(void *ctx, const char *user, const char *doc, const char *what,
    bool problem)
{
	(void)user, (void)doc, (void)what;
	if (!problem)
		(*(int *)ctx)++;
}

/* Export and import on the memory store: they need no more of a store
 * than its operations (a Redis store will do). */
static void
backup(void)
{
	struct kss_secret raw = {"rawkey", false}, h = {NULL, true};
	struct kss_import_counts n;
	struct kss_store a, b;
	json_t *out = NULL, *out2 = NULL, *r;
	char *why = NULL, *t1, *t2;
	int changes = 0;
	const struct kss_import_report counted = {count_change, &changes};

	if (kss_store_mem_open(&a) != KSS_OK || kss_store_mem_open(&b) != KSS_OK ||
	    kss_auth_hash("hashed-key", 1, &h.value) != KSS_OK) {
		ok(0, "backup: two memory stores, a hash");
		return;
	}
	a.ops->user_create_secret(a.h, "raw", &raw);
	a.ops->user_create_secret(a.h, "hashed", &h);
	r = rec("d1", "Kobo", 1700000000);
	a.ops->doc_put(a.h, "raw", &raw, "d1", r);
	json_decref(r);
	is_int(kss_backup_export(&a, &out), KSS_OK, "backup: export");
	is_int(json_array_size(json_object_get(out, "users")), 2,
	    "backup: both users");
	is_int(kss_backup_import_report(&b, out, true, &n, &counted, &why),
	    KSS_OK, "backup: import --dry-run");
	ok(n.users_created == 2 && n.docs_added == 1 && changes == 3,
	    "backup: says 2 users and 1 record");
	is_int(b.ops->user_list(b.h, &r), KSS_OK, "backup: and does nothing");
	is_int(json_array_size(r), 0, "backup: no user made");
	json_decref(r);
	is_int(kss_backup_import_report(&b, out, false, &n, NULL, &why), KSS_OK,
	    "backup: import");
	kss_backup_export(&b, &out2);
	json_object_del(out, "exported");
	json_object_del(out2, "exported");
	t1 = json_dumps(out, JSON_SORT_KEYS);
	t2 = json_dumps(out2, JSON_SORT_KEYS);
	is_str(t2, t1, "backup: the copy exports as the original does");
	free(t1);
	free(t2);
	is_int(kss_backup_import_report(&b, out, false, &n, NULL, &why), KSS_OK,
	    "backup: import again");
	ok(n.users_created == 0 && n.users_kept == 2 && n.keys_differ == 0 &&
	    n.docs_added == 0 && n.docs_updated == 0 && n.docs_kept == 1,
	    "backup: changes nothing");
	json_decref(out2);
	json_object_set_new(out, "kss_export", json_integer(2));
	is_int(kss_backup_import_report(&b, out, false, &n, NULL, &why),
	    KSS_E_INVALID, "backup: another version is refused");
	ok(why != NULL && strstr(why, "another version") != NULL,
	    "backup: saying why: %s", why != NULL ? why : "(null)");
	free(why);
	json_decref(out);
	kss_secret_free(&h);
	kss_store_close(&a);
	kss_store_close(&b);
}

/* Only a hash kss itself makes is taken as a credential: yescrypt at a
 * cost kss uses, whole. */
static void
hashes(void)
{
	static const char *const bad[] = {
		"$y$a", "$y$j75$", "$y$j9T$F5Jx5fExrKuPp53xLKQ..1$",
		"$y$j9T$F5Jx5fExrKuPp53xLKQ..1$X3DX6",
		"$y$j9T$$X3DX6M94c7o.9agCG9G317fhZg9SqC.5i5rd.RhAtQ7",
		"$y$jzz$F5Jx5fExrKuPp53xLKQ..1$X3DX6M94c7o.9agCG9G317fhZg9SqC.5i5rd.RhAtQ7",
		"$y$j9T$F5Jx5fExrKuPp53xLKQ..1$X3DX6M94c7o.9agCG9G317fhZg9SqC.5i5rd.RhAtQ7x",
		"$y$j9T$F5Jx5fExr*uPp53xLKQ..1$X3DX6M94c7o.9agCG9G317fhZg9SqC.5i5rd.RhAtQ7",
		"$gy$j9T$F5Jx5fExrKuPp53xLKQ..1$X3DX6M94c7o.9agCG9G317fhZg9SqC.5i5rd.RhAtQ7",
		"$1$salt$qJH7.N4xYta3aEG/dfqo/0", "$6$salt$x", "*", "",
		/* A salt of a length crypt refuses (it answers "*0"). */
		"$y$j9T$A$X3DX6M94c7o.9agCG9G317fhZg9SqC.5i5rd.RhAtQ7",
		"$y$j9T$F5Jx5fExrKuPp53xLKQ..1x$X3DX6M94c7o.9agCG9G317fhZg9SqC.5i5rd.RhAtQ7",
	};
	char *hash = NULL;
	size_t i;
	int cost;

	for (cost = 1; cost <= 6; cost += 5) {
		if (kss_auth_hash("5f4dcc3b5aa765d61d8327deb882cf99", cost,
		    &hash) != KSS_OK)
			ok(0, "hash: at cost %d", cost);
		else
			ok(kss_auth_hash_valid(hash), "hash: kss's own at cost "
			    "%d is taken (%s)", cost, hash);
		free(hash);
		hash = NULL;
	}
	ok(kss_auth_hash_valid("$y$j9T$F5Jx5fExrKuPp53xLKQ..1$"
	    "X3DX6M94c7o.9agCG9G317fhZg9SqC.5i5rd.RhAtQ7"),
	    "hash: a yescrypt hash at cost 5");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ok(!kss_auth_hash_valid(bad[i]), "hash: refused: '%s'", bad[i]);
}

static void
count_problem(void *ctx, const char *user, const char *doc, const char *what,
    bool problem)
{
	(void)user, (void)doc, (void)what;
	((int *)ctx)[problem]++;
}

/* A record as the original kss stored it, a string over 4 KiB in it,
 * goes through export and import; what import cannot take is left out,
 * each told as a problem, the rest imported. */
static void
backup_each(void)
{
	struct kss_secret raw = {"rawkey", false};
	const struct kss_import_report *none = NULL;
	struct kss_import_report told;
	struct kss_import_counts n;
	struct kss_store a, b;
	json_t *out = NULL, *r, *big, *docs;
	char *why = NULL, *text;
	int said[2] = {0, 0};

	if (kss_store_mem_open(&a) != KSS_OK || kss_store_mem_open(&b) != KSS_OK) {
		ok(0, "backup: two memory stores");
		return;
	}
	text = calloc(1, KSS_STORE_FILE_MAX + 1);
	memset(text, 'x', 5000);
	a.ops->user_create_secret(a.h, "raw", &raw);
	r = rec("long", "Kobo", 1700000000);
	json_object_set_new(r, "progress", json_string(text));
	a.ops->doc_put(a.h, "raw", &raw, "long", r);
	json_decref(r);
	kss_backup_export(&a, &out);
	is_int(kss_backup_import_report(&b, out, false, &n, none, &why), KSS_OK,
	    "backup: a record holding 5000 bytes imports");
	ok(b.ops->doc_get(b.h, "raw", "long", &r) == KSS_OK && r != NULL &&
	    strlen(json_string_value(json_object_get(r, "progress"))) == 5000,
	    "backup: whole");
	json_decref(r);

	docs = json_object_get(json_array_get(json_object_get(out, "users"),
	    0), "documents");
	json_object_set_new(docs, "not-a-record", json_string("x"));
	json_object_set_new(docs, "a:b", json_object());
	memset(text, 'y', KSS_STORE_FILE_MAX);
	big = rec("big", "Kobo", 1700000000);
	json_object_set_new(big, "progress", json_string(text));
	json_object_set_new(docs, "big", big);
	json_object_set_new(docs, "new", rec("new", "Kobo", 1700000001));
	json_array_append_new(json_object_get(out, "users"), json_pack(
	    "{s:s, s:s}", "name", "x:y", "raw_key", "k"));
	json_array_append_new(json_object_get(out, "users"), json_pack(
	    "{s:s, s:s}", "name", "weak", "key_hash", "$y$a"));
	told.say = count_problem;
	told.ctx = said;
	is_int(kss_backup_import_report(&b, out, false, &n, &told, &why),
	    KSS_E_SERVER, "backup: an import with what kss cannot take: "
	    "an error");
	ok(why == NULL, "backup: yet not refused whole");
	ok(n.docs_added == 1 && n.docs_kept == 1 && n.docs_skipped == 3 &&
	    n.users_skipped == 2 && n.users_created == 0,
	    "backup: the new record lands; three are skipped, and two users "
	    "(a name kss refuses, a hash kss cannot verify)");
	is_int(said[1], 5, "backup: each thing left out is told as a problem");
	ok(b.ops->doc_get(b.h, "raw", "new", &r) == KSS_OK && r != NULL,
	    "backup: the new record is there");
	json_decref(r);
	free(text);
	json_decref(out);
	kss_store_close(&a);
	kss_store_close(&b);
}

static void
warned(void *ctx, const char *path)
{
	(void)path;
	(*(int *)ctx)++;
}

/* One id matched both ways: the Binary match wins (KOReader's default
 * method), whichever is found first. A file shorter than a sample has
 * the MD5 of its content as its Binary id, so a file holding the bytes
 * "n.pdf" has the Filename id of a file called n.pdf. */
static void
precedence(const char *root)
{
	char lib[600], id[KSS_DOCID_SIZE];
	json_t *wanted = json_object(), *found = NULL;
	const json_t *f;

	snprintf(lib, sizeof(lib), "%s/precedence", root);
	mkdir(lib, 0700);
	/* In one file the Filename match comes first. */
	put_text(at(lib, "n.pdf"), "n.pdf");
	kss_docid_filename("n.pdf", id);
	json_object_set_new(wanted, id, json_null());
	if (kss_library_scan(lib, wanted, &found, NULL, NULL) < 0) {
		ok(0, "library: scanned");
		json_decref(wanted);
		return;
	}
	f = json_object_get(found, id);
	is_str(json_string_value(json_object_get(f, "method")), "binary",
	    "library: Binary wins over a Filename match found before it");
	json_decref(found);
	/* In two files, in whatever order the folder lists them. */
	unlink(at(lib, "n.pdf"));
	put_text(at(lib, "n.pdf"), "other content");
	put_text(at(lib, "content.bin"), "n.pdf");
	kss_library_scan(lib, wanted, &found, NULL, NULL);
	f = json_object_get(found, id);
	ok(strcmp(json_string_value(json_object_get(f, "method")), "binary") ==
	    0 && strcmp(json_string_value(json_object_get(f, "file")),
	    "content.bin") == 0, "library: and over one in another file");
	json_decref(found);
	json_decref(wanted);
}

static void
library(const char *root)
{
	char lib[600], id[KSS_DOCID_SIZE], id2[KSS_DOCID_SIZE];
	json_t *wanted = json_object(), *found = NULL;
	const json_t *f;
	int warnings = 0;

	snprintf(lib, sizeof(lib), "%s/library", root);
	mkdir(lib, 0700);
	mkdir(at(lib, "sub"), 0700);
	mkdir(at(lib, "sub/deeper"), 0700);
	synthetic(at(lib, "sub/deeper/book.epub"), 200000);
	put_text(at(lib, "sub/named.pdf"), "any content");
	put_text(at(lib, "sub/unwanted.txt"), "x");
	put_text(at(lib, "copy.epub"), "");
	synthetic(at(lib, "copy.epub"), 200000);	/* same content */
	if (symlink("..", at(lib, "sub/loop")) != 0)
		ok(0, "library: a link back up");
	if (symlink("sub/named.pdf", at(lib, "linked.pdf")) != 0)
		ok(0, "library: a link to a file");
	mkfifo(at(lib, "fifo.epub"), 0600);
	put_text(at(lib, "secret.epub"), "no access");
	chmod(at(lib, "secret.epub"), 0);

	json_object_set_new(wanted, "1784b150454ef4cf6780ceb94af0386f",
	    json_null());
	kss_docid_filename("named.pdf", id);
	json_object_set_new(wanted, id, json_null());
	kss_docid_filename("linked.pdf", id2);
	json_object_set_new(wanted, id2, json_null());
	json_object_set_new(wanted, "00000000000000000000000000000000",
	    json_null());
	if (!ok(kss_library_scan(lib, wanted, &found, warned, &warnings) == 0,
	    "library: scanned")) {
		json_decref(wanted);
		return;
	}
	f = json_object_get(found, "1784b150454ef4cf6780ceb94af0386f");
	is_str(json_string_value(json_object_get(f, "method")), "binary",
	    "library: a book found by its content");
	ok(json_string_value(json_object_get(f, "file")) != NULL &&
	    (strcmp(json_string_value(json_object_get(f, "file")),
	    "sub/deeper/book.epub") == 0 || strcmp(json_string_value(
	    json_object_get(f, "file")), "copy.epub") == 0),
	    "library: as a path under the library (%s)",
	    json_string_value(json_object_get(f, "file")));
	f = json_object_get(found, id);
	is_str(json_string_value(json_object_get(f, "file")), "sub/named.pdf",
	    "library: a book found by its name");
	is_str(json_string_value(json_object_get(f, "method")), "filename",
	    "library: so said");
	is_str(json_string_value(json_object_get(json_object_get(found, id2),
	    "file")), "linked.pdf", "library: a link to a file is followed");
	is_int(json_object_size(found), 3, "library: nothing else is found");
	if (geteuid() != 0)
		is_int(warnings, 1, "library: the unreadable file is named");
	else
		skip("library: the unreadable file is named", "root reads all");
	json_decref(found);
	ok(kss_library_scan(at(root, "no-such"), wanted, &found, NULL, NULL) < 0
	    && errno == ENOENT, "library: a missing library is an error");
	json_decref(wanted);
	chmod(at(lib, "secret.epub"), 0600);
	precedence(root);
}

int
main(void)
{
	char root[] = "/tmp/kss-unit-admin-XXXXXX", cmd[100];

	if (mkdtemp(root) == NULL)
		return 1;
	docids(root);
	commands();
	backup();
	backup_each();
	hashes();
	library(root);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	if (system(cmd) != 0)
		return 1;
	return tap_done();
}
