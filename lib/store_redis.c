/* The Redis store: the official koreader-sync-server's schema
 * (protocol.md §7), so that kss serves an official database as it is and
 * several kss nodes share one Redis (README, "Scaling out").
 *
 *   user:<name>:key              string: the credential
 *   user:<name>:document:<doc>   hash: percentage, progress, device,
 *                                device_id, timestamp (+ metadata)
 *
 * Names never hold ':' (valid.h), so no name reaches into another's
 * keys; the store refuses one that does all the same.
 *
 * The credential is a libxcrypt hash, or a raw key as the official
 * server keeps it (kss_auth_is_hash() tells which). Every write that
 * depends on it is one Lua script (EVALSHA), so that the check and the
 * write are one atomic step, as the file store's locks make them: a push
 * lands only in the account its key was verified against.
 *
 * Deleting an account, whose records only a SCAN finds (never KEYS,
 * which stops the server for the whole keyspace), takes three steps:
 *   1. the credential is swapped, if it still is the verified one, for
 *      a tombstone ("kss:deleting:" and random hex): from then on no
 *      push of the account lands (each checks the credential), no login
 *      succeeds, and the name is not free (SET NX fails);
 *   2. every user:<name>:document:* key is deleted, page by page; none
 *      can appear meanwhile, so the SCAN sees them all. Each page goes
 *      only while the credential still is this tombstone: a delete held
 *      up here may have been finished by a registration of the name
 *      (below), whose new account's records are not this delete's;
 *   3. the tombstone is deleted, if it still is this one: the name is
 *      free.
 * A delete cut short (kss killed, Redis gone) leaves the tombstone: the
 * account stays unusable, and the next registration of the name does
 * steps 2 and 3 before it creates the new account, which so never
 * inherits a record. An official server sharing the database pushes
 * with GET then HMSET, not atomically: one of its pushes racing a kss
 * delete may leave that one record behind. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "auth.h"
#include "json.h"
#include "log.h"
#include "redis_conn.h"
#include "store.h"

/* A name kss accepts is at most KSS_NAME_MAX (128) bytes; the store
 * takes longer ones (an import's), up to this. */
#define NAME_MAX_BYTES 1024
#define KEY_SIZE (2 * NAME_MAX_BYTES + 32)
#define TOMB "kss:deleting:"
/* A registration's tombstone, while it clears the name (create()): it
 * expires by itself should the registration die, freeing the name. */
#define TOMB_NEW TOMB "new:"
#define TOMB_NEW_TTL "600"
#define KEY_HEAD "user:"	/* a credential's key: KEY_HEAD <name> KEY_TAIL */
#define KEY_TAIL ":key"
#define SCAN_COUNT "500"

/* Secrets read lately, by user (a hash of the name picks the slot): a
 * push of a user whose key was verified against one of them lately goes
 * out as one round trip, its script checking the secret again
 * (secret_recall). */
#define RECALL 64

struct recalled {
	char *user;
	char *secret;
};

struct rstore {
	struct kss_redis *r;
	const struct kss_log *log;
	struct recalled recall[RECALL];
	/* What r_user_list()'s one pass over user:* found of each
	 * account's records (name: array of record keys), taken by the
	 * r_doc_list() of that name that follows: so that kss-admin's
	 * listings and export read the keyspace once, not once per user.
	 * Dropped by every write (unlist()). */
	json_t *listed;
};

/* The scripts: each checks the credential and writes in one atomic step.
 * They answer 1 done, 0 no account (none, or a delete in progress), -1
 * a credential other than the one given (newer: 2, the stored record is
 * as new). The SHA-1 beside each is what EVALSHA names it by;
 * t/unit_redis.c fails when one no longer matches its text. */
static const struct kss_redis_script put_script = {
	    "local v = redis.call('GET', KEYS[1])\n"
	    "if not v or string.sub(v, 1, 13) == 'kss:deleting:' then\n"
	    "\treturn 0\n"
	    "end\n"
	    "if v ~= ARGV[1] then return -1 end\n"
	    "redis.call('HSET', KEYS[2], unpack(ARGV, 2))\n"
	    "return 1\n",
	"7689674f02494583fcaf9fc5ed9412df58c39915",
};

static const struct kss_redis_script swap_script = {
	    "local v = redis.call('GET', KEYS[1])\n"
	    "if not v or string.sub(v, 1, 13) == 'kss:deleting:' then\n"
	    "\treturn 0\n"
	    "end\n"
	    "if v ~= ARGV[1] then return -1 end\n"
	    "redis.call('SET', KEYS[1], ARGV[2])\n"
	    "return 1\n",
	"14b394a9866c591b892120015c966bbeda2a2737",
};

/* The operator's new credential (who has no key): over whatever the
 * credential holds but a tombstone, a value of another type too (a
 * credential that cannot be read, key_type()). */
static const struct kss_redis_script set_script = {
	    "local t = redis.call('TYPE', KEYS[1]).ok\n"
	    "if t == 'none' then return 0 end\n"
	    "if t == 'string' and string.sub(redis.call('GET', KEYS[1]), 1, 13) ==\n"
	    "    'kss:deleting:' then\n"
	    "\treturn 0\n"
	    "end\n"
	    "redis.call('SET', KEYS[1], ARGV[1])\n"
	    "return 1\n",
	"1124a3fd0a591f67cc46ecddcadd029d29956e03",
};

/* The operator's delete (who NULL): the credential, whatever it holds
 * (a hash, a raw key, another delete's tombstone, a value of the wrong
 * type), becomes this delete's tombstone. */
static const struct kss_redis_script mark_script = {
	    "if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end\n"
	    "redis.call('SET', KEYS[1], ARGV[1])\n"
	    "return 1\n",
	"7393c196123574e8ab4ceff4462673f9fb81a59b",
};

static const struct kss_redis_script forget_script = {
	    "if redis.call('GET', KEYS[1]) == ARGV[1] then\n"
	    "\treturn redis.call('DEL', KEYS[1])\n"
	    "end\n"
	    "return 0\n",
	"1aedb92d66263a8e9301d423d08a9b597ad8687f",
};

/* A registration's last step: its tombstone (ARGV[1]) becomes the
 * credential (ARGV[2]); SET drops the tombstone's expiry. */
static const struct kss_redis_script install_script = {
	    "if redis.call('GET', KEYS[1]) == ARGV[1] then\n"
	    "\tredis.call('SET', KEYS[1], ARGV[2])\n"
	    "\treturn 1\n"
	    "end\n"
	    "return 0\n",
	"2b0c6a2ed90da2f98a862f59258cc084c66b8389",
};

/* Step 2's deletes, a part of a page at a time: only while the
 * credential still is this delete's tombstone. A registration that
 * finished the delete meanwhile (finish_delete()) has made a new account,
 * whose records this delete must not touch. -1 when the tombstone is
 * gone. */
static const struct kss_redis_script purge_script = {
	    "if redis.call('GET', KEYS[1]) ~= ARGV[1] then return -1 end\n"
	    "return redis.call('DEL', unpack(KEYS, 2))\n",
	"abdb382ad0bc968bdc2a6976f81b0d71e2e3a8de",
};

static const struct kss_redis_script docdel_script = {
	    "local v = redis.call('GET', KEYS[1])\n"
	    "if not v or string.sub(v, 1, 13) == 'kss:deleting:' then\n"
	    "\treturn 0\n"
	    "end\n"
	    "if redis.call('DEL', KEYS[2]) == 1 then return 1 end\n"
	    "return -1\n",
	"e754ef966f80a83f9ff35fa3716585b253d4f0de",
};

static const struct kss_redis_script newer_script = {
	    "local v = redis.call('GET', KEYS[1])\n"
	    "if not v or string.sub(v, 1, 13) == 'kss:deleting:' then\n"
	    "\treturn 0\n"
	    "end\n"
	    "if redis.call('EXISTS', KEYS[2]) == 1 and\n"
	    "    (tonumber(redis.call('HGET', KEYS[2], 'timestamp')) or 0) >=\n"
	    "    tonumber(ARGV[1]) then\n"
	    "\treturn 2\n"
	    "end\n"
	    "redis.call('HSET', KEYS[2], unpack(ARGV, 2))\n"
	    "return 1\n",
	"a93eb15ad7c40d776e048ba8017d3c4a012f0f44",
};

/* --- names and keys --- */

/* Whether name can be a part of a key: no ':' (it would reach into
 * another name's keys), not empty, bounded. */
static bool
keyable(const char *name)
{
	size_t n = strlen(name);

	return n > 0 && n <= NAME_MAX_BYTES && memchr(name, ':', n) == NULL;
}

/* "user:<user>:key" into buf; its length. */
static size_t
user_key(char buf[KEY_SIZE], const char *user)
{
	return (size_t)snprintf(buf, KEY_SIZE, "user:%s:key", user);
}

/* "user:<user>:document:<doc>" into buf; its length. */
static size_t
doc_key(char buf[KEY_SIZE], const char *user, const char *doc)
{
	return (size_t)snprintf(buf, KEY_SIZE, "user:%s:document:%s", user,
	    doc);
}

/* "user:<user>:document:" into buf; its length. */
static size_t
doc_prefix(char buf[KEY_SIZE], const char *user)
{
	return (size_t)snprintf(buf, KEY_SIZE, "user:%s:document:", user);
}

/* s into out with the glob's own characters escaped. */
static size_t
glob_escape(char *out, const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++) {
		if (strchr("*?[]\\", *s) != NULL)
			out[n++] = '\\';
		out[n++] = *s;
	}
	return n;
}

/* A SCAN pattern for the keys prefix...suffix: the glob's characters in
 * them escaped, so that a name such as "a*" matches only itself, never
 * "ab". out holds 2 * (both lengths) + 2 bytes. */
static void
glob(char *out, const char *prefix, const char *suffix)
{
	size_t n = glob_escape(out, prefix);

	out[n++] = '*';
	n += glob_escape(out + n, suffix);
	out[n] = '\0';
}

static bool
is_tomb(const char *v, size_t len)
{
	return len >= sizeof(TOMB) - 1 && memcmp(v, TOMB, sizeof(TOMB) - 1) == 0;
}

/* --- commands --- */

/* One command, run alone: its argc arguments, each a C string unless
 * len gives its length. A Redis error is logged and is KSS_E_STORE. */
static enum kss_err
run(struct rstore *s, redisReply **out, int argc, const char **argv,
    const size_t *len)
{
	size_t l[8];
	struct kss_redis_cmd cmd = {argc, argv, len != NULL ? len : l};
	enum kss_err e;
	int i;

	for (i = 0; len == NULL && i < argc && i < 8; i++)
		l[i] = strlen(argv[i]);
	if ((e = kss_redis_run(s->r, 1, &cmd, out)) != KSS_OK)
		return e;
	if ((e = kss_redis_check(s->r, *out, argv[0])) != KSS_OK) {
		freeReplyObject(*out);
		*out = NULL;
	}
	return e;
}

/* A script's integer answer. */
static enum kss_err
eval_int(struct rstore *s, const struct kss_redis_script *sc, int nkeys,
    int n, const char **args, const size_t *len, long long *v)
{
	redisReply *rep;
	enum kss_err e = kss_redis_eval(s->r, sc, nkeys, n, args, len, &rep);

	if (e != KSS_OK)
		return e;
	if (rep->type != REDIS_REPLY_INTEGER) {
		kss_logf(s->log, "Redis: a script answered other than a number");
		e = KSS_E_STORE;
	} else
		*v = rep->integer;
	freeReplyObject(rep);
	return e;
}

/* The account's state as the scripts answer it: 1 done, 0 no account
 * (or one being deleted), -1 the credential is not the one given. */
static enum kss_err
outcome(long long v)
{
	return v == 0 ? KSS_E_NO_ACCOUNT : v < 0 ? KSS_E_UNAUTHORIZED : KSS_OK;
}

/* --- records: JSON in kss, text fields in the hash --- */

#define NFIELDS 6

/* A record's fields as hash field, value pairs. */
struct fields {
	const char *argv[2 * NFIELDS];
	size_t len[2 * NFIELDS];
	char num[NFIELDS][40];
	char *own[NFIELDS];
	int n;
};

static void
fields_free(struct fields *f)
{
	int i;

	for (i = 0; i < NFIELDS; i++)
		free(f->own[i]);
}

/* Adds name with v's text as the official server writes it: a string
 * as it is, a number as the shortest text that reads back the same (a
 * real keeps a '.', so that 1.0 stays a real), an object (metadata) as
 * compact JSON. Other types are left out. -1 when out of memory. */
static int
field(struct fields *f, const char *name, const json_t *v)
{
	int i = f->n / 2;
	char *t = f->num[i];
	size_t len;

	if (json_is_string(v)) {
		t = (char *)json_string_value(v);
		len = json_string_length(v);
	} else if (json_is_integer(v)) {
		len = (size_t)snprintf(t, sizeof(f->num[i]), "%" JSON_INTEGER_FORMAT,
		    json_integer_value(v));
	} else if (json_is_real(v)) {
		kss_json_fmt_double(json_real_value(v), t, sizeof(f->num[i]));
		if (strpbrk(t, ".e") == NULL)
			strcat(t, ".0");
		len = strlen(t);
	} else if (json_is_object(v)) {
		if ((t = f->own[i] = kss_json_dump(v, &len)) == NULL)
			return -1;
	} else
		return 0;
	f->argv[f->n] = name;
	f->len[f->n++] = strlen(name);
	f->argv[f->n] = t;
	f->len[f->n++] = len;
	return 0;
}

/* rec's fields, in the official hash's names (no "document": the key
 * says it). At least one, or -1. */
static int
fields_of(struct fields *f, const json_t *rec)
{
	static const char *const names[NFIELDS] = {"percentage", "progress",
	    "device", "device_id", "timestamp", "metadata"};
	int i;

	memset(f, 0, sizeof(*f));
	for (i = 0; i < NFIELDS; i++) {
		if (field(f, names[i], json_object_get(rec, names[i])) < 0) {
			fields_free(f);
			return -1;
		}
	}
	if (f->n == 0)
		fields_free(f);
	return f->n > 0 ? 0 : -1;
}

/* A number's text as a JSON number, or NULL. */
static json_t *
number(const char *s, size_t len)
{
	json_t *v = json_loadb(s, len, JSON_DECODE_ANY, NULL);

	if (v != NULL && !json_is_number(v)) {
		json_decref(v);
		v = NULL;
	}
	return v;
}

/* One hash field into rec, typed as kss keeps records: percentage and
 * timestamp numbers, metadata an object, the rest strings. A value that
 * does not convert (bytes not UTF-8, an official server's odd text) is
 * left as a string, or out, for kss_valid_record() to judge. */
static int
hash_field(json_t *rec, const redisReply *k, const redisReply *v)
{
	static const char *const strs[] = {"progress", "device", "device_id"};
	json_t *j = NULL;
	size_t i;

	if (k->type != REDIS_REPLY_STRING || v->type != REDIS_REPLY_STRING)
		return 0;
	if (strcmp(k->str, "percentage") == 0 || strcmp(k->str, "timestamp") == 0) {
		if ((j = number(v->str, v->len)) == NULL)
			j = json_stringn(v->str, v->len);
	} else if (strcmp(k->str, "metadata") == 0) {
		j = json_loadb(v->str, v->len, 0, NULL);
	} else {
		for (i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
			if (strcmp(k->str, strs[i]) == 0)
				j = json_stringn(v->str, v->len);
	}
	if (j == NULL)
		return 0;
	return json_object_set_new(rec, k->str, j);
}

/* The record of doc[0..len) HGETALL answered, with "document" as the
 * file store's records have it (the key says it): NULL in *rec for none
 * (an empty hash is no hash in Redis). */
static enum kss_err
record(struct rstore *s, const redisReply *rep, const char *doc, size_t len,
    json_t **rec)
{
	size_t i;

	*rec = NULL;
	if (rep->type != REDIS_REPLY_ARRAY) {
		kss_logf(s->log, "Redis: a record is not a hash");
		return KSS_E_STORE;
	}
	if (rep->elements == 0)
		return KSS_OK;
	if ((*rec = json_pack("{s:s%}", "document", doc, len)) == NULL)
		return KSS_E_SERVER;
	for (i = 0; i + 1 < rep->elements; i += 2) {
		if (hash_field(*rec, rep->element[i], rep->element[i + 1]) < 0) {
			json_decref(*rec);
			*rec = NULL;
			return KSS_E_SERVER;
		}
	}
	return KSS_OK;
}

/* --- SCAN --- */

/* Calls page(s, ctx, keys, n) for each page of the keys that start with
 * prefix and end with suffix, and only those (the pattern's match is
 * checked again, bytewise). A key may come twice: SCAN promises each
 * key present all along at least once. Stops at the first error. */
static enum kss_err
scan(struct rstore *s, const char *prefix, const char *suffix,
    enum kss_err (*page)(struct rstore *, void *, const redisReply **, int),
    void *ctx)
{
	char pattern[4 * KEY_SIZE], cursor[32] = "0";
	const char *argv[6] = {"SCAN", cursor, "MATCH", pattern, "COUNT",
	    SCAN_COUNT};
	size_t plen = strlen(prefix), slen = strlen(suffix);
	const redisReply **keys = NULL, *list, *k;
	redisReply *rep = NULL;
	enum kss_err e;
	size_t i;
	int n;

	glob(pattern, prefix, suffix);
	do {
		if ((e = run(s, &rep, 6, argv, NULL)) != KSS_OK)
			break;
		e = KSS_E_STORE;
		if (rep->type != REDIS_REPLY_ARRAY || rep->elements != 2 ||
		    rep->element[0]->type != REDIS_REPLY_STRING ||
		    rep->element[0]->len >= sizeof(cursor) ||
		    rep->element[1]->type != REDIS_REPLY_ARRAY) {
			kss_logf(s->log, "Redis: SCAN answered out of form");
			break;
		}
		memcpy(cursor, rep->element[0]->str, rep->element[0]->len + 1);
		list = rep->element[1];
		e = KSS_E_SERVER;
		if ((keys = calloc(list->elements + 1, sizeof(*keys))) == NULL)
			break;
		for (i = 0, n = 0; i < list->elements; i++) {
			k = list->element[i];
			if (k->type == REDIS_REPLY_STRING &&
			    k->len > plen + slen &&
			    memcmp(k->str, prefix, plen) == 0 &&
			    memcmp(k->str + k->len - slen, suffix, slen) == 0 &&
			    memchr(k->str, '\0', k->len) == NULL)
				keys[n++] = k;
		}
		e = n > 0 ? page(s, ctx, keys, n) : KSS_OK;
		free(keys);
		keys = NULL;
		freeReplyObject(rep);
		rep = NULL;
	} while (e == KSS_OK && strcmp(cursor, "0") != 0);
	if (rep != NULL)
		freeReplyObject(rep);
	free(keys);
	return e;
}

/* Drops what r_user_list() found: a write may have changed it. */
static void
unlist(struct rstore *s)
{
	json_decref(s->listed);
	s->listed = NULL;
}

/* --- secrets read lately (secret_recall) --- */

static struct recalled *
slot(struct rstore *s, const char *user)
{
	unsigned h = 5381;

	for (; *user != '\0'; user++)
		h = h * 33 + (unsigned char)*user;
	return &s->recall[h % RECALL];
}

static void
forget(struct recalled *r)
{
	free(r->user);
	free(r->secret);
	r->user = r->secret = NULL;
}

/* Remembers user's secret v as read now (best effort: no memory, no
 * memo). */
static void
remember(struct rstore *s, const char *user, const char *v)
{
	struct recalled *r = slot(s, user);

	if (r->user != NULL && strcmp(r->user, user) == 0 &&
	    strcmp(r->secret, v) == 0)
		return;
	forget(r);
	if ((r->user = strdup(user)) == NULL || (r->secret = strdup(v)) == NULL)
		forget(r);
}

/* user's secret, read lately, which is no longer (a read found none). */
static void
forget_secret(struct rstore *s, const char *user)
{
	struct recalled *r = slot(s, user);

	if (r->user != NULL && strcmp(r->user, user) == 0)
		forget(r);
}

/* Before a write to user's credential: its secret, and the listing. */
static void
forget_user(struct rstore *s, const char *user)
{
	forget_secret(s, user);
	unlist(s);
}

static enum kss_err
r_secret_recall(void *h, const char *user, struct kss_secret *sec)
{
	struct recalled *r = slot(h, user);

	sec->value = NULL;
	sec->hashed = false;
	if (r->user == NULL || strcmp(r->user, user) != 0)
		return KSS_E_NO_ACCOUNT;
	if ((sec->value = strdup(r->secret)) == NULL)
		return KSS_E_SERVER;
	sec->hashed = kss_auth_is_hash(sec->value);
	return KSS_OK;
}

/* --- accounts --- */

/* A GET of user's key answered rep: its secret into sec. */
static enum kss_err
secret_of(struct rstore *s, const char *user, const redisReply *rep,
    struct kss_secret *sec)
{
	if (rep->type == REDIS_REPLY_NIL ||
	    (rep->type == REDIS_REPLY_STRING && is_tomb(rep->str, rep->len))) {
		/* A read: the listing stays (an account deleted during an
		 * export must not cost every user after it a SCAN). */
		forget_secret(s, user);
		return KSS_E_NO_ACCOUNT;
	}
	if (rep->type != REDIS_REPLY_STRING ||
	    memchr(rep->str, '\0', rep->len) != NULL) {
		kss_logf(s->log, "Redis: a user's key holds no credential");
		return KSS_E_STORE;
	}
	if ((sec->value = strndup(rep->str, rep->len)) == NULL)
		return KSS_E_SERVER;
	sec->hashed = kss_auth_is_hash(sec->value);
	remember(s, user, sec->value);
	return KSS_OK;
}

static enum kss_err
r_secret_get(void *h, const char *user, struct kss_secret *sec)
{
	struct rstore *s = h;
	char key[KEY_SIZE];
	const char *argv[2] = {"GET", key};
	size_t len[2] = {3, 0};
	redisReply *rep;
	enum kss_err e;

	sec->value = NULL;
	sec->hashed = false;
	if (!keyable(user))
		return KSS_E_NO_ACCOUNT;
	len[1] = user_key(key, user);
	if ((e = run(s, &rep, 2, argv, len)) != KSS_OK)
		return e;
	e = secret_of(s, user, rep, sec);
	freeReplyObject(rep);
	return e;
}

/* What step 2 of a delete needs of its pages: the credential's key and
 * the tombstone it must still hold. */
struct purging {
	const char *key, *tomb;
	size_t klen, tlen;
};

/* Keys of a page deleted by one script call (its Lua stack bounds it). */
#define PURGE_CHUNK 128

/* Deletes each of the page's keys (a user's records), while the
 * credential still is ctx's tombstone; KSS_E_NO_ACCOUNT (which stops the
 * SCAN) once it is not. */
static enum kss_err
del_page(struct rstore *s, void *ctx, const redisReply **keys, int n)
{
	const struct purging *p = ctx;
	const char *args[2 + PURGE_CHUNK];
	size_t len[2 + PURGE_CHUNK];
	long long v = 0;
	enum kss_err e = KSS_OK;
	int i, k;

	for (i = 0; i < n && e == KSS_OK && v >= 0; i += k) {
		args[0] = p->key;
		len[0] = p->klen;
		for (k = 0; k < PURGE_CHUNK && i + k < n; k++) {
			args[1 + k] = keys[i + k]->str;
			len[1 + k] = keys[i + k]->len;
		}
		args[1 + k] = p->tomb;
		len[1 + k] = p->tlen;
		e = eval_int(s, &purge_script, 1 + k, 2 + k, args, len, &v);
	}
	return e == KSS_OK && v < 0 ? KSS_E_NO_ACCOUNT : e;
}

/* Steps 2 and 3 of a delete (above): every record of user, then its
 * credential if it still is tomb: deleted, or (value not NULL: a
 * registration's, create()) made value. KSS_E_USER_EXISTS for a
 * registration whose tombstone another took over. */
static enum kss_err
purge(struct rstore *s, const char *user, const char *tomb, size_t tlen,
    const char *value)
{
	char prefix[KEY_SIZE], key[KEY_SIZE];
	const char *args[3] = {key, tomb, value};
	size_t len[3] = {0, tlen, value != NULL ? strlen(value) : 0};
	struct purging p = {key, tomb, 0, tlen};
	long long v;
	enum kss_err e;

	doc_prefix(prefix, user);
	p.klen = len[0] = user_key(key, user);
	/* A tombstone gone midway: another finished this delete (a
	 * registration of the name, the operator's delete), and the
	 * records left are no longer this account's. */
	if ((e = scan(s, prefix, "", del_page, &p)) != KSS_OK) {
		if (e == KSS_E_NO_ACCOUNT)
			e = value != NULL ? KSS_E_USER_EXISTS : KSS_OK;
		return e;
	}
	if (value == NULL)
		return eval_int(s, &forget_script, 1, 2, args, len, &v);
	if ((e = eval_int(s, &install_script, 1, 3, args, len, &v)) != KSS_OK)
		return e;
	return v == 1 ? KSS_OK : KSS_E_USER_EXISTS;
}

/* After a SET NX found user's name taken: KSS_OK when it was taken by a
 * delete cut short, which this finishes (the name is then free), else
 * KSS_E_USER_EXISTS. */
static enum kss_err
finish_delete(struct rstore *s, const char *user)
{
	char key[KEY_SIZE];
	const char *argv[2] = {"GET", key};
	size_t len[2] = {3, 0};
	redisReply *rep;
	enum kss_err e;

	len[1] = user_key(key, user);
	if ((e = run(s, &rep, 2, argv, len)) != KSS_OK)
		return e;
	/* Another registration's tombstone: that one is under way (or
	 * its tombstone expires soon). */
	if (rep->type == REDIS_REPLY_STRING && is_tomb(rep->str, rep->len) &&
	    (rep->len < sizeof(TOMB_NEW) - 1 ||
	    memcmp(rep->str, TOMB_NEW, sizeof(TOMB_NEW) - 1) != 0))
		e = purge(s, user, rep->str, rep->len, NULL);
	else if (rep->type != REDIS_REPLY_NIL)
		e = KSS_E_USER_EXISTS;
	freeReplyObject(rep);
	return e;
}

/* A registration's tombstone deleted, if it still is this one (best
 * effort: Redis may be gone, and then it expires). */
static void
release(struct rstore *s, const char *key, size_t klen, const char *tomb,
    size_t tlen)
{
	const char *args[2] = {key, tomb};
	size_t len[2] = {klen, tlen};
	long long v;

	(void)eval_int(s, &forget_script, 1, 2, args, len, &v);
}

/* A new tombstone, prefix and random hex, into tomb. */
#define TOMB_SIZE (sizeof(TOMB_NEW) + 32)
static void
new_tomb(char tomb[TOMB_SIZE], const char *prefix)
{
	unsigned char rnd[16];
	size_t n = strlen(prefix);

	memcpy(tomb, prefix, n);
	randombytes_buf(rnd, sizeof(rnd));
	sodium_bin2hex(tomb + n, TOMB_SIZE - n, rnd, sizeof(rnd));
}

/* Creates user with value as its credential (SET NX: of racing
 * registrations, one wins). A value that would read as a tombstone (a
 * raw key, KSS_REDIS_RAW_KEYS) is refused.
 *
 * clear: the name is first taken with a tombstone of its own, the
 * records found under it deleted, and only then the credential set, so
 * that a new account starts with none: records left without their
 * credential (an official server's push racing a delete, an operator's
 * DEL of the credential alone) are never passed on. That costs a SCAN of
 * the keyspace, which a registration pays, not an import (of many). */
static enum kss_err
create(struct rstore *s, const char *user, const char *value, bool clear)
{
	char key[KEY_SIZE], tomb[TOMB_SIZE];
	const char *argv[6] = {"SET", key, value, "NX", "EX", TOMB_NEW_TTL};
	size_t len[6] = {3, 0, strlen(value), 2, 2, strlen(TOMB_NEW_TTL)};
	redisReply *rep;
	enum kss_err e;
	int tries;

	if (!keyable(user) || is_tomb(value, len[2]))
		return KSS_E_INVALID;
	unlist(s);
	len[1] = user_key(key, user);
	if (clear) {
		new_tomb(tomb, TOMB_NEW);
		argv[2] = tomb;
		len[2] = strlen(tomb);
	}
	/* A name freed by finish_delete() may be taken again at once by
	 * another registration: then that one won. */
	for (tries = 0; tries < 2; tries++) {
		if ((e = run(s, &rep, clear ? 6 : 4, argv, len)) != KSS_OK)
			return e;
		e = rep->type == REDIS_REPLY_NIL ? KSS_E_USER_EXISTS : KSS_OK;
		freeReplyObject(rep);
		if (e == KSS_OK && !clear)
			return e;
		if (e == KSS_OK) {
			e = purge(s, user, tomb, len[2], value);
			/* A Redis error midway: the name is let go at once,
			 * not held by a registration that is over until its
			 * tombstone expires (a retry told "registered"). */
			if (e != KSS_OK && e != KSS_E_USER_EXISTS)
				release(s, key, len[1], tomb, len[2]);
			return e;
		}
		if ((e = finish_delete(s, user)) != KSS_OK)
			return e;
	}
	return KSS_E_USER_EXISTS;
}

static enum kss_err
r_user_create(void *h, const char *user, const char *hash)
{
	return create(h, user, hash, true);
}

static enum kss_err
r_user_create_secret(void *h, const char *user, const struct kss_secret *sec)
{
	return create(h, user, sec->value, false);
}

/* A write to user's credential by script, its arguments a0 and a1 (NULL:
 * none), as the scripts answer. */
static enum kss_err
credential_write(struct rstore *s, const char *user,
    const struct kss_redis_script *script, const char *a0, const char *a1)
{
	char key[KEY_SIZE];
	const char *args[3] = {key, a0, a1};
	size_t len[3] = {0, strlen(a0), a1 != NULL ? strlen(a1) : 0};
	long long v;
	enum kss_err e;

	if (!keyable(user))
		return KSS_E_NO_ACCOUNT;
	forget_user(s, user);
	len[0] = user_key(key, user);
	if ((e = eval_int(s, script, 1, a1 != NULL ? 3 : 2, args, len,
	    &v)) != KSS_OK)
		return e;
	return outcome(v);
}

/* The credential of user swapped from old to new, atomically. */
static enum kss_err
swap(struct rstore *s, const char *user, const char *old, const char *new)
{
	return credential_write(s, user, &swap_script, old, new);
}

static enum kss_err
r_secret_swap(void *h, const char *user, const struct kss_secret *old,
    const char *hash)
{
	if (is_tomb(hash, strlen(hash)))
		return KSS_E_INVALID;
	return swap(h, user, old->value, hash);
}

/* who NULL: the operator's delete, whatever the credential (kss-admin
 * user del on a store whose contract admits it); it also finishes a
 * delete cut short. Step 1 (the tombstone) is then mark_script. */
static enum kss_err
r_user_delete(void *h, const char *user, const struct kss_secret *who)
{
	char tomb[TOMB_SIZE];
	enum kss_err e;

	new_tomb(tomb, TOMB);
	e = who != NULL ? swap(h, user, who->value, tomb) :
	    credential_write(h, user, &mark_script, tomb, NULL);
	if (e != KSS_OK)
		return e;
	return purge(h, user, tomb, strlen(tomb), NULL);
}

static enum kss_err
r_secret_set(void *h, const char *user, const struct kss_secret *sec)
{
	if (is_tomb(sec->value, strlen(sec->value)))
		return KSS_E_INVALID;
	return credential_write(h, user, &set_script, sec->value, NULL);
}

/* --- records --- */

static enum kss_err
r_doc_get(void *h, const char *user, const char *doc, json_t **rec)
{
	struct rstore *s = h;
	char key[KEY_SIZE];
	const char *argv[2] = {"HGETALL", key};
	size_t len[2] = {7, 0};
	redisReply *rep;
	enum kss_err e;

	*rec = NULL;
	if (!keyable(user) || !keyable(doc))
		return KSS_OK;
	len[1] = doc_key(key, user, doc);
	if ((e = run(s, &rep, 2, argv, len)) != KSS_OK)
		return e;
	e = record(s, rep, doc, strlen(doc), rec);
	freeReplyObject(rep);
	return e;
}

static enum kss_err
r_secret_doc_get(void *h, const char *user, const char *doc,
    struct kss_secret *sec, json_t **rec)
{
	struct rstore *s = h;
	char ukey[KEY_SIZE], dkey[KEY_SIZE];
	const char *argv[4] = {"GET", ukey, "HGETALL", dkey};
	size_t len[4] = {3, 0, 7, 0};
	struct kss_redis_cmd cmds[2] = {{2, argv, len}, {2, argv + 2, len + 2}};
	redisReply *rep[2];
	enum kss_err e;

	sec->value = NULL;
	sec->hashed = false;
	*rec = NULL;
	if (!keyable(user))
		return KSS_E_NO_ACCOUNT;
	if (!keyable(doc))
		return r_secret_get(h, user, sec);
	len[1] = user_key(ukey, user);
	len[3] = doc_key(dkey, user, doc);
	/* One round trip: the record comes with the secret it is read
	 * under. */
	if ((e = kss_redis_run(s->r, 2, cmds, rep)) != KSS_OK)
		return e;
	if ((e = kss_redis_check(s->r, rep[0], "GET")) == KSS_OK)
		e = secret_of(s, user, rep[0], sec);
	if (e == KSS_OK &&
	    ((e = kss_redis_check(s->r, rep[1], "HGETALL")) != KSS_OK ||
	    (e = record(s, rep[1], doc, strlen(doc), rec)) != KSS_OK))
		kss_secret_free(sec);
	kss_redis_free_replies(2, rep);
	return e;
}

/* Runs script (put or newer) on user's doc with rec's fields after the
 * one argument first. */
static enum kss_err
write_doc(struct rstore *s, const struct kss_redis_script *script,
    const char *user, const char *doc, const char *first, const json_t *rec,
    long long *v)
{
	char ukey[KEY_SIZE], dkey[KEY_SIZE];
	const char *args[3 + 2 * NFIELDS] = {ukey, dkey, first};
	size_t len[3 + 2 * NFIELDS] = {0, 0, strlen(first)};
	struct fields f;
	enum kss_err e;

	if (!keyable(user) || !keyable(doc))
		return KSS_E_INVALID;
	unlist(s);
	if (fields_of(&f, rec) < 0) {
		kss_logf(s->log, "Redis: a record with no field to store");
		return KSS_E_SERVER;
	}
	len[0] = user_key(ukey, user);
	len[1] = doc_key(dkey, user, doc);
	memcpy(args + 3, f.argv, (size_t)f.n * sizeof(*args));
	memcpy(len + 3, f.len, (size_t)f.n * sizeof(*len));
	e = eval_int(s, script, 2, 3 + f.n, args, len, v);
	fields_free(&f);
	return e;
}

static enum kss_err
r_doc_put(void *h, const char *user, const struct kss_secret *who,
    const char *doc, const json_t *rec)
{
	long long v;
	enum kss_err e = write_doc(h, &put_script, user, doc, who->value, rec,
	    &v);

	return e != KSS_OK ? e : outcome(v);
}

static enum kss_err
r_doc_put_newer(void *h, const char *user, const char *doc,
    const json_t *rec, bool *changed)
{
	char ts[40];
	long long v;
	enum kss_err e;

	*changed = false;
	snprintf(ts, sizeof(ts), "%.17g", kss_store_timestamp(rec));
	if ((e = write_doc(h, &newer_script, user, doc, ts, rec, &v)) !=
	    KSS_OK)
		return e;
	*changed = v == 1;
	return v == 0 ? KSS_E_NO_ACCOUNT : KSS_OK;
}

static enum kss_err
r_doc_delete(void *h, const char *user, const char *doc)
{
	char ukey[KEY_SIZE], dkey[KEY_SIZE];
	const char *args[2] = {ukey, dkey};
	size_t len[2];
	long long v;
	enum kss_err e;

	if (!keyable(user))
		return KSS_E_NO_ACCOUNT;
	if (!keyable(doc))
		return KSS_E_NOT_FOUND;
	unlist(h);
	len[0] = user_key(ukey, user);
	len[1] = doc_key(dkey, user, doc);
	if ((e = eval_int(h, &docdel_script, 2, 2, args, len, &v)) != KSS_OK)
		return e;
	return v == 0 ? KSS_E_NO_ACCOUNT : v < 0 ? KSS_E_NOT_FOUND : KSS_OK;
}

/* --- listings (kss-admin) --- */

/* The type of the value at key[0..len), as TYPE names it ("none" when
 * there is none), into t. A credential that is there but cannot be read
 * (of another type than a string, or a string that is no credential) is
 * an account all the same, as a file store's unreadable auth.json is
 * one: the operator lists it, sees its records, sets a new credential
 * over it (set_script) or deletes it (mark_script takes any type). */
static enum kss_err
key_type(struct rstore *s, const char *key, size_t len, char t[16])
{
	const char *argv[2] = {"TYPE", key};
	size_t l[2] = {4, len};
	redisReply *rep;
	enum kss_err e;

	if ((e = run(s, &rep, 2, argv, l)) != KSS_OK)
		return e;
	snprintf(t, 16, "%s", (rep->type == REDIS_REPLY_STATUS ||
	    rep->type == REDIS_REPLY_STRING) ? rep->str : "?");
	freeReplyObject(rep);
	return KSS_OK;
}

/* The name in a key prefix<name>suffix, into a new JSON string; NULL
 * for one that is no name kss could have made (a ':' in it). */
static json_t *
name_in(const char *k, size_t len, size_t plen, size_t slen)
{
	const char *name = k + plen;
	size_t n = len - plen - slen;

	if (memchr(name, ':', n) != NULL)
		return NULL;
	return json_stringn(name, n);
}

/* A page of user:<name>:key keys: the names whose value is a
 * credential (not a tombstone), or of another type than a string
 * (key_type()), into the set ctx (an object). */
static enum kss_err
users_page(struct rstore *s, void *ctx, const redisReply **keys, int n)
{
	const char **argv = calloc((size_t)n + 1, sizeof(*argv));
	size_t *len = calloc((size_t)n + 1, sizeof(*len));
	redisReply *rep = NULL, *v;
	enum kss_err e = KSS_E_SERVER;
	json_t *name;
	char t[16];
	int i;

	if (argv == NULL || len == NULL)
		goto out;
	argv[0] = "MGET";
	len[0] = 4;
	for (i = 0; i < n; i++) {
		argv[i + 1] = keys[i]->str;
		len[i + 1] = keys[i]->len;
	}
	if ((e = run(s, &rep, n + 1, argv, len)) != KSS_OK)
		goto out;
	for (i = 0; i < n && (size_t)i < rep->elements && e == KSS_OK; i++) {
		v = rep->element[i];
		/* MGET answers nil for a value of another type too. */
		if (v->type == REDIS_REPLY_NIL && ((e = key_type(s,
		    keys[i]->str, keys[i]->len, t)) != KSS_OK ||
		    strcmp(t, "none") == 0 || strcmp(t, "string") == 0))
			continue;
		if ((v->type == REDIS_REPLY_STRING && is_tomb(v->str, v->len)) ||
		    (name = name_in(keys[i]->str, keys[i]->len,
		    sizeof(KEY_HEAD) - 1,
		    sizeof(KEY_TAIL) - 1)) == NULL)
			continue;
		if (json_object_set_new(ctx, json_string_value(name),
		    json_null()) < 0)
			e = KSS_E_SERVER;
		json_decref(name);
	}
	freeReplyObject(rep);
out:
	free(argv);
	free(len);
	return e;
}

/* What r_user_list()'s pass collects: the accounts, and their records
 * (listed). */
struct pass {
	json_t *set;		/* name: null */
	json_t *records;	/* name: [record key, ...] */
};

/* A page of user:* keys: the credentials' keys to users_page(), the
 * records' to their name's array in p->records. */
static enum kss_err
list_page(struct rstore *s, void *ctx, const redisReply **keys, int n)
{
	static const char doc[] = "document:";
	struct pass *p = ctx;
	const redisReply **creds = calloc((size_t)n, sizeof(*creds));
	char name[NAME_MAX_BYTES + 1];
	const char *at, *colon;
	size_t nlen, rest;
	json_t *arr, *k;
	int i, m = 0;

	if (creds == NULL)
		return KSS_E_SERVER;
	for (i = 0; i < n; i++) {
		at = keys[i]->str + sizeof(KEY_HEAD) - 1;
		rest = keys[i]->len - (sizeof(KEY_HEAD) - 1);
		if ((colon = memchr(at, ':', rest)) == NULL ||
		    (nlen = (size_t)(colon - at)) == 0 || nlen > NAME_MAX_BYTES)
			continue;
		rest -= nlen + 1;
		if (rest == sizeof(KEY_TAIL) - 2 &&
		    memcmp(colon, KEY_TAIL, sizeof(KEY_TAIL) - 1) == 0) {
			creds[m++] = keys[i];
			continue;
		}
		if (rest <= sizeof(doc) - 1 ||
		    memcmp(colon + 1, doc, sizeof(doc) - 1) != 0 ||
		    (k = json_stringn(keys[i]->str, keys[i]->len)) == NULL)
			continue;	/* not a key of the schema, or not UTF-8 */
		memcpy(name, at, nlen);
		name[nlen] = '\0';
		if ((arr = json_object_get(p->records, name)) == NULL &&
		    json_object_set_new(p->records, name,
		    arr = json_array()) < 0)
			arr = NULL;
		if (arr == NULL || json_array_append_new(arr, k) < 0) {
			free(creds);
			return KSS_E_SERVER;
		}
	}
	i = m > 0 ? (int)users_page(s, p->set, creds, m) : KSS_OK;
	free(creds);
	return (enum kss_err)i;
}

static int
by_bytes(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static enum kss_err
r_user_list(void *h, json_t **users)
{
	struct pass p;
	json_t *set = json_object(), *u;
	const char **v = NULL, *name;
	size_t i = 0, n;
	enum kss_err e;

	*users = json_array();
	if (set == NULL || *users == NULL) {
		e = KSS_E_SERVER;
		goto out;
	}
	/* One pass: the records' keys, which only a SCAN of the whole
	 * keyspace finds, are kept for the r_doc_list() calls that follow
	 * (listed). */
	p.set = set;
	if ((p.records = json_object()) == NULL ||
	    (e = scan(h, KEY_HEAD, "", list_page, &p)) != KSS_OK) {
		json_decref(p.records);
		e = p.records == NULL ? KSS_E_SERVER : e;
		goto out;
	}
	/* An account without records has its empty list too: no SCAN. */
	json_object_foreach(set, name, u) {
		if (json_object_get(p.records, name) == NULL &&
		    json_object_set_new(p.records, name, json_array()) < 0)
			e = KSS_E_SERVER;
	}
	unlist(h);
	((struct rstore *)h)->listed = p.records;
	if (e != KSS_OK)
		goto out;
	n = json_object_size(set);
	if ((v = calloc(n + 1, sizeof(*v))) == NULL) {
		e = KSS_E_SERVER;
		goto out;
	}
	json_object_foreach(set, name, u)
		v[i++] = name;
	qsort(v, n, sizeof(*v), by_bytes);
	for (i = 0; i < n && e == KSS_OK; i++)
		if (json_array_append_new(*users, json_string(v[i])) < 0)
			e = KSS_E_SERVER;
out:
	free(v);
	json_decref(set);
	if (e != KSS_OK) {
		json_decref(*users);
		*users = NULL;
	}
	return e;
}

struct docs {
	json_t *out;
	size_t plen;	/* of user:<name>:document: */
};

/* The records at the n keys k[i] (k_len[i] bytes) of one user, read
 * (HGETALL, one pipeline) into d->out by document id; null for one that
 * is not a hash, none for one gone meanwhile. */
static enum kss_err
read_records(struct rstore *s, struct docs *d, const char *const *k,
    const size_t *k_len, int n)
{
	struct kss_redis_cmd *cmds = calloc((size_t)n, sizeof(*cmds));
	const char **argv = calloc(2 * (size_t)n, sizeof(*argv));
	size_t *len = calloc(2 * (size_t)n, sizeof(*len));
	redisReply **reps = calloc((size_t)n, sizeof(*reps));
	enum kss_err e = KSS_E_SERVER;
	json_t *id, *rec;
	int i;

	if (cmds == NULL || argv == NULL || len == NULL || reps == NULL)
		goto out;
	for (i = 0; i < n; i++) {
		argv[2 * i] = "HGETALL";
		len[2 * i] = 7;
		argv[2 * i + 1] = k[i];
		len[2 * i + 1] = k_len[i];
		cmds[i].argc = 2;
		cmds[i].argv = argv + 2 * i;
		cmds[i].len = len + 2 * i;
	}
	if ((e = kss_redis_run(s->r, n, cmds, reps)) != KSS_OK)
		goto out;
	for (i = 0; i < n && e == KSS_OK; i++) {
		if ((id = name_in(k[i], k_len[i], d->plen, 0)) == NULL)
			continue;
		if (kss_redis_check(s->r, reps[i], "a record") != KSS_OK ||
		    record(s, reps[i], json_string_value(id),
		    json_string_length(id), &rec) != KSS_OK)
			rec = json_null();
		if (rec != NULL && json_object_set_new(d->out,
		    json_string_value(id), rec) < 0)
			e = KSS_E_SERVER;
		json_decref(id);
	}
	kss_redis_free_replies(n, reps);
out:
	free(cmds);
	free(argv);
	free(len);
	free(reps);
	return e;
}

/* A page of a user's record keys, as scan() gives it. */
static enum kss_err
docs_page(struct rstore *s, void *ctx, const redisReply **keys, int n)
{
	const char **k = calloc((size_t)n, sizeof(*k));
	size_t *k_len = calloc((size_t)n, sizeof(*k_len));
	enum kss_err e = KSS_E_SERVER;
	int i;

	if (k != NULL && k_len != NULL) {
		for (i = 0; i < n; i++) {
			k[i] = keys[i]->str;
			k_len[i] = keys[i]->len;
		}
		e = read_records(s, ctx, k, k_len, n);
	}
	free(k);
	free(k_len);
	return e;
}

/* The records of user that r_user_list()'s pass found (listed), read a
 * pipeline of at most LISTED_PAGE at a time. */
#define LISTED_PAGE 500
static enum kss_err
listed_records(struct rstore *s, struct docs *d, const json_t *keys)
{
	const char *k[LISTED_PAGE];
	size_t k_len[LISTED_PAGE], i, n = json_array_size(keys);
	enum kss_err e = KSS_OK;
	int m = 0;

	for (i = 0; i < n && e == KSS_OK; i++) {
		k[m] = json_string_value(json_array_get(keys, i));
		k_len[m] = json_string_length(json_array_get(keys, i));
		if (++m == LISTED_PAGE || i + 1 == n) {
			e = read_records(s, d, k, k_len, m);
			m = 0;
		}
	}
	return e;
}

static enum kss_err
r_doc_list(void *h, const char *user, json_t **docs)
{
	struct rstore *s = h;
	struct kss_secret sec = {NULL, false};
	const json_t *listed;
	char prefix[KEY_SIZE], key[KEY_SIZE], t[16];
	struct docs d;
	enum kss_err e;

	*docs = NULL;
	e = r_secret_get(h, user, &sec);
	kss_secret_free(&sec);
	/* A credential that cannot be read is an account all the same
	 * (key_type()). */
	if (e == KSS_E_STORE && (e = key_type(h, key, user_key(key, user),
	    t)) == KSS_OK && strcmp(t, "none") == 0)
		e = KSS_E_STORE;
	if (e != KSS_OK)
		return e;
	if ((d.out = json_object()) == NULL)
		return KSS_E_SERVER;
	d.plen = doc_prefix(prefix, user);
	listed = s->listed != NULL ? json_object_get(s->listed, user) : NULL;
	if (listed != NULL) {
		e = listed_records(s, &d, listed);
		json_object_del(s->listed, user);	/* taken once */
	} else
		e = scan(s, prefix, "", docs_page, &d);
	if (e != KSS_OK) {
		json_decref(d.out);
		return e;
	}
	*docs = d.out;
	return KSS_OK;
}

static void
r_close(void *h)
{
	struct rstore *s = h;
	size_t i;

	for (i = 0; i < RECALL; i++)
		forget(&s->recall[i]);
	unlist(s);
	kss_redis_free(s->r);
	free(s);
}

static const struct kss_store_ops redis_ops = {
	.user_create = r_user_create,
	.secret_get = r_secret_get,
	.secret_swap = r_secret_swap,
	.user_delete = r_user_delete,
	.doc_get = r_doc_get,
	.doc_put = r_doc_put,
	.user_list = r_user_list,
	.doc_list = r_doc_list,
	.doc_delete = r_doc_delete,
	.user_create_secret = r_user_create_secret,
	.secret_set = r_secret_set,
	.doc_put_newer = r_doc_put_newer,
	.secret_doc_get = r_secret_doc_get,
	.secret_recall = r_secret_recall,
	.close = r_close,
};

enum kss_err
kss_store_redis_open(const struct kss_redis_url *u, const struct kss_log *log,
    struct kss_store *st)
{
	struct rstore *s = calloc(1, sizeof(*s));

	st->ops = NULL;
	st->raw_keys = false;
	if (s == NULL || (s->r = kss_redis_new(u, log)) == NULL) {
		free(s);
		kss_logf(log, "cannot open the Redis store: out of memory");
		return KSS_E_SERVER;
	}
	s->log = log;
	st->h = s;
	st->ops = &redis_ops;
	return KSS_OK;
}
