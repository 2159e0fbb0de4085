#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth.h"
#include "backup.h"
#include "json.h"
#include "store.h"
#include "valid.h"

/* One user of the export; NULL when it cannot be read. */
static json_t *
export_user(struct kss_store *st, const char *user)
{
	struct kss_secret s = {NULL, false};
	json_t *docs = NULL, *u;
	const char *id;
	void *tmp;
	json_t *v;

	if (st->ops->secret_get(st->h, user, &s) != KSS_OK ||
	    st->ops->doc_list(st->h, user, &docs) != KSS_OK) {
		kss_secret_free(&s);
		return NULL;
	}
	/* A corrupt record has nothing to carry. */
	json_object_foreach_safe(docs, tmp, id, v) {
		if (json_is_null(v))
			json_object_del(docs, id);
	}
	u = json_pack("{s:s, s:s, s:o}", "name", user,
	    s.hashed ? "key_hash" : "raw_key", s.value, "documents", docs);
	kss_secret_free(&s);
	return u;
}

enum kss_err
kss_backup_export(struct kss_store *st, json_t **out)
{
	json_t *users = NULL, *list, *u, *name;
	enum kss_err e;
	size_t i;

	*out = NULL;
	if ((e = st->ops->user_list(st->h, &users)) != KSS_OK && users == NULL)
		return e;
	if ((list = json_array()) == NULL) {
		json_decref(users);
		return KSS_E_SERVER;
	}
	json_array_foreach(users, i, name) {
		if ((u = export_user(st, json_string_value(name))) == NULL)
			e = KSS_E_SERVER;
		else if (json_array_append_new(list, u) < 0) {
			e = KSS_E_SERVER;
			break;
		}
	}
	json_decref(users);
	*out = json_pack("{s:i, s:I, s:o}", "kss_export", KSS_EXPORT_VERSION,
	    "exported", (json_int_t)time(NULL), "users", list);
	return *out == NULL ? KSS_E_SERVER : e;
}

static enum kss_err
refuse(char **why, const char *what)
{
	*why = strdup(what);
	return KSS_E_INVALID;
}

/* What makes in an export at all; the rest is judged a user and a
 * record at a time. */
static enum kss_err
shape(const json_t *in, char **why)
{
	if (!json_is_object(in) ||
	    !json_is_integer(json_object_get(in, "kss_export")))
		return refuse(why, "not an export of kss (no \"kss_export\")");
	if (json_integer_value(json_object_get(in, "kss_export")) !=
	    KSS_EXPORT_VERSION)
		return refuse(why, "an export of another version of kss "
		    "(\"kss_export\" is not 1)");
	if (!json_is_array(json_object_get(in, "users")))
		return refuse(why, "no \"users\" list");
	return KSS_OK;
}

/* One import under way. */
struct run {
	struct kss_store *st;
	bool dry_run;
	struct kss_import_counts *n;
	const struct kss_import_report *r;
	enum kss_err result;
};

static void
tell(struct run *k, const char *user, const char *doc, bool problem,
    const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void
tell(struct run *k, const char *user, const char *doc, bool problem,
    const char *fmt, ...)
{
	char what[512];
	va_list ap;

	if (problem)
		k->result = KSS_E_SERVER;
	if (k->r == NULL || k->r->say == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	k->r->say(k->r->ctx, user, doc, what, problem);
}

/* A credential as an export holds it: exactly one of key_hash and
 * raw_key, a key as a client sends it (no NUL in either). */
static bool
credential(const json_t *u, struct kss_secret *s)
{
	const char *h = json_string_value(json_object_get(u, "key_hash"));
	const char *r = json_string_value(json_object_get(u, "raw_key"));
	const char *v = h != NULL ? h : r;

	if ((h == NULL) == (r == NULL) || *v == '\0' ||
	    strlen(v) > KSS_KEY_MAX ||
	    strlen(v) != json_string_length(json_object_get(u,
	    h != NULL ? "key_hash" : "raw_key")))
		return false;
	s->value = (char *)v;
	s->hashed = h != NULL;
	return true;
}

/* Why the export's user u cannot be imported, or NULL, with its
 * credential in *s. */
static const char *
user_refused(const json_t *u, struct kss_secret *s)
{
	const json_t *name = json_object_get(u, "name");
	const json_t *docs = json_object_get(u, "documents");

	if (!json_is_object(u))
		return "skipped: not a user (an object)";
	if (!json_is_string(name) || !kss_valid_name(json_string_value(name),
	    json_string_length(name)))
		return "skipped: no user name kss accepts";
	if (!credential(u, s))
		return "skipped: no credential (one \"key_hash\" or "
		    "\"raw_key\")";
	if (s->hashed && !kss_auth_hash_valid(s->value))
		return "skipped: no credential kss can verify (a yescrypt "
		    "hash kss makes, or a raw key)";
	if (docs != NULL && !json_is_object(docs))
		return "skipped: \"documents\" is not an object";
	return NULL;
}

/* Why the export's record r of id cannot be imported, or NULL, with it
 * as kss stores it in *rec. */
static const char *
record_refused(const char *id, const json_t *r, json_t **rec)
{
	size_t len;
	char *text;

	*rec = NULL;
	if (!kss_valid_name(id, strlen(id)))
		return "a document id kss refuses";
	if (!json_is_object(r))
		return "not a record (an object)";
	if ((*rec = kss_valid_record(r, id, strlen(id))) == NULL ||
	    (text = kss_json_dump(*rec, &len)) == NULL) {
		json_decref(*rec);
		*rec = NULL;
		return "out of memory";
	}
	free(text);
	if (len >= KSS_STORE_FILE_MAX) {
		json_decref(*rec);
		*rec = NULL;
		return "larger than kss reads (1 MiB)";
	}
	return NULL;
}

/* One record of user (there already, or made by this import, unless
 * exists is false): stored, or (dry_run) compared with the one stored. */
static void
import_doc(struct run *k, const char *user, bool exists, const char *id,
    const json_t *r)
{
	struct kss_store *st = k->st;
	json_t *rec, *cur = NULL;
	const char *why;
	enum kss_err e = KSS_OK;
	bool changed = false, had;

	if ((why = record_refused(id, r, &rec)) != NULL) {
		k->n->docs_skipped++;
		tell(k, user, id, true, "skipped: %s", why);
		return;
	}
	if (k->dry_run) {
		/* A corrupt record stored (an error here) would be replaced. */
		if (exists)
			e = st->ops->doc_get(st->h, user, id, &cur);
		had = cur != NULL;
		changed = e != KSS_OK || kss_store_timestamp(cur) <
		    kss_store_timestamp(rec);
		e = KSS_OK;
	} else {
		/* Whether one was there: for the report only. */
		if (st->ops->doc_get(st->h, user, id, &cur) != KSS_OK)
			cur = NULL;
		had = cur != NULL;
		e = st->ops->doc_put_newer(st->h, user, id, rec, &changed);
	}
	json_decref(cur);
	json_decref(rec);
	if (e != KSS_OK) {
		k->n->docs_skipped++;
		tell(k, user, id, true, "not imported: the store failed");
	} else if (!changed)
		k->n->docs_kept++;
	else {
		*(had ? &k->n->docs_updated : &k->n->docs_added) += 1;
		tell(k, user, id, false, "%s", had ? "updated (newer)" :
		    "added");
	}
}

/* Finds user here, or creates it holding s. NULL when its records may
 * follow (*exists: it was here before), else why not. */
static const char *
account(struct run *k, const char *user, const struct kss_secret *s,
    bool *exists)
{
	struct kss_store *st = k->st;
	struct kss_secret cur = {NULL, false};
	enum kss_err e = st->ops->secret_get(st->h, user, &cur);

	*exists = e == KSS_OK;
	if (e == KSS_OK) {
		k->n->users_kept++;
		/* A raw key this store has hashed since (a login, migrate)
		 * is the same credential. */
		if ((cur.hashed != s->hashed || strcmp(cur.value, s->value)) &&
		    !(cur.hashed && !s->hashed && kss_auth_verify(&cur,
		    s->value))) {
			k->n->keys_differ++;
			tell(k, user, NULL, false, "kept: the credential here "
			    "differs from the file's");
		}
		kss_secret_free(&cur);
		return NULL;
	}
	if (e != KSS_E_NO_ACCOUNT)
		return "not imported: the account here cannot be read";
	if (!k->dry_run &&
	    (e = st->ops->user_create_secret(st->h, user, s)) != KSS_OK)
		return e == KSS_E_USER_EXISTS ? "not created: the name is taken "
		    "(made meanwhile, or a folder without an account: "
		    "kss-admin check)" : "not created: the store failed";
	/* Counted once the store made it. */
	k->n->users_created++;
	tell(k, user, NULL, false, "created");
	return NULL;
}

/* user, and the records docs of it, left out for why; at says where it
 * stands in the file (or NULL). */
static void
user_left_out(struct run *k, const char *user, const json_t *docs,
    const char *why, const char *at)
{
	k->n->users_skipped++;
	k->n->docs_skipped += (int)json_object_size(docs);
	tell(k, user, NULL, true, "%s%s%s", why, at != NULL ? " " : "",
	    at != NULL ? at : "");
}

/* The export's user u, users[i]. */
static void
import_user(struct run *k, const json_t *u, size_t i)
{
	const json_t *docs = json_object_get(u, "documents"), *r;
	const char *user = json_string_value(json_object_get(u, "name"));
	const char *why, *id;
	struct kss_secret s;
	char at[32];
	bool exists;

	if ((why = user_refused(u, &s)) != NULL) {
		/* The name may be none: where it stands says which. */
		snprintf(at, sizeof(at), "(users[%zu])", i);
		user_left_out(k, user != NULL ? user : at, docs, why,
		    user != NULL ? at : NULL);
		return;
	}
	if ((why = account(k, user, &s, &exists)) != NULL) {
		user_left_out(k, user, docs, why, NULL);
		return;
	}
	json_object_foreach((json_t *)docs, id, r)
		import_doc(k, user, exists || !k->dry_run, id, r);
}

enum kss_err
kss_backup_import_report(struct kss_store *st, const json_t *in,
    bool dry_run, struct kss_import_counts *n,
    const struct kss_import_report *r, char **why)
{
	struct run k = {st, dry_run, n, r, KSS_OK};
	const json_t *u;
	enum kss_err e;
	size_t i;

	memset(n, 0, sizeof(*n));
	*why = NULL;
	if ((e = shape(in, why)) != KSS_OK)
		return e;
	json_array_foreach(json_object_get(in, "users"), i, u)
		import_user(&k, u, i);
	return k.result;
}
