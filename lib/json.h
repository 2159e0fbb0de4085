/* JSON in and out: the only module that knows how jansson encodes. */
#ifndef KSS_JSON_H
#define KSS_JSON_H

#include <stddef.h>
#include <jansson.h>

#include "err.h"

/* Parses a request body. On KSS_OK *out holds a JSON object (caller
 * decrefs). Unparsable → KSS_E_JSON_PARSE; any other JSON value (array,
 * string, number, literal) → KSS_E_JSON_HASH. */
enum kss_err kss_json_parse_body(const char *buf, size_t len, json_t **out);

/* Compact serialisation in which every real reads back as the same double
 * with the fewest digits (0.3188 stays "0.3188", not 0.31879999999999997).
 * Returns a malloc'd NUL-terminated string, or NULL when out of memory. */
char *kss_json_dump(const json_t *v, size_t *len);

/* Shortest "%g" text that strtod() turns back into d exactly. buf must
 * hold at least 32 bytes. */
void kss_json_fmt_double(double d, char *buf, size_t size);

#endif
