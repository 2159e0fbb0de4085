/* The account routes: register, login check, delete, change key. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "auth.h"
#include "conf.h"
#include "req.h"
#include "store.h"
#include "valid.h"

/* A key as a client sends it: a non-empty string without NUL, bounded. */
static const char *
body_key(const json_t *body, const char *name)
{
	size_t len;
	const char *s = kss_json_str(json_object_get(body, name), &len);

	if (s == NULL || len == 0 || len > KSS_KEY_MAX ||
	    memchr(s, '\0', len) != NULL)
		return NULL;
	return s;
}

/* kss_auth_read() of the request's credentials, counted against its
 * address. */
static enum kss_err
login(struct kss_ctx *c, const struct kss_auth_reader *rd,
    struct kss_secret *s)
{
	struct kss_asker who = {c->throttle, c->req->addr,
	    c->cfg->login_limit, c->cfg->login_window, 0};
	enum kss_err e = kss_auth_read(c->store, c->req->user, c->req->key,
	    c->cfg->hash_cost, c->log, c->authcache, &who, rd, s);

	c->retry_after = who.retry_after;
	return e;
}

enum kss_err
kss_authenticate_read(struct kss_ctx *c, const struct kss_auth_reader *rd,
    struct kss_secret *s)
{
	enum kss_err e = login(c, rd, s);

	/* Only DELETE /users/me tells a missing account apart. */
	return e == KSS_E_NO_ACCOUNT ? KSS_E_UNAUTHORIZED : e;
}

enum kss_err
kss_authenticate(struct kss_ctx *c, struct kss_secret *s)
{
	return kss_authenticate_read(c, NULL, s);
}

enum kss_err
kss_h_create(struct kss_ctx *c)
{
	const json_t *body = c->req->body;
	struct kss_secret s = {NULL, false};
	const char *user, *key;
	enum kss_err e;
	size_t len;
	char *hash;

	if (c->cfg->registration_disabled)
		return KSS_E_REG_DISABLED;
	user = kss_json_str(json_object_get(body, "username"), &len);
	if (user == NULL || !kss_valid_name(user, len) ||
	    (key = body_key(body, "password")) == NULL ||
	    !kss_valid_strings(body, KSS_FIELD_MAX))
		return KSS_E_INVALID;
	/* Spare the KDF for a name that is taken; the store's create is
	 * what decides a race. */
	e = c->store->ops->secret_get(c->store->h, user, &s);
	kss_secret_free(&s);
	if (e == KSS_OK)
		return KSS_E_USER_EXISTS;
	if (e != KSS_E_NO_ACCOUNT)
		return e;
	/* An official server sharing the store reads raw keys only; one
	 * that reads as a hash ("$y$...") would never log in. */
	if (c->store->raw_keys && kss_auth_is_hash(key))
		return KSS_E_INVALID;
	if (c->store->raw_keys)
		e = c->store->ops->user_create(c->store->h, user, key);
	else if ((e = kss_auth_hash(key, c->cfg->hash_cost, &hash)) ==
	    KSS_OK) {
		e = c->store->ops->user_create(c->store->h, user, hash);
		free(hash);
	}
	if (e != KSS_OK)
		return e;
	return kss_reply(c, 201, json_pack("{s:s%}", "username", user, len));
}

enum kss_err
kss_h_auth(struct kss_ctx *c)
{
	enum kss_err e;

	if ((e = kss_authenticate(c, NULL)) != KSS_OK)
		return e;
	return kss_reply(c, 200, json_pack("{s:s}", "authorized", "OK"));
}

enum kss_err
kss_h_delete(struct kss_ctx *c)
{
	struct kss_secret who = {NULL, false};
	enum kss_err e;

	/* A retry after a lost answer finds no account: 404/2006, not 401
	 * (protocol.md §4.6). */
	e = login(c, NULL, &who);
	if (e == KSS_OK)
		e = c->store->ops->user_delete(c->store->h, c->req->user, &who);
	kss_secret_free(&who);
	if (e != KSS_OK)
		return e;
	return kss_reply(c, 200, json_pack("{s:b}", "deleted", 1));
}

enum kss_err
kss_h_password(struct kss_ctx *c)
{
	struct kss_secret s = {NULL, false};
	const char *key;
	enum kss_err e;
	char *hash;

	if ((e = kss_authenticate(c, &s)) != KSS_OK)
		return e;
	if ((key = body_key(c->req->body, "password")) == NULL ||
	    !kss_valid_strings(c->req->body, KSS_FIELD_MAX)) {
		kss_secret_free(&s);
		return KSS_E_INVALID;
	}
	/* Swap only if the secret is still the one just checked: of two
	 * changes made with the same current key, one wins. */
	if (c->store->raw_keys && kss_auth_is_hash(key))
		e = KSS_E_INVALID;
	else if (c->store->raw_keys)
		e = c->store->ops->secret_swap(c->store->h, c->req->user, &s,
		    key);
	else if ((e = kss_auth_hash(key, c->cfg->hash_cost, &hash)) ==
	    KSS_OK) {
		e = c->store->ops->secret_swap(c->store->h, c->req->user, &s,
		    hash);
		free(hash);
	}
	kss_secret_free(&s);
	if (e == KSS_E_NO_ACCOUNT)
		e = KSS_E_UNAUTHORIZED;
	if (e != KSS_OK)
		return e;
	return kss_reply(c, 200, json_pack("{s:b}", "updated", 1));
}

enum kss_err
kss_h_health(struct kss_ctx *c)
{
	return kss_reply(c, 200, json_pack("{s:s}", "state", "OK"));
}
