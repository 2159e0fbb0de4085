/* Unit tests of the Redis store against a real redis-server, whose
 * database KSS_TEST_REDIS names (t/store-redis.t starts one and sets it;
 * the database is emptied first): the store contract every store passes,
 * then the official layout, names that must not reach into other
 * accounts, deletes, the scripts, round trips, and failures. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>

#include "auth.h"
#include "log.h"
#include "redis_url.h"
#include "store.h"
#include "tap.h"
#include "util.h"
#include "contract.h"

static const struct kss_log lg = {keep_log, NULL};
static struct kss_redis_url url;
static redisContext *direct;	/* the test's own look at the server */

/* A command on the test's own connection; its reply (caller frees). */
static redisReply *
cmd(const char *fmt, ...)
{
	va_list ap;
	redisReply *r;

	va_start(ap, fmt);
	r = redisvCommand(direct, fmt, ap);
	va_end(ap);
	if (r == NULL) {
		printf("Bail out! the test's own Redis connection: %s\n",
		    direct->errstr);
		exit(1);
	}
	return r;
}

/* cmd() whose reply is dropped. */
static void
do_cmd(const char *fmt, ...)
{
	va_list ap;
	redisReply *r;

	va_start(ap, fmt);
	r = redisvCommand(direct, fmt, ap);
	va_end(ap);
	if (r != NULL)
		freeReplyObject(r);
}

/* A string (or nil: "(nil)") reply's text, in one of four buffers. */
static const char *
get_str(const char *fmt, const char *a, const char *b)
{
	static char buf[4][512];
	static int n;
	redisReply *r = cmd(fmt, a, b);

	n = (n + 1) % 4;
	snprintf(buf[n], sizeof(buf[n]), "%s", r->type == REDIS_REPLY_STRING ?
	    r->str : r->type == REDIS_REPLY_NIL ? "(nil)" : "(other)");
	freeReplyObject(r);
	return buf[n];
}

static long long
get_int(const char *fmt, const char *a)
{
	redisReply *r = cmd(fmt, a);
	long long v = r->type == REDIS_REPLY_INTEGER ? r->integer : -1;

	freeReplyObject(r);
	return v;
}

/* A hash's field names, sorted, space-separated. */
static const char *
fields(const char *key)
{
	static char buf[512];
	redisReply *r = cmd("HKEYS %s", key);
	const char *v[16];
	size_t i, n = 0, len = 0;

	for (i = 0; i < r->elements && n < 16; i++)
		v[n++] = r->element[i]->str;
	qsort(v, n, sizeof(*v), cmp_str);
	buf[0] = '\0';
	for (i = 0; i < n; i++)
		len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s%s",
		    i > 0 ? " " : "", v[i]);
	freeReplyObject(r);
	return buf;
}

/* How many times the server ran command name so far (INFO
 * commandstats), to count a store operation's round trips. */
static long long
calls(const char *name)
{
	redisReply *r = cmd("INFO commandstats");
	char pat[64];
	const char *p;
	long long n = 0;

	snprintf(pat, sizeof(pat), "cmdstat_%s:calls=", name);
	if (r->type == REDIS_REPLY_STRING && (p = strstr(r->str, pat)) != NULL)
		n = atoll(p + strlen(pat));
	freeReplyObject(r);
	return n;
}

/* Every command the server ran so far but INFO. */
static long long
all_calls(void)
{
	static const char *const names[] = {"get", "set", "hgetall",
	    "evalsha", "eval", "scan", "del", "mget", "hset", "auth", "select"};
	long long n = 0;
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		n += calls(names[i]);
	return n;
}

static void
open_store(struct kss_store *st)
{
	if (kss_store_redis_open(&url, &lg, st) != KSS_OK) {
		printf("Bail out! the Redis store does not open\n");
		exit(1);
	}
}

static json_t *
push(const char *doc, const char *progress, double pct)
{
	return json_pack("{s:s, s:s, s:f, s:s, s:I}", "document", doc,
	    "progress", progress, "percentage", pct, "device", "Kobo",
	    "timestamp", (json_int_t)1751935136);
}

/* What kss writes is the official server's layout, field for field. */
static void
layout(struct kss_store *st)
{
	struct kss_secret who = {NULL, false};
	json_t *r, *got;

	do_cmd("FLUSHDB");
	st->ops->user_create(st->h, "lay", "$y$j9T$abc$def");
	st->ops->secret_get(st->h, "lay", &who);
	r = push("0b229176d4e8db7f6d2b5a4952368d7a", "/body/p[22]", 0.3188);
	json_object_set_new(r, "device_id",
	    json_string("6B344CE498AE402096F5AEB4154C1DBB"));
	is_int(st->ops->doc_put(st->h, "lay", &who,
	    "0b229176d4e8db7f6d2b5a4952368d7a", r), KSS_OK, "layout: push");
	json_decref(r);
	is_str(get_str("GET %s", "user:lay:key", NULL), "$y$j9T$abc$def",
	    "layout: user:<name>:key holds the credential");
	is_str(fields("user:lay:document:0b229176d4e8db7f6d2b5a4952368d7a"),
	    "device device_id percentage progress timestamp",
	    "layout: the record is the official hash, its five fields");
	is_str(get_str("HGET %s %s",
	    "user:lay:document:0b229176d4e8db7f6d2b5a4952368d7a", "percentage"),
	    "0.3188", "layout: percentage as its shortest text");
	is_str(get_str("HGET %s %s",
	    "user:lay:document:0b229176d4e8db7f6d2b5a4952368d7a", "timestamp"),
	    "1751935136", "layout: timestamp in decimal seconds");
	is_int(get_int("DBSIZE", NULL), 2, "layout: and no other key");

	/* Numbers read back as written; metadata kept as JSON text. */
	r = json_pack("{s:s, s:i, s:s, s:f, s:{s:s}}", "progress", "p",
	    "percentage", 0, "device", "K", "timestamp", 1.0, "metadata",
	    "title", "Été");
	st->ops->doc_put(st->h, "lay", &who, "nums", r);
	json_decref(r);
	is_str(get_str("HGET %s %s", "user:lay:document:nums", "percentage"),
	    "0", "layout: percentage 0 is 0");
	is_str(get_str("HGET %s %s", "user:lay:document:nums", "metadata"),
	    "{\"title\":\"Été\"}", "layout: metadata is a field of JSON");
	st->ops->doc_get(st->h, "lay", "nums", &got);
	is_str(text(got), "{\"device\":\"K\",\"document\":\"nums\","
	    "\"metadata\":{\"title\":\"Été\"},"
	    "\"percentage\":0,\"progress\":\"p\",\"timestamp\":1.0}",
	    "layout: read back typed (an integer stays one, a real one)");
	json_decref(got);
	kss_secret_free(&who);
}

/* An official server's database, as it is: raw keys, and the hash as
 * its Lua code writes it. */
static void
official(struct kss_store *st)
{
	struct kss_secret s = {NULL, false};
	json_t *got;

	do_cmd("FLUSHDB");
	do_cmd("SET user:off:key 5f4dcc3b5aa765d61d8327deb882cf99");
	do_cmd("HSET user:off:document:abc percentage 0.32 progress 56 "
	    "device PocketBook device_id ID timestamp 1751935136");
	is_int(st->ops->secret_get(st->h, "off", &s), KSS_OK,
	    "official: a raw key is read");
	ok(!s.hashed && strcmp(s.value, "5f4dcc3b5aa765d61d8327deb882cf99") == 0,
	    "official: as a raw key");
	kss_secret_free(&s);
	do_cmd("SET user:dollar:key $ecret");
	st->ops->secret_get(st->h, "dollar", &s);
	ok(!s.hashed, "official: a raw key starting with $ is raw all the same");
	kss_secret_free(&s);
	st->ops->doc_get(st->h, "off", "abc", &got);
	ok(json_is_real(json_object_get(got, "percentage")) &&
	    json_real_value(json_object_get(got, "percentage")) == 0.32,
	    "official: its percentage reads as a number");
	json_object_del(got, "percentage");
	is_str(text(got), "{\"device\":\"PocketBook\",\"device_id\":\"ID\","
	    "\"document\":\"abc\",\"progress\":\"56\","
	    "\"timestamp\":1751935136}",
	    "official: the rest of its record as strings, timestamp a number");
	json_decref(got);
	do_cmd("HSET user:off:document:odd percentage x timestamp y "
	    "progress %b", "\xff\xfe", (size_t)2);
	is_int(st->ops->doc_get(st->h, "off", "odd", &got), KSS_OK,
	    "official: odd values read");
	is_str(text(got), "{\"document\":\"odd\",\"percentage\":\"x\","
	    "\"timestamp\":\"y\"}",
	    "official: text that is no number stays text, bytes not UTF-8 "
	    "are left out (kss_valid_record judges)");
	json_decref(got);
}

/* Names with glob characters, and names that would reach into another
 * account's keys. */
static void
names(struct kss_store *st)
{
	static const char *const users[] = {"a*", "ab", "a?", "a[b]", "a\\",
	    "a"};
	struct kss_secret s[6];
	json_t *r, *got, *list;
	size_t i;

	do_cmd("FLUSHDB");
	for (i = 0; i < 6; i++) {
		st->ops->user_create(st->h, users[i], "$y$h");
		st->ops->secret_get(st->h, users[i], &s[i]);
		r = push("d", users[i], 0.5);
		st->ops->doc_put(st->h, users[i], &s[i], "d", r);
		st->ops->doc_put(st->h, users[i], &s[i], "key", r);
		json_decref(r);
	}
	st->ops->doc_list(st->h, "a*", &list);
	is_str(keys(list), "d key", "names: a*'s records are its own two");
	json_decref(list);
	st->ops->user_list(st->h, &list);
	is_str(text(list), "[\"a\",\"a*\",\"a?\",\"a[b]\",\"a\\\\\",\"ab\"]",
	    "names: the users, none made of a record named key");
	json_decref(list);
	for (i = 0; i < 5; i++)
		is_int(st->ops->user_delete(st->h, users[i], &s[i]), KSS_OK,
		    "names: delete %s", users[i]);
	is_int(get_int("DBSIZE", NULL), 3,
	    "names: what is left is a's key and two records");
	st->ops->doc_get(st->h, "a", "d", &got);
	is_str(json_string_value(json_object_get(got, "progress")), "a",
	    "names: a's record is a's");
	json_decref(got);
	for (i = 0; i < 6; i++)
		kss_secret_free(&s[i]);

	is_int(st->ops->user_create(st->h, "x:document:y", "$y$h"),
	    KSS_E_INVALID, "names: no user with ':' is made");
	is_int(get_int("EXISTS %s", "user:x:document:y:key"), 0,
	    "names: nothing written for it");
	do_cmd("SET user:x:document:y:key $y$h");
	is_int(st->ops->secret_get(st->h, "x:document:y", &s[0]), KSS_E_NO_ACCOUNT,
	    "names: a name with ':' has no account, whatever the keys");
	st->ops->secret_get(st->h, "a", &s[0]);
	r = push("y:key", "p", 0.1);
	is_int(st->ops->doc_put(st->h, "a", &s[0], "y:key", r), KSS_E_INVALID,
	    "names: no record with ':' in its id is written");
	json_decref(r);
	st->ops->doc_get(st->h, "a", "b:c", &got);
	ok(got == NULL, "names: nor read");
	kss_secret_free(&s[0]);
}

/* A delete of a user with more records than a SCAN page, and one cut
 * short, which the next registration of the name finishes. */
static void
deletes(struct kss_store *st)
{
	struct kss_secret s = {NULL, false}, t = {NULL, false};
	json_t *r, *got, *list;
	char doc[32];
	int i;

	do_cmd("FLUSHDB");
	st->ops->user_create(st->h, "many", "$y$m");
	st->ops->user_create(st->h, "other", "$y$o");
	st->ops->secret_get(st->h, "many", &s);
	st->ops->secret_get(st->h, "other", &t);
	r = push("x", "p", 0.5);
	for (i = 0; i < 1200; i++) {
		snprintf(doc, sizeof(doc), "doc%04d", i);
		do_cmd("HSET user:many:document:%s progress p", doc);
	}
	st->ops->doc_put(st->h, "other", &t, "doc0001", r);
	st->ops->doc_list(st->h, "many", &list);
	is_int(json_object_size(list), 1200, "delete: 1,200 records listed");
	json_decref(list);
	is_int(st->ops->user_delete(st->h, "many", &s), KSS_OK,
	    "delete: a user of 1,200 records");
	is_int(get_int("DBSIZE", NULL), 2, "delete: every key of it is gone");
	st->ops->doc_get(st->h, "other", "doc0001", &got);
	ok(got != NULL, "delete: another user's record of the same id stays");
	json_decref(got);
	kss_secret_free(&s);

	/* A delete cut short after step 1 (store_redis.c): tombstone and
	 * records left. */
	do_cmd("SET user:cut:key kss:deleting:0123");
	do_cmd("HSET user:cut:document:d progress secret-of-the-old-one");
	is_int(st->ops->secret_get(st->h, "cut", &s), KSS_E_NO_ACCOUNT,
	    "delete cut short: no account");
	st->ops->user_list(st->h, &list);
	is_str(text(list), "[\"other\"]", "delete cut short: not listed");
	json_decref(list);
	is_int(st->ops->doc_put(st->h, "cut", &t, "d", r), KSS_E_NO_ACCOUNT,
	    "delete cut short: no push lands");
	is_int(st->ops->user_create(st->h, "cut", "$y$new"), KSS_OK,
	    "delete cut short: the name can be registered");
	st->ops->doc_get(st->h, "cut", "d", &got);
	ok(got == NULL, "delete cut short: and the new account inherits no "
	    "record");
	json_decref(got);
	is_str(get_str("GET %s", "user:cut:key", NULL), "$y$new",
	    "delete cut short: the new credential is in place");
	/* The operator's delete (who NULL), whatever the credential. */
	do_cmd("HSET user:typed:key a b");
	do_cmd("HSET user:typed:document:d progress p");
	do_cmd("SET user:stalled:key kss:deleting:99");
	do_cmd("HSET user:stalled:document:d progress p");
	is_int(st->ops->user_delete(st->h, "typed", NULL), KSS_OK,
	    "operator's delete: a credential of the wrong type");
	is_int(st->ops->user_delete(st->h, "stalled", NULL), KSS_OK,
	    "operator's delete: a delete cut short, finished");
	is_int(get_int("EXISTS %s", "user:typed:key") +
	    get_int("EXISTS %s", "user:typed:document:d") +
	    get_int("EXISTS %s", "user:stalled:key") +
	    get_int("EXISTS %s", "user:stalled:document:d"), 0,
	    "operator's delete: every key of both gone");
	is_int(st->ops->user_delete(st->h, "nobody", NULL), KSS_E_NO_ACCOUNT,
	    "operator's delete: no account");
	struct kss_secret tomb = {"kss:deleting:x", false};
	is_int(st->ops->user_create_secret(st->h, "tombed", &tomb),
	    KSS_E_INVALID, "a raw key that reads as a tombstone is refused");
	is_int(st->ops->secret_set(st->h, "other", &tomb), KSS_E_INVALID,
	    "also as a new one");
	is_int(st->ops->secret_swap(st->h, "other", &t, tomb.value),
	    KSS_E_INVALID, "also as a changed one");
	json_decref(r);
	kss_secret_free(&t);
}

/* Every script by EVALSHA under the SHA-1 in store_redis.c (else each
 * call would be answered NOSCRIPT and sent again by EVAL), EVAL when the
 * server lost them; and one round trip per operation. */
static void
scripts(struct kss_store *st)
{
	struct kss_secret s = {NULL, false};
	json_t *r = push("d", "p", 0.5), *got;
	long long ev, before;
	bool changed;
	int round;

	do_cmd("FLUSHDB");
	st->ops->user_create(st->h, "sc", "$y$a");
	for (round = 0; round < 2; round++) {
		/* The first round finds no script (EVAL), the second all
		 * of them under their SHA-1. */
		if (round == 0)
			do_cmd("SCRIPT FLUSH");
		ev = calls("eval");
		st->ops->secret_get(st->h, "sc", &s);
		is_int(st->ops->doc_put(st->h, "sc", &s, "d", r), KSS_OK,
		    "scripts %d: put", round);
		is_int(st->ops->secret_swap(st->h, "sc", &s, "$y$b"), KSS_OK,
		    "scripts %d: swap", round);
		kss_secret_free(&s);
		s.value = strdup("$y$c");
		s.hashed = true;
		is_int(st->ops->secret_set(st->h, "sc", &s), KSS_OK,
		    "scripts %d: set", round);
		is_int(st->ops->doc_put_newer(st->h, "sc", "e", r, &changed),
		    KSS_OK, "scripts %d: put if newer", round);
		is_int(st->ops->doc_delete(st->h, "sc", "e"), KSS_OK,
		    "scripts %d: delete a record", round);
		is_int(st->ops->user_delete(st->h, "sc", &s), KSS_OK,
		    "scripts %d: delete the account", round);
		kss_secret_free(&s);
		st->ops->user_create(st->h, "sc", "$y$a");
		if (round == 0)
			ok(calls("eval") - ev == 8, "scripts 0: none known, each "
			    "sent by EVAL (%lld)", calls("eval") - ev);
		else
			is_int(calls("eval") - ev, 0, "scripts 1: each known "
			    "by its SHA-1 (a stale SHA-1 in store_redis.c "
			    "fails this)");
	}
	st->ops->secret_get(st->h, "sc", &s);
	/* (The commands a script runs count in INFO commandstats too.) */
	before = all_calls();
	ev = calls("evalsha");
	st->ops->doc_put(st->h, "sc", &s, "d", r);
	ok(calls("evalsha") - ev == 1 && all_calls() - before == 3,
	    "a push is one command: EVALSHA, whose script runs GET and HSET");
	before = all_calls();
	st->ops->doc_get(st->h, "sc", "d", &got);
	is_int(all_calls() - before, 1, "a pull is one command");
	json_decref(got);
	before = all_calls();
	kss_secret_free(&s);
	st->ops->secret_get(st->h, "sc", &s);
	is_int(all_calls() - before, 1, "a login reads one key");
	kss_secret_free(&s);
	json_decref(r);
}

/* A pull's secret and record in one step; a push's secret recalled
 * without asking, stale as it may be, which the push's script checks. */
static void
shortcuts(struct kss_store *st)
{
	struct kss_secret s = {NULL, false}, old = {NULL, false};
	json_t *rec, *r = push("d", "p", 0.5);

	do_cmd("FLUSHDB");
	is_int(st->ops->secret_doc_get(st->h, "nobody", "d", &s, &rec),
	    KSS_E_NO_ACCOUNT, "secret and record: no account");
	ok(rec == NULL && s.value == NULL, "secret and record: neither");
	st->ops->user_create(st->h, "sd", "$y$sd");
	is_int(st->ops->secret_doc_get(st->h, "sd", "d", &s, &rec), KSS_OK,
	    "secret and record: an account without the record");
	ok(rec == NULL && s.hashed && strcmp(s.value, "$y$sd") == 0,
	    "secret and record: its secret, no record");
	st->ops->doc_put(st->h, "sd", &s, "d", r);
	kss_secret_free(&s);
	is_int(st->ops->secret_doc_get(st->h, "sd", "d", &s, &rec), KSS_OK,
	    "secret and record: both");
	is_str(json_string_value(json_object_get(rec, "progress")), "p",
	    "secret and record: the record");
	json_decref(rec);
	kss_secret_free(&s);
	is_int(st->ops->secret_doc_get(st->h, "sd", "a:b", &s, &rec), KSS_OK,
	    "secret and record: an id with ':' has no record");
	ok(rec == NULL && s.value != NULL, "secret and record: but the secret");
	kss_secret_free(&s);

	kss_store_close(st);
	open_store(st);
	is_int(st->ops->secret_recall(st->h, "sd", &s), KSS_E_NO_ACCOUNT,
	    "recall: nothing before a read");
	st->ops->secret_get(st->h, "sd", &old);
	is_int(st->ops->secret_recall(st->h, "sd", &s), KSS_OK,
	    "recall: after a read");
	is_str(s.value, "$y$sd", "recall: the secret read");
	kss_secret_free(&s);
	do_cmd("SET user:sd:key $y$changed-by-another-node");
	st->ops->secret_recall(st->h, "sd", &s);
	is_str(s.value, "$y$sd", "recall: stale after a change elsewhere");
	is_int(st->ops->doc_put(st->h, "sd", &s, "d", r), KSS_E_UNAUTHORIZED,
	    "recall: a push with the stale secret is refused by its script");
	kss_secret_free(&s);
	st->ops->secret_swap(st->h, "sd", &old, "$y$x");
	is_int(st->ops->secret_recall(st->h, "sd", &s), KSS_E_NO_ACCOUNT,
	    "recall: a change through the store forgets");
	kss_secret_free(&old);
	json_decref(r);
}

/* Raw keys of an official database: rewritten hashed at the first good
 * login, unless the store keeps them raw (KSS_REDIS_RAW_KEYS). */
static void
raw_keys(struct kss_store *st)
{
	struct kss_secret s = {NULL, false};

	do_cmd("FLUSHDB");
	do_cmd("SET user:r1:key rawkey-1");
	do_cmd("SET user:r2:key rawkey-2");
	is_int(kss_auth_user(st, "r1", "wrong", 1, &lg, NULL, NULL, NULL),
	    KSS_E_UNAUTHORIZED, "raw: a wrong key");
	is_str(get_str("GET %s", "user:r1:key", NULL), "rawkey-1",
	    "raw: leaves the raw key");
	is_int(kss_auth_user(st, "r1", "rawkey-1", 1, &lg, NULL, NULL, NULL),
	    KSS_OK, "raw: the raw key logs in");
	ok(strncmp(get_str("GET %s", "user:r1:key", NULL), "$y$", 3) == 0,
	    "raw: and is rewritten hashed");
	is_int(kss_auth_user(st, "r1", "rawkey-1", 1, &lg, NULL, NULL, NULL),
	    KSS_OK, "raw: the key still logs in");
	st->raw_keys = true;
	is_int(kss_auth_user(st, "r2", "rawkey-2", 1, &lg, NULL, NULL, &s),
	    KSS_OK, "raw kept: the raw key logs in");
	is_str(get_str("GET %s", "user:r2:key", NULL), "rawkey-2",
	    "raw kept: and stays raw (KSS_REDIS_RAW_KEYS)");
	ok(!s.hashed, "raw kept: as a raw secret");
	kss_secret_free(&s);
	st->raw_keys = false;
}

/* What a listing found is taken by the doc_list() that follows it, and
 * dropped by a write meanwhile. */
static void
listings(struct kss_store *st)
{
	struct kss_secret who = {NULL, false};
	json_t *r = push("d1", "p", 0.5), *users = NULL, *docs = NULL;
	long long n;

	do_cmd("FLUSHDB");
	st->ops->user_create(st->h, "li", "$y$a");
	st->ops->secret_get(st->h, "li", &who);
	st->ops->doc_put(st->h, "li", &who, "d1", r);
	is_int(st->ops->user_list(st->h, &users), KSS_OK, "listings: users");
	is_int((long long)json_array_size(users), 1, "listings: one user");
	st->ops->doc_put(st->h, "li", &who, "d2", r);
	is_int(st->ops->doc_list(st->h, "li", &docs), KSS_OK,
	    "listings: records");
	ok(json_object_get(docs, "d2") != NULL && json_object_size(docs) == 2,
	    "listings: a push after the listing is listed (the write dropped "
	    "what the listing found)");
	json_decref(docs);
	json_decref(users);
	/* An account gone between the listing and its doc_list() (deleted
	 * by another node during an export) leaves the listing to the
	 * users after it: no SCAN each. */
	st->ops->user_create(st->h, "lj", "$y$b");
	st->ops->user_list(st->h, &users);
	do_cmd("DEL user:lj:key");
	n = calls("scan");
	is_int(st->ops->doc_list(st->h, "lj", &docs), KSS_E_NO_ACCOUNT,
	    "listings: an account gone meanwhile");
	is_int(st->ops->doc_list(st->h, "li", &docs), KSS_OK,
	    "listings: the next one's records");
	ok(json_object_size(docs) == 2, "listings: both of them");
	is_int(calls("scan") - n, 0, "listings: read without a SCAN (the "
	    "account gone did not drop the listing)");
	json_decref(docs);
	json_decref(users);
	json_decref(r);
	kss_secret_free(&who);
}

/* What fails: a server that is not there, a wrong password, a key of
 * the wrong type; and a connection the server closed, made anew. */
static void
failures(struct kss_store *st)
{
	struct kss_redis_url u = url;
	struct kss_store down;
	struct kss_secret s = {NULL, false};
	json_t *got;

	do_cmd("FLUSHDB");
	do_cmd("HSET user:typed:key a b");
	logged[0] = '\0';
	is_int(st->ops->secret_get(st->h, "typed", &s), KSS_E_STORE,
	    "a Redis error (WRONGTYPE) is KSS_E_STORE");
	ok(strstr(logged, "WRONGTYPE") != NULL, "and is logged: %s", logged);
	do_cmd("SET user:typed:document:d x");
	is_int(st->ops->doc_get(st->h, "typed", "d", &got), KSS_E_STORE,
	    "a record that is no hash is KSS_E_STORE");

	st->ops->user_create(st->h, "live", "$y$l");
	do_cmd("CLIENT KILL TYPE normal SKIPME yes");
	is_int(st->ops->secret_get(st->h, "live", &s), KSS_OK,
	    "a connection the server closed is made anew");
	kss_secret_free(&s);

	u.port = 1;
	u.path[0] = '\0';
	strcpy(u.host, "127.0.0.1");
	strcpy(u.password, "hunter2-secret");
	kss_store_redis_open(&u, &lg, &down);
	logged[0] = '\0';
	is_int(down.ops->secret_get(down.h, "live", &s), KSS_E_STORE_DOWN,
	    "no server: KSS_E_STORE_DOWN");
	ok(strstr(logged, "cannot connect") != NULL &&
	    strstr(logged, "hunter2") == NULL, "logged without the password: %s",
	    logged);
	kss_store_close(&down);

	do_cmd("CONFIG SET requirepass hunter2-secret");
	u = url;
	strcpy(u.password, "hunter2-secret");
	kss_store_redis_open(&u, &lg, &down);
	is_int(down.ops->secret_get(down.h, "live", &s), KSS_OK,
	    "a password (AUTH)");
	kss_secret_free(&s);
	kss_store_close(&down);
	strcpy(u.password, "hunter2-wrong");
	kss_store_redis_open(&u, &lg, &down);
	logged[0] = '\0';
	is_int(down.ops->secret_get(down.h, "live", &s), KSS_E_STORE_DOWN,
	    "a wrong password: KSS_E_STORE_DOWN");
	ok(strstr(logged, "refuses") != NULL && strstr(logged, "hunter2") == NULL,
	    "logged without the password: %s", logged);
	kss_store_close(&down);
	do_cmd("AUTH hunter2-secret");
	do_cmd("CONFIG SET requirepass %s", "");
}

int
main(void)
{
	const char *s = getenv("KSS_TEST_REDIS"), *why;
	struct kss_store st;

	if (s == NULL || *s == '\0') {
		printf("1..0 # SKIP KSS_TEST_REDIS names no Redis database "
		    "(t/store-redis.t starts one)\n");
		return 0;
	}
	if (kss_redis_url_parse(s, &url, &why) < 0 || url.path[0] != '\0') {
		printf("Bail out! KSS_TEST_REDIS: %s\n", why);
		return 1;
	}
	if ((direct = redisConnect(url.host, url.port)) == NULL || direct->err) {
		printf("Bail out! cannot connect to %s\n", s);
		return 1;
	}
	do_cmd("SELECT %d", url.db);
	do_cmd("FLUSHDB");
	open_store(&st);
	contract("redis", &st);
	admin_contract("redis", &st);
	layout(&st);
	official(&st);
	names(&st);
	deletes(&st);
	scripts(&st);
	shortcuts(&st);
	raw_keys(&st);
	listings(&st);
	failures(&st);
	kss_store_close(&st);
	do_cmd("FLUSHDB");
	redisFree(direct);
	return tap_done();
}
