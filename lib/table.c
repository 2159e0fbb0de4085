/* Names and tables for a terminal (table.h). */
#include "config.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "table.h"
#include "valid.h"

/* A code point a terminal obeys rather than shows: C0, DEL, C1. */
static bool
control(uint32_t cp)
{
	return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f);
}

const char *
kss_shown(struct kss_shown *sh, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t len = strnlen(s, KSS_SHOWN_MAX), i = 0, o = 0, n;
	uint32_t cp;
	char *b;

	sh->next = (sh->next + 1) % 4;
	b = sh->buf[sh->next];
	b[o++] = '\'';
	while (i < len) {
		n = kss_utf8_next(p + i, len - i, &cp);
		if (n == 0 || control(cp) || cp == '\\' || cp == '\'') {
			o += (size_t)snprintf(b + o, 5, "\\x%02x", p[i]);
			i++;
		} else {
			memcpy(b + o, p + i, n);
			o += n;
			i += n;
		}
	}
	if (s[len] != '\0') {
		memcpy(b + o, "...", 3);
		o += 3;
	}
	b[o++] = '\'';
	b[o] = '\0';
	return b;
}

#define REPLACEMENT "\xef\xbf\xbd"	/* U+FFFD */

/* s as a JSON string, each byte that is not UTF-8 as U+FFFD and, if
 * controls, each control character as '?'. */
static json_t *
clean(const char *s, bool controls)
{
	const unsigned char *p = (const unsigned char *)(s != NULL ? s : "");
	size_t len = strlen((const char *)p), i = 0, o = 0, n;
	uint32_t cp;
	json_t *v;
	char *t;

	if (len > (SIZE_MAX - 1) / 3 || (t = malloc(len * 3 + 1)) == NULL)
		return json_string("");
	while (i < len) {
		n = kss_utf8_next(p + i, len - i, &cp);
		if (n == 0) {
			memcpy(t + o, REPLACEMENT, 3);
			o += 3;
			i++;
		} else if (controls && control(cp)) {
			t[o++] = '?';
			i += n;
		} else {
			memcpy(t + o, p + i, n);
			o += n;
			i += n;
		}
	}
	v = json_stringn(t, o);
	free(t);
	return v != NULL ? v : json_string("");
}

json_t *
kss_cell(const char *s)
{
	return clean(s, true);
}

json_t *
kss_json_text(const char *s)
{
	return clean(s, false);
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
