#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "admin.h"
#include "auth.h"
#include "store.h"
#include "valid.h"

static bool
valid(const char *name)
{
	return name != NULL && kss_valid_name(name, strlen(name));
}

void
kss_admin_key(const char *password, char key[KSS_DOCID_SIZE])
{
	kss_md5_hex(password, strlen(password), key);
}

/* The secret a registration of password stores: its key, hashed, or as
 * it is where the store keeps raw keys (KSS_REDIS_RAW_KEYS: the Redis
 * store, whose values say which they are). */
static enum kss_err
hash_password(const struct kss_store *st, const char *password, int cost,
    char **hash)
{
	char key[KSS_DOCID_SIZE];
	enum kss_err e;

	kss_admin_key(password, key);
	if (st->raw_keys)
		e = (*hash = strdup(key)) == NULL ? KSS_E_SERVER : KSS_OK;
	else
		e = kss_auth_hash(key, cost, hash);
	explicit_bzero(key, sizeof(key));
	return e;
}

/* Whether user, whose secret could not be read, has an account all the
 * same: the store lists its records. The operator may then set a new
 * credential, or delete it. */
static bool
unreadable(struct kss_store *st, const char *user)
{
	json_t *docs = NULL;
	bool yes = st->ops->doc_list(st->h, user, &docs) == KSS_OK;

	json_decref(docs);
	return yes;
}

/* Whether user has an account: KSS_OK, KSS_E_NO_ACCOUNT, ... One whose
 * credential cannot be read (the store said why) is one. */
static enum kss_err
account(struct kss_store *st, const char *user)
{
	struct kss_secret s = {NULL, false};
	enum kss_err e = st->ops->secret_get(st->h, user, &s);

	kss_secret_free(&s);
	return (e == KSS_E_SERVER || e == KSS_E_STORE) && unreadable(st, user) ?
	    KSS_OK : e;
}

enum kss_err
kss_admin_user_exists(struct kss_store *st, const char *user)
{
	return valid(user) ? account(st, user) : KSS_E_INVALID;
}

/* user's name taken, yet no account (account() said so): in a file
 * store, a folder without auth.json blocks it (kss-admin check), which
 * becomes the account holding hash, keeping what it holds. */
static enum kss_err
adopt(struct kss_store *st, const char *user, char *hash)
{
	const struct kss_secret s = {hash, true};
	int rc;

	if (kss_store_file_root(st) < 0)
		return KSS_E_USER_EXISTS;	/* no folders in this store */
	rc = kss_store_file_adopt(st, user, &s);
	return rc > 0 ? KSS_OK : rc == 0 ? KSS_E_USER_EXISTS : KSS_E_SERVER;
}

enum kss_err
kss_admin_user_add(struct kss_store *st, const char *user,
    const char *password, int cost)
{
	enum kss_err e;
	char *hash;

	if (!valid(user))
		return KSS_E_INVALID;
	/* The KDF is spared for a name that is taken; the store's create
	 * decides a race, as for a registration. */
	if ((e = account(st, user)) != KSS_E_NO_ACCOUNT)
		return e == KSS_OK ? KSS_E_USER_EXISTS : e;
	if ((e = hash_password(st, password, cost, &hash)) != KSS_OK)
		return e;
	if ((e = st->ops->user_create(st->h, user, hash)) == KSS_E_USER_EXISTS)
		e = adopt(st, user, hash);
	free(hash);
	return e;
}

enum kss_err
kss_admin_user_passwd(struct kss_store *st, const char *user,
    const char *password, int cost)
{
	struct kss_secret s = {NULL, true};
	enum kss_err e;

	if (!valid(user))
		return KSS_E_INVALID;
	/* The KDF is spared for a missing user. */
	if ((e = account(st, user)) != KSS_OK)
		return e;
	if ((e = hash_password(st, password, cost, &s.value)) != KSS_OK)
		return e;
	e = st->ops->secret_set(st->h, user, &s);
	kss_secret_free(&s);
	return e;
}

enum kss_err
kss_admin_user_del(struct kss_store *st, const char *user)
{
	if (!valid(user))
		return KSS_E_INVALID;
	/* A client's delete removes the account it verified, never one
	 * registered anew; the operator's takes whichever is there, one
	 * whose credential cannot be read too. */
	return st->ops->user_delete(st->h, user, NULL);
}

static int
by_string(const void *a, const void *b)
{
	return strcmp(json_string_value(*(json_t *const *)a),
	    json_string_value(*(json_t *const *)b));
}

/* The device names of records, sorted, each once. */
static json_t *
devices(const json_t *docs)
{
	json_t *set = json_object(), *out = json_array(), *v, **names;
	const char *id, *dev;
	size_t n = 0, i;

	if (set == NULL || out == NULL)
		goto fail;
	json_object_foreach((json_t *)docs, id, v) {
		if ((dev = json_string_value(json_object_get(v, "device"))) !=
		    NULL && json_object_set_new(set, dev, json_null()) < 0)
			goto fail;
	}
	if ((names = calloc(json_object_size(set) + 1, sizeof(*names))) ==
	    NULL)
		goto fail;
	json_object_foreach(set, dev, v)
		names[n++] = json_string(dev);
	qsort(names, n, sizeof(*names), by_string);
	for (i = 0; i < n; i++)
		json_array_append_new(out, names[i]);
	free(names);
	json_decref(set);
	return out;
fail:
	json_decref(set);
	json_decref(out);
	return NULL;
}

/* One user of kss_admin_user_list(). */
static json_t *
user_info(struct kss_store *st, const char *user)
{
	struct kss_secret s = {NULL, false};
	json_t *docs = NULL, *v, *out;
	double last = -1;
	const char *id;
	enum kss_err e;

	if ((e = st->ops->secret_get(st->h, user, &s)) != KSS_OK)
		return json_pack("{s:s, s:s}", "name", user, "error",
		    e == KSS_E_NO_ACCOUNT ? "deleted meanwhile" :
		    unreadable(st, user) ? "its credential cannot be read "
		    "(user passwd sets a new one)" : "cannot be read");
	if ((e = st->ops->doc_list(st->h, user, &docs)) != KSS_OK) {
		kss_secret_free(&s);
		return json_pack("{s:s, s:s}", "name", user, "error",
		    e == KSS_E_NO_ACCOUNT ? "deleted meanwhile" :
		    "cannot be read");
	}
	/* A corrupt record (null) has no time: not 0, the epoch. */
	json_object_foreach(docs, id, v) {
		if (!json_is_null(v) && kss_store_timestamp(v) > last)
			last = kss_store_timestamp(v);
	}
	out = json_pack("{s:s, s:I, s:o, s:o*, s:b}", "name", user,
	    "documents", (json_int_t)json_object_size(docs),
	    "last_sync", last >= 0 ? json_integer((json_int_t)last) :
	    json_null(), "devices", devices(docs), "raw_key", !s.hashed);
	kss_secret_free(&s);
	json_decref(docs);
	return out;
}

enum kss_err
kss_admin_user_list(struct kss_store *st, json_t **out)
{
	json_t *users = NULL, *u, *info;
	enum kss_err e;
	size_t i;

	*out = NULL;
	/* Those it could read are listed all the same. */
	if ((e = st->ops->user_list(st->h, &users)) != KSS_OK && users == NULL)
		return e;
	if ((*out = json_array()) == NULL) {
		json_decref(users);
		return KSS_E_SERVER;
	}
	json_array_foreach(users, i, u) {
		if ((info = user_info(st, json_string_value(u))) == NULL ||
		    json_array_append_new(*out, info) < 0) {
			e = KSS_E_SERVER;
			break;
		}
		if (json_object_get(info, "error") != NULL)
			e = KSS_E_SERVER;
	}
	json_decref(users);
	return e;
}

/* Newest first, then by id: the order of kss_admin_doc_list(). */
static int
by_time(const void *a, const void *b)
{
	const json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
	double tx = kss_store_timestamp(x), ty = kss_store_timestamp(y);

	if (tx != ty)
		return tx < ty ? 1 : -1;
	return strcmp(json_string_value(json_object_get(x, "document")),
	    json_string_value(json_object_get(y, "document")));
}

enum kss_err
kss_admin_doc_list(struct kss_store *st, const char *user, json_t **out)
{
	json_t *docs = NULL, *v, **recs;
	const char *id;
	enum kss_err e;
	size_t n = 0, i;

	*out = NULL;
	if (!valid(user))
		return KSS_E_INVALID;
	if ((e = st->ops->doc_list(st->h, user, &docs)) != KSS_OK)
		return e;
	if ((recs = calloc(json_object_size(docs) + 1, sizeof(*recs))) ==
	    NULL) {
		json_decref(docs);
		return KSS_E_SERVER;
	}
	json_object_foreach(docs, id, v) {
		recs[n] = json_is_null(v) ? json_pack("{s:s, s:b}", "document",
		    id, "corrupt", 1) : kss_valid_record(v, id, strlen(id));
		if (recs[n] != NULL)
			n++;
		else
			e = KSS_E_SERVER;
	}
	qsort(recs, n, sizeof(*recs), by_time);
	if (e == KSS_OK && (*out = json_array()) == NULL)
		e = KSS_E_SERVER;
	for (i = 0; i < n; i++) {
		if (*out != NULL)
			json_array_append(*out, recs[i]);
		json_decref(recs[i]);
	}
	free(recs);
	json_decref(docs);
	return e;
}

/* Checks user and doc, and that user has an account. */
static enum kss_err
doc_args(struct kss_store *st, const char *user, const char *doc)
{
	if (!valid(user))
		return KSS_E_INVALID;
	if (!valid(doc))
		return KSS_E_DOCUMENT;
	return account(st, user);
}

enum kss_err
kss_admin_doc_show(struct kss_store *st, const char *user, const char *doc,
    json_t **out)
{
	json_t *rec = NULL;
	enum kss_err e;

	*out = NULL;
	if ((e = doc_args(st, user, doc)) != KSS_OK ||
	    (e = st->ops->doc_get(st->h, user, doc, &rec)) != KSS_OK)
		return e;
	if (rec == NULL)
		return KSS_E_NOT_FOUND;
	*out = kss_valid_record(rec, doc, strlen(doc));
	json_decref(rec);
	return *out == NULL ? KSS_E_SERVER : KSS_OK;
}

enum kss_err
kss_admin_doc_rm(struct kss_store *st, const char *user, const char *doc)
{
	enum kss_err e;

	if ((e = doc_args(st, user, doc)) != KSS_OK)
		return e;
	return st->ops->doc_delete(st->h, user, doc);
}
