/* What a process keeps from one request to the next (struct kss_server,
 * kss.h): the stores it has opened, one per data directory, and the keys
 * it has verified. The request code (serve.c) asks it for a store. */
#ifndef KSS_SERVER_H
#define KSS_SERVER_H

#include "err.h"

struct kss_authcache;
struct kss_log;
struct kss_server;
struct kss_store;

/* Starts a request: until kss_server_end(), stores log to log. */
void kss_server_begin(struct kss_server *s, const struct kss_log *log);

/* Ends a request: a store not kept is closed. */
void kss_server_end(struct kss_server *s);

/* The store of data directory dir, opened (and created) if need be; kept
 * for later requests when the server keeps state. Failures are logged
 * and give KSS_E_SERVER; they are not kept, so the next request tries
 * again. */
enum kss_err kss_server_store(struct kss_server *s, const char *dir,
    struct kss_store **st);

/* The verified-key cache, or NULL when the server keeps none. */
struct kss_authcache *kss_server_cache(const struct kss_server *s);

#endif
