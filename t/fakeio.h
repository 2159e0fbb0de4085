/* A struct kss_io over a list of "NAME=value" strings and a body buffer,
 * for the unit tests. */
#ifndef KSS_FAKEIO_H
#define KSS_FAKEIO_H

#include <stdio.h>
#include <string.h>

#include "kss.h"

struct fake {
	const char *const *vars;	/* NULL-terminated "NAME=value" */
	const char *body;
	size_t len, off;
	char lastlog[512];
};

static inline const char *
fake_get(void *ctx, const char *name)
{
	struct fake *f = ctx;
	size_t n = strlen(name), i;

	for (i = 0; f->vars[i] != NULL; i++) {
		if (strncmp(f->vars[i], name, n) == 0 && f->vars[i][n] == '=')
			return f->vars[i] + n + 1;
	}
	return NULL;
}

static inline long
fake_read(void *ctx, char *buf, size_t len)
{
	struct fake *f = ctx;
	size_t n = f->len - f->off < len ? f->len - f->off : len;

	memcpy(buf, f->body + f->off, n);
	f->off += n;
	return (long)n;
}

static inline void
fake_log(void *ctx, const char *line)
{
	struct fake *f = ctx;

	snprintf(f->lastlog, sizeof(f->lastlog), "%s", line);
}

/* An io over vars and body[0..len), which may hold NUL bytes. */
static inline struct kss_io
fake_io_n(struct fake *f, const char *const *vars, const char *body,
    size_t len)
{
	struct kss_io io = {{fake_get, f}, fake_read, f, {fake_log, f}};

	memset(f, 0, sizeof(*f));
	f->vars = vars;
	f->body = body ? body : "";
	f->len = body ? len : 0;
	return io;
}

static inline struct kss_io
fake_io(struct fake *f, const char *const *vars, const char *body)
{
	return fake_io_n(f, vars, body, body ? strlen(body) : 0);
}

#endif
