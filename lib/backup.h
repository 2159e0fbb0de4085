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
	int docs_added, docs_updated, docs_kept;
};

/* Checks the whole of in first: a document that is not an export kss
 * reads is refused with KSS_E_INVALID, nothing changed, and *why (a
 * malloc'd line naming the place) says what. Then each user is created
 * when missing, with its credential as stored; a user already there
 * keeps its own. Each record is stored as kss answers it
 * (kss_valid_record()) unless the one stored is at least as new
 * (doc_put_newer): importing twice changes nothing. Each change (or,
 * with dry_run, each change it would make and does not) is told to
 * change (may be NULL) as user, document (NULL for the account) and
 * what. KSS_E_SERVER (logged) when a write failed; the import goes on
 * with the other users. */
enum kss_err kss_backup_import(struct kss_store *st, const json_t *in,
    bool dry_run, struct kss_import_counts *n,
    void (*change)(void *ctx, const char *user, const char *doc,
	const char *what), void *ctx, char **why);

#endif
