/* Parsing of one request from its CGI variables and body (RFC 3875). Pure:
 * everything comes through struct kss_io, nothing from environ. */
#ifndef KSS_REQ_H
#define KSS_REQ_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>

#include "err.h"

struct kss_io;

enum kss_method {
	KSS_M_GET,
	KSS_M_POST,
	KSS_M_PUT,
	KSS_M_DELETE,
	KSS_M_OTHER,
	KSS_M__MAX
};

struct kss_req {
	enum kss_method method;
	char *path;		/* PATH_INFO, or NULL when empty; malloc'd */
	size_t pathlen;
	char *full;		/* SCRIPT_NAME + PATH_INFO, else the decoded
				 * path of REQUEST_URI; malloc'd */
	size_t fulllen;		/* a decoded %00 may sit inside */
	const char *accept;	/* HTTP_ACCEPT, or NULL */
	const char *user;	/* HTTP_X_AUTH_USER, or NULL */
	const char *key;	/* HTTP_X_AUTH_KEY, or NULL */
	const char *addr;	/* REMOTE_ADDR, or NULL */
	json_t *body;		/* the body's object, or NULL without one */
};

/* Fills r from io, reading and parsing the body. Errors, in the order the
 * official server checks them: a body over KSS_BODY_MAX gives
 * KSS_E_TOO_LARGE before a byte is read; a CONTENT_LENGTH that is not a
 * number, a short body or bad JSON KSS_E_JSON_PARSE; a non-object
 * KSS_E_JSON_HASH. r is usable (and must be freed) in every case. */
enum kss_err kss_req_parse(struct kss_req *r, const struct kss_io *io);

void kss_req_free(struct kss_req *r);

/* Checks an Accept value (NULL when absent) against the official grammar
 * ^application/vnd.koreader.v([0-9]+)(.*)\+json$ in which each '.' matches
 * any byte (a Lua pattern, protocol.md §2). Strict: missing → 100, no
 * match → 101, major other than 1 → 102. Lenient (DESIGN.md §2): only a
 * matching value with another major version fails (102). */
enum kss_err kss_req_accept(const char *accept, bool strict);

/* Name of a method, for Allow headers. */
const char *kss_method_name(enum kss_method m);

#endif
