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
	out = rec == NULL ? json_object() : kss_valid_record(rec, c->arg, c->arglen);
	json_decref(rec);
	return kss_reply(c, 200, out);
}
