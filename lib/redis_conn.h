/* One connection to a Redis server (hiredis, blocking, with timeouts),
 * made when first needed and made again after it fails: a FastCGI
 * thread keeps one across requests (README, "Scaling out"). Not shared
 * between threads: each struct kss_server has its own store. */
#ifndef KSS_REDIS_CONN_H
#define KSS_REDIS_CONN_H

#include <stddef.h>

#include <hiredis/hiredis.h>

#include "err.h"

struct kss_log;
struct kss_redis;
struct kss_redis_url;

/* One command: argc arguments, binary-safe. */
struct kss_redis_cmd {
	int argc;
	const char **argv;
	const size_t *len;
};

/* A Lua script run by EVALSHA, and by EVAL when the server does not have
 * it (after a restart or SCRIPT FLUSH). sha is the SHA-1 of text in hex,
 * which t/unit_redis.c checks against the server's. */
struct kss_redis_script {
	const char *text;
	const char *sha;
};

/* A connection to u (copied), not yet made. A host name is resolved now,
 * before the sandbox, which admits no name lookup (sandbox.h); there
 * only an address is taken, and a name that did not resolve here is
 * said then. log must outlive the connection. NULL when out of memory. */
struct kss_redis *kss_redis_new(const struct kss_redis_url *u,
    const struct kss_log *log);

void kss_redis_free(struct kss_redis *r);

/* Sends n commands in one round trip (a pipeline) and reads their n
 * replies into out (each freed with freeReplyObject(), or all with
 * kss_redis_free_replies()). A reply may be a Redis error, which the
 * caller looks at. Connects first when there is no connection, or the
 * one kept was closed by the server meanwhile. KSS_E_STORE_DOWN (logged)
 * when no connection could be made, KSS_E_STORE (logged) when it failed
 * midway; out is then all NULL, and the connection is dropped, to be
 * made anew by the next call. */
enum kss_err kss_redis_run(struct kss_redis *r, int n,
    const struct kss_redis_cmd *cmds, redisReply **out);

/* Runs script with nkeys of args[0..n) as its KEYS and the rest as
 * ARGV, in one round trip when the server has it. A script's error
 * reply (or any other) is KSS_E_STORE, logged; else *out is the reply. */
enum kss_err kss_redis_eval(struct kss_redis *r,
    const struct kss_redis_script *script, int nkeys, int n,
    const char **args, const size_t *len, redisReply **out);

/* Checks a reply of kss_redis_run(): an error reply is logged (what,
 * and the server's words) and gives KSS_E_STORE (KSS_E_STORE_DOWN when
 * the server wants a password: NOAUTH, WRONGPASS); else KSS_OK. */
enum kss_err kss_redis_check(struct kss_redis *r, const redisReply *reply,
    const char *what);

void kss_redis_free_replies(int n, redisReply **out);

#endif
