/* kss-admin: a kss data folder's users and documents from the shell
 * (kss-admin(8), DESIGN.md §1). Option parsing and output only: the work
 * is lib/'s, on the same store, with the same locks, as the server. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#include "admin.h"
#include "backup.h"
#include "check.h"
#include "conf.h"
#include "docid.h"
#include "json.h"
#include "library.h"
#include "migrate.h"
#include "log.h"
#include "store.h"

/* Where the data lives when neither -d nor KSS_DIR says (lib/conf.c
 * decides; this is what --help tells). */
#ifdef KSS_DEFAULT_DIR
#define DEFAULT_DIR_TEXT KSS_DEFAULT_DIR
#else
#define DEFAULT_DIR_TEXT "$XDG_DATA_HOME/kss, else $HOME/.local/share/kss"
#endif

#define EXIT_USAGE 2
#define PASSWORD_MAX 4096	/* bytes; KOReader sends their MD5 */

/* The options a command takes (struct cmd's opts). */
enum {
	O_JSON = 1 << 0,
	O_YES = 1 << 1,
	O_DRY_RUN = 1 << 2,
	O_REPAIR = 1 << 3,
	O_TO = 1 << 4,
	O_LIBRARY = 1 << 5,
};

struct opts {
	const char *dir;	/* -d */
	const char *to;		/* --to */
	const char *library;	/* --library */
	unsigned given;		/* O_* seen */
	char **args;		/* the words that are not options */
	int nargs;
};

/* What a command needs of the data folder. */
enum need {
	NEED_NONE,	/* docid */
	NEED_DATA,	/* an existing folder */
	NEED_CREATE,	/* made when missing (a first user, an import) */
};

struct ctx {
	struct opts *o;
	struct kss_config cfg;
	struct kss_store st;
	struct kss_log log;	/* the library's lines, to stderr */
	int logged;		/* how many it wrote */
	json_t *found;		/* migrate, check --json: what they say */
};

struct cmd {
	const char *name;	/* one word, or two ("user add") */
	int min, max;		/* operands after the name */
	unsigned opts;		/* O_* it takes */
	enum need need;
	int (*run)(struct ctx *c, char **args, int n);
	const char *synopsis;
};

static void
say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void
say(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs("kss-admin: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* A name as a message shows it: in quotes, with control characters,
 * backslashes, quotes and bytes that are not UTF-8 as \xNN, so that a
 * hostile name neither hides nor moves the terminal's cursor. One of
 * four buffers, used in turn. */
static const char *
shown(const char *s)
{
	static char buf[4][4 * 256 + 16];
	static int k;
	const unsigned char *p = (const unsigned char *)s;
	char *b;
	size_t o = 0, n, i;

	k = (k + 1) % 4;
	b = buf[k];
	b[o++] = '\'';
	while (*p != '\0' && o < sizeof(buf[0]) - 8) {
		/* The length of a valid UTF-8 sequence at p, or 0. */
		n = *p < 0x80 ? 1 : (*p & 0xe0) == 0xc0 && *p >= 0xc2 ? 2 :
		    (*p & 0xf0) == 0xe0 ? 3 : (*p & 0xf8) == 0xf0 && *p <= 0xf4 ?
		    4 : 0;
		for (i = 1; i < n; i++) {
			if ((p[i] & 0xc0) != 0x80)
				n = 0;
		}
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
	if (*p != '\0')
		o += (size_t)snprintf(b + o, 4, "...");
	b[o++] = '\'';
	b[o] = '\0';
	return b;
}

/* The library's log lines (the store's: a corrupt file, a failed write),
 * as the program's own. */
static void
log_line(void *ctx, const char *line)
{
	struct ctx *c = ctx;

	c->logged++;
	if (strncmp(line, "kss: ", 5) == 0)
		line += 5;
	say("%s", line);
}

/* One line for a command that failed with e; 1, the exit status. */
static int
failed(struct ctx *c, enum kss_err e, const char *user, const char *doc)
{
	switch (e) {
	case KSS_E_NO_ACCOUNT:
		say("no user %s", shown(user));
		break;
	case KSS_E_USER_EXISTS:
		say("user %s exists", shown(user));
		break;
	case KSS_E_INVALID:
		say("%s is not a user name kss accepts (1 to 128 bytes of "
		    "UTF-8, no control characters, no ':')", shown(user));
		break;
	case KSS_E_DOCUMENT:
		say("%s is not a document id kss accepts (1 to 128 bytes of "
		    "UTF-8, no control characters, no ':')", shown(doc));
		break;
	case KSS_E_NOT_FOUND:
		say("user %s has no document %s", shown(user), shown(doc));
		break;
	default:
		/* The store said why, naming the file. */
		if (c->logged == 0)
			say("failed: %s", kss_err_message(e));
		break;
	}
	return 1;
}

static void
print_json(const json_t *v)
{
	size_t len;
	char *text = kss_json_dump(v, &len);

	if (text != NULL) {
		fwrite(text, 1, len, stdout);
		fputc('\n', stdout);
	}
	free(text);
}

/* --- Tables: aligned columns, a header, cells shown safely. --- */

#define COLS_MAX 8

struct table {
	int ncols;
	const char *head[COLS_MAX];
	json_t *rows;		/* arrays of strings */
};

/* The columns a string takes on a terminal: its UTF-8 characters. */
static size_t
width(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

/* A cell's text: control characters as '?', so a row stays one line. */
static json_t *
cell(const char *s)
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

static void
table_row(struct table *t, ...)
{
	json_t *row = json_array();
	va_list ap;
	int i;

	va_start(ap, t);
	for (i = 0; i < t->ncols; i++)
		json_array_append_new(row, cell(va_arg(ap, const char *)));
	va_end(ap);
	json_array_append_new(t->rows, row);
}

static void
table_print(struct table *t)
{
	size_t w[COLS_MAX] = {0}, i, n;
	const json_t *row;
	const char *s;
	int j;

	for (j = 0; j < t->ncols; j++)
		w[j] = width(t->head[j]);
	json_array_foreach(t->rows, i, row) {
		for (j = 0; j < t->ncols; j++) {
			n = width(json_string_value(json_array_get(row,
			    (size_t)j)));
			if (n > w[j])
				w[j] = n;
		}
	}
	for (i = 0; i <= json_array_size(t->rows); i++) {
		row = i == 0 ? NULL : json_array_get(t->rows, i - 1);
		for (j = 0; j < t->ncols; j++) {
			s = row == NULL ? t->head[j] :
			    json_string_value(json_array_get(row, (size_t)j));
			fputs(s, stdout);
			if (j + 1 < t->ncols) {
				for (n = width(s); n < w[j] + 2; n++)
					fputc(' ', stdout);
			}
		}
		fputc('\n', stdout);
	}
	json_decref(t->rows);
}

/* A Unix time as the table shows it (local time), or "-". */
static const char *
when(const json_t *v, char buf[32])
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

/* --- Passwords --- */

static struct termios saved_tty;
static volatile sig_atomic_t tty_changed;

/* A signal while echo is off: the terminal back as it was, then the
 * signal's own end. */
static void
restore_tty(int sig)
{
	if (tty_changed)
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved_tty);
	signal(sig, SIG_DFL);
	raise(sig);
}

/* One line of stdin without its line end, into a malloc'd buffer; NULL
 * at the end of input or when it is too long. */
static char *
read_line(void)
{
	char *line = NULL;
	size_t size = 0;
	ssize_t n;

	if ((n = getline(&line, &size, stdin)) < 0) {
		free(line);
		return NULL;
	}
	if (n > 0 && line[n - 1] == '\n')
		line[--n] = '\0';
	if (n > 0 && line[n - 1] == '\r')
		line[--n] = '\0';
	if ((size_t)n > PASSWORD_MAX || memchr(line, '\0', (size_t)n)) {
		explicit_bzero(line, size);
		free(line);
		errno = EINVAL;
		return NULL;
	}
	return line;
}

/* What is typed at prompt, without echo. */
static char *
ask_hidden(const char *prompt)
{
	static const int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGTSTP};
	struct termios t;
	char *line;
	size_t i;

	if (tcgetattr(STDIN_FILENO, &saved_tty) < 0)
		return NULL;
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		signal(sigs[i], restore_tty);
	t = saved_tty;
	t.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
	t.c_lflag |= ICANON;
	tty_changed = 1;
	if (tcsetattr(STDIN_FILENO, TCSAFLUSH, &t) < 0) {
		tty_changed = 0;
		return NULL;
	}
	fputs(prompt, stderr);
	fflush(stderr);
	line = read_line();
	tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved_tty);
	tty_changed = 0;
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		signal(sigs[i], SIG_DFL);
	fputc('\n', stderr);
	return line;
}

static void
drop(char *password)
{
	if (password != NULL) {
		explicit_bzero(password, strlen(password));
		free(password);
	}
}

/* user's new password: typed twice without echo on a terminal, else
 * one line of stdin. NULL (said) when there is none. */
static char *
new_password(const char *user)
{
	char prompt[600], *pw, *again;

	if (!isatty(STDIN_FILENO)) {
		if ((pw = read_line()) == NULL)
			say("no password on standard input (one line)%s",
			    errno == EINVAL ? ": too long, or holds NUL" : "");
	} else {
		snprintf(prompt, sizeof(prompt), "Password for %s: ",
		    shown(user));
		if ((pw = ask_hidden(prompt)) == NULL) {
			say("no password read from the terminal");
			return NULL;
		}
		if ((again = ask_hidden("Again: ")) == NULL ||
		    strcmp(pw, again) != 0) {
			say("the passwords differ");
			drop(pw);
			drop(again);
			return NULL;
		}
		drop(again);
	}
	if (pw != NULL && pw[0] == '\0') {
		say("empty password");
		drop(pw);
		pw = NULL;
	}
	return pw;
}

/* --- Commands --- */

static int
c_user_add(struct ctx *c, char **a, int n)
{
	enum kss_err e;
	char *pw;

	(void)n;
	/* A bad or taken name is said before the password is asked. */
	if ((e = kss_admin_user_exists(&c->st, a[0])) != KSS_E_NO_ACCOUNT)
		return failed(c, e == KSS_OK ? KSS_E_USER_EXISTS : e, a[0],
		    NULL);
	if ((pw = new_password(a[0])) == NULL)
		return 1;
	e = kss_admin_user_add(&c->st, a[0], pw, c->cfg.hash_cost);
	drop(pw);
	if (e != KSS_OK)
		return failed(c, e, a[0], NULL);
	printf("user %s added\n", shown(a[0]));
	return 0;
}

static int
c_user_passwd(struct ctx *c, char **a, int n)
{
	enum kss_err e;
	char *pw;

	(void)n;
	if ((e = kss_admin_user_exists(&c->st, a[0])) != KSS_OK)
		return failed(c, e, a[0], NULL);
	if ((pw = new_password(a[0])) == NULL)
		return 1;
	e = kss_admin_user_passwd(&c->st, a[0], pw, c->cfg.hash_cost);
	drop(pw);
	if (e != KSS_OK)
		return failed(c, e, a[0], NULL);
	printf("password of %s changed\n", shown(a[0]));
	return 0;
}

static int
c_user_del(struct ctx *c, char **a, int n)
{
	json_t *docs = NULL;
	enum kss_err e;
	size_t count;
	char *answer;

	(void)n;
	if ((e = kss_admin_doc_list(&c->st, a[0], &docs)) != KSS_OK)
		return failed(c, e, a[0], NULL);
	count = json_array_size(docs);
	json_decref(docs);
	if (!(c->o->given & O_YES)) {
		if (!isatty(STDIN_FILENO)) {
			say("user del %s: add --yes (standard input is not a "
			    "terminal to ask)", shown(a[0]));
			return EXIT_USAGE;
		}
		fprintf(stderr, "Delete user %s and %zu document%s? [y/N] ",
		    shown(a[0]), count, count == 1 ? "" : "s");
		fflush(stderr);
		answer = read_line();
		if (answer == NULL || (strcmp(answer, "y") != 0 &&
		    strcmp(answer, "yes") != 0)) {
			free(answer);
			say("user %s kept", shown(a[0]));
			return 1;
		}
		free(answer);
	}
	if ((e = kss_admin_user_del(&c->st, a[0])) != KSS_OK)
		return failed(c, e, a[0], NULL);
	printf("user %s deleted, with %zu document%s\n", shown(a[0]), count,
	    count == 1 ? "" : "s");
	return 0;
}

static int
c_user_list(struct ctx *c, char **a, int n)
{
	struct table t = {5, {"NAME", "DOCS", "LAST SYNC", "DEVICES", "KEY"},
	    json_array()};
	char docs[32], time[32], devs[1024];
	const json_t *u, *d;
	json_t *list = NULL;
	enum kss_err e;
	size_t i, j, o;

	(void)a, (void)n;
	e = kss_admin_user_list(&c->st, &list);
	if (list == NULL) {
		json_decref(t.rows);
		return failed(c, e, NULL, NULL);
	}
	if (c->o->given & O_JSON) {
		print_json(list);
		json_decref(t.rows);
	} else {
		json_array_foreach(list, i, u) {
			const char *err = json_string_value(json_object_get(u,
			    "error"));

			snprintf(docs, sizeof(docs), "%" JSON_INTEGER_FORMAT,
			    json_integer_value(json_object_get(u,
			    "documents")));
			devs[0] = '\0';
			o = 0;
			json_array_foreach(json_object_get(u, "devices"), j, d)
				o += (size_t)snprintf(devs + o, o < sizeof(devs) ?
				    sizeof(devs) - o : 0, "%s%s", j > 0 ? ", " : "",
				    json_string_value(d));
			table_row(&t, json_string_value(json_object_get(u,
			    "name")), err != NULL ? "?" : docs,
			    err != NULL ? err : when(json_object_get(u,
			    "last_sync"), time), devs, err != NULL ? "" :
			    json_is_true(json_object_get(u, "raw_key")) ?
			    "raw (original kss)" : "hashed");
		}
		table_print(&t);
	}
	json_decref(list);
	return e == KSS_OK ? 0 : failed(c, e, NULL, NULL);
}

/* What the table says of a record's book: title, authors, file name, as
 * far as KOReader sent them (metadata). */
static void
book(const json_t *rec, char *buf, size_t size)
{
	const json_t *m = json_object_get(rec, "metadata");
	const char *title = json_string_value(json_object_get(m, "title"));
	const char *authors = json_string_value(json_object_get(m, "authors"));
	const char *file = json_string_value(json_object_get(m, "filename"));

	buf[0] = '\0';
	if (title != NULL && authors != NULL && *authors != '\0')
		snprintf(buf, size, "%s - %s", title, authors);
	else if (title != NULL)
		snprintf(buf, size, "%s", title);
	else if (file != NULL)
		snprintf(buf, size, "%s", file);
}

static void
percent(const json_t *v, char buf[32])
{
	if (json_is_number(v))
		snprintf(buf, 32, "%.1f%%", json_number_value(v) * 100);
	else
		snprintf(buf, 32, "-");
}

/* A file of the library that cannot be read. */
static void
library_warn(void *ctx, const char *path)
{
	(void)ctx;
	say("%s: %s (skipped)", shown(path), strerror(errno));
}

/* Adds "file" and "method" to the records of list whose ids name a book
 * under dir. */
static int
resolve(json_t *list, const char *dir)
{
	json_t *wanted = json_object(), *found = NULL, *rec, *f;
	const char *id;
	size_t i;
	int rc = 0;

	json_array_foreach(list, i, rec)
		json_object_set_new(wanted, json_string_value(json_object_get(rec,
		    "document")), json_null());
	if (kss_library_scan(dir, wanted, &found, library_warn, NULL) < 0) {
		say("library %s: %s", shown(dir), strerror(errno));
		rc = -1;
	} else {
		json_array_foreach(list, i, rec) {
			id = json_string_value(json_object_get(rec, "document"));
			if ((f = json_object_get(found, id)) != NULL)
				json_object_update(rec, f);
		}
	}
	json_decref(found);
	json_decref(wanted);
	return rc;
}

static int
c_doc_list(struct ctx *c, char **a, int n)
{
	struct table t = {6, {"DOCUMENT", "PERCENT", "PROGRESS", "DEVICE",
	    "TIME", "BOOK"}, json_array()};
	char pct[32], time[32], title[1024];
	const json_t *r;
	json_t *list = NULL;
	enum kss_err e;
	size_t i;
	int rc = 0;

	(void)n;
	if ((e = kss_admin_doc_list(&c->st, a[0], &list)) != KSS_OK) {
		json_decref(t.rows);
		return failed(c, e, a[0], NULL);
	}
	if (c->o->library != NULL && resolve(list, c->o->library) < 0)
		rc = 1;
	if (c->o->given & O_JSON) {
		print_json(list);
		json_decref(t.rows);
	} else {
		if (c->o->library != NULL)
			t.head[0] = "DOCUMENT (FILE IN THE LIBRARY)";
		json_array_foreach(list, i, r) {
			const char *f = json_string_value(json_object_get(r,
			    "file"));

			if (json_is_true(json_object_get(r, "corrupt"))) {
				table_row(&t, json_string_value(json_object_get(r,
				    "document")), "-", "(corrupt: does not parse)",
				    "", "", "");
				continue;
			}
			percent(json_object_get(r, "percentage"), pct);
			book(r, title, sizeof(title));
			table_row(&t, f != NULL ? f : json_string_value(
			    json_object_get(r, "document")), pct,
			    json_string_value(json_object_get(r, "progress")),
			    json_string_value(json_object_get(r, "device")),
			    when(json_object_get(r, "timestamp"), time), title);
		}
		table_print(&t);
	}
	json_array_foreach(list, i, r) {
		if (json_is_true(json_object_get(r, "corrupt"))) {
			say("user %s: the record of %s does not parse",
			    shown(a[0]), shown(json_string_value(
			    json_object_get(r, "document"))));
			rc = 1;
		}
	}
	json_decref(list);
	return rc;
}

/* Prints "name value" with value shown as a cell is. */
static void
field(const char *name, const char *value)
{
	json_t *v = cell(value);

	printf("%-18s %s\n", name, json_string_value(v));
	json_decref(v);
}

static int
c_doc_show(struct ctx *c, char **a, int n)
{
	static const char *const fields[] = {"document", "percentage",
	    "progress", "device", "device_id", "timestamp"};
	char buf[64], time[32], name[300];
	json_t *rec = NULL, *m, *v;
	enum kss_err e;
	const char *k;
	size_t i, len;
	char *text;

	(void)n;
	if ((e = kss_admin_doc_show(&c->st, a[0], a[1], &rec)) != KSS_OK)
		return failed(c, e, a[0], a[1]);
	if (c->o->given & O_JSON) {
		print_json(rec);
		json_decref(rec);
		return 0;
	}
	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		if ((v = json_object_get(rec, fields[i])) == NULL)
			continue;
		if (json_is_string(v))
			field(fields[i], json_string_value(v));
		else if (json_is_integer(v) && strcmp(fields[i], "timestamp") == 0) {
			snprintf(buf, sizeof(buf), "%" JSON_INTEGER_FORMAT " (%s)",
			    json_integer_value(v), when(v, time));
			field(fields[i], buf);
		} else {
			kss_json_fmt_double(json_number_value(v), buf,
			    sizeof(buf));
			field(fields[i], buf);
		}
	}
	json_object_foreach(json_object_get(rec, "metadata"), k, m) {
		text = json_is_string(m) ? strdup(json_string_value(m)) :
		    kss_json_dump(m, &len);
		snprintf(name, sizeof(name), "metadata.%s", k);
		field(name, text);
		free(text);
	}
	json_decref(rec);
	return 0;
}

static int
c_doc_rm(struct ctx *c, char **a, int n)
{
	enum kss_err e;

	(void)n;
	if ((e = kss_admin_doc_rm(&c->st, a[0], a[1])) != KSS_OK)
		return failed(c, e, a[0], a[1]);
	printf("document %s of %s removed\n", shown(a[1]), shown(a[0]));
	return 0;
}

static int
c_docid(struct ctx *c, char **a, int n)
{
	struct table t = {3, {"BINARY", "FILENAME", "FILE"}, json_array()};
	char bin[KSS_DOCID_SIZE], name[KSS_DOCID_SIZE];
	json_t *out = json_array();
	struct stat st;
	int i, fd, err, rc = 0;

	for (i = 0; i < n; i++) {
		/* O_NONBLOCK: a FIFO is refused, not waited on. */
		if ((fd = open(a[i], O_RDONLY | O_NONBLOCK | O_CLOEXEC)) < 0 ||
		    fstat(fd, &st) < 0)
			err = errno;
		else if (!S_ISREG(st.st_mode))
			err = S_ISDIR(st.st_mode) ? EISDIR : EINVAL;
		else
			err = kss_docid_binary(fd, bin) < 0 ? errno : 0;
		if (fd >= 0)
			close(fd);
		if (err != 0) {
			say("%s: %s", shown(a[i]), strerror(err));
			rc = 1;
			continue;
		}
		kss_docid_filename(a[i], name);
		json_array_append_new(out, json_pack("{s:s, s:s, s:s}", "file",
		    a[i], "binary", bin, "filename", name));
		table_row(&t, bin, name, a[i]);
	}
	if (c->o->given & O_JSON) {
		print_json(out);
		json_decref(t.rows);
	} else if (json_array_size(out) > 0)
		table_print(&t);
	else
		json_decref(t.rows);
	json_decref(out);
	return rc;
}

static int
c_export(struct ctx *c, char **a, int n)
{
	json_t *out = NULL;
	enum kss_err e;

	(void)a, (void)n;
	e = kss_backup_export(&c->st, &out);
	if (out != NULL)
		print_json(out);
	json_decref(out);
	if (e != KSS_OK) {
		say("export: what could not be read is left out (see above)");
		return 1;
	}
	return 0;
}

/* An import's (or a migration's) change, one line. */
static void
import_line(void *ctx, const char *user, const char *doc, const char *what)
{
	struct ctx *c = ctx;

	if (c->o->given & O_JSON)
		return;
	printf("%s%s%s%s: %s\n", c->o->given & O_DRY_RUN ? "would be: " : "",
	    shown(user), doc != NULL ? " " : "", doc != NULL ? shown(doc) : "",
	    what);
}

static int
c_import(struct ctx *c, char **a, int n)
{
	struct kss_import_counts k;
	json_error_t jerr;
	json_t *in;
	enum kss_err e;
	char *why = NULL;
	bool dry = c->o->given & O_DRY_RUN;

	(void)n;
	in = strcmp(a[0], "-") == 0 ? json_loadf(stdin, 0, &jerr) :
	    json_load_file(a[0], 0, &jerr);
	if (in == NULL) {
		say("%s: %s (line %d)", shown(a[0]), jerr.text, jerr.line);
		return 1;
	}
	e = kss_backup_import(&c->st, in, dry, &k, import_line, c, &why);
	json_decref(in);
	if (e == KSS_E_INVALID) {
		say("%s: %s; nothing imported", shown(a[0]),
		    why != NULL ? why : "not an export of kss");
		free(why);
		return 1;
	}
	if (c->o->given & O_JSON) {
		json_t *j = json_pack("{s:b, s:i, s:i, s:i, s:i, s:i, s:i}",
		    "dry_run", dry, "users_created", k.users_created,
		    "users_kept", k.users_kept, "keys_differ", k.keys_differ,
		    "documents_added", k.docs_added, "documents_updated",
		    k.docs_updated, "documents_kept", k.docs_kept);

		print_json(j);
		json_decref(j);
	} else
		printf("%s%d user%s created, %d already here; %d document%s "
		    "added, %d updated, %d kept (as new here)\n",
		    dry ? "would be: " : "", k.users_created,
		    k.users_created == 1 ? "" : "s", k.users_kept, k.docs_added,
		    k.docs_added == 1 ? "" : "s", k.docs_updated, k.docs_kept);
	return e == KSS_OK ? 0 : failed(c, e, NULL, NULL);
}

/* A migration's change (stdout) or problem (stderr), one line; with
 * --json, kept for the end. */
static void
migrate_line(void *ctx, const char *user, const char *doc, const char *what,
    bool problem)
{
	struct ctx *c = ctx;
	char who[700];

	snprintf(who, sizeof(who), "%s%s%s", user != NULL ? shown(user) :
	    "data folder", doc != NULL ? " " : "", doc != NULL ? shown(doc) : "");
	if (c->o->given & O_JSON) {
		json_array_append_new(c->found, json_pack("{s:s?, s:s?, s:s, "
		    "s:b}", "user", user, "document", doc, "what", what,
		    "problem", problem));
	} else if (problem)
		say("%s: %s", who, what);
	else
		printf("%s%s: %s\n", c->o->given & O_DRY_RUN ? "would be: " : "",
		    who, what);
}

static int
c_migrate(struct ctx *c, char **a, int n)
{
	struct kss_migrate_report r = {migrate_line, c, 0, 0};
	bool dry = c->o->given & O_DRY_RUN;
	struct kss_store st = {NULL, NULL};
	struct stat sb;
	int rc;

	(void)n;
	if (stat(a[0], &sb) < 0) {
		say("%s: %s", shown(a[0]), strerror(errno));
		return 1;
	}
	if (!S_ISDIR(sb.st_mode)) {
		say("%s: not a folder", shown(a[0]));
		return 1;
	}
	c->found = json_array();
	if (c->o->to != NULL) {
		/* A dry run makes nothing, not even the new folder. */
		if (dry && stat(c->o->to, &sb) < 0 && errno == ENOENT)
			rc = kss_store_mem_open(&st) == KSS_OK ? 0 : -1;
		else
			rc = kss_store_file_open(c->o->to, &c->log, &st) ==
			    KSS_OK ? 0 : -1;
		if (rc == 0)
			rc = kss_migrate_copy(a[0], &st, c->cfg.hash_cost, dry,
			    &r);
	} else {
		rc = kss_store_file_open(a[0], &c->log, &st) == KSS_OK ? 0 : -1;
		if (rc == 0) {
			kss_store_set_fsync(&st, c->cfg.fsync);
			rc = kss_migrate_in_place(&st, c->cfg.hash_cost, dry, &r);
		}
	}
	kss_store_close(&st);
	if (rc < 0) {
		if (c->logged == 0)
			say("%s: cannot be read", shown(a[0]));
		return 1;
	}
	if (c->o->given & O_JSON)
		print_json(c->found);
	else if (r.changes == 0 && r.problems == 0)
		printf("nothing to change\n");
	else
		printf("%s%d change%s, %d thing%s left alone\n",
		    dry ? "would be: " : "", r.changes, r.changes == 1 ? "" : "s",
		    r.problems, r.problems == 1 ? "" : "s");
	return r.problems > 0 ? 1 : 0;
}

static const char *const check_state[] = {
	[KSS_CHECK_PROBLEM] = "problem",
	[KSS_CHECK_FIXED] = "fixed",
	[KSS_CHECK_NOTE] = "note",
};

static void
check_line(void *ctx, const char *path, const char *what,
    enum kss_check_state state)
{
	struct ctx *c = ctx;
	json_t *p = cell(path), *w = cell(what);

	if (c->o->given & O_JSON)
		json_array_append_new(c->found, json_pack("{s:s, s:s, s:s}",
		    "path", path, "state", check_state[state], "what", what));
	else
		printf("%-8s %s: %s\n", check_state[state],
		    json_string_value(p), json_string_value(w));
	json_decref(p);
	json_decref(w);
}

static int
c_check(struct ctx *c, char **a, int n)
{
	struct kss_check_report r = {check_line, c, 0, 0, 0};

	(void)a, (void)n;
	c->found = json_array();
	if (kss_check(&c->st, c->o->given & O_REPAIR, &r) < 0) {
		say("data folder %s: cannot be listed: %s", shown(c->cfg.dir),
		    strerror(errno));
		return 1;
	}
	if (c->o->given & O_JSON)
		print_json(c->found);
	else if (r.problems == 0)
		printf("all is well (%d fixed, %d note%s)\n", r.fixed, r.notes,
		    r.notes == 1 ? "" : "s");
	else
		printf("%d problem%s, %d fixed\n", r.problems,
		    r.problems == 1 ? "" : "s", r.fixed);
	return r.problems > 0 ? 1 : 0;
}

static const struct cmd cmds[] = {
	{"user add", 1, 1, 0, NEED_CREATE, c_user_add, "user add NAME"},
	{"user passwd", 1, 1, 0, NEED_DATA, c_user_passwd, "user passwd NAME"},
	{"user del", 1, 1, O_YES, NEED_DATA, c_user_del,
	    "user del NAME [--yes]"},
	{"user list", 0, 0, O_JSON, NEED_DATA, c_user_list,
	    "user list [--json]"},
	{"doc list", 1, 1, O_JSON | O_LIBRARY, NEED_DATA, c_doc_list,
	    "doc list NAME [--library DIR] [--json]"},
	{"doc show", 2, 2, O_JSON, NEED_DATA, c_doc_show,
	    "doc show NAME ID [--json]"},
	{"doc rm", 2, 2, 0, NEED_DATA, c_doc_rm, "doc rm NAME ID"},
	{"docid", 1, -1, O_JSON, NEED_NONE, c_docid, "docid FILE... [--json]"},
	{"export", 0, 0, 0, NEED_DATA, c_export, "export"},
	{"import", 1, 1, O_DRY_RUN | O_JSON, NEED_CREATE, c_import,
	    "import FILE [--dry-run] [--json]"},
	{"check", 0, 0, O_REPAIR | O_JSON, NEED_DATA, c_check,
	    "check [--repair] [--json]"},
	{"migrate", 1, 1, O_TO | O_DRY_RUN | O_JSON, NEED_NONE, c_migrate,
	    "migrate DIR [--to NEWDIR] [--dry-run] [--json]"},
};
#define NCMDS (sizeof(cmds) / sizeof(cmds[0]))

static void
usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: kss-admin [-d DIR] COMMAND [ARG...]\n\nCommands:\n");
	for (i = 0; i < NCMDS; i++)
		fprintf(f, "  %s\n", cmds[i].synopsis);
	fprintf(f,
	    "\n"
	    "The users and documents of a kss data folder, with the server\n"
	    "running or not (kss-admin(8)). Passwords are read from the\n"
	    "terminal without echo, or as one line of standard input.\n"
	    "\n"
	    "  -d, --dir DIR   the data folder (default: KSS_DIR, else %s)\n"
	    "  --json          listings as JSON, for scripts\n"
	    "  --help, --version\n"
	    "\n"
	    "Exit status: 0 done, 1 failed, 2 a wrong command line.\n",
	    DEFAULT_DIR_TEXT);
}

static const struct {
	const char *name;
	unsigned bit;
	const char **value;	/* for an option that takes one */
} longopts[] = {
	{"--json", O_JSON, NULL},
	{"--yes", O_YES, NULL},
	{"--dry-run", O_DRY_RUN, NULL},
	{"--repair", O_REPAIR, NULL},
	{"--to", O_TO, NULL},
	{"--library", O_LIBRARY, NULL},
};

/* Sorts argv into options and operands; -1 (said) for a wrong one. */
static int
parse(int argc, char **argv, struct opts *o)
{
	const char *arg, *eq, **value;
	bool done = false;
	size_t i, len;
	int k;

	if ((o->args = calloc((size_t)argc + 1, sizeof(*o->args))) == NULL) {
		say("out of memory");
		return -1;
	}
	for (k = 1; k < argc; k++) {
		arg = argv[k];
		if (done || arg[0] != '-' || arg[1] == '\0') {
			o->args[o->nargs++] = argv[k];
			continue;
		}
		if (strcmp(arg, "--") == 0) {
			done = true;
			continue;
		}
		eq = strchr(arg, '=');
		len = eq != NULL ? (size_t)(eq - arg) : strlen(arg);
		value = NULL;
		if (strcmp(arg, "-d") == 0 || strncmp(arg, "--dir", len) == 0) {
			if (len != 5 && strcmp(arg, "-d") != 0)
				goto unknown;
			value = &o->dir;
		} else {
			for (i = 0; i < sizeof(longopts) / sizeof(longopts[0]);
			    i++) {
				if (strlen(longopts[i].name) == len &&
				    strncmp(arg, longopts[i].name, len) == 0)
					break;
			}
			if (i == sizeof(longopts) / sizeof(longopts[0]))
				goto unknown;
			o->given |= longopts[i].bit;
			if (longopts[i].bit == O_TO)
				value = &o->to;
			else if (longopts[i].bit == O_LIBRARY)
				value = &o->library;
			else if (eq != NULL) {
				say("%.*s takes no value", (int)len, arg);
				return -1;
			}
		}
		if (value == NULL)
			continue;
		if (eq != NULL)
			*value = eq + 1;
		else if (k + 1 < argc)
			*value = argv[++k];
		else {
			say("%s needs a value", arg);
			return -1;
		}
		if (**value == '\0') {
			say("%.*s needs a value that is not empty", (int)len, arg);
			return -1;
		}
	}
	return 0;
unknown:
	say("unknown option %s (see --help)", shown(arg));
	return -1;
}

static const char *
param(void *ctx, const char *name)
{
	const struct opts *o = ctx;

	if (o->dir != NULL && strcmp(name, "KSS_DIR") == 0)
		return o->dir;
	return getenv(name);
}

/* Loads the configuration and opens the data folder, as the command
 * needs it; the exit status when that fails, else 0. */
static int
open_data(struct ctx *c, enum need need)
{
	struct kss_params p = {param, c->o};
	struct stat st;

	c->log.write = log_line;
	c->log.ctx = c;
	if (kss_config_load(&c->cfg, &p, &c->log) != KSS_OK)
		return 1;
	if (need == NEED_NONE)
		return 0;
	if (need == NEED_DATA && stat(c->cfg.dir, &st) < 0) {
		say("data folder %s: %s (-d DIR or KSS_DIR names another)",
		    shown(c->cfg.dir), strerror(errno));
		return 1;
	}
	if (kss_store_open(&c->cfg, &c->log, &c->st) != KSS_OK)
		return 1;
	kss_store_set_fsync(&c->st, c->cfg.fsync);
	return 0;
}

/* The command argv's operands name, or NULL (said). */
static const struct cmd *
find(const struct opts *o, int *skip)
{
	const char *w1 = o->nargs > 0 ? o->args[0] : NULL;
	const char *w2 = o->nargs > 1 ? o->args[1] : "";
	size_t i, l1;

	if (w1 == NULL) {
		usage(stderr);
		return NULL;
	}
	for (i = 0; i < NCMDS; i++) {
		l1 = strcspn(cmds[i].name, " ");
		if (strncmp(cmds[i].name, w1, l1) != 0 || w1[l1] != '\0')
			continue;
		if (cmds[i].name[l1] == '\0') {
			*skip = 1;
			return &cmds[i];
		}
		if (strcmp(cmds[i].name + l1 + 1, w2) == 0) {
			*skip = 2;
			return &cmds[i];
		}
	}
	say("unknown command %s%s%s (see --help)", shown(w1),
	    o->nargs > 1 ? " " : "", o->nargs > 1 ? shown(w2) : "");
	return NULL;
}

int
main(int argc, char **argv)
{
	struct opts o = {0};
	struct ctx c;
	const struct cmd *cmd;
	int skip = 0, n, rc;
	size_t i;

	memset(&c, 0, sizeof(c));
	c.o = &o;
	if (argc > 1 && (strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0)) {
		usage(stdout);
		return 0;
	}
	if (argc > 1 && strcmp(argv[1], "--version") == 0) {
		printf("kss-admin (%s)\n", PACKAGE_STRING);
		return 0;
	}
	if (parse(argc, argv, &o) < 0 || (cmd = find(&o, &skip)) == NULL) {
		free(o.args);
		return EXIT_USAGE;
	}
	n = o.nargs - skip;
	if (n < cmd->min || (cmd->max >= 0 && n > cmd->max)) {
		say("usage: kss-admin %s", cmd->synopsis);
		free(o.args);
		return EXIT_USAGE;
	}
	for (i = 0; i < sizeof(longopts) / sizeof(longopts[0]); i++) {
		if ((o.given & longopts[i].bit) && !(cmd->opts & longopts[i].bit)) {
			say("%s does not go with %s (usage: kss-admin %s)",
			    longopts[i].name, cmd->name, cmd->synopsis);
			free(o.args);
			return EXIT_USAGE;
		}
	}
	if (sodium_init() < 0) {
		say("libsodium does not start");
		free(o.args);
		return 1;
	}
	if ((rc = open_data(&c, cmd->need)) == 0)
		rc = cmd->run(&c, o.args + skip, n);
	kss_store_close(&c.st);
	json_decref(c.found);
	free(o.args);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		say("cannot write the output: %s", strerror(errno));
		rc = 1;
	}
	return rc;
}
