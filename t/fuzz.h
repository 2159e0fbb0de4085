/* What the fuzz targets (fuzz_serve.c, fuzz_store.c) share with the
 * corpus replay (fuzz_replay.c), which is built once per target. */
#ifndef KSS_FUZZ_H
#define KSS_FUZZ_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "kss.h"

/* The target's corpus: a folder of t/. */
extern const char fuzz_corpus[];

/* Runs one input of the target and checks what came out: the target's
 * own invariants (those its fuzzer aborts on) and, when given (a > 0),
 * the two numbers a seed's name states, NAME.A or NAME.A-B (b 0 when
 * absent), whose meaning is the target's. Returns 1 when it passes, 0
 * when not; either way what happened is left in what. -1 when it could
 * not run at all (out of memory, no temporary folder). */
int fuzz_check(const uint8_t *data, size_t size, int a, long b, char *what,
    size_t whatsize);

/* Whether resp is an answer kss may give: a status from 200 to 599, a
 * header block that fits, and a body that is a JSON object. */
static inline int
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

#endif
