/* The progress routes: push and pull a document's reading position. */
#include "config.h"

#include <string.h>
#include <time.h>

#include "api.h"
#include "auth.h"
#include "authcache.h"
#include "req.h"
#include "store.h"
#include "valid.h"

/* A push's secret, where the store remembers one (secret_recall): the
 * one the key was verified against lately (the key cache says so), so
 * that the push needs no read first; doc_put checks it again as it
 * writes. Else, or when the key is not known good for it, read. */
struct recall {
	struct kss_ctx *c;
	bool used;
};

static enum kss_err
read_recalled(void *ctx, const char *user, const char *key,
    struct kss_secret *s)
{
	struct recall *r = ctx;
	const struct kss_store *st = r->c->store;

	if (st->ops->secret_recall(st->h, user, s) == KSS_OK) {
		if (s->hashed && kss_authcache_hit(r->c->authcache, user,
		    s->value, key, time(NULL))) {
			r->used = true;
			return KSS_OK;
		}
		kss_secret_free(s);
	}
	return st->ops->secret_get(st->h, user, s);
}

/* Stores rec for the request's user, verified as who. */
static enum kss_err
put(struct kss_ctx *c, const struct kss_secret *who, const json_t *rec)
{
	return c->store->ops->doc_put(c->store->h, c->req->user, who,
	    json_string_value(json_object_get(rec, "document")), rec);
}

enum kss_err
kss_h_push(struct kss_ctx *c)
{
	json_int_t now = (json_int_t)time(NULL);
	struct kss_secret who = {NULL, false};
	struct recall r = {c, false};
	struct kss_auth_reader rd = {read_recalled, &r};
	const char *doc;
	json_t *rec = NULL;
	enum kss_err e;

	if ((e = kss_authenticate_read(c, c->store->ops->secret_recall != NULL ?
	    &rd : NULL, &who)) != KSS_OK)
		return e;
	if ((e = kss_valid_progress(c->req->body, &rec)) != KSS_OK)
		goto out;
	doc = json_string_value(json_object_get(rec, "document"));
	if (json_object_set_new(rec, "timestamp", json_integer(now)))
		e = KSS_E_SERVER;
	else if ((e = put(c, &who, rec)) == KSS_E_UNAUTHORIZED && r.used) {
		/* The remembered secret is no longer the stored one: this
		 * push is judged as any other, on the stored one. */
		kss_secret_free(&who);
		if ((e = kss_authenticate(c, &who)) == KSS_OK)
			e = put(c, &who, rec);
	}
	if (e == KSS_OK)
		e = kss_reply(c, 200, json_pack("{s:s, s:I}", "document", doc,
		    "timestamp", now));
out:
	json_decref(rec);
	kss_secret_free(&who);
	/* The account went away, or was made anew, between the check and
	 * the write. */
	return e == KSS_E_NO_ACCOUNT ? KSS_E_UNAUTHORIZED : e;
}

/* A pull's secret and record in one step, where the store reads both at
 * once (secret_doc_get): one round trip to a Redis server, not two. */
struct both {
	struct kss_ctx *c;
	json_t *rec;
	bool read;
};

static enum kss_err
read_both(void *ctx, const char *user, const char *key, struct kss_secret *s)
{
	struct both *b = ctx;
	const struct kss_store *st = b->c->store;
	enum kss_err e;

	(void)key;
	json_decref(b->rec);
	b->rec = NULL;
	e = st->ops->secret_doc_get(st->h, user, b->c->arg, s, &b->rec);
	b->read = e == KSS_OK;
	return e;
}

enum kss_err
kss_h_pull(struct kss_ctx *c)
{
	struct both b = {c, NULL, false};
	struct kss_auth_reader rd = {read_both, &b};
	bool valid = kss_valid_name(c->arg, c->arglen);
	json_t *rec = NULL, *out;
	enum kss_err e;

	/* kss_valid_name() refused any NUL, so the C string is the id. */
	e = kss_authenticate_read(c, valid &&
	    c->store->ops->secret_doc_get != NULL ? &rd : NULL, NULL);
	rec = b.rec;
	if (e != KSS_OK) {
		json_decref(rec);
		return e;
	}
	if (!valid)
		return KSS_E_DOCUMENT;
	if (!b.read && (e = c->store->ops->doc_get(c->store->h, c->req->user,
	    c->arg, &rec)) != KSS_OK)
		return e;
	/* No record is "{}": the client looks for percentage (§4.4). */
	out = rec == NULL ? json_object() : kss_valid_record(rec, c->arg, c->arglen);
	json_decref(rec);
	return kss_reply(c, 200, out);
}
