/* Failed logins counted per client address (REMOTE_ADDR), shared by every
 * process and thread of a web server, so that guessing a key from one
 * address stops after an allowance no device reaches: a login that
 * would run the KDF from an address over it is refused (429) until its
 * window ends. The count lives in a fixed-size table in the RAM folder
 * of the key cache (KSS_CACHE_DIR, rundir.h), an address by a keyed
 * digest: the table neither grows with the addresses seen nor lists
 * them. */
#ifndef KSS_THROTTLE_H
#define KSS_THROTTLE_H

#include <time.h>

#define KSS_THROTTLE_FILE "logins"	/* the table's file in the folder */

struct kss_log;
struct kss_throttle;

/* The table in folder dir (see kss_rundir_open(); data_dir is KSS_DIR).
 * Nothing is touched until first use; a folder or table that will not do
 * is said on log once, and then nothing is limited. NULL when out of
 * memory. log must outlive it. */
struct kss_throttle *kss_throttle_new(const char *dir, const char *data_dir,
    const struct kss_log *log);

void kss_throttle_free(struct kss_throttle *t);

/* Seconds addr has to wait before a login from it is checked again: 0
 * while fewer than limit logins from it failed in the window seconds
 * since the first of them. */
long kss_throttle_wait(struct kss_throttle *t, const char *addr, int limit,
    int window, time_t now);

/* Counts a failed login from addr; the one that reaches limit is said on
 * the log. */
void kss_throttle_fail(struct kss_throttle *t, const char *addr, int limit,
    int window, time_t now);

#endif
