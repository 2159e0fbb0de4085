/* Fuzz target: one whole request through kss_serve_store() on a fresh
 * memory store. The input is CGI variables, one "NAME=value" per line, an
 * empty line, then the body. Build with clang -fsanitize=fuzzer (see
 * README); make check replays t/corpus/ through t/fuzz_replay.c, which
 * calls fuzz_serve() to see each answer. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "auth.h"
#include "fakeio.h"
#include "fuzz_serve.h"
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

int
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

int
fuzz_answer_ok(const struct kss_response *resp)
{
	char head[512];
	json_t *v;
	int ok;

	if (resp->body == NULL || resp->status < 200 || resp->status > 599 ||
	    kss_response_head(resp, head, sizeof(head)) < 0)
		return 0;
	v = json_loadb(resp->body, resp->len, JSON_ALLOW_NUL, NULL);
	ok = json_is_object(v);
	json_decref(v);
	return ok;
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
