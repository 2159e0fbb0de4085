/* Byte-range locks that belong to an open file, not to a process, so that
 * the threads of one FastCGI process (KSS_THREADS) exclude each other as
 * processes do: the file store's per-user locks, the count of failed
 * logins. */
#ifndef KSS_LOCK_H
#define KSS_LOCK_H

#include <stdbool.h>
#include <sys/types.h>

/* Waits for a lock of type (F_RDLCK, F_WRLCK; F_UNLCK releases) on len
 * bytes (0: to the end) of fd from start. 0, or -1 with errno. */
int kss_lock_range(int fd, short type, off_t start, off_t len);

/* Whether the kernel has open file description locks (Linux 3.15; the
 * probe needs memfd_create(), 3.17): only then may threads of one
 * process each take locks. */
bool kss_lock_ofd(void);

#endif
