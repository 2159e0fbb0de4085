/* An in-memory store: the same contract as the file store, for unit tests
 * and fuzzing. One JSON object: user → {"secret","hashed","docs":{}}. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "store.h"

static enum kss_err
m_user_create(void *h, const char *user, const char *hash)
{
	json_t *u;

	if (json_object_get(h, user) != NULL)
		return KSS_E_USER_EXISTS;
	u = json_pack("{s:s, s:b, s:{}}", "secret", hash, "hashed", 1, "docs");
	return json_object_set_new(h, user, u) ? KSS_E_SERVER : KSS_OK;
}

static enum kss_err
m_secret_get(void *h, const char *user, struct kss_secret *s)
{
	json_t *u = json_object_get(h, user);

	if (u == NULL)
		return KSS_E_NO_ACCOUNT;
	s->value = strdup(json_string_value(json_object_get(u, "secret")));
	s->hashed = json_is_true(json_object_get(u, "hashed"));
	return s->value == NULL ? KSS_E_SERVER : KSS_OK;
}

/* user's entry if its secret still is who (any, who NULL: the
 * operator's); else NULL and *e says why. */
static json_t *
verified(void *h, const char *user, const struct kss_secret *who,
    enum kss_err *e)
{
	json_t *u = json_object_get(h, user);

	*e = KSS_E_NO_ACCOUNT;
	if (u == NULL)
		return NULL;
	*e = KSS_E_UNAUTHORIZED;
	if (who != NULL && (strcmp(json_string_value(json_object_get(u,
	    "secret")), who->value) || json_is_true(json_object_get(u,
	    "hashed")) != who->hashed))
		return NULL;
	*e = KSS_OK;
	return u;
}

static enum kss_err
m_secret_swap(void *h, const char *user, const struct kss_secret *old,
    const char *hash)
{
	enum kss_err e;
	json_t *u = verified(h, user, old, &e);

	if (u == NULL)
		return e;
	if (json_object_set_new(u, "secret", json_string(hash)) ||
	    json_object_set_new(u, "hashed", json_true()))
		return KSS_E_SERVER;
	return KSS_OK;
}

static enum kss_err
m_user_delete(void *h, const char *user, const struct kss_secret *who)
{
	enum kss_err e;

	if (verified(h, user, who, &e) == NULL)
		return e;
	return json_object_del(h, user) ? KSS_E_NO_ACCOUNT : KSS_OK;
}

static enum kss_err
m_doc_get(void *h, const char *user, const char *doc, json_t **rec)
{
	json_t *docs = json_object_get(json_object_get(h, user), "docs");

	*rec = json_deep_copy(json_object_get(docs, doc));
	return KSS_OK;
}

static enum kss_err
m_doc_put(void *h, const char *user, const struct kss_secret *who,
    const char *doc, const json_t *rec)
{
	enum kss_err e;
	json_t *docs = json_object_get(verified(h, user, who, &e), "docs");
	json_t *cur;

	if (docs == NULL)
		return e == KSS_OK ? KSS_E_SERVER : e;
	if ((cur = json_object_get(docs, doc)) == NULL) {
		if ((cur = json_object()) == NULL ||
		    json_object_set_new(docs, doc, cur))
			return KSS_E_SERVER;
	}
	return json_object_update(cur, (json_t *)rec) ? KSS_E_SERVER : KSS_OK;
}

static int
by_bytes(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static enum kss_err
m_user_list(void *h, json_t **users)
{
	const char *user, **v;
	size_t i = 0, n = json_object_size(h);
	json_t *u;

	if ((*users = json_array()) == NULL ||
	    (v = calloc(n + 1, sizeof(*v))) == NULL) {
		json_decref(*users);
		*users = NULL;
		return KSS_E_SERVER;
	}
	json_object_foreach(h, user, u)
		v[i++] = user;
	qsort(v, n, sizeof(*v), by_bytes);
	for (i = 0; i < n; i++) {
		if (json_array_append_new(*users, json_string(v[i])) < 0) {
			json_decref(*users);
			*users = NULL;
			break;
		}
	}
	free(v);
	return *users == NULL ? KSS_E_SERVER : KSS_OK;
}

static enum kss_err
m_doc_list(void *h, const char *user, json_t **docs)
{
	json_t *u = json_object_get(h, user);

	*docs = NULL;
	if (u == NULL)
		return KSS_E_NO_ACCOUNT;
	*docs = json_deep_copy(json_object_get(u, "docs"));
	return *docs == NULL ? KSS_E_SERVER : KSS_OK;
}

static enum kss_err
m_doc_delete(void *h, const char *user, const char *doc)
{
	json_t *u = json_object_get(h, user);

	if (u == NULL)
		return KSS_E_NO_ACCOUNT;
	return json_object_del(json_object_get(u, "docs"), doc) ?
	    KSS_E_NOT_FOUND : KSS_OK;
}

static enum kss_err
m_user_create_secret(void *h, const char *user, const struct kss_secret *s)
{
	json_t *u;

	if (json_object_get(h, user) != NULL)
		return KSS_E_USER_EXISTS;
	u = json_pack("{s:s, s:b, s:{}}", "secret", s->value, "hashed",
	    s->hashed, "docs");
	return json_object_set_new(h, user, u) ? KSS_E_SERVER : KSS_OK;
}

static enum kss_err
m_secret_set(void *h, const char *user, const struct kss_secret *s)
{
	json_t *u = json_object_get(h, user);

	if (u == NULL)
		return KSS_E_NO_ACCOUNT;
	if (json_object_set_new(u, "secret", json_string(s->value)) ||
	    json_object_set_new(u, "hashed", json_boolean(s->hashed)))
		return KSS_E_SERVER;
	return KSS_OK;
}

static enum kss_err
m_doc_put_newer(void *h, const char *user, const char *doc,
    const json_t *rec, bool *changed)
{
	json_t *docs = json_object_get(json_object_get(h, user), "docs");
	json_t *cur;

	*changed = false;
	if (docs == NULL)
		return KSS_E_NO_ACCOUNT;
	cur = json_object_get(docs, doc);
	if (cur != NULL &&
	    kss_store_timestamp(cur) >= kss_store_timestamp(rec))
		return KSS_OK;
	if (cur == NULL) {
		if ((cur = json_object()) == NULL ||
		    json_object_set_new(docs, doc, cur))
			return KSS_E_SERVER;
	}
	if (json_object_update(cur, (json_t *)rec))
		return KSS_E_SERVER;
	*changed = true;
	return KSS_OK;
}

static void
m_close(void *h)
{
	json_decref(h);
}

static const struct kss_store_ops mem_ops = {
	.user_create = m_user_create,
	.secret_get = m_secret_get,
	.secret_swap = m_secret_swap,
	.user_delete = m_user_delete,
	.doc_get = m_doc_get,
	.doc_put = m_doc_put,
	.user_list = m_user_list,
	.doc_list = m_doc_list,
	.doc_delete = m_doc_delete,
	.user_create_secret = m_user_create_secret,
	.secret_set = m_secret_set,
	.doc_put_newer = m_doc_put_newer,
	.close = m_close,
};

enum kss_err
kss_store_mem_open(struct kss_store *st)
{
	st->ops = NULL;
	st->raw_keys = false;
	if ((st->h = json_object()) == NULL)
		return KSS_E_SERVER;
	st->ops = &mem_ops;
	return KSS_OK;
}
