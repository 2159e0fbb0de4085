/* The fuzz target's request runner, shared with the corpus replay. */
#ifndef KSS_FUZZ_SERVE_H
#define KSS_FUZZ_SERVE_H

#include <stddef.h>
#include <stdint.h>

#include "kss.h"

/* Serves one fuzz input (CGI variables, one "NAME=value" a line, an empty
 * line, then the body bytes) on a fresh memory store holding user "u"
 * with key "k" and a record of document "d" (with metadata). Fills resp (free with
 * kss_response_free()) and returns 0, or returns -1 when memory ran out
 * before a request could be made. */
int fuzz_serve(const uint8_t *data, size_t size, struct kss_response *resp);

/* Whether resp is an answer kss may give: a status from 200 to 599, a
 * header block that fits, and a body that is a JSON object. */
int fuzz_answer_ok(const struct kss_response *resp);

#endif
