#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dirmode.h"
#include "log.h"

void
kss_dirmode_check(int fd, const char *dir, const struct kss_log *log)
{
	struct stat st;
	unsigned mode;
	int err;

	if (fd < 0 || fstat(fd, &st) < 0)
		return;
	mode = (unsigned)st.st_mode & 07777;
	if ((mode & 077) == 0)
		return;
	/* err 0: not kss's to change. */
	if (st.st_uid != geteuid()) {
		if ((mode & 007) == 0)
			return;
		err = 0;
	} else if (fchmod(fd, mode & 07700) == 0) {
		/* Whoever chose the old mode learns where it went: the mode
		 * it has, read again (the kernel drops the setgid bit when
		 * kss's user is not in the folder's group). */
		kss_logf(log, "data folder %s was %04o, open to other users: "
		    "made it %04o (README, Deploying)", dir, mode,
		    fstat(fd, &st) == 0 ? (unsigned)st.st_mode & 07777 :
		    mode & 07700);
		return;
	} else
		err = errno;
	kss_logf(log, "data folder %s is %04o: other users can see who has "
	    "an account there; make it 0700, owned by kss's user (%s)", dir,
	    mode, err == 0 ? "kss's user does not own it" : strerror(err));
}
