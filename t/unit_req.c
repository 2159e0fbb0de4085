/* Unit tests: request parsing, the Accept grammar, the route table. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "fakeio.h"
#include "req.h"
#include "route.h"
#include "tap.h"
#include "valid.h"

static enum kss_err
parse(const char *const *vars, const char *body, struct kss_req *r)
{
	struct fake f;
	struct kss_io io = fake_io(&f, vars, body);

	return kss_req_parse(r, &io);
}

static void
bodies(void)
{
	struct kss_req r;
	char big[32];

	is_int(parse((const char *[]){"REQUEST_METHOD=PUT", "CONTENT_LENGTH=2",
	    NULL}, "{}", &r), KSS_OK, "an empty object parses");
	ok(json_is_object(r.body), "body is an object");
	is_int(r.method, KSS_M_PUT, "method PUT");
	kss_req_free(&r);
	is_int(parse((const char *[]){"CONTENT_LENGTH=3", NULL}, "{x}", &r),
	    KSS_E_JSON_PARSE, "garbage is 103");
	kss_req_free(&r);
	is_int(parse((const char *[]){"CONTENT_LENGTH=2", NULL}, "[]", &r),
	    KSS_E_JSON_HASH, "an array is 104");
	kss_req_free(&r);
	is_int(parse((const char *[]){"CONTENT_LENGTH=4", NULL}, "null", &r),
	    KSS_E_JSON_HASH, "null is 104");
	kss_req_free(&r);
	is_int(parse((const char *[]){"CONTENT_LENGTH=1", NULL}, "5", &r),
	    KSS_E_JSON_HASH, "a number is 104");
	kss_req_free(&r);
	is_int(parse((const char *[]){"CONTENT_LENGTH=3", NULL}, "\"s\"", &r),
	    KSS_E_JSON_HASH, "a string is 104");
	kss_req_free(&r);
	is_int(parse((const char *[]){"CONTENT_LENGTH=", NULL}, "", &r),
	    KSS_OK, "empty CONTENT_LENGTH is no body");
	ok(r.body == NULL, "and leaves body NULL");
	kss_req_free(&r);
	is_int(parse((const char *[]){NULL}, "{\"a\":1}", &r), KSS_OK,
	    "no CONTENT_LENGTH reads nothing");
	ok(r.body == NULL, "and leaves body NULL");
	kss_req_free(&r);
	is_int(parse((const char *[]){"CONTENT_LENGTH=abc", NULL}, "{}", &r),
	    KSS_E_JSON_PARSE, "garbage CONTENT_LENGTH is 400/103");
	kss_req_free(&r);
	is_int(parse((const char *[]){"CONTENT_LENGTH=-1", NULL}, "{}", &r),
	    KSS_E_JSON_PARSE, "negative CONTENT_LENGTH is 400/103");
	kss_req_free(&r);
	is_int(parse((const char *[]){"CONTENT_LENGTH=10", NULL}, "{}", &r),
	    KSS_E_JSON_PARSE, "a body shorter than CONTENT_LENGTH is 400/103");
	kss_req_free(&r);
	snprintf(big, sizeof(big), "CONTENT_LENGTH=%d", KSS_BODY_MAX + 1);
	is_int(parse((const char *[]){big, NULL}, "", &r), KSS_E_TOO_LARGE,
	    "a body over 64 KiB is 413 before reading");
	kss_req_free(&r);
	is_int(parse((const char *[]){"CONTENT_LENGTH=99999999999999999999999",
	    NULL}, "", &r), KSS_E_TOO_LARGE, "a huge CONTENT_LENGTH is 413");
	kss_req_free(&r);
	snprintf(big, sizeof(big), "CONTENT_LENGTH=%d", KSS_BODY_MAX);
	is_int(parse((const char *[]){big, NULL}, "", &r), KSS_E_JSON_PARSE,
	    "64 KiB is allowed (then short here)");
	kss_req_free(&r);
}

/* The path a request routes by: "path|full" as kss_req_parse() gives. */
static const char *
paths_of(const char *const *vars)
{
	static char buf[256];
	struct kss_req r;

	parse(vars, NULL, &r);
	snprintf(buf, sizeof(buf), "%s|%s", r.path ? r.path : "(none)",
	    r.full);
	kss_req_free(&r);
	return buf;
}

static void
paths(void)
{
	is_str(paths_of((const char *[]){"SCRIPT_NAME=/kosync",
	    "PATH_INFO=/users/auth", NULL}), "/users/auth|/kosync/users/auth",
	    "PATH_INFO below a prefix");
	is_str(paths_of((const char *[]){"SCRIPT_NAME=/users/auth",
	    "PATH_INFO=", NULL}), "(none)|/users/auth", "SCRIPT_NAME at the root");
	is_str(paths_of((const char *[]){"SCRIPT_NAME=/users",
	    "PATH_INFO=/create", NULL}), "/create|/users/create",
	    "split at the first segment");
	is_str(paths_of((const char *[]){"REQUEST_URI=/syncs/progress/a%2Fb?x=1",
	    NULL}), "(none)|/syncs/progress/a/b",
	    "REQUEST_URI decoded, query dropped");
	is_str(paths_of((const char *[]){"REQUEST_URI=/a%zz%4", NULL}),
	    "(none)|/a%zz%4", "a bad escape stays as it is");
	is_str(paths_of((const char *[]){NULL}), "(none)|", "no path at all");
}

static void
accept(void)
{
	static const struct {
		const char *v;
		enum kss_err strict, lenient;
	} cases[] = {
		{NULL, KSS_E_ACCEPT_MISSING, KSS_OK},
		{"application/vnd.koreader.v1+json", KSS_OK, KSS_OK},
		{"application/vnd.koreader.v01+json", KSS_OK, KSS_OK},
		{"application/vnd.koreader.v1.5+json", KSS_OK, KSS_OK},
		{"applicationXvndYkoreaderZv1+json", KSS_E_ACCEPT_FORMAT, KSS_OK},
		{"application/vnd.koreader.v2+json", KSS_E_ACCEPT_VERSION,
		    KSS_E_ACCEPT_VERSION},
		{"application/vnd.koreader.v10+json", KSS_E_ACCEPT_VERSION,
		    KSS_E_ACCEPT_VERSION},
		{"application/json", KSS_E_ACCEPT_FORMAT, KSS_OK},
		{"*/*", KSS_E_ACCEPT_FORMAT, KSS_OK},
		{"APPLICATION/vnd.koreader.v1+json", KSS_E_ACCEPT_FORMAT, KSS_OK},
		{"application/vnd.koreader.v1+json; q=1", KSS_E_ACCEPT_FORMAT,
		    KSS_OK},
		{"application/json, application/vnd.koreader.v1+json",
		    KSS_E_ACCEPT_FORMAT, KSS_OK},
		{"application/vnd.koreader.v+json", KSS_E_ACCEPT_FORMAT, KSS_OK},
		{"application/vnd.koreader.v1json", KSS_E_ACCEPT_FORMAT, KSS_OK},
		{"", KSS_E_ACCEPT_FORMAT, KSS_OK},
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		is_int(kss_req_accept(cases[i].v, true), cases[i].strict,
		    "strict Accept %s", cases[i].v ? cases[i].v : "(none)");
		is_int(kss_req_accept(cases[i].v, false), cases[i].lenient,
		    "lenient Accept %s", cases[i].v ? cases[i].v : "(none)");
	}
}

static enum kss_err
route(const char *p, enum kss_method m, kss_handler *h, char *arg,
    char *allow)
{
	const struct kss_route *r;
	const char *a;
	size_t alen;
	char path[128];
	enum kss_err e;

	snprintf(path, sizeof(path), "%s", p);
	e = kss_route_find(path, strlen(path), m, &r, &a, &alen, allow, 32);
	*h = r ? r->handler : NULL;
	snprintf(arg, 64, "%.*s", (int)alen, a ? a : "");
	return e;
}

static void
routes(void)
{
	char arg[64], allow[32];
	kss_handler h;

	is_int(route("/users/create", KSS_M_POST, &h, arg, allow), KSS_OK,
	    "POST /users/create");
	ok(h == kss_h_create, "goes to create");
	is_int(route("/users/auth/", KSS_M_GET, &h, arg, allow), KSS_OK,
	    "one trailing slash allowed");
	ok(h == kss_h_auth, "goes to auth");
	is_int(route("/users/auth//", KSS_M_GET, &h, arg, allow),
	    KSS_E_NOT_FOUND, "two trailing slashes are not");
	is_int(route("/syncs/progress/abc", KSS_M_GET, &h, arg, allow), KSS_OK,
	    "GET /syncs/progress/:document");
	is_str(arg, "abc", "argument abc");
	is_int(route("/syncs/progress/a-b.c/", KSS_M_GET, &h, arg, allow),
	    KSS_OK, "any document id, trailing slash");
	is_str(arg, "a-b.c", "argument a-b.c");
	is_int(route("/syncs/progress/a/b", KSS_M_GET, &h, arg, allow), KSS_OK,
	    "an id holding a slash");
	is_str(arg, "a/b", "argument a/b");
	is_int(route("/syncs/progress", KSS_M_GET, &h, arg, allow),
	    KSS_E_METHOD, "GET /syncs/progress is 405");
	is_str(allow, "PUT", "Allow: PUT");
	is_int(route("/users/me", KSS_M_GET, &h, arg, allow), KSS_E_METHOD,
	    "GET /users/me is 405");
	is_str(allow, "DELETE", "Allow: DELETE");
	is_int(route("/healthcheck", KSS_M_OTHER, &h, arg, allow),
	    KSS_E_METHOD, "HEAD /healthcheck is 405");
	is_int(route("/users", KSS_M_GET, &h, arg, allow), KSS_E_NOT_FOUND,
	    "/users is 404");
	is_int(route("", KSS_M_GET, &h, arg, allow), KSS_E_NOT_FOUND,
	    "empty path is 404");
	is_int(route("/", KSS_M_GET, &h, arg, allow), KSS_E_NOT_FOUND,
	    "/ is 404");
}

static enum kss_err
tail(const char *p, enum kss_method m, char *arg)
{
	const struct kss_route *r;
	const char *a;
	size_t alen;
	char path[128], allow[32];
	enum kss_err e;

	snprintf(path, sizeof(path), "%s", p);
	e = kss_route_tail(path, strlen(path), m, &r, &a, &alen, allow, 32);
	snprintf(arg, 64, "%.*s", (int)alen, a ? a : "");
	return e;
}

static void
tails(void)
{
	const struct kss_route *r = (const struct kss_route *)tails;
	const char *a = "stale";
	size_t alen = 5;
	char arg[64], path[] = "healthcheck", allow[32] = "stale";

	is_int(kss_route_tail(path, strlen(path), KSS_M_GET, &r, &a, &alen,
	    allow, sizeof(allow)), KSS_E_NOT_FOUND, "a path without '/' has no tail");
	ok(r == NULL && a == NULL && alen == 0 && allow[0] == '\0',
	    "and every output is set all the same");

	is_int(tail("/kosync/users/auth", KSS_M_GET, arg), KSS_OK,
	    "any prefix: /kosync/users/auth");
	is_int(tail("/a/b/c/healthcheck/", KSS_M_GET, arg), KSS_OK,
	    "a deep prefix");
	is_int(tail("/kosync/syncs/progress/x/users/auth", KSS_M_GET, arg),
	    KSS_OK, "the longest tail wins");
	is_str(arg, "x/users/auth", "so an id may hold a route's path");
	is_int(tail("/kosync/users/auth", KSS_M_PUT, arg), KSS_E_METHOD,
	    "a wrong method under a prefix is 405");
	is_int(tail("/kosync/nope", KSS_M_GET, arg), KSS_E_NOT_FOUND,
	    "an unknown path under a prefix is 404");
	is_int(tail("", KSS_M_GET, arg), KSS_E_NOT_FOUND, "empty is 404");
}

int
main(void)
{
	bodies();
	tails();
	paths();
	accept();
	routes();
	return tap_done();
}
