/* The handlers of the kosync API and what they share (protocol.md §4). */
#ifndef KSS_API_H
#define KSS_API_H

#include <stddef.h>
#include <jansson.h>

#include "err.h"

struct kss_authcache;
struct kss_config;
struct kss_log;
struct kss_req;
struct kss_store;
struct kss_throttle;

struct kss_ctx {
	const struct kss_config *cfg;
	const struct kss_log *log;
	const struct kss_req *req;
	struct kss_store *store;
	struct kss_authcache *authcache;	/* or NULL */
	struct kss_throttle *throttle;		/* or NULL */
	long retry_after;	/* seconds, with KSS_E_THROTTLED */
	const char *arg;	/* the route's :document, when it has one */
	size_t arglen;
	json_t *out;		/* set with status by a handler that succeeds */
	int status;
};

struct kss_secret;

/* Sets a handler's answer; KSS_E_SERVER when out is NULL (no memory). */
enum kss_err kss_reply(struct kss_ctx *c, int status, json_t *out);

/* Checks the request's x-auth-user / x-auth-key; a missing account is
 * KSS_E_UNAUTHORIZED. s, when not NULL, receives the matched secret. */
enum kss_err kss_authenticate(struct kss_ctx *c, struct kss_secret *s);

struct kss_auth_reader;

/* kss_authenticate() with the secret read by rd (auth.h). */
enum kss_err kss_authenticate_read(struct kss_ctx *c,
    const struct kss_auth_reader *rd, struct kss_secret *s);

/* A handler answers KSS_OK with c->out and c->status set, or an error. */
typedef enum kss_err (*kss_handler)(struct kss_ctx *c);

enum kss_err kss_h_create(struct kss_ctx *c);	/* POST /users/create */
enum kss_err kss_h_auth(struct kss_ctx *c);	/* GET /users/auth */
enum kss_err kss_h_delete(struct kss_ctx *c);	/* DELETE /users/me */
enum kss_err kss_h_password(struct kss_ctx *c);	/* PUT /users/password */
enum kss_err kss_h_push(struct kss_ctx *c);	/* PUT /syncs/progress */
enum kss_err kss_h_pull(struct kss_ctx *c);	/* GET /syncs/progress/:document */
enum kss_err kss_h_health(struct kss_ctx *c);	/* GET /healthcheck */

#endif
