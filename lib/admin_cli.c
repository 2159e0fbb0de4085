/* kss-admin's command line (admin_cli.h): options, commands, what they
 * print. The work is the other modules', on the same store, with the
 * same locks, as the server. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#include "admin.h"
#include "admin_cli.h"
#include "backup.h"
#include "check.h"
#include "conf.h"
#include "docid.h"
#include "json.h"
#include "library.h"
#include "migrate.h"
#include "log.h"
#include "store.h"
#include "table.h"
#include "tty.h"

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
	struct kss_shown sh;	/* the names a message quotes */
	uid_t owner;		/* the effective uid become_owner() took */
	bool as_owner;		/* taken: root again only to read (as_root) */
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

/* s quoted for a message (kss_shown()). */
static const char *
shown(struct ctx *c, const char *s)
{
	return kss_shown(&c->sh, s);
}

/* s as a JSON string for --json (kss_json_text()), or null. */
static json_t *
text_or_null(const char *s)
{
	return s != NULL ? kss_json_text(s) : json_null();
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
		say("no user %s", shown(c, user));
		break;
	case KSS_E_USER_EXISTS:
		say("user %s exists", shown(c, user));
		break;
	case KSS_E_INVALID:
		say("%s is not a user name kss accepts (1 to 128 bytes of "
		    "UTF-8, no control characters, no ':')", shown(c, user));
		break;
	case KSS_E_DOCUMENT:
		say("%s is not a document id kss accepts (1 to 128 bytes of "
		    "UTF-8, no control characters, no ':')", shown(c, doc));
		break;
	case KSS_E_NOT_FOUND:
		say("user %s has no document %s", shown(c, user), shown(c, doc));
		break;
	default:
		/* The store's lines above, if any, name the file and why;
		 * this one names what failed. */
		say("%s%s%s%s%s: %s", user != NULL ? "user " : "",
		    user != NULL ? shown(c, user) : "", doc != NULL ?
		    ", document " : "", doc != NULL ? shown(c, doc) : "",
		    user != NULL || doc != NULL ? " failed" : "failed",
		    kss_err_message(e));
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

/* Run as root on a data folder another user owns (the web server's, as
 * README's recipes make it), kss-admin becomes that user, so that what it
 * writes (an auth.json, a .lock, .kss-layout) stays readable to kss: a
 * root-owned file there would answer 500. Only the effective ids change:
 * root's own files named on the command line (an import, a library) are
 * still read as root (as_root()). check --repair stays root, to give
 * back what root made before. 0, or -1 (said). */
static int
become_owner(struct ctx *c, const char *dir)
{
	struct stat st;

	if (geteuid() != 0 || stat(dir, &st) < 0 || st.st_uid == 0)
		return 0;
	if (setgroups(0, NULL) < 0 || setegid(st.st_gid) < 0 ||
	    seteuid(st.st_uid) < 0) {
		say("cannot become uid %ju, the owner of %s: %s",
		    (uintmax_t)st.st_uid, shown(c, dir), strerror(errno));
		return -1;
	}
	c->owner = st.st_uid;
	c->as_owner = true;
	return 0;
}

/* Root again (on) to read what the command line names, or the data
 * folder's owner again (off), when become_owner() took that. */
static void
as_root(struct ctx *c, bool on)
{
	if (c->as_owner && seteuid(on ? 0 : c->owner) < 0)
		abort();	/* never write as the wrong user */
}

/* --- Passwords --- */

/* user's new password: typed twice without echo on a terminal, else
 * one line of stdin. NULL (said) when there is none. */
static char *
new_password(struct ctx *c, const char *user)
{
	char prompt[600], *pw, *again;

	if (!isatty(STDIN_FILENO)) {
		if ((pw = kss_tty_read_line(stdin, PASSWORD_MAX)) == NULL)
			say("no password on standard input (one line)%s",
			    errno == EINVAL ? ": too long, or holds NUL" : "");
	} else {
		snprintf(prompt, sizeof(prompt), "Password for %s: ",
		    shown(c, user));
		if ((pw = kss_tty_ask_hidden(prompt, PASSWORD_MAX)) == NULL) {
			say("no password read from the terminal");
			return NULL;
		}
		if ((again = kss_tty_ask_hidden("Again: ", PASSWORD_MAX)) == NULL ||
		    strcmp(pw, again) != 0) {
			say("the passwords differ");
			kss_tty_drop(pw);
			kss_tty_drop(again);
			return NULL;
		}
		kss_tty_drop(again);
	}
	if (pw != NULL && pw[0] == '\0') {
		say("empty password");
		kss_tty_drop(pw);
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
	if ((pw = new_password(c, a[0])) == NULL)
		return 1;
	e = kss_admin_user_add(&c->st, a[0], pw, c->cfg.hash_cost);
	kss_tty_drop(pw);
	if (e != KSS_OK)
		return failed(c, e, a[0], NULL);
	printf("user %s added\n", shown(c, a[0]));
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
	if ((pw = new_password(c, a[0])) == NULL)
		return 1;
	e = kss_admin_user_passwd(&c->st, a[0], pw, c->cfg.hash_cost);
	kss_tty_drop(pw);
	if (e != KSS_OK)
		return failed(c, e, a[0], NULL);
	printf("password of %s changed\n", shown(c, a[0]));
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
			    "terminal to ask)", shown(c, a[0]));
			return EXIT_USAGE;
		}
		fprintf(stderr, "Delete user %s and %zu document%s? [y/N] ",
		    shown(c, a[0]), count, count == 1 ? "" : "s");
		fflush(stderr);
		answer = kss_tty_read_line(stdin, PASSWORD_MAX);
		if (answer == NULL || (strcmp(answer, "y") != 0 &&
		    strcmp(answer, "yes") != 0)) {
			free(answer);
			say("user %s kept", shown(c, a[0]));
			return 1;
		}
		free(answer);
	}
	if ((e = kss_admin_user_del(&c->st, a[0])) != KSS_OK)
		return failed(c, e, a[0], NULL);
	printf("user %s deleted, with %zu document%s\n", shown(c, a[0]), count,
	    count == 1 ? "" : "s");
	return 0;
}

static int
c_user_list(struct ctx *c, char **a, int n)
{
	struct kss_table t = {5, {"NAME", "DOCS", "LAST SYNC", "DEVICES", "KEY"},
	    json_array()};
	char docs[32], time[32], devs[1024];
	const json_t *u, *d;
	json_t *list = NULL;
	enum kss_err e;
	size_t i, j, o;
	int unread = 0;

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
			json_array_foreach(json_object_get(u, "devices"), j, d) {
				if (o >= sizeof(devs))
					break;	/* cut: the table stays a table */
				o += (size_t)snprintf(devs + o, sizeof(devs) - o,
				    "%s%s", j > 0 ? ", " : "", json_string_value(d));
			}
			kss_table_row(&t, json_string_value(json_object_get(u,
			    "name")), err != NULL ? "?" : docs,
			    err != NULL ? err : kss_when(json_object_get(u,
			    "last_sync"), time), devs, err != NULL ? "" :
			    !json_is_true(json_object_get(u, "raw_key")) ?
			    "hashed" : c->cfg.store == KSS_STORE_FILE ?
			    "raw (original kss)" : "raw (official server)");
		}
		kss_table_print(&t, stdout);
	}
	json_array_foreach(list, i, u) {
		if (json_object_get(u, "error") != NULL)
			unread++;
	}
	json_decref(list);
	if (e == KSS_OK)
		return 0;
	if (unread > 0)
		say("%d user%s cannot be read (listed, with why)", unread,
		    unread == 1 ? "" : "s");
	else
		failed(c, e, NULL, NULL);
	return 1;
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
	struct ctx *c = ctx;

	say("%s: %s (skipped)", shown(c, path), strerror(errno));
}

/* Adds "file" and "method" to the records of list whose ids name a book
 * under dir. */
static int
resolve(struct ctx *c, json_t *list, const char *dir)
{
	json_t *wanted = json_object(), *found = NULL, *rec, *f;
	const char *id;
	size_t i;
	int rc;

	json_array_foreach(list, i, rec)
		json_object_set_new(wanted, json_string_value(json_object_get(rec,
		    "document")), json_null());
	as_root(c, true);	/* the library is the operator's */
	rc = kss_library_scan(dir, wanted, &found, library_warn, c);
	as_root(c, false);
	if (rc < 0) {
		say("library %s: %s", shown(c, dir), strerror(errno));
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
	struct kss_table t = {6, {"DOCUMENT", "PERCENT", "PROGRESS", "DEVICE",
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
	if (c->o->library != NULL && resolve(c, list, c->o->library) < 0)
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
				kss_table_row(&t, json_string_value(json_object_get(r,
				    "document")), "-", "(corrupt: does not parse)",
				    "", "", "");
				continue;
			}
			percent(json_object_get(r, "percentage"), pct);
			book(r, title, sizeof(title));
			kss_table_row(&t, f != NULL ? f : json_string_value(
			    json_object_get(r, "document")), pct,
			    json_string_value(json_object_get(r, "progress")),
			    json_string_value(json_object_get(r, "device")),
			    kss_when(json_object_get(r, "timestamp"), time), title);
		}
		kss_table_print(&t, stdout);
	}
	json_array_foreach(list, i, r) {
		if (json_is_true(json_object_get(r, "corrupt"))) {
			say("user %s: the record of %s does not parse",
			    shown(c, a[0]), shown(c, json_string_value(
			    json_object_get(r, "document"))));
			rc = 1;
		}
	}
	json_decref(list);
	return rc;
}

/* Prints "name value", each shown as a cell is (a client chose both:
 * metadata's keys too). */
static void
field(const char *name, const char *value)
{
	json_t *n = kss_cell(name), *v = kss_cell(value);

	printf("%-18s %s\n", json_string_value(n), json_string_value(v));
	json_decref(n);
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
			    json_integer_value(v), kss_when(v, time));
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
	printf("document %s of %s removed\n", shown(c, a[1]), shown(c, a[0]));
	return 0;
}

static int
c_docid(struct ctx *c, char **a, int n)
{
	struct kss_table t = {3, {"BINARY", "FILENAME", "FILE"}, json_array()};
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
			say("%s: %s", shown(c, a[i]), strerror(err));
			rc = 1;
			continue;
		}
		kss_docid_filename(a[i], name);
		json_array_append_new(out, json_pack("{s:o, s:s, s:s}", "file",
		    kss_json_text(a[i]), "binary", bin, "filename", name));
		kss_table_row(&t, bin, name, a[i]);
	}
	if (c->o->given & O_JSON) {
		print_json(out);
		json_decref(t.rows);
	} else if (json_array_size(out) > 0)
		kss_table_print(&t, stdout);
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

/* An import's or a migration's change (stdout) or problem (stderr), one
 * line; with --json, kept for the end. */
static void
change_line(void *ctx, const char *user, const char *doc, const char *what,
    bool problem)
{
	struct ctx *c = ctx;
	char who[2 * KSS_SHOWN_SIZE + 16];
	json_t *w;

	snprintf(who, sizeof(who), "%s%s%s", user != NULL ? shown(c, user) :
	    "data folder", doc != NULL ? " " : "", doc != NULL ? shown(c, doc) : "");
	if (c->o->given & O_JSON) {
		json_array_append_new(c->found, json_pack("{s:o, s:o, s:o, s:b}",
		    "user", text_or_null(user), "document", text_or_null(doc),
		    "what", kss_json_text(what), "problem", problem));
		return;
	}
	w = kss_cell(what);	/* it names files found on the disk */
	if (problem)
		say("%s: %s", who, json_string_value(w));
	else
		printf("%s%s: %s\n", c->o->given & O_DRY_RUN ? "would be: " : "",
		    who, json_string_value(w));
	json_decref(w);
}

static int
c_import(struct ctx *c, char **a, int n)
{
	struct kss_import_report r = {change_line, c};
	struct kss_import_counts k;
	json_error_t jerr;
	json_t *in;
	enum kss_err e;
	char *why = NULL;
	bool dry = c->o->given & O_DRY_RUN;

	(void)n;
	/* A record may hold what a client sent: NUL in metadata too. */
	as_root(c, true);
	in = strcmp(a[0], "-") == 0 ? json_loadf(stdin, JSON_ALLOW_NUL, &jerr) :
	    json_load_file(a[0], JSON_ALLOW_NUL, &jerr);
	as_root(c, false);
	if (in == NULL) {
		say("%s: %s (line %d)", shown(c, a[0]), jerr.text, jerr.line);
		return 1;
	}
	c->found = json_array();
	e = kss_backup_import_report(&c->st, in, dry, &k, &r, &why);
	json_decref(in);
	if (e == KSS_E_INVALID) {
		say("%s: %s; nothing imported", shown(c, a[0]),
		    why != NULL ? why : "not an export of kss");
		free(why);
		return 1;
	}
	if (c->o->given & O_JSON) {
		json_t *j = json_pack("{s:b, s:i, s:i, s:i, s:i, s:i, s:i, s:i, "
		    "s:i, s:O}", "dry_run", dry, "users_created",
		    k.users_created, "users_kept", k.users_kept, "keys_differ",
		    k.keys_differ, "users_skipped", k.users_skipped,
		    "documents_added", k.docs_added, "documents_updated",
		    k.docs_updated, "documents_kept", k.docs_kept,
		    "documents_skipped", k.docs_skipped, "changes", c->found);

		print_json(j);
		json_decref(j);
	} else {
		printf("%s%d user%s created, %d already here; %d document%s "
		    "added, %d updated, %d kept (as new here)",
		    dry ? "would be: " : "", k.users_created,
		    k.users_created == 1 ? "" : "s", k.users_kept, k.docs_added,
		    k.docs_added == 1 ? "" : "s", k.docs_updated, k.docs_kept);
		if (k.users_skipped > 0 || k.docs_skipped > 0)
			printf("; left out: %d user%s, %d document%s",
			    k.users_skipped, k.users_skipped == 1 ? "" : "s",
			    k.docs_skipped, k.docs_skipped == 1 ? "" : "s");
		putchar('\n');
	}
	/* What was left out, and why, is said above (and by the store). */
	return e == KSS_OK ? 0 : 1;
}

static int
c_migrate(struct ctx *c, char **a, int n)
{
	struct kss_migrate_report r = {change_line, c, 0, 0};
	bool dry = c->o->given & O_DRY_RUN;
	struct kss_store st = {NULL, NULL, false};
	struct stat sb;
	int rc;

	(void)n;
	if (stat(a[0], &sb) < 0) {
		say("%s: %s", shown(c, a[0]), strerror(errno));
		return 1;
	}
	if (!S_ISDIR(sb.st_mode)) {
		say("%s: not a folder", shown(c, a[0]));
		return 1;
	}
	/* In place, as the folder's owner; --to reads a folder its owner
	 * (another user) may keep from the new one's. */
	if (c->o->to == NULL && become_owner(c, a[0]) < 0)
		return 1;
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
			say("%s: cannot be read", shown(c, a[0]));
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
	json_t *p = kss_cell(path), *w = kss_cell(what);

	if (c->o->given & O_JSON)
		json_array_append_new(c->found, json_pack("{s:o, s:s, s:o}",
		    "path", kss_json_text(path), "state", check_state[state],
		    "what", kss_json_text(what)));
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
	if (c->cfg.store != KSS_STORE_FILE) {
		say("check looks at a data folder; KSS_STORE names a Redis "
		    "store (-d DIR names a folder)");
		return 1;
	}
	c->found = json_array();
	if (kss_check(&c->st, c->o->given & O_REPAIR, &r) < 0) {
		say("data folder %s: cannot be listed: %s", shown(c, c->cfg.dir),
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
parse(struct ctx *c, int argc, char **argv)
{
	struct opts *o = c->o;
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
	say("unknown option %s (see --help)", shown(c, arg));
	return -1;
}

static const char *
param(void *ctx, const char *name)
{
	const struct opts *o = ctx;

	if (o->dir != NULL && strcmp(name, "KSS_DIR") == 0)
		return o->dir;
	/* -d names a file store's folder, whatever KSS_STORE says: an
	 * export from one store piped to an import into another. */
	if (o->dir != NULL && strcmp(name, "KSS_STORE") == 0)
		return NULL;
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
	if (need == NEED_DATA && c->cfg.store == KSS_STORE_FILE &&
	    stat(c->cfg.dir, &st) < 0) {
		say("data folder %s: %s (-d DIR or KSS_DIR names another)",
		    shown(c, c->cfg.dir), strerror(errno));
		return 1;
	}
	/* A Redis store has no folder to keep readable to kss: root stays
	 * root (and reaches a unix socket only root may). */
	if (c->cfg.store != KSS_STORE_FILE)
		return kss_store_open(&c->cfg, &c->log, &c->st) == KSS_OK ?
		    0 : 1;
	if (!(c->o->given & O_REPAIR) && become_owner(c, c->cfg.dir) < 0)
		return 1;
	/* A dry run makes nothing, not even the folder or its .kss-layout:
	 * a folder not made yet stands as an empty store. A Redis store's
	 * dry run writes nothing either (kss_backup_import_report()). */
	if (need == NEED_CREATE && (c->o->given & O_DRY_RUN))
		return (stat(c->cfg.dir, &st) < 0 && errno == ENOENT ?
		    kss_store_mem_open(&c->st) : kss_store_file_look(c->cfg.dir,
		    &c->log, &c->st)) == KSS_OK ? 0 : 1;
	if (kss_store_open(&c->cfg, &c->log, &c->st) != KSS_OK)
		return 1;
	kss_store_set_fsync(&c->st, c->cfg.fsync);
	return 0;
}

/* The command argv's operands name, or NULL (said). */
static const struct cmd *
find(struct ctx *c, int *skip)
{
	const struct opts *o = c->o;
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
	say("unknown command %s%s%s (see --help)", shown(c, w1),
	    o->nargs > 1 ? " " : "", o->nargs > 1 ? shown(c, w2) : "");
	return NULL;
}

int
kss_admin_main(int argc, char **argv)
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
	if (parse(&c, argc, argv) < 0 || (cmd = find(&c, &skip)) == NULL) {
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
