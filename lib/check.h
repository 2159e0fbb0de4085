/* kss-admin check: what is wrong in a file store's data folder, and with
 * repair, what a tool can safely mend. */
#ifndef KSS_CHECK_H
#define KSS_CHECK_H

#include <stdbool.h>

struct kss_store;

enum kss_check_state {
	KSS_CHECK_PROBLEM,	/* wrong, and left as it is */
	KSS_CHECK_FIXED,	/* was wrong, mended (repair) */
	KSS_CHECK_NOTE,		/* worth knowing, not wrong */
};

struct kss_check_report {
	/* One finding: path (under the data folder; "." for itself). */
	void (*say)(void *ctx, const char *path, const char *what,
	    enum kss_check_state state);
	void *ctx;
	int problems, fixed, notes;
};

/* Checks the data folder of the file store st: that .kss-layout says how
 * names are encoded; that each user folder holds an auth.json that
 * parses, is where kss looks for that user, and holds a hashed key (a
 * raw key of the original kss is reported); that every record parses and
 * is where kss looks for its document; that nothing else is there (a
 * folder without auth.json blocks its name for registration and login);
 * that folders are 0700 and files 0600 and belong to the data folder's
 * owner. With repair it removes the leftovers of interrupted writes
 * older than a minute (.tmp-*, .new-*, .del-*; in a user folder under
 * the user's whole lock, as a password change takes it), and sets the
 * modes (and, run as root, the owner). -1 when the folder cannot be
 * listed, else 0; r counts the findings. */
int kss_check(struct kss_store *st, bool repair, struct kss_check_report *r);

#endif
