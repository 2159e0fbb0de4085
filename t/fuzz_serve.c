/* Fuzz target: one whole request through kss_serve_store() on a fresh
 * memory store. The input is CGI variables, one "NAME=value" per line, an
 * empty line, then the body. Build with clang -fsanitize=fuzzer (see
 * README); make check replays t/corpus/ through t/fuzz_replay.c, which
 * calls fuzz_check() to see each answer. */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "auth.h"
#include "fakeio.h"
#include "fuzz.h"
#include "kss.h"
#include "store.h"

#define MAX_VARS 32

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* yescrypt of "k", made once: the KDF is the slow part of a run. */
static char *hash;

/* User u, key k, and a record d with metadata: handlers get past auth,
 * and a pull has every member to answer. */
static int
seed(struct kss_store *st)
{
	struct kss_secret who = {NULL, true};
	json_t *rec;
	int bad;

	if (hash == NULL && kss_auth_hash("k", 1, &hash) != KSS_OK)
		return -1;
	who.value = hash;
	rec = json_pack("{s:s, s:s, s:f, s:s, s:i, s:{s:s}}", "document", "d",
	    "progress", "p", "percentage", 0.5, "device", "x", "timestamp", 1,
	    "metadata", "title", "T");
	bad = rec == NULL ||
	    st->ops->user_create(st->h, "u", hash) != KSS_OK ||
	    st->ops->doc_put(st->h, "u", &who, "d", rec) != KSS_OK;
	json_decref(rec);
	return bad ? -1 : 0;
}

/* Serves one input on a fresh memory store holding user "u" with key "k"
 * and a record of document "d" (with metadata). Fills resp (free with
 * kss_response_free()) and returns 0, or returns -1 when memory ran out
 * before a request could be made. */
static int
fuzz_serve(const uint8_t *data, size_t size, struct kss_response *resp)
{
	const char *vars[MAX_VARS + 1];
	struct kss_io io;
	struct fake f;
	struct kss_store st;
	char *text, *line, *next, *body = NULL;
	size_t nvars = 0;

	memset(resp, 0, sizeof(*resp));
	if ((text = malloc(size + 1)) == NULL)
		return -1;
	memcpy(text, data, size);
	text[size] = '\0';
	/* The first match wins: a cheap KDF whatever the input says, and a
	 * data folder the memory store never opens. */
	vars[nvars++] = "KSS_HASH_COST=1";
	/* Variables up to the first empty line; the body is every byte
	 * after that line's newline (none: no body). */
	for (line = text; line < text + size; line = next + 1) {
		next = memchr(line, '\n', (size_t)(text + size - line));
		if (next == NULL)
			next = text + size;
		if (next == line) {
			body = next + 1;
			break;
		}
		*next = '\0';
		if (nvars < MAX_VARS - 1 && strchr(line, '=') != NULL)
			vars[nvars++] = line;
	}
	vars[nvars++] = "KSS_DIR=/nonexistent";
	vars[nvars] = NULL;
	io = body != NULL ? fake_io_n(&f, vars, body,
	    (size_t)(text + size - body)) : fake_io(&f, vars, NULL);

	if (kss_store_mem_open(&st) != KSS_OK) {
		free(text);
		return -1;
	}
	if (seed(&st) < 0) {
		kss_store_close(&st);
		free(text);
		return -1;
	}
	kss_serve_store(&io, &st, resp);
	kss_store_close(&st);
	free(text);
	return 0;
}

const char fuzz_corpus[] = "corpus";

/* The code member of an error body, or 0. */
static long
body_code(const struct kss_response *resp)
{
	json_t *v = json_loadb(resp->body, resp->len, JSON_ALLOW_NUL, NULL);
	long code = (long)json_integer_value(json_object_get(v, "code"));

	json_decref(v);
	return code;
}

/* A seed's name states the HTTP status (a) and, when given, the KOReader
 * error code in the body (b). */
int
fuzz_check(const uint8_t *data, size_t size, int a, long b, char *what,
    size_t whatsize)
{
	struct kss_response resp;
	int pass;

	if (fuzz_serve(data, size, &resp) < 0)
		return -1;
	if (!fuzz_answer_ok(&resp)) {
		pass = 0;
		snprintf(what, whatsize, "not a JSON object: %d %s",
		    resp.status, resp.body ? resp.body : "(null)");
	} else if (a > 0 && (resp.status != a ||
	    (b != 0 && body_code(&resp) != b))) {
		pass = 0;
		snprintf(what, whatsize, "got %d %s, not the %d%s%.0ld named",
		    resp.status, resp.body, a, b != 0 ? "-" : "", b);
	} else {
		pass = 1;
		snprintf(what, whatsize, "answered %d %s", resp.status,
		    resp.body);
	}
	kss_response_free(&resp);
	return pass;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kss_response resp;

	if (fuzz_serve(data, size, &resp) < 0)
		return 0;
	/* Whatever came in, a JSON object went out. */
	if (!fuzz_answer_ok(&resp))
		abort();
	kss_response_free(&resp);
	return 0;
}
