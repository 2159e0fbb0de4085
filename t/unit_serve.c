/* Unit tests: whole requests through kss_serve_store() on the memory
 * store, so the handlers run under the sanitizers without processes. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "fakeio.h"
#include "store.h"
#include "tap.h"

static struct kss_store st;

/* One request; vars are extra "NAME=value" strings after method and path. */
static int
call(const char *method, const char *path, const char *body,
    const char *const *extra, char *out, size_t outsize)
{
	const char *vars[16];
	char m[32], p[160], cl[40];
	struct kss_response resp;
	struct kss_io io;
	struct fake f;
	size_t n = 0;

	snprintf(m, sizeof(m), "REQUEST_METHOD=%s", method);
	snprintf(p, sizeof(p), "PATH_INFO=%s", path);
	snprintf(cl, sizeof(cl), "CONTENT_LENGTH=%zu", body ? strlen(body) : 0);
	vars[n++] = m;
	vars[n++] = p;
	vars[n++] = cl;
	vars[n++] = "KSS_HASH_COST=1";
	vars[n++] = "KSS_DIR=/nonexistent";	/* unused: the memory store */
	while (extra != NULL && *extra != NULL && n < 15)
		vars[n++] = *extra++;
	vars[n] = NULL;
	io = fake_io(&f, vars, body);
	kss_serve_store(&io, &st, &resp);
	snprintf(out, outsize, "%.*s", (int)resp.len, resp.body);
	kss_response_free(&resp);
	return resp.status;
}

#define AUTH(u, k) (const char *[]){"HTTP_X_AUTH_USER=" u, "HTTP_X_AUTH_KEY=" k, NULL}

int
main(void)
{
	char out[1024];

	kss_store_mem_open(&st);

	is_int(call("GET", "/healthcheck", NULL, NULL, out, sizeof(out)), 200,
	    "healthcheck");
	is_str(out, "{\"state\":\"OK\"}", "healthcheck body");
	is_int(call("POST", "/users/create",
	    "{\"username\":\"u\",\"password\":\"k\"}", NULL, out, sizeof(out)),
	    201, "register");
	is_str(out, "{\"username\":\"u\"}", "register body");
	is_int(call("POST", "/users/create",
	    "{\"username\":\"u\",\"password\":\"k\"}", NULL, out, sizeof(out)),
	    402, "register twice");
	is_str(out, "{\"code\":2002,\"message\":\"Username is already registered.\"}",
	    "register twice body");
	is_int(call("POST", "/users/create", "{\"username\":\"v\"}", NULL, out,
	    sizeof(out)), 403, "register without password");
	is_int(call("POST", "/users/create", "{\"username\":\"x\",\"password\":\"k\"}",
	    (const char *[]){"KSS_DISABLE_REGISTRATION=Yes", NULL}, out,
	    sizeof(out)), 402, "registration disabled");
	is_str(out, "{\"code\":2005,\"message\":\"User registration is disabled.\"}",
	    "registration disabled body");
	is_int(call("POST", "/users/create", "{}",
	    (const char *[]){"KSS_DISABLE_REGISTRATION=maybe", NULL}, out,
	    sizeof(out)), 500, "a bad switch value is a server error");
	is_int(call("GET", "/healthcheck", NULL,
	    (const char *[]){"KSS_FSYNC=sometimes", NULL}, out, sizeof(out)),
	    500, "KSS_FSYNC=sometimes is a server error");
	is_int(call("GET", "/healthcheck", NULL,
	    (const char *[]){"KSS_AUTH_CACHE=2", NULL}, out, sizeof(out)),
	    500, "KSS_AUTH_CACHE=2 is a server error");
	is_int(call("GET", "/healthcheck", NULL,
	    (const char *[]){"KSS_FSYNC=", "KSS_AUTH_CACHE=", NULL}, out,
	    sizeof(out)), 200, "empty KSS_FSYNC and KSS_AUTH_CACHE: defaults");

	is_int(call("GET", "/users/auth", NULL, AUTH("u", "k"), out,
	    sizeof(out)), 200, "login");
	is_str(out, "{\"authorized\":\"OK\"}", "login body");
	is_int(call("GET", "/users/auth", NULL, AUTH("u", "K"), out,
	    sizeof(out)), 401, "wrong key");
	is_int(call("GET", "/users/auth", NULL, AUTH("nobody", "k"), out,
	    sizeof(out)), 401, "unknown user");
	is_int(call("GET", "/users/auth", NULL, NULL, out, sizeof(out)), 401,
	    "no headers");

	is_int(call("PUT", "/syncs/progress", "{\"document\":\"d\","
	    "\"progress\":\"p\",\"percentage\":0,\"device\":\"x\"}",
	    AUTH("u", "k"), out, sizeof(out)), 200, "push percentage 0");
	is_int(call("GET", "/syncs/progress/d", NULL, AUTH("u", "k"), out,
	    sizeof(out)), 200, "pull");
	ok(strstr(out, "\"percentage\":0,") != NULL, "0 stays 0: %s", out);
	is_int(call("PUT", "/syncs/progress", "{\"document\":\"d\","
	    "\"progress\":\"p\",\"percentage\":0.3188,\"device\":\"x\"}",
	    AUTH("u", "k"), out, sizeof(out)), 200, "push 0.3188");
	call("GET", "/syncs/progress/d", NULL, AUTH("u", "k"), out, sizeof(out));
	ok(strstr(out, "\"percentage\":0.3188,") != NULL, "0.3188 stays: %s", out);
	/* Timestamps stored as reals (the original kss's files may hold
	 * them): one an integer can hold converts, one it cannot is left
	 * out rather than cast (undefined behaviour). */
	{
		static const struct {
			double t;
			const char *want;
		} ts[] = {
			{1.5e9, "\"timestamp\":1500000000"}, {1e300, NULL},
			{-1e300, NULL}, {9.3e18, NULL}, {-9.3e18, NULL},
		};
		struct kss_secret who = {NULL, false};
		size_t i;

		st.ops->secret_get(st.h, "u", &who);
		for (i = 0; i < sizeof(ts) / sizeof(ts[0]); i++) {
			json_t *r = json_pack("{s:s, s:s, s:f, s:s, s:f}",
			    "document", "t", "progress", "p", "percentage", 0.5,
			    "device", "x", "timestamp", ts[i].t);

			st.ops->doc_put(st.h, "u", &who, "t", r);
			json_decref(r);
			is_int(call("GET", "/syncs/progress/t", NULL,
			    AUTH("u", "k"), out, sizeof(out)), 200,
			    "pull a record stamped %g", ts[i].t);
			if (ts[i].want != NULL)
				ok(strstr(out, ts[i].want) != NULL, "as %s: %s",
				    ts[i].want, out);
			else
				ok(strstr(out, "timestamp") == NULL &&
				    strstr(out, "\"progress\":\"p\"") != NULL,
				    "without the timestamp: %s", out);
		}
		kss_secret_free(&who);
	}
	is_int(call("PUT", "/syncs/progress", "{\"progress\":\"p\"}",
	    AUTH("u", "k"), out, sizeof(out)), 403, "push without document");
	is_str(out, "{\"code\":2004,\"message\":\"Field 'document' not provided.\"}",
	    "push without document body");
	is_int(call("PUT", "/syncs/progress", "{\"document\":\"d\"}",
	    AUTH("u", "X"), out, sizeof(out)), 401, "auth before validation");
	is_int(call("GET", "/syncs/progress/nothing", NULL, AUTH("u", "k"), out,
	    sizeof(out)), 200, "pull unknown");
	is_str(out, "{}", "unknown document is {}");

	is_int(call("PUT", "/users/password", "{\"password\":\"k2\"}",
	    AUTH("u", "k"), out, sizeof(out)), 200, "change key");
	is_str(out, "{\"updated\":true}", "change key body");
	is_int(call("GET", "/users/auth", NULL, AUTH("u", "k"), out,
	    sizeof(out)), 401, "old key refused");
	is_int(call("GET", "/users/auth", NULL, AUTH("u", "k2"), out,
	    sizeof(out)), 200, "new key works");
	is_int(call("PUT", "/users/password", "{\"password\":\"\"}",
	    AUTH("u", "k2"), out, sizeof(out)), 403, "empty new key");
	call("GET", "/syncs/progress/d", NULL, AUTH("u", "k2"), out, sizeof(out));
	ok(strstr(out, "0.3188") != NULL, "progress kept across a key change");

	is_int(call("DELETE", "/users/me", NULL, AUTH("u", "bad"), out,
	    sizeof(out)), 401, "delete with a wrong key");
	is_int(call("DELETE", "/users/me", NULL, AUTH("u", "k2"), out,
	    sizeof(out)), 200, "delete");
	is_str(out, "{\"deleted\":true}", "delete body");
	is_int(call("DELETE", "/users/me", NULL, AUTH("u", "k2"), out,
	    sizeof(out)), 404, "delete again");
	is_str(out, "{\"code\":2006,\"message\":\"Account not found.\"}",
	    "delete again body");

	is_int(call("GET", "/healthcheck", NULL, (const char *[]){
	    "KSS_STRICT_ACCEPT=true", NULL}, out, sizeof(out)), 412,
	    "strict Accept wants the header");
	is_str(out, "{\"code\":100,\"message\":\"Accept header not set.\"}",
	    "strict Accept body");
	is_int(call("GET", "/healthcheck", "[1]", (const char *[]){
	    "KSS_STRICT_ACCEPT=true", NULL}, out, sizeof(out)), 400,
	    "the body is checked before Accept");

	/* The header block, exactly; too small a buffer is -1, never a
	 * truncated block. */
	{
		static const char ok200[] = "Status: 200 OK\r\n"
		    "Content-Type: application/json\r\n"
		    "Cache-Control: no-store\r\n"
		    "Content-Length: 19\r\n\r\n";
		static const char ok405[] = "Status: 405 Method Not Allowed\r\n"
		    "Content-Type: application/json\r\n"
		    "Cache-Control: no-store\r\n"
		    "Content-Length: 1234567890\r\n"
		    "Allow: GET, PUT\r\n\r\n";
		struct kss_response r = {.status = 200, .len = 19};
		char head[256];

		is_int(kss_response_head(&r, head, sizeof(head)),
		    sizeof(ok200) - 1, "head: its length");
		is_str(head, ok200, "head of a 200");
		is_int(kss_response_head(&r, head, sizeof(ok200)),
		    sizeof(ok200) - 1, "head: fits with its NUL");
		is_int(kss_response_head(&r, head, sizeof(ok200) - 1), -1,
		    "head: -1 without room for its NUL");
		is_int(kss_response_head(&r, head, 0), -1, "head: -1 in 0 bytes");
		r.status = 405;
		r.len = 1234567890;
		strcpy(r.allow, "GET, PUT");
		kss_response_head(&r, head, sizeof(head));
		is_str(head, ok405, "head of a 405, with Allow");
		r.status = 999;
		r.allow[0] = '\0';
		r.len = 0;
		kss_response_head(&r, head, sizeof(head));
		ok(strncmp(head, "Status: 999 Internal Server Error\r\n", 35) == 0 &&
		    strstr(head, "Content-Length: 0\r\n\r\n") != NULL,
		    "head of an unknown status: %.35s", head);
	}

	kss_store_close(&st);
	return tap_done();
}
