/* What a process keeps from one request to the next (struct kss_server,
 * kss.h): the stores it has opened, one per data directory, and the keys
 * it has verified. The request code (serve.c) asks it for a store. */
#ifndef KSS_SERVER_H
#define KSS_SERVER_H

#include "err.h"

struct kss_authcache;
struct kss_config;
struct kss_log;
struct kss_server;
struct kss_store;
struct kss_throttle;

/* Starts a request: until kss_server_end(), stores log to log. */
void kss_server_begin(struct kss_server *s, const struct kss_log *log);

/* Ends a request: a store not kept is closed. */
void kss_server_end(struct kss_server *s);

/* The store cfg names (its data directory), opened (and created) if need
 * be; kept for later requests when the server keeps state. Failures are
 * logged and give KSS_E_SERVER; they are not kept, so the next request
 * tries again. */
enum kss_err kss_server_store(struct kss_server *s,
    const struct kss_config *cfg, struct kss_store **st);

/* The verified-key cache for a request configured by cfg: the process's
 * own in memory when it keeps state, else the one shared through
 * cfg->cache_dir; NULL when cfg turns it off or out of memory. */
struct kss_authcache *kss_server_cache(struct kss_server *s,
    const struct kss_config *cfg);

/* The count of failed logins per address for a request configured by cfg
 * (throttle.h), in the folder of the shared key cache, whatever the
 * transport; NULL when cfg turns the limit off or out of memory. */
struct kss_throttle *kss_server_throttle(struct kss_server *s,
    const struct kss_config *cfg);

#endif
