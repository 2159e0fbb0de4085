/* The reference programs of bench/run: what any sync server must do at
 * least (read the request, answer a small JSON), and, in durable mode,
 * what a crash-safe push must cost (one fsync'd file per document). kss
 * is measured as a ratio to these. */
#ifndef REF_H
#define REF_H

#include <stddef.h>

/* Requests bodies above this are cut (kss refuses them with a 413). */
#define REF_BODY_MAX 65536

struct ref_answer {
	int status;		/* HTTP status */
	const char *json;	/* body, a static string */
};

/* Reads the mode from the environment: REF_DATA_DIR set and non-empty
 * means durable (every PUT is written and fsync'd there). Returns 0, or
 * -1 with a message on stderr when the folder cannot be opened. */
int ref_init(void);

/* The answer to one request: GET (or anything not PUT) gets a fixed
 * progress record, PUT gets an acknowledgement after the durable write
 * when in durable mode. */
struct ref_answer ref_handle(const char *method, const char *body, size_t len);

#endif
