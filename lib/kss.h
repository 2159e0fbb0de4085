/* kss: a KOReader progress-sync server. The one entry point transports
 * (cgi/) call: hand over a request's params and body, get back a JSON
 * response to write. */
#ifndef KSS_H
#define KSS_H

#include <stdbool.h>
#include <stddef.h>

#include "conf.h"
#include "log.h"

struct kss_server;
struct kss_store;

struct kss_io {
	struct kss_params params;	/* CGI variables / FastCGI params */
	/* Reads up to len body bytes: a count, 0 at the end, -1 on error. */
	long (*read)(void *ctx, char *buf, size_t len);
	void *read_ctx;
	struct kss_log log;		/* the web server's error log */
};

/* A process's state across requests, built once by the transport. With
 * keep (FastCGI) it keeps the stores of the first few data directories it
 * serves open (the rest are opened per request) and a cache of verified
 * keys; without (CGI) it keeps nothing but the store kss_server_prepare()
 * opened for the process's one request. NULL when out of memory or when
 * libsodium cannot start. */
struct kss_server *kss_server_new(bool keep);
void kss_server_free(struct kss_server *s);

struct kss_sandbox;

/* Readies s to serve in the sandbox (sandbox.h): reads the configuration
 * params p give (the process's own environment, as a request without
 * params would see it), opens the data folder it names (made if missing)
 * or its Redis store (the host resolved, no connection yet) and keeps it
 * for the requests, even without keep (a CGI process's one request then
 * uses it), and makes the shared RAM folder when a setting will use it.
 * Fills sb's folders and what a Redis store needs. KSS_E_SERVER after
 * saying why on log: the configuration or the data folder will not do,
 * and nothing is to be served. */
enum kss_err kss_server_prepare(struct kss_server *s,
    const struct kss_params *p, const struct kss_log *log,
    struct kss_sandbox *sb);

/* Whether one process may serve with several kss_servers at once, one
 * per thread: the file store's locks must then be the open file's, not
 * the process's (kss_lock_ofd()). */
bool kss_server_threads_ok(void);

struct kss_response {
	int status;
	char allow[32];		/* Allow header of a 405, else empty */
	long retry_after;	/* Retry-After of a 429, else 0 */
	char *body;		/* JSON, malloc'd */
	size_t len;
};

/* Serves one request, with the store its configuration names, through
 * s (NULL answers 500: the caller has said why). Always fills resp (free
 * with kss_response_free()). */
void kss_serve(struct kss_server *s, const struct kss_io *io,
    struct kss_response *resp);

/* Serves one request with an open store (tests, fuzzing). */
void kss_serve_store(const struct kss_io *io, struct kss_store *st,
    struct kss_response *resp);

/* Writes the CGI response header block (Status, Content-Type, ...,
 * blank line) for resp into buf. Returns its length, or -1 when size is
 * too small. */
int kss_response_head(const struct kss_response *resp, char *buf,
    size_t size);

void kss_response_free(struct kss_response *resp);

#endif
