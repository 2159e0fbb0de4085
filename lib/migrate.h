/* kss-admin migrate: a data folder of the original Python kss brought
 * into kss's layout, in place or copied to a new folder. The original
 * kss named a user's folder and a record's file by the name itself
 * ("bob.smith", "a.b.json"), where kss encodes every byte but
 * [A-Za-z0-9_-] (fsname.h), and kept each key raw. Migrating renames
 * what kss would look for elsewhere, hashes raw keys at once (the key is
 * known: no need to wait for a login), and makes folders 0700 and files
 * 0600. Running it again changes nothing. */
#ifndef KSS_MIGRATE_H
#define KSS_MIGRATE_H

#include <stdbool.h>

struct kss_store;

/* What migrate says, one call per change made (or, dry_run, to make) or
 * per problem (something left alone): user (NULL for the folder
 * itself), document (NULL for the account), and what. */
struct kss_migrate_report {
	void (*say)(void *ctx, const char *user, const char *doc,
	    const char *what, bool problem);
	void *ctx;
	int changes, problems;
};

/* Migrates the data folder st (a file store opened on it) in place,
 * each user folder under its whole lock, as a password change takes it,
 * so that kss may serve the folder meanwhile. cost: the yescrypt cost of
 * the hashes it makes. 0, or -1 when the folder cannot be listed. */
int kss_migrate_in_place(struct kss_store *st, int cost, bool dry_run,
    struct kss_migrate_report *r);

/* Copies the data folder dir (read only, left as it is) into the store
 * to, as an import does: users missing there are created, with raw keys
 * hashed; records newer than the ones there are stored. With dry_run,
 * to may be an empty memory store standing for a folder not made yet.
 * 0, or -1 when dir cannot be listed. */
int kss_migrate_copy(const char *dir, struct kss_store *to, int cost,
    bool dry_run, struct kss_migrate_report *r);

#endif
