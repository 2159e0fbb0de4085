#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth.h"
#include "backup.h"
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
refuse(char **why, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static enum kss_err
refuse(char **why, const char *fmt, ...)
{
	char line[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	*why = strdup(line);
	return KSS_E_INVALID;
}

/* A credential as an export holds it: exactly one of key_hash (a crypt
 * hash, "$...") and raw_key, a key as a client sends it. */
static bool
credential(const json_t *u, struct kss_secret *s)
{
	const char *h = json_string_value(json_object_get(u, "key_hash"));
	const char *r = json_string_value(json_object_get(u, "raw_key"));
	const char *v = h != NULL ? h : r;

	if ((h == NULL) == (r == NULL) || *v == '\0' ||
	    strlen(v) > KSS_KEY_MAX ||
	    strlen(v) != json_string_length(json_object_get(u,
	    h != NULL ? "key_hash" : "raw_key")) || (h != NULL && *h != '$'))
		return false;
	s->value = (char *)v;
	s->hashed = h != NULL;
	return true;
}

/* The whole document is checked before anything is written. */
static enum kss_err
check(const json_t *in, char **why)
{
	struct kss_secret s;
	const json_t *users, *u, *docs, *r;
	const char *name, *id;
	char at[32];
	size_t i;

	if (!json_is_object(in) ||
	    !json_is_integer(json_object_get(in, "kss_export")))
		return refuse(why, "not an export of kss (no \"kss_export\")");
	if (json_integer_value(json_object_get(in, "kss_export")) !=
	    KSS_EXPORT_VERSION)
		return refuse(why, "an export of another version of kss "
		    "(\"kss_export\" is not 1)");
	if (!json_is_array(users = json_object_get(in, "users")))
		return refuse(why, "no \"users\" list");
	json_array_foreach(users, i, u) {
		snprintf(at, sizeof(at), "users[%zu]", i);
		name = json_string_value(json_object_get(u, "name"));
		if (name == NULL || !kss_valid_name(name, json_string_length(
		    json_object_get(u, "name"))))
			return refuse(why, "%s: no user name kss accepts", at);
		if (!credential(u, &s))
			return refuse(why, "user %s: no credential (one "
			    "\"key_hash\" or \"raw_key\")", name);
		docs = json_object_get(u, "documents");
		if (docs != NULL && !json_is_object(docs))
			return refuse(why, "user %s: \"documents\" is not an "
			    "object", name);
		json_object_foreach((json_t *)docs, id, r) {
			if (!kss_valid_name(id, strlen(id)))
				return refuse(why, "user %s: a document id kss "
				    "refuses (%.40s)", name, id);
			if (!json_is_object(r) ||
			    !kss_valid_strings(r, KSS_FIELD_MAX))
				return refuse(why, "user %s, document %s: not "
				    "a record kss stores", name, id);
		}
	}
	return KSS_OK;
}

static void
tell(void (*change)(void *, const char *, const char *, const char *),
    void *ctx, const char *user, const char *doc, const char *what)
{
	if (change != NULL)
		change(ctx, user, doc, what);
}

/* One record: stored, or (dry_run) compared with the one stored. */
static enum kss_err
import_doc(struct kss_store *st, const char *user, bool exists,
    const char *id, const json_t *r, bool dry_run,
    struct kss_import_counts *n,
    void (*change)(void *, const char *, const char *, const char *),
    void *ctx)
{
	json_t *rec = kss_valid_record(r, id, strlen(id)), *cur = NULL;
	enum kss_err e = KSS_OK;
	bool changed = false, had;

	if (rec == NULL)
		return KSS_E_SERVER;
	if (dry_run) {
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
	if (e != KSS_OK)
		return e;
	if (!changed)
		n->docs_kept++;
	else if (had)
		n->docs_updated++;
	else
		n->docs_added++;
	if (changed)
		tell(change, ctx, user, id, had ? "updated (newer)" : "added");
	return KSS_OK;
}

enum kss_err
kss_backup_import(struct kss_store *st, const json_t *in, bool dry_run,
    struct kss_import_counts *n,
    void (*change)(void *ctx, const char *user, const char *doc,
	const char *what), void *ctx, char **why)
{
	struct kss_secret s, cur = {NULL, false};
	const json_t *u, *r;
	enum kss_err e, result = KSS_OK;
	const char *user, *id;
	bool exists;
	size_t i;

	memset(n, 0, sizeof(*n));
	*why = NULL;
	if ((e = check(in, why)) != KSS_OK)
		return e;
	json_array_foreach(json_object_get(in, "users"), i, u) {
		user = json_string_value(json_object_get(u, "name"));
		credential(u, &s);
		e = st->ops->secret_get(st->h, user, &cur);
		exists = e == KSS_OK;
		if (e == KSS_OK) {
			n->users_kept++;
			/* A raw key this store has hashed since (a login,
			 * migrate) is the same credential. */
			if ((cur.hashed != s.hashed || strcmp(cur.value, s.value)) &&
			    !(cur.hashed && !s.hashed &&
			    kss_auth_verify(&cur, s.value))) {
				n->keys_differ++;
				tell(change, ctx, user, NULL, "kept: the "
				    "credential here differs from the file's");
			}
		} else if (e == KSS_E_NO_ACCOUNT) {
			n->users_created++;
			e = dry_run ? KSS_OK : st->ops->user_create_secret(st->h,
			    user, &s);
			if (e == KSS_OK)
				tell(change, ctx, user, NULL, "created");
		}
		kss_secret_free(&cur);
		if (e != KSS_OK) {
			result = KSS_E_SERVER;
			continue;
		}
		json_object_foreach((json_t *)json_object_get(u, "documents"),
		    id, r) {
			if (import_doc(st, user, exists || !dry_run, id, r,
			    dry_run, n, change, ctx) != KSS_OK)
				result = KSS_E_SERVER;
		}
	}
	return result;
}
