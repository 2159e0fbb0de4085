/* Fuzz target: one whole request through kss_serve_store() on a fresh
 * memory store. The input is CGI variables, one "NAME=value" per line, an
 * empty line, then the body. Build with clang -fsanitize=fuzzer (see
 * README); make check replays t/corpus/ through t/fuzz_replay.c. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "kss.h"
#include "store.h"

#define MAX_VARS 32

struct input {
	char *vars[MAX_VARS + 1];
	const char *body;
	size_t len, off;
};

static const char *
get(void *ctx, const char *name)
{
	struct input *in = ctx;
	size_t n = strlen(name), i;

	for (i = 0; in->vars[i] != NULL; i++) {
		if (strncmp(in->vars[i], name, n) == 0 && in->vars[i][n] == '=')
			return in->vars[i] + n + 1;
	}
	return NULL;
}

static long
rd(void *ctx, char *buf, size_t len)
{
	struct input *in = ctx;
	size_t n = in->len - in->off < len ? in->len - in->off : len;

	memcpy(buf, in->body + in->off, n);
	in->off += n;
	return (long)n;
}

static void
nolog(void *ctx, const char *line)
{
	(void)ctx;
	(void)line;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* yescrypt of "k", made once: the KDF is the slow part of a run. */
static char *hash;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in;
	struct kss_io io = {{get, &in}, rd, &in, {nolog, NULL}};
	struct kss_response resp;
	struct kss_store st;
	char *text, *line, *next;
	size_t nvars = 0;

	if ((text = malloc(size + 1)) == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	memset(&in, 0, sizeof(in));
	/* The first match wins: a cheap KDF whatever the input says, and a
	 * data folder the memory store never opens. */
	in.vars[nvars++] = (char *)"KSS_HASH_COST=1";
	/* Variables up to the first empty line; the rest is the body. */
	for (line = text; line < text + size; line = next) {
		next = memchr(line, '\n', (size_t)(text + size - line));
		if (next == NULL)
			next = text + size;
		*next++ = '\0';
		if (*line == '\0')
			break;
		if (nvars < MAX_VARS - 1 && strchr(line, '=') != NULL)
			in.vars[nvars++] = line;
	}
	in.vars[nvars++] = (char *)"KSS_DIR=/nonexistent";
	in.vars[nvars] = NULL;
	in.body = line < text + size ? line : "";
	in.len = line < text + size ? (size_t)(text + size - line) : 0;

	if (hash == NULL && kss_auth_hash("k", 1, &hash) != KSS_OK)
		abort();
	if (kss_store_mem_open(&st) == KSS_OK) {
		/* User u, key k, and a record d: handlers get past auth. */
		json_t *rec = json_pack("{s:s, s:s, s:f, s:s, s:i}", "document",
		    "d", "progress", "p", "percentage", 0.5, "device", "x",
		    "timestamp", 1);
		st.ops->user_create(st.h, "u", hash);
		st.ops->doc_put(st.h, "u", "d", rec);
		json_decref(rec);
		kss_serve_store(&io, &st, &resp);
		/* Whatever came in, a JSON object went out. */
		if (resp.body == NULL || resp.body[0] != '{' || resp.status < 200)
			abort();
		kss_response_free(&resp);
		kss_store_close(&st);
	}
	free(text);
	return 0;
}
