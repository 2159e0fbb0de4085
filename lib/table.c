/* Names and tables for a terminal (table.h). */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "table.h"

/* The length of the valid UTF-8 sequence at p, or 0: none for an
 * overlong form (of a control character, say), a surrogate or a code
 * point past U+10FFFF. */
static size_t
utf8_len(const unsigned char *p)
{
	size_t n, i;

	n = *p < 0x80 ? 1 : (*p & 0xe0) == 0xc0 && *p >= 0xc2 ? 2 :
	    (*p & 0xf0) == 0xe0 ? 3 : (*p & 0xf8) == 0xf0 && *p <= 0xf4 ? 4 : 0;
	for (i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	}
	if ((p[0] == 0xe0 && p[1] < 0xa0) || (p[0] == 0xed && p[1] >= 0xa0) ||
	    (p[0] == 0xf0 && p[1] < 0x90) || (p[0] == 0xf4 && p[1] >= 0x90))
		return 0;
	return n;
}

const char *
kss_shown(struct kss_shown *sh, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	const unsigned char *end = p + strnlen(s, KSS_SHOWN_MAX);
	char *b;
	size_t o = 0, n;

	sh->next = (sh->next + 1) % 4;
	b = sh->buf[sh->next];
	b[o++] = '\'';
	while (p < end) {
		n = utf8_len(p);
		if (n > (size_t)(end - p))
			n = 0;	/* cut inside a character */
		if (n == 1 && *p >= 0x20 && *p != 0x7f && *p != '\\' &&
		    *p != '\'') {
			b[o++] = (char)*p++;
		} else if (n > 1 && !(n == 2 && p[0] == 0xc2 && p[1] < 0xa0)) {
			memcpy(b + o, p, n);	/* not a C1 control */
			o += n;
			p += n;
		} else {
			o += (size_t)snprintf(b + o, 5, "\\x%02x", *p++);
		}
	}
	if (*p != '\0') {
		memcpy(b + o, "...", 3);
		o += 3;
	}
	b[o++] = '\'';
	b[o] = '\0';
	return b;
}

json_t *
kss_cell(const char *s)
{
	char *t = strdup(s != NULL ? s : ""), *p;
	json_t *v;

	if (t == NULL)
		return json_string("");
	for (p = t; *p != '\0'; p++) {
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	}
	v = json_string(t);	/* NULL for bytes that are not UTF-8 */
	free(t);
	return v != NULL ? v : json_string("?");
}

void
kss_table_row(struct kss_table *t, ...)
{
	json_t *row = json_array();
	va_list ap;
	int i;

	va_start(ap, t);
	for (i = 0; i < t->ncols; i++)
		json_array_append_new(row, kss_cell(va_arg(ap, const char *)));
	va_end(ap);
	json_array_append_new(t->rows, row);
}

/* The columns a string takes on a terminal: its UTF-8 characters. */
static size_t
width(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

static const char *
at(const json_t *row, int col)
{
	const char *s = json_string_value(json_array_get(row, (size_t)col));

	return s != NULL ? s : "";
}

void
kss_table_print(struct kss_table *t, FILE *f)
{
	size_t w[KSS_TABLE_COLS] = {0}, i, n;
	const json_t *row;
	const char *s;
	int j;

	for (j = 0; j < t->ncols; j++)
		w[j] = width(t->head[j]);
	json_array_foreach(t->rows, i, row) {
		for (j = 0; j < t->ncols; j++) {
			if ((n = width(at(row, j))) > w[j])
				w[j] = n;
		}
	}
	for (i = 0; i <= json_array_size(t->rows); i++) {
		row = i == 0 ? NULL : json_array_get(t->rows, i - 1);
		for (j = 0; j < t->ncols; j++) {
			s = row == NULL ? t->head[j] : at(row, j);
			fputs(s, f);
			if (j + 1 < t->ncols) {
				for (n = width(s); n < w[j] + 2; n++)
					fputc(' ', f);
			}
		}
		fputc('\n', f);
	}
	json_decref(t->rows);
	t->rows = NULL;
}

const char *
kss_when(const json_t *v, char buf[32])
{
	time_t t;
	struct tm tm;

	if (!json_is_integer(v))
		return "-";
	t = (time_t)json_integer_value(v);
	if (localtime_r(&t, &tm) == NULL ||
	    strftime(buf, 32, "%Y-%m-%d %H:%M:%S", &tm) == 0)
		return "-";
	return buf;
}
