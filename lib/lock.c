#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <unistd.h>

#include "lock.h"

/* An open file description's lock (F_OFD_SETLKW) rather than the
 * process's: each thread opens the file itself, and a process lock would
 * let them all in at once. The two kinds exclude each other, so a process
 * that still takes process locks is waited for. A kernel without OFD
 * locks gets those (kss.fcgi then runs one thread, kss_lock_ofd()); where
 * the kernel has them but a file system refuses them (EINVAL), a process
 * lock could let another thread in, so that is an error, not a fallback. */
int
kss_lock_range(int fd, short type, off_t start, off_t len)
{
	struct flock fl = {.l_type = type, .l_whence = SEEK_SET,
	    .l_start = start, .l_len = len};
	int cmd = F_SETLKW;

#ifdef F_OFD_SETLKW
	cmd = F_OFD_SETLKW;
#endif
	while (fcntl(fd, cmd, &fl) < 0) {
		if (errno == EINTR)
			continue;
		if (errno != EINVAL || cmd == F_SETLKW)
			return -1;
		if (kss_lock_ofd()) {
			errno = ENOLCK;	/* "no locks available" here */
			return -1;
		}
		cmd = F_SETLKW;
		fl.l_pid = 0;
	}
	return 0;
}

/* Probed once for the process: the kernel does not change under it, and
 * the probe's memfd_create() is not among the calls the sandbox allows
 * (kss_server_new() asks before it is entered). */
bool
kss_lock_ofd(void)
{
#if defined(F_OFD_GETLK) && defined(MFD_CLOEXEC)
	static atomic_int known;	/* 0 not yet, 1 yes, 2 no */
	struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
	int fd, k;
	bool ok;

	if ((k = atomic_load(&known)) != 0)
		return k == 1;
	/* A probe that cannot be made counts as a no, kept like a yes: asked
	 * again later, it would be made inside the sandbox, which kills it.
	 * The answer at start also decided how many threads serve. */
	if ((fd = memfd_create("kss-lock-probe", MFD_CLOEXEC)) < 0) {
		atomic_store(&known, 2);
		return false;
	}
	ok = fcntl(fd, F_OFD_GETLK, &fl) == 0;
	close(fd);
	atomic_store(&known, ok ? 1 : 2);
	return ok;
#else
	return false;
#endif
}
