/* Text for a terminal made of names anyone could have chosen (a user
 * name, a document id, a file name from a library): quoted and escaped
 * so that a hostile one neither hides nor moves the cursor, and aligned
 * tables. What kss-admin prints; --json prints the values themselves. */
#ifndef KSS_TABLE_H
#define KSS_TABLE_H

#include <stdio.h>

#include <jansson.h>

#define KSS_SHOWN_MAX 1024	/* bytes of a name shown; "..." past that */
#define KSS_SHOWN_SIZE (4 * KSS_SHOWN_MAX + 16)

/* Quoted names for one message: kss_shown() fills its buffers in turn,
 * so one message may show up to four. */
struct kss_shown {
	char buf[4][KSS_SHOWN_SIZE];
	int next;
};

/* s as a message shows it: in single quotes, with control characters
 * (C0, DEL, C1), backslashes, quotes and bytes that are not UTF-8 (an
 * overlong form or a surrogate too) as \xNN, cut with "..." after
 * KSS_SHOWN_MAX bytes. */
const char *kss_shown(struct kss_shown *sh, const char *s);

/* A table cell's text as a JSON string: s (NULL: "") with each control
 * character (C0, DEL, C1) as '?', so that a row stays one line and moves
 * nothing, and each byte that is not UTF-8 as U+FFFD. */
json_t *kss_cell(const char *s);

/* s (NULL: "") as a JSON string for --json, where it must be UTF-8: each
 * byte that is not (a file name in Latin-1, say) as U+FFFD. */
json_t *kss_json_text(const char *s);

#define KSS_TABLE_COLS 8

/* Aligned columns under a header: rows are JSON arrays of strings. */
struct kss_table {
	int ncols;
	const char *head[KSS_TABLE_COLS];
	json_t *rows;
};

/* Adds a row of t->ncols strings (NULL: empty), each made a cell. */
void kss_table_row(struct kss_table *t, ...);

/* Prints t to f, each column as wide as its widest cell (in UTF-8
 * characters) and two spaces apart, and frees its rows. */
void kss_table_print(struct kss_table *t, FILE *f);

/* A Unix time (a JSON integer) in local time, "YYYY-MM-DD HH:MM:SS",
 * into buf; "-" for anything else. */
const char *kss_when(const json_t *v, char buf[32]);

#endif
