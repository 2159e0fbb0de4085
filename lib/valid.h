/* Validation of untrusted names and request fields (DESIGN.md §2). */
#ifndef KSS_VALID_H
#define KSS_VALID_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "err.h"

#define KSS_NAME_MAX 128	/* bytes in a username or document id */
#define KSS_FIELD_MAX 4096	/* bytes in any string field of a body */
#define KSS_BODY_MAX 65536	/* bytes in a request body */
/* Levels of objects and arrays in a push's metadata (KOReader sends one:
 * filename, title, authors), so that a record also fits, nested in an
 * export, under the JSON parser's limit (2048 in jansson). */
#define KSS_METADATA_DEPTH 32

/* The value of the hex digit c (either case), or -1. */
int kss_hex_value(int c);

/* Length of the UTF-8 sequence at s (at most n bytes) and its code point,
 * or 0 when the sequence is malformed, overlong, a surrogate or past
 * U+10FFFF (RFC 3629 §4). */
size_t kss_utf8_next(const unsigned char *s, size_t n, uint32_t *cp);

/* True when s[0..len) is an acceptable username or document id: 1 to
 * KSS_NAME_MAX bytes of valid UTF-8, no control character (C0, DEL, C1),
 * no ':'. */
bool kss_valid_name(const char *s, size_t len);

/* True when no string (member name or value) anywhere inside v is longer
 * than max bytes. */
bool kss_valid_strings(const json_t *v, size_t max);

/* Levels of objects and arrays in v (a scalar: 0), counted up to max + 1
 * at most. */
size_t kss_json_depth(const json_t *v, size_t max);

/* If v is a JSON string, its value and true; else false. Sets *len. */
const char *kss_json_str(const json_t *v, size_t *len);

/* Checks a PUT /syncs/progress body after authentication and builds the
 * record to store: document (KSS_E_DOCUMENT when bad), then progress,
 * percentage, device, device_id, metadata (KSS_E_INVALID when bad, or
 * nested deeper than KSS_METADATA_DEPTH).
 * On KSS_OK *rec is a new object, without "timestamp". */
enum kss_err kss_valid_progress(const json_t *body, json_t **rec);

/* Converts a stored or received percentage (JSON number or numeric
 * string) to a finite JSON number; NULL when it is neither. New ref, to
 * v itself when v is one (kss never changes a value in place). */
json_t *kss_valid_percentage(const json_t *v);

/* A string without NUL as it is (a new ref to v), or a number as its
 * shortest decimal text (progress 56 is stored "56"); NULL for anything
 * else. New ref. */
json_t *kss_valid_text(const json_t *v);

/* A stored record as kss answers it (a pull, kss-admin): what exists of
 * percentage, progress, device, device_id, timestamp, metadata, typed as
 * protocol.md §4.4 says (anything else left out, so records the original
 * kss wrote, with nulls and extra keys, come out clean), and document as
 * doc[0..len). A new object, or NULL when out of memory. */
json_t *kss_valid_record(const json_t *rec, const char *doc, size_t len);

#endif
