/* The route table: reading it tells the whole API (protocol.md §3). */
#ifndef KSS_ROUTE_H
#define KSS_ROUTE_H

#include <stdbool.h>
#include <stddef.h>

#include "api.h"
#include "err.h"
#include "req.h"

struct kss_route {
	const char *path;	/* ends in '/' when a :document follows */
	enum kss_method method;
	kss_handler handler;
	bool body;		/* the route needs a request body */
};

/* Finds the route for method and path (one trailing '/' allowed; the
 * path is cut after the argument in place). KSS_OK sets *route and the :document
 * argument; a path served under other methods is KSS_E_METHOD with those
 * methods listed in allow; anything else KSS_E_NOT_FOUND. */
enum kss_err kss_route_find(char *path, size_t len, enum kss_method method,
    const struct kss_route **route, const char **arg, size_t *arglen,
    char *allow, size_t allowsize);

/* Routes a request's full path when its mount point is unknown: the
 * longest tail of path that starts with '/' and is a known path decides,
 * so kss answers under any prefix (/kosync/users/auth). KSS_E_NOT_FOUND
 * when no tail is. Otherwise as kss_route_find(). */
enum kss_err kss_route_tail(char *path, size_t len, enum kss_method method,
    const struct kss_route **route, const char **arg, size_t *arglen,
    char *allow, size_t allowsize);

#endif
