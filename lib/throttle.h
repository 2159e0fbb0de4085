/* Failed logins counted per client address (REMOTE_ADDR), shared by every
 * process and thread of a web server, so that guessing a key from one
 * address stops after an allowance no device reaches: every login from
 * an address over it is refused (429) until its window ends. The count
 * lives in a fixed-size table in the RAM folder of the key cache
 * (KSS_CACHE_DIR, rundir.h), an address by a keyed digest (IPv6 by its
 * /64, which one host holds whole): the table neither grows with the
 * addresses seen nor lists them. */
#ifndef KSS_THROTTLE_H
#define KSS_THROTTLE_H

#include <stdbool.h>
#include <time.h>

#define KSS_THROTTLE_FILE "logins"	/* the table's file in the folder */
#define KSS_THROTTLE_RETRY 60	/* seconds before a folder that would not
				 * do is tried again */

struct kss_log;
struct kss_throttle;

/* The table in folder dir (see kss_rundir_open(); data_dir is KSS_DIR).
 * Nothing is touched until first use; a folder or table that will not do
 * is said on log, and nothing is limited until it is tried again after
 * KSS_THROTTLE_RETRY seconds. NULL when out of memory. log must outlive
 * it. */
struct kss_throttle *kss_throttle_new(const char *dir, const char *data_dir,
    const struct kss_log *log);

void kss_throttle_free(struct kss_throttle *t);

/* Seconds addr has to wait before a login from it is taken: 0 while
 * fewer than limit logins from it failed within window seconds of the
 * first of them. A look at shared memory, with no system call: every
 * login asks. */
long kss_throttle_wait(struct kss_throttle *t, const char *addr, int limit,
    int window, time_t now);

/* Before a login from addr that runs the KDF: counts it as failed in
 * advance, so that logins in flight together cannot pass the limit, and
 * returns 0; or, when addr is at its limit, counts nothing and returns
 * the seconds to wait. */
long kss_throttle_begin(struct kss_throttle *t, const char *addr, int limit,
    int window, time_t now);

/* After that login: a success takes its count back; the failure that
 * reaches the limit is said on the log, once per window. */
void kss_throttle_end(struct kss_throttle *t, const char *addr, bool ok,
    int limit, int window, time_t now);

#endif
