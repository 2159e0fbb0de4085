/* The progress routes: push and pull a document's reading position. */
#include "config.h"

#include <string.h>
#include <time.h>

#include "api.h"
#include "auth.h"
#include "req.h"
#include "store.h"
#include "valid.h"

enum kss_err
kss_h_push(struct kss_ctx *c)
{
	json_int_t now = (json_int_t)time(NULL);
	struct kss_secret who = {NULL, false};
	const char *doc;
	json_t *rec = NULL;
	enum kss_err e;

	if ((e = kss_authenticate(c, &who)) != KSS_OK)
		return e;
	if ((e = kss_valid_progress(c->req->body, &rec)) != KSS_OK)
		goto out;
	doc = json_string_value(json_object_get(rec, "document"));
	if (json_object_set_new(rec, "timestamp", json_integer(now)))
		e = KSS_E_SERVER;
	else
		e = c->store->ops->doc_put(c->store->h, c->req->user, &who, doc,
		    rec);
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

/* Copies member name of rec into out, converted by conv; a member that is
 * missing, null or of a type that does not convert is left out, so records
 * the original kss wrote (nulls, extra keys) answer cleanly. */
static int
copy(json_t *out, const json_t *rec, const char *name,
    json_t *(*conv)(const json_t *))
{
	const json_t *v = json_object_get(rec, name);
	json_t *n;

	if (v == NULL || json_is_null(v) || (n = conv(v)) == NULL)
		return 0;
	return json_object_set_new(out, name, n);
}

/* A stored real (the original kss may have written one) converts only
 * when an integer can hold it: the cast of 1e300 or NaN is undefined. */
static json_t *
conv_timestamp(const json_t *v)
{
	double d;

	if (json_is_integer(v))
		return json_incref((json_t *)v);
	if (!json_is_real(v))
		return NULL;
	d = json_real_value(v);
	/* 2^63 is exact as a double; every double below it converts. */
	if (!(d > -9223372036854775808.0 && d < 9223372036854775808.0))
		return NULL;
	return json_integer((json_int_t)d);
}

static json_t *
conv_object(const json_t *v)
{
	return json_is_object(v) ? json_incref((json_t *)v) : NULL;
}

/* The answer for a stored record: what exists of percentage, progress,
 * device, device_id, timestamp, metadata, typed as protocol.md §4.4 says,
 * and document as asked. */
static json_t *
record_view(const json_t *rec, const char *doc, size_t len)
{
	json_t *out = json_pack("{s:s%}", "document", doc, len);

	if (out == NULL ||
	    copy(out, rec, "percentage", kss_valid_percentage) ||
	    copy(out, rec, "progress", kss_valid_text) ||
	    copy(out, rec, "device", kss_valid_text) ||
	    copy(out, rec, "device_id", kss_valid_text) ||
	    copy(out, rec, "timestamp", conv_timestamp) ||
	    copy(out, rec, "metadata", conv_object)) {
		json_decref(out);
		return NULL;
	}
	return out;
}

enum kss_err
kss_h_pull(struct kss_ctx *c)
{
	json_t *rec = NULL, *out;
	enum kss_err e;

	if ((e = kss_authenticate(c, NULL)) != KSS_OK)
		return e;
	if (!kss_valid_name(c->arg, c->arglen))
		return KSS_E_DOCUMENT;
	/* kss_valid_name() refused any NUL, so the C string is the id. */
	if ((e = c->store->ops->doc_get(c->store->h, c->req->user, c->arg,
	    &rec)) != KSS_OK)
		return e;
	/* No record is "{}": the client looks for percentage (§4.4). */
	out = rec == NULL ? json_object() : record_view(rec, c->arg, c->arglen);
	json_decref(rec);
	return kss_reply(c, 200, out);
}
