/* Storage behind a small table of operations on an opaque handle, so the
 * handlers never know which backend serves them (DESIGN.md §3, §4). Every
 * operation is atomic with respect to the others on the same user. */
#ifndef KSS_STORE_H
#define KSS_STORE_H

#include <stdbool.h>
#include <sys/types.h>
#include <jansson.h>

#include "err.h"

struct kss_log;

/* What a store holds as a user's credential. */
struct kss_secret {
	char *value;	/* crypt(3) hash, or the raw key of a legacy account */
	bool hashed;
};

struct kss_store_ops {
	/* Creates user with a hashed secret; KSS_E_USER_EXISTS when taken. */
	enum kss_err (*user_create)(void *h, const char *user,
	    const char *hash);
	/* Reads user's secret (caller frees s->value); KSS_E_NO_ACCOUNT. */
	enum kss_err (*secret_get)(void *h, const char *user,
	    struct kss_secret *s);
	/* Replaces the secret with hash only if it still is old (exactly);
	 * KSS_E_UNAUTHORIZED when it changed, KSS_E_NO_ACCOUNT when gone. */
	enum kss_err (*secret_swap)(void *h, const char *user,
	    const struct kss_secret *old, const char *hash);
	/* Removes the user and all its documents, if its secret still is
	 * who (the one the caller verified); KSS_E_NO_ACCOUNT when gone,
	 * KSS_E_UNAUTHORIZED when the secret changed. */
	enum kss_err (*user_delete)(void *h, const char *user,
	    const struct kss_secret *who);
	/* Reads a document record; *rec is NULL when there is none. */
	enum kss_err (*doc_get)(void *h, const char *user, const char *doc,
	    json_t **rec);
	/* Merges rec's members into the stored record (members rec lacks
	 * keep their stored value), if user's secret still is who: a push
	 * lands in the account it was verified against, never in one
	 * deleted and registered anew meanwhile. KSS_E_NO_ACCOUNT when the
	 * user is gone, KSS_E_UNAUTHORIZED when the secret changed. */
	enum kss_err (*doc_put)(void *h, const char *user,
	    const struct kss_secret *who, const char *doc, const json_t *rec);
	/* Whether writes wait for the disk (fsync); NULL where that does
	 * not apply. */
	void (*set_fsync)(void *h, bool on);
	void (*close)(void *h);
};

struct kss_store {
	const struct kss_store_ops *ops;
	void *h;
};

struct kss_config;

/* Opens the store cfg names (today the file store at cfg->dir; the place
 * other backends plug in). Failures are logged and return KSS_E_SERVER. */
enum kss_err kss_store_open(const struct kss_config *cfg,
    const struct kss_log *log, struct kss_store *st);

/* Sets whether writes wait for the disk (KSS_FSYNC), for the requests
 * that follow. */
void kss_store_set_fsync(struct kss_store *st, bool on);

/* Opens the file store at dir, creating it 0700 when missing. Failures
 * are logged and return KSS_E_SERVER. */
enum kss_err kss_store_file_open(const char *dir, const struct kss_log *log,
    struct kss_store *st);

/* The device and inode of a file store's data directory, as opened: a
 * caller that keeps the store tells by them whether the path still names
 * it. -1 for another kind of store. */
int kss_store_file_id(const struct kss_store *st, dev_t *dev, ino_t *ino);

/* Opens an empty in-memory store (tests, fuzzing). */
enum kss_err kss_store_mem_open(struct kss_store *st);

/* Closes a store opened by one of the above (st->ops may be NULL). */
void kss_store_close(struct kss_store *st);

/* Frees a secret's value. */
void kss_secret_free(struct kss_secret *s);

#endif
