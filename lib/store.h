/* Storage behind a small table of operations on an opaque handle, so the
 * handlers never know which backend serves them (DESIGN.md §3, §4). Every
 * operation is atomic with respect to the others on the same user. */
#ifndef KSS_STORE_H
#define KSS_STORE_H

#include <stdbool.h>
#include <sys/types.h>
#include <jansson.h>

#include "err.h"
#include "fsname.h"

struct kss_log;
struct stat;

/* What a store holds as a user's credential. */
struct kss_secret {
	char *value;	/* crypt(3) hash, or the raw key of a legacy account */
	bool hashed;
};

struct kss_store_ops {
	/* Creates a new account (a registration, kss-admin user add) with a
	 * hashed secret, or the raw key where the store keeps raw keys
	 * (raw_keys); KSS_E_USER_EXISTS when taken. */
	enum kss_err (*user_create)(void *h, const char *user,
	    const char *hash);
	/* Reads user's secret (caller frees s->value); KSS_E_NO_ACCOUNT. */
	enum kss_err (*secret_get)(void *h, const char *user,
	    struct kss_secret *s);
	/* Replaces the secret with hash only if it still is old (exactly);
	 * KSS_E_UNAUTHORIZED when it changed, KSS_E_NO_ACCOUNT when gone.
	 * (A store with raw_keys is given the new raw key as hash: only the
	 * Redis store, whose values say what they are, is so.) */
	enum kss_err (*secret_swap)(void *h, const char *user,
	    const struct kss_secret *old, const char *hash);
	/* Removes the user and all its documents, if its secret still is
	 * who (the one the caller verified); KSS_E_NO_ACCOUNT when gone,
	 * KSS_E_UNAUTHORIZED when the secret changed. who NULL: whatever
	 * the secret, even one that cannot be read (the operator's delete,
	 * kss-admin user del). */
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

	/* What kss-admin needs besides the server: the whole store, and
	 * changes made by the operator, who needs no key. */

	/* Every user the store serves, by name: *users is a new JSON array
	 * of strings, sorted bytewise. KSS_E_SERVER when an account could
	 * not be read (logged), with *users still holding all the others,
	 * and that one too where its name is known (a file store's folder
	 * where the store looks for that name). */
	enum kss_err (*user_list)(void *h, json_t **users);
	/* Every record of user: *docs is a new JSON object, document id →
	 * record, with null for a record stored but unreadable (corrupt;
	 * logged). KSS_E_NO_ACCOUNT when user has none. The records of an
	 * account whose credential cannot be read are listed too. */
	enum kss_err (*doc_list)(void *h, const char *user, json_t **docs);
	/* Removes doc's record, atomically with respect to pushes of it;
	 * KSS_E_NOT_FOUND when there is none, KSS_E_NO_ACCOUNT. A record
	 * stored but unreadable is removed too, and one of an account whose
	 * credential cannot be read. */
	enum kss_err (*doc_delete)(void *h, const char *user, const char *doc);
	/* Creates user with s as the credential, as it is (a hash, or a raw
	 * key of the original kss: an import keeps what it was given);
	 * KSS_E_USER_EXISTS when taken. */
	enum kss_err (*user_create_secret)(void *h, const char *user,
	    const struct kss_secret *s);
	/* Replaces user's credential with s, whatever it was (a forgotten
	 * password, or one that cannot be read); KSS_E_NO_ACCOUNT. */
	enum kss_err (*secret_set)(void *h, const char *user,
	    const struct kss_secret *s);
	/* Merges rec into doc's record as doc_put does, in one atomic step
	 * with the check, only when the stored record's "timestamp" is older
	 * than rec's, or there is no readable record: an import, where the
	 * newer of two records wins and a second import changes nothing.
	 * *changed says whether it wrote. KSS_E_NO_ACCOUNT. */
	enum kss_err (*doc_put_newer)(void *h, const char *user,
	    const char *doc, const json_t *rec, bool *changed);

	/* Optional (NULL: the caller asks secret_get() then doc_get()):
	 * both at once, for a store whose every call is a round trip to a
	 * server. *rec is read whatever the secret is; the caller shows it
	 * only once the secret admits the request. */
	enum kss_err (*secret_doc_get)(void *h, const char *user,
	    const char *doc, struct kss_secret *s, json_t **rec);
	/* Optional: the secret this store last read for user, without
	 * asking anyone; it may have changed since, so it serves only a
	 * write that checks it again (doc_put's who). KSS_E_NO_ACCOUNT
	 * when none is remembered. */
	enum kss_err (*secret_recall)(void *h, const char *user,
	    struct kss_secret *s);

	/* Whether writes wait for the disk (fsync); NULL where that does
	 * not apply. */
	void (*set_fsync)(void *h, bool on);
	void (*close)(void *h);
};

struct kss_store {
	const struct kss_store_ops *ops;
	void *h;
	/* KSS_REDIS_RAW_KEYS: new credentials are stored as clients send
	 * them and raw ones are left so, for an official server sharing
	 * the database (auth.c, users.c). */
	bool raw_keys;
};

struct kss_config;

/* Opens the store cfg names: the file store at cfg->dir, or the Redis
 * store of KSS_STORE (with raw_keys as cfg says). Failures are logged and
 * return KSS_E_SERVER; a Redis server that cannot be reached is no
 * failure here, but one of each operation (KSS_E_STORE_DOWN). */
enum kss_err kss_store_open(const struct kss_config *cfg,
    const struct kss_log *log, struct kss_store *st);

/* Sets whether writes wait for the disk (KSS_FSYNC), for the requests
 * that follow. */
void kss_store_set_fsync(struct kss_store *st, bool on);

/* The largest file the file store reads (a record, an auth.json): it
 * writes none larger, and an import takes no larger record. */
#define KSS_STORE_FILE_MAX (1024 * 1024)

/* Opens the file store at dir, creating it 0700 when missing. Failures
 * are logged and return KSS_E_SERVER. */
enum kss_err kss_store_file_open(const char *dir, const struct kss_log *log,
    struct kss_store *st);

/* Opens the file store at dir to read only (kss-admin's dry runs): it
 * makes nothing, not even dir or its .kss-layout (a folder without one
 * reads in the original kss's names), and refuses every write. Failures
 * are logged and return KSS_E_SERVER. */
enum kss_err kss_store_file_look(const char *dir, const struct kss_log *log,
    struct kss_store *st);

/* The device and inode of a file store's data directory, as opened: a
 * caller that keeps the store tells by them whether the path still names
 * it. -1 for another kind of store. */
int kss_store_file_id(const struct kss_store *st, dev_t *dev, ino_t *ino);

/* For the tools that work on a file store's folder itself (kss-admin
 * check and migrate), which must name, lock and write files as the store
 * does. Each fails (-1, errno EINVAL) for another kind of store. */

/* The names of a user folder (DESIGN.md §3), and its auth.json's keys. */
#define KSS_STORE_AUTH_FILE "auth.json"		/* the credential */
#define KSS_STORE_LOCK_FILE ".lock"		/* locked for every write */
#define KSS_STORE_KEY_USER "x-auth-user"	/* the user's real name */
#define KSS_STORE_KEY_RAW "x-auth-key"		/* the original kss: the key */
#define KSS_STORE_KEY_HASH "x-auth-key-hash"	/* kss: crypt(3) of the key */

/* A leftover of an interrupted write (.tmp-, .new-, .del-) this many
 * seconds old is no live write's: those take milliseconds. */
#define KSS_STORE_LEFTOVER_AGE 60

/* Renames from to to in dir unless to exists (EEXIST, or ENOTEMPTY for a
 * folder): RENAME_NOREPLACE where the kernel has it, else rename(2),
 * which replaces only an empty folder, and every user folder holds
 * auth.json. 0, or -1 with errno. */
int kss_store_file_rename_noreplace(int dir, const char *from, const char *to);

/* The data directory's open fd. */
int kss_store_file_root(const struct kss_store *st);

/* kss_fsname() of name in this folder's layout (.kss-layout); -1 when
 * the layout is unknown (the store then writes nothing). */
int kss_store_file_name(const struct kss_store *st, const char *name,
    enum kss_fsname_kind kind, char out[KSS_FSNAME_SIZE]);

/* Opens the user folder folder (a file name in the data directory) as
 * *dir and takes its whole lock, as a password change or a delete does:
 * no push of that folder runs until *lock is closed. -1 with errno;
 * ENOENT also when the folder was moved away while this waited. */
int kss_store_file_lock(const struct kss_store *st, const char *folder,
    int *dir, int *lock);

/* Removes the data directory's leftover name (.new-, .del-, .tmp-; sb
 * its lstat) as registrations and deletes sweep them: a .new- folder is
 * first claimed under a name of the store's own, so that a registration
 * stalled that long fails its rename rather than lose its auth.json. 1
 * when removed, 0 when gone meanwhile, -1 with errno. */
int kss_store_file_remove_leftover(const struct kss_store *st,
    const char *name, const struct stat *sb);

/* Makes the folder where the store looks for user, which holds no
 * auth.json (no account, yet its name blocked for registration and
 * login: kss-admin check), user's account holding s, under the folder's
 * whole lock; whatever the folder holds stays. 1 when made (logged, with
 * the number of files kept), 0 when there is no such folder, or it holds
 * an auth.json by now; -1 (logged) when it cannot be made. */
int kss_store_file_adopt(const struct kss_store *st, const char *user,
    const struct kss_secret *s);

/* The user whose account the folder is, as the store finds it by that
 * user's name (the name its auth.json gives, else the folder's decoded):
 * 1 with user filled, 0 when the store would not find it so (no
 * auth.json, a name kss stores elsewhere), -1 when auth.json cannot be
 * read (logged). */
int kss_store_file_owner(const struct kss_store *st, const char *folder,
    char user[KSS_FSNAME_SIZE]);

/* Sets the mode (and, uid not (uid_t)-1, the owner) of the entry name of
 * the folder dir, or of dir itself (name NULL), that sb (its lstat) saw:
 * through an fd opened without following a link, and only while it is
 * that same folder or file (device and inode), and a file with no other
 * name (a hard link's other name may be outside the data folder). A link
 * put at the path after the look is thus never followed. 0, or -1 with
 * errno: ELOOP a link is there now, ESTALE another entry, EMLINK a file
 * with other names, else the open's or the change's. */
int kss_store_file_mend(int dir, const char *name, const struct stat *sb,
    mode_t mode, uid_t uid);

/* Reads the JSON file name in dir as the store does (no link followed,
 * no FIFO waited on, at most 1 MiB): NULL with errno ENOENT when it is
 * missing, EINVAL when it does not parse, else the read's error. */
json_t *kss_store_file_read(int dir, const char *name);

/* Replaces name in the user folder dir with v as the store does (temp
 * file, fsync, rename, fsync of the folder); the caller holds the
 * folder's whole lock. 0, or -1 (logged). */
int kss_store_file_write(const struct kss_store *st, int dir,
    const char *name, const json_t *v);

/* fsync() of dir, unless KSS_FSYNC=false. */
int kss_store_file_sync(const struct kss_store *st, int dir);

struct kss_redis_url;

/* Opens the Redis store at u (configure --with-redis; redis_url.h): no
 * connection is made yet. Failures are logged and return KSS_E_SERVER. */
enum kss_err kss_store_redis_open(const struct kss_redis_url *u,
    const struct kss_log *log, struct kss_store *st);

/* Opens an empty in-memory store (tests, fuzzing). */
enum kss_err kss_store_mem_open(struct kss_store *st);

/* Closes a store opened by one of the above (st->ops may be NULL). */
void kss_store_close(struct kss_store *st);

/* A record's "timestamp" as a number: 0 when it has none (a record
 * the original kss wrote without one), or -1 when rec is NULL. Which of
 * two records is newer (doc_put_newer) is decided by this. */
double kss_store_timestamp(const json_t *rec);

/* Frees a secret's value. */
void kss_secret_free(struct kss_secret *s);

#endif
