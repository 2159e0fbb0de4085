/* kss-admin export and import: a whole store as one JSON document, and
 * back, on any store (DESIGN.md §1). The document:
 *
 *   {"kss_export": 1, "exported": <Unix seconds>,
 *    "users": [{"name": "...", "key_hash": "$y$..." | "raw_key": "...",
 *               "documents": {"<id>": <record as stored>, ...}}, ...]}
 *
 * Credentials travel as stored: a hash stays that hash (whoever has the
 * file still pays the KDF per guess), a raw key of the original kss
 * stays raw until the account's next login or kss-admin migrate. */
#ifndef KSS_BACKUP_H
#define KSS_BACKUP_H

#include <stdbool.h>
#include <jansson.h>

#include "err.h"

struct kss_store;

#define KSS_EXPORT_VERSION 1

/* The whole store. A user or record that cannot be read is left out
 * (the store logs it) and the call returns KSS_E_SERVER with *out
 * holding the rest; a corrupt record (doc_list's null) is left out too. */
enum kss_err kss_backup_export(struct kss_store *st, json_t **out);

/* What an import did, or would do (dry_run). */
struct kss_import_counts {
	int users_created;
	int users_kept;		/* there already; their credential stays */
	int keys_differ;	/* of those, holding another credential */
	int users_skipped;	/* not imported (said), nor their records */
	int docs_added, docs_updated, docs_kept;
	int docs_skipped;	/* not imported (said), a skipped user's too */
};

/* What an import tells, one call per change made (or, dry_run, to make)
 * and per thing it leaves out (problem): user (the name the file gives,
 * or "(users[N])" where it gives none), document (NULL for the
 * account), and what. */
struct kss_import_report {
	void (*say)(void *ctx, const char *user, const char *doc,
	    const char *what, bool problem);
	void *ctx;
};

/* Imports the export in. A document that is not an export (no
 * "kss_export", another version, no "users" list) is refused whole with
 * KSS_E_INVALID, nothing changed, and *why (a malloc'd line) says what.
 * Else each user and each record is judged on its own: one kss could not
 * take (a name or document id kss refuses, no credential kss can verify,
 * a record that is no object or larger than the store reads) is left out
 * and told, and the rest is imported. Each user is created when missing,
 * with its credential as stored; a user already there keeps its own.
 * Each record is stored as kss answers it (kss_valid_record()), strings
 * of any length as the original kss stored them, unless the one stored
 * is at least as new (doc_put_newer): importing twice changes nothing.
 * With dry_run nothing is written, and what would be done is told.
 * KSS_E_SERVER when something was left out (a write that failed is
 * logged by the store too). r may be NULL. */
enum kss_err kss_backup_import_report(struct kss_store *st, const json_t *in,
    bool dry_run, struct kss_import_counts *n,
    const struct kss_import_report *r, char **why);

#endif
