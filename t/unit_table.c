/* Unit tests: names and tables for a terminal (table.h), passwords from
 * a pipe (tty.h). */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "table.h"
#include "tap.h"
#include "tty.h"

static void
shown(void)
{
	static struct kss_shown sh;
	char name[KSS_SHOWN_MAX + 8];
	const char *a, *b, *s;
	json_t *v;

	is_str(kss_shown(&sh, "bob"), "'bob'", "a plain name, quoted");
	is_str(kss_shown(&sh, "é日"), "'é日'", "UTF-8 letters as they are");
	is_str(kss_shown(&sh, "a\033[2Jb\r\n"), "'a\\x1b[2Jb\\x0d\\x0a'",
	    "an escape sequence and line ends are shown, not obeyed");
	is_str(kss_shown(&sh, "a'b\\c\x7f"), "'a\\x27b\\x5cc\\x7f'",
	    "a quote, a backslash and DEL are escaped");
	is_str(kss_shown(&sh, "\xc2\x9b" "1m"), "'\\xc2\\x9b1m'",
	    "a C1 control (CSI) is escaped");
	is_str(kss_shown(&sh, "\xc2\xa0"), "'\xc2\xa0'",
	    "U+00A0, the first character past C1, is not");
	is_str(kss_shown(&sh, "\xff\xe9t\xc3"), "'\\xff\\xe9t\\xc3'",
	    "bytes that are not UTF-8 are escaped, a torn one at the end too");
	is_str(kss_shown(&sh, "\xe0\x80\x8a\xed\xa0\x80"),
	    "'\\xe0\\x80\\x8a\\xed\\xa0\\x80'",
	    "an overlong line feed and a surrogate are escaped");
	is_str(kss_shown(&sh, "\xf0\x9f\x93\x96\xf4\x90\x80\x80"),
	    "'\xf0\x9f\x93\x96\\xf4\\x90\\x80\\x80'",
	    "a book emoji passes, a code point past U+10FFFF does not");

	a = kss_shown(&sh, "one");
	b = kss_shown(&sh, "two");
	kss_shown(&sh, "three");
	kss_shown(&sh, "four");
	ok(strcmp(a, "'one'") == 0 && strcmp(b, "'two'") == 0,
	    "four names fit in one message");

	memset(name, 'x', KSS_SHOWN_MAX + 4);
	name[KSS_SHOWN_MAX + 4] = '\0';
	s = kss_shown(&sh, name);
	is_int(strlen(s), KSS_SHOWN_MAX + 5, "a long name is cut");
	ok(strcmp(s + strlen(s) - 4, "...'") == 0, "and says so");
	memset(name, '\n', KSS_SHOWN_MAX);
	name[KSS_SHOWN_MAX] = '\0';
	s = kss_shown(&sh, name);
	is_int(strlen(s), 4 * KSS_SHOWN_MAX + 2,
	    "the longest name, every byte escaped, fits");
	memset(name, 'x', KSS_SHOWN_MAX - 1);
	memcpy(name + KSS_SHOWN_MAX - 1, "é", 3);
	s = kss_shown(&sh, name);
	ok(strcmp(s + strlen(s) - 8, "\\xc3...'") == 0,
	    "a character cut at the end is escaped, not torn");

	v = kss_cell("line\none\ttab");
	is_str(json_string_value(v), "line?one?tab",
	    "a cell keeps to one line");
	json_decref(v);
	v = kss_cell("\xff");
	is_str(json_string_value(v), "\xef\xbf\xbd", "a cell that is not UTF-8");
	json_decref(v);
	v = kss_cell("caf\xe9.epub");
	is_str(json_string_value(v), "caf\xef\xbf\xbd.epub",
	    "a byte that is not UTF-8 is one U+FFFD, the rest stays readable");
	json_decref(v);
	v = kss_cell("K\xc2\x9b" "2J\x7f\xc3\xa9");
	is_str(json_string_value(v), "K?2J?\xc3\xa9",
	    "a C1 control (CSI) and DEL in a cell are '?'");
	json_decref(v);
	v = kss_json_text("caf\xe9\n.epub");
	is_str(json_string_value(v), "caf\xef\xbf\xbd\n.epub",
	    "for JSON, a byte that is not UTF-8 is U+FFFD; a control stays");
	json_decref(v);
	v = kss_json_text(NULL);
	is_str(json_string_value(v), "", "for JSON, nothing is \"\"");
	json_decref(v);
	v = kss_cell(NULL);
	is_str(json_string_value(v), "", "no text, an empty cell");
	json_decref(v);
}

static void
table(void)
{
	struct kss_table t = {3, {"A", "BB", "C"}, json_array()};
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	kss_table_row(&t, "été", "x", "last");
	kss_table_row(&t, "a\nb", NULL, "z");
	kss_table_print(&t, f);
	fclose(f);
	is_str(out,
	    "A    BB  C\n"
	    "été  x   last\n"
	    "a?b      z\n",
	    "columns align by characters, not bytes; no trailing spaces");
	ok(t.rows == NULL, "the rows are freed");
	free(out);
}

static void
when(void)
{
	char buf[32];
	json_t *v = json_integer(0), *s = json_string("7");

	setenv("TZ", "UTC", 1);
	is_str(kss_when(v, buf), "1970-01-01 00:00:00", "a Unix time");
	is_str(kss_when(s, buf), "-", "a string is no time");
	is_str(kss_when(NULL, buf), "-", "nor is nothing");
	json_decref(v);
	json_decref(s);
}

static char *
line_of(const char *text, size_t len, size_t max, int *err)
{
	FILE *f = fmemopen((void *)text, len, "r");
	char *line;

	errno = 0;
	line = kss_tty_read_line(f, max);
	*err = errno;
	fclose(f);
	return line;
}

static void
lines(void)
{
	char *l;
	int err;

	l = line_of("secret\r\nmore\n", 14, 64, &err);
	is_str(l, "secret", "a line without its CR LF");
	kss_tty_drop(l);
	l = line_of("last", 4, 64, &err);
	is_str(l, "last", "a last line without a line end");
	kss_tty_drop(l);
	l = line_of("\n", 1, 64, &err);
	is_str(l, "", "an empty line is one (the caller refuses it)");
	kss_tty_drop(l);
	l = line_of("", 0, 64, &err);
	ok(l == NULL, "no line at the end of input");
	l = line_of("12345\n", 6, 4, &err);
	ok(l == NULL && err == EINVAL, "a line over the limit: EINVAL");
	l = line_of("1234\n", 5, 4, &err);
	is_str(l, "1234", "a line at the limit");
	kss_tty_drop(l);
	l = line_of("a\0b\n", 4, 64, &err);
	ok(l == NULL && err == EINVAL, "a line with NUL: EINVAL");
	kss_tty_drop(NULL);
	ok(1, "dropping nothing is fine");
}

int
main(void)
{
	shown();
	table();
	when();
	lines();
	return tap_done();
}
