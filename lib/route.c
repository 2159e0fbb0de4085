#include "config.h"

#include <string.h>

#include "route.h"

static const struct kss_route routes[] = {
	{"/users/create", KSS_M_POST, kss_h_create, true},
	{"/users/auth", KSS_M_GET, kss_h_auth, false},
	{"/users/me", KSS_M_DELETE, kss_h_delete, false},
	{"/users/password", KSS_M_PUT, kss_h_password, true},
	{"/syncs/progress", KSS_M_PUT, kss_h_push, true},
	{"/syncs/progress/", KSS_M_GET, kss_h_pull, false},
	{"/healthcheck", KSS_M_GET, kss_h_health, false},
};

/* Whether path matches r, ignoring one trailing '/' as the official
 * routes do; sets the length of the :document argument. An argument
 * keeps a trailing '/' that would otherwise leave it empty, so an id
 * such as "/" stays reachable (DESIGN.md §2: any id PUT accepts). */
static bool
matches(const struct kss_route *r, const char *path, size_t len,
    size_t *arglen)
{
	size_t n = strlen(r->path);
	bool trail = len > 1 && path[len - 1] == '/';

	*arglen = 0;
	if (len < n || memcmp(path, r->path, n) != 0)
		return false;
	if (r->path[n - 1] != '/')
		return len - trail == n;
	*arglen = len - n;
	if (trail && *arglen > 1)
		(*arglen)--;
	return *arglen > 0;
}

static void
add_allow(char *allow, size_t size, enum kss_method m)
{
	const char *name = kss_method_name(m);
	size_t n = strlen(allow);

	if (strstr(allow, name) != NULL)
		return;
	if (n + strlen(name) + 3 > size)
		return;
	if (n > 0)
		strcat(allow, ", ");
	strcat(allow, name);
}

enum kss_err
kss_route_find(char *path, size_t len, enum kss_method method,
    const struct kss_route **route, const char **arg, size_t *arglen,
    char *allow, size_t allowsize)
{
	size_t i, n;

	*route = NULL;
	*arg = NULL;
	*arglen = 0;
	allow[0] = '\0';
	for (i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		if (!matches(&routes[i], path, len, &n))
			continue;
		if (routes[i].method != method) {
			add_allow(allow, allowsize, routes[i].method);
			continue;
		}
		*route = &routes[i];
		if (n > 0) {	/* matches() found a :document */
			size_t at = strlen(routes[i].path);

			*arg = path + at;
			*arglen = n;
			path[at + n] = '\0';
		}
		return KSS_OK;
	}
	return allow[0] != '\0' ? KSS_E_METHOD : KSS_E_NOT_FOUND;
}

enum kss_err
kss_route_tail(char *path, size_t len, enum kss_method method,
    const struct kss_route **route, const char **arg, size_t *arglen,
    char *allow, size_t allowsize)
{
	enum kss_err e;
	size_t at;

	/* Set even when no tail routes (a path without '/'). */
	*route = NULL;
	*arg = NULL;
	*arglen = 0;
	allow[0] = '\0';
	for (at = 0; at < len; at++) {
		if (path[at] != '/')
			continue;
		e = kss_route_find(path + at, len - at, method, route, arg,
		    arglen, allow, allowsize);
		if (e != KSS_E_NOT_FOUND)
			return e;
	}
	return KSS_E_NOT_FOUND;
}
