/* The shared folder in RAM (rundir.h). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#ifdef __linux__
#include <linux/magic.h>
#include <sys/vfs.h>
#endif

#include <sodium.h>

#include "rundir.h"
#include "sandbox.h"

#define SECRET_LEN KSS_RUNDIR_SECRET_LEN
#define SECRET_FILE KSS_RUNDIR_SECRET_FILE
#define DEPTH_MAX 256	/* folders walked up looking for the data folder */

/* Whether the folder open as fd (whose stat is at) is the folder data or
 * inside it: a cache in the data folder would be copied with it. */
static bool
within(int fd, struct stat at, const struct stat *data)
{
	struct stat up;
	int cur = fd, next, depth;
	bool in = false;

	/* Walked up even across devices: a tmpfs may be mounted inside
	 * the data folder. O_PATH: naming a folder needs no right to read
	 * it, neither its mode's nor the sandbox's (Landlock admits the
	 * RAM folder, not those above it). */
	for (depth = 0; depth < DEPTH_MAX; depth++) {
		if (at.st_dev == data->st_dev && at.st_ino == data->st_ino) {
			in = true;
			break;
		}
		if ((next = openat(cur, "..", O_PATH | O_DIRECTORY |
		    O_CLOEXEC)) < 0)
			break;
		if (cur != fd)
			close(cur);
		cur = next;
		if (fstat(cur, &up) < 0 ||
		    (up.st_dev == at.st_dev && up.st_ino == at.st_ino))
			break;	/* the root */
		at = up;
	}
	if (cur != fd)
		close(cur);
	return in;
}

/* Why the folder open as fd will not do, or NULL when it will. */
static const char *
unfit(int fd, const char *data_dir)
{
	struct stat st, data;

	if (fstat(fd, &st) < 0)
		return strerror(errno);
	if (st.st_uid != geteuid())
		return "it belongs to another user";
	if ((st.st_mode & 077) != 0)
		return "others may use it (it must be mode 0700)";
	/* (A data folder that cannot be seen: the store said why.) */
	if (stat(data_dir, &data) == 0) {
		if (within(fd, st, &data))
			return "it is in the data folder (KSS_DIR)";
		if (st.st_dev == data.st_dev)
			return "it is on the data folder's file system "
			    "(KSS_DIR): a bind mount could put it inside";
	}
#ifdef __linux__
	{
		struct statfs fs;

		if (fstatfs(fd, &fs) < 0)
			return strerror(errno);
		/* On a disk, the secret and entries would outlive a reboot
		 * and go into backups beside KSS_DIR. */
		if (fs.f_type != TMPFS_MAGIC && fs.f_type != RAMFS_MAGIC)
			return "it is not in RAM (tmpfs or ramfs)";
	}
#endif
	return NULL;
}

static int
read_secret(int dir, uint8_t secret[SECRET_LEN])
{
	uint8_t buf[SECRET_LEN + 1];
	ssize_t n;
	int fd;

	/* Non-blocking: a FIFO put there must not hang a request. */
	if ((fd = openat(dir, SECRET_FILE, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC)) < 0)
		return -1;
	n = read(fd, buf, sizeof(buf));
	close(fd);
	if (n != SECRET_LEN) {
		sodium_memzero(buf, sizeof(buf));
		errno = n < 0 ? errno : EINVAL;
		return -1;
	}
	memcpy(secret, buf, SECRET_LEN);
	sodium_memzero(buf, sizeof(buf));
	return 0;
}

/* A temp name of this process, unique in the folder. */
static void
temp_name(char out[40])
{
	snprintf(out, 40, ".tmp.%ld.%08x", (long)getpid(),
	    (unsigned)randombytes_random());
}

int
kss_rundir_publish(int dir, const char *name, const void *p, size_t len,
    bool link)
{
	char tmp[40];
	int fd, rc = -1, err;
	ssize_t n;

	temp_name(tmp);
	if ((fd = openat(dir, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0600)) < 0)
		return -1;
	if ((n = write(fd, p, len)) == (ssize_t)len) {
		if (link)
			rc = linkat(dir, tmp, dir, name, 0);
		else
			rc = renameat(dir, tmp, dir, name);
	} else if (n >= 0)
		errno = ENOSPC;
	err = errno;
	close(fd);
	if (link || rc < 0)
		unlinkat(dir, tmp, 0);
	errno = err;
	return rc;
}

int
kss_rundir_secret(int dir, uint8_t secret[SECRET_LEN])
{
	uint8_t mine[SECRET_LEN];
	int rc;

	if (read_secret(dir, secret) == 0)
		return 0;
	if (errno != ENOENT)
		return -1;
	randombytes_buf(mine, sizeof(mine));
	rc = kss_rundir_publish(dir, SECRET_FILE, mine, sizeof(mine), true);
	sodium_memzero(mine, sizeof(mine));
	if (rc < 0 && errno != EEXIST)
		return -1;
	return read_secret(dir, secret);
}

int
kss_rundir_open(const char *dir, const char *data_dir, const char **why)
{
	int fd;

	*why = NULL;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT && (mkdir(dir, 0700) == 0 ||
	    errno == EEXIST))
		fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		*why = errno == ENOTDIR || errno == ELOOP ?
		    "it is not a folder" : errno == EACCES &&
		    kss_sandbox_confined() ? "Permission denied (kss's sandbox "
		    "admits only the folders it was started with: see Sandbox "
		    "in README)" : strerror(errno);
		return -1;
	}
	if ((*why = unfit(fd, data_dir)) != NULL) {
		close(fd);
		return -1;
	}
	return fd;
}
