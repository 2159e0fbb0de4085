/* kss-admin's commands on users and documents (DESIGN.md §1): the same
 * store, and so the same locks, as the server. Each listing is a JSON
 * value, which the program prints as a table or as it is (--json). The
 * operator needs no key: what the server asks of a client, kss-admin
 * asks of whoever may read and write the data folder. */
#ifndef KSS_ADMIN_H
#define KSS_ADMIN_H

#include <jansson.h>

#include "docid.h"
#include "err.h"

struct kss_store;

/* The key KOReader sends for password (protocol.md §9): the MD5 of its
 * bytes in lowercase hex, as a registration sends it. */
void kss_admin_key(const char *password, char key[KSS_DOCID_SIZE]);

/* Whether user has an account: KSS_OK (one whose credential cannot be
 * read too), KSS_E_NO_ACCOUNT, KSS_E_INVALID for a name the server would
 * refuse (valid.h), KSS_E_SERVER. */
enum kss_err kss_admin_user_exists(struct kss_store *st, const char *user);

/* Creates user with password, stored exactly as a KOReader registration
 * would be (the key, hashed at cost as lib/auth.c does), whether
 * registration is open or not. A file store's folder of that name
 * without auth.json, which blocks the name, becomes the account, keeping
 * what it holds (the store logs it). KSS_E_INVALID for a name the server
 * would refuse (valid.h), KSS_E_USER_EXISTS. */
enum kss_err kss_admin_user_add(struct kss_store *st, const char *user,
    const char *password, int cost);

/* Sets user's password, whatever it was (a forgotten one, one that
 * cannot be read); KSS_E_NO_ACCOUNT, KSS_E_INVALID. */
enum kss_err kss_admin_user_passwd(struct kss_store *st, const char *user,
    const char *password, int cost);

/* Deletes user and every record, as DELETE /users/me does, whatever the
 * credential (one that cannot be read too); KSS_E_NO_ACCOUNT,
 * KSS_E_INVALID. */
enum kss_err kss_admin_user_del(struct kss_store *st, const char *user);

/* Every user as {"name", "documents" (a count), "last_sync" (the newest
 * record's timestamp, or null), "devices" (the device names of its
 * records, sorted), "raw_key" (true while the credential is still the
 * original kss's raw key)}, sorted by name. A user that cannot be read
 * has "error" (a short reason) instead, and the call then returns
 * KSS_E_SERVER with *out still filled. */
enum kss_err kss_admin_user_list(struct kss_store *st, json_t **out);

/* user's records as kss answers a pull (kss_valid_record()), newest
 * first: each with "document", and {"document", "corrupt": true} for one
 * that is stored but does not parse. KSS_E_NO_ACCOUNT, KSS_E_INVALID. */
enum kss_err kss_admin_doc_list(struct kss_store *st, const char *user,
    json_t **out);

/* One record as kss answers it; KSS_E_NOT_FOUND when there is none,
 * KSS_E_NO_ACCOUNT, KSS_E_INVALID (user), KSS_E_DOCUMENT (doc). */
enum kss_err kss_admin_doc_show(struct kss_store *st, const char *user,
    const char *doc, json_t **out);

/* Removes one record (a corrupt one too); as kss_admin_doc_show(). */
enum kss_err kss_admin_doc_rm(struct kss_store *st, const char *user,
    const char *doc);

#endif
