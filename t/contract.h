/* The store contract (store.h), as test functions every store must pass:
 * t/unit_store.c runs them against the file and the memory store,
 * t/unit_redis.c against the Redis store. Header-only, as tap.h. */
#ifndef KSS_TEST_CONTRACT_H
#define KSS_TEST_CONTRACT_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "store.h"
#include "tap.h"

static __attribute__((unused)) json_t *
rec(const char *doc, const char *progress, const char *device_id)
{
	json_t *r = json_pack("{s:s, s:s, s:f, s:s, s:i}", "document", doc,
	    "progress", progress, "percentage", 0.25, "device", "dev",
	    "timestamp", 1700000000);

	if (device_id != NULL)
		json_object_set_new(r, "device_id", json_string(device_id));
	return r;
}

static __attribute__((unused)) void
contract(const char *name, struct kss_store *st)
{
	const struct kss_store_ops *o = st->ops;
	struct kss_secret s = {NULL, false};
	struct kss_secret ann = {"$y$new", true}, stale = {"$y$hash1", true};
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
	is_int(o->doc_put(st->h, "ann", &ann, "d1", r), KSS_OK, "%s: put", name);
	json_decref(r);
	r = rec("d1", "p2", NULL);
	json_object_set_new(r, "metadata", json_pack("{s:s}", "title", "T"));
	is_int(o->doc_put(st->h, "ann", &ann, "d1", r), KSS_OK,
	    "%s: put again", name);
	json_decref(r);
	r = rec("d1", "p3", NULL);
	is_int(o->doc_put(st->h, "ann", &ann, "d1", r), KSS_OK,
	    "%s: and again", name);
	is_int(o->doc_put(st->h, "ann", &stale, "d1", r), KSS_E_UNAUTHORIZED,
	    "%s: a put verified against an old secret fails", name);
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
	is_int(o->doc_put(st->h, "nobody", &ann, "x", r), KSS_E_NO_ACCOUNT,
	    "%s: put for an unknown user", name);
	json_decref(r);

	is_int(o->user_delete(st->h, "ann", &stale), KSS_E_UNAUTHORIZED,
	    "%s: a delete verified against an old secret fails", name);
	is_int(o->user_delete(st->h, "ann", &ann), KSS_OK, "%s: delete", name);
	is_int(o->user_delete(st->h, "ann", &ann), KSS_E_NO_ACCOUNT,
	    "%s: delete twice", name);
	is_int(o->secret_get(st->h, "ann", &s), KSS_E_NO_ACCOUNT,
	    "%s: credential gone", name);
	o->doc_get(st->h, "ann", "d1", &got);
	ok(got == NULL, "%s: records gone", name);
	is_int(o->user_create(st->h, "ann", "$y$again"), KSS_OK,
	    "%s: the name can be registered again", name);
	o->doc_get(st->h, "ann", "d1", &got);
	ok(got == NULL, "%s: with no old records", name);
	/* A push verified against the deleted account must not land in the
	 * new one of the same name. */
	r = rec("d2", "p", NULL);
	is_int(o->doc_put(st->h, "ann", &ann, "d2", r), KSS_E_UNAUTHORIZED,
	    "%s: a put for a deleted account misses its successor", name);
	json_decref(r);
	o->doc_get(st->h, "ann", "d2", &got);
	ok(got == NULL, "%s: which holds no such record", name);
	json_decref(got);
}

static __attribute__((unused)) int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The number of a JSON array's strings equal to name, -1 for no array. */
static __attribute__((unused)) int
count_in(const json_t *a, const char *name)
{
	size_t i;
	int n = 0;

	if (!json_is_array(a))
		return -1;
	for (i = 0; i < json_array_size(a); i++)
		n += json_is_string(json_array_get(a, i)) &&
		    strcmp(json_string_value(json_array_get(a, i)), name) == 0;
	return n;
}

/* The text of a JSON value, compact and with sorted keys, in one of four
 * buffers used in turn. */
static __attribute__((unused)) const char *
text(const json_t *v)
{
	static char buf[4][1024];
	static int n;
	char *t;

	n = (n + 1) % 4;
	t = v != NULL ? json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS |
	    JSON_ENCODE_ANY) : NULL;
	snprintf(buf[n], sizeof(buf[n]), "%s", t != NULL ? t : "(null)");
	free(t);
	return buf[n];
}

/* An object's keys, sorted, space-separated: "(none)" for not an
 * object. */
static __attribute__((unused)) const char *
keys(const json_t *o)
{
	static char buf[1024];
	const char *k, *v[64];
	size_t n = 0, i, len = 0;
	json_t *m;

	if (!json_is_object(o))
		return "(none)";
	json_object_foreach((json_t *)o, k, m) {
		if (n < 64)
			v[n++] = k;
	}
	qsort(v, n, sizeof(*v), cmp_str);
	buf[0] = '\0';
	for (i = 0; i < n && len < sizeof(buf); i++)
		len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s%s",
		    i > 0 ? " " : "", v[i]);
	return buf;
}

/* What kss-admin asks of every store: the whole of it, and changes made
 * by the operator, who holds no key. */
static __attribute__((unused)) void
admin_contract(const char *name, struct kss_store *st)
{
	const struct kss_store_ops *o = st->ops;
	struct kss_secret s = {NULL, false}, raw = {"rawkey", false};
	struct kss_secret h1 = {"$y$one", true}, h2 = {"$y$two", true};
	json_t *r, *got, *list;
	bool changed;

	is_int(o->user_list(st->h, &list), KSS_OK, "%s: list users", name);
	is_str(text(list), "[\"Ann\",\"ann\"]", "%s: those of the contract",
	    name);
	json_decref(list);
	is_int(o->user_create(st->h, "zed", "$y$z"), KSS_OK, "%s: zed", name);
	is_int(o->user_create_secret(st->h, "amy", &raw), KSS_OK,
	    "%s: create with a raw key, as an import does", name);
	is_int(o->user_create_secret(st->h, "amy", &h1), KSS_E_USER_EXISTS,
	    "%s: a taken name stays taken", name);
	is_int(o->user_create_secret(st->h, "Bo b", &h1), KSS_OK,
	    "%s: create with a hash", name);
	is_int(o->user_list(st->h, &list), KSS_OK, "%s: list users", name);
	is_str(text(list), "[\"Ann\",\"Bo b\",\"amy\",\"ann\",\"zed\"]",
	    "%s: all of them, sorted bytewise", name);
	json_decref(list);
	o->secret_get(st->h, "amy", &s);
	ok(!s.hashed && strcmp(s.value, "rawkey") == 0,
	    "%s: the raw key is kept as given", name);
	kss_secret_free(&s);

	is_int(o->secret_set(st->h, "nobody", &h2), KSS_E_NO_ACCOUNT,
	    "%s: set the secret of an unknown user", name);
	is_int(o->secret_set(st->h, "amy", &h2), KSS_OK, "%s: set a secret",
	    name);
	o->secret_get(st->h, "amy", &s);
	ok(s.hashed && strcmp(s.value, "$y$two") == 0, "%s: it is stored",
	    name);
	kss_secret_free(&s);
	r = rec("d", "p", NULL);
	is_int(o->doc_put(st->h, "amy", &raw, "d", r), KSS_E_UNAUTHORIZED,
	    "%s: a push verified against the old secret misses", name);
	json_decref(r);

	is_int(o->doc_list(st->h, "nobody", &list), KSS_E_NO_ACCOUNT,
	    "%s: list the records of an unknown user", name);
	is_int(o->doc_list(st->h, "amy", &list), KSS_OK, "%s: list records",
	    name);
	is_str(text(list), "{}", "%s: none yet", name);
	json_decref(list);

	/* An import: the newer record wins, ties keep what is stored. */
	r = rec("d1", "imported", "ID");
	is_int(o->doc_put_newer(st->h, "nobody", "d1", r, &changed),
	    KSS_E_NO_ACCOUNT, "%s: import for an unknown user", name);
	is_int(o->doc_put_newer(st->h, "amy", "d1", r, &changed), KSS_OK,
	    "%s: import a record", name);
	ok(changed, "%s: where there was none, it is stored", name);
	is_int(o->doc_put_newer(st->h, "amy", "d1", r, &changed), KSS_OK,
	    "%s: import it again", name);
	ok(!changed, "%s: changes nothing", name);
	json_decref(r);
	r = rec("d1", "older", NULL);
	json_object_set_new(r, "timestamp", json_integer(1600000000));
	o->doc_put_newer(st->h, "amy", "d1", r, &changed);
	ok(!changed, "%s: an older record does not replace a newer", name);
	json_decref(r);
	r = rec("d1", "tie", NULL);
	o->doc_put_newer(st->h, "amy", "d1", r, &changed);
	ok(!changed, "%s: nor does one of the same time", name);
	json_decref(r);
	r = rec("d1", "newer", NULL);
	json_object_set_new(r, "timestamp", json_integer(1800000000));
	o->doc_put_newer(st->h, "amy", "d1", r, &changed);
	ok(changed, "%s: a newer one does", name);
	json_decref(r);
	o->doc_get(st->h, "amy", "d1", &got);
	is_str(json_string_value(json_object_get(got, "progress")), "newer",
	    "%s: and reads back", name);
	is_str(json_string_value(json_object_get(got, "device_id")), "ID",
	    "%s: merged as a push is (device_id kept)", name);
	json_decref(got);
	r = rec("d2", "p2", NULL);
	o->doc_put(st->h, "amy", &h2, "d2", r);
	json_decref(r);
	is_int(o->doc_list(st->h, "amy", &list), KSS_OK, "%s: list records",
	    name);
	is_int(json_object_size(list), 2, "%s: both", name);
	is_str(json_string_value(json_object_get(json_object_get(list, "d2"),
	    "progress")), "p2", "%s: with their fields", name);
	json_decref(list);

	is_int(o->doc_delete(st->h, "nobody", "d1"), KSS_E_NO_ACCOUNT,
	    "%s: delete a record of an unknown user", name);
	is_int(o->doc_delete(st->h, "amy", "d3"), KSS_E_NOT_FOUND,
	    "%s: delete a record that is not there", name);
	is_int(o->doc_delete(st->h, "amy", "d1"), KSS_OK, "%s: delete one",
	    name);
	o->doc_get(st->h, "amy", "d1", &got);
	ok(got == NULL, "%s: it is gone", name);
	is_int(o->doc_delete(st->h, "amy", "d1"), KSS_E_NOT_FOUND,
	    "%s: deleting twice finds none", name);
	o->doc_list(st->h, "amy", &list);
	is_str(keys(list), "d2", "%s: the other stays", name);
	json_decref(list);
	o->doc_list(st->h, "zed", &list);
	is_str(text(list), "{}", "%s: another user's are apart", name);
	json_decref(list);
}

#endif
