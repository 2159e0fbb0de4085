#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "docid.h"
#include "library.h"
#include "table.h"

/* Deeper than any library; a limit all the same. */
#define DEPTH_MAX 64
#define PATH_SIZE 4096

struct scan {
	const json_t *wanted;
	json_t *found;
	void (*warn)(void *ctx, const char *path);
	void *ctx;
	char path[PATH_SIZE];	/* of the current entry, under dir */
};

static void
warn(struct scan *sc)
{
	int saved = errno;

	if (sc->warn != NULL)
		sc->warn(sc->ctx, sc->path);
	errno = saved;
}

/* Records path as id's file, unless a match as good is there already. */
static int
match(struct scan *sc, const char *id, const char *method)
{
	const json_t *had;

	if (json_object_get(sc->wanted, id) == NULL)
		return 0;
	had = json_object_get(sc->found, id);
	if (had != NULL && (strcmp(method, "filename") == 0 ||
	    strcmp(json_string_value(json_object_get(had, "method")),
	    "binary") == 0))
		return 0;
	/* A file name need not be UTF-8; a JSON string must. */
	return json_object_set_new(sc->found, id, json_pack("{s:o, s:s}",
	    "file", kss_json_text(sc->path), "method", method));
}

static int
file(struct scan *sc, int fd)
{
	char id[KSS_DOCID_SIZE];

	kss_docid_filename(sc->path, id);
	if (match(sc, id, "filename") < 0)
		return -1;
	if (kss_docid_binary(fd, id) < 0) {
		warn(sc);
		return 0;
	}
	return match(sc, id, "binary");
}

static int
folder(struct scan *sc, int dfd, size_t len, int depth)
{
	struct dirent *de;
	struct stat st;
	DIR *d;
	int fd, rc = 0;

	if ((d = fdopendir(dfd)) == NULL) {
		close(dfd);
		warn(sc);
		return 0;
	}
	while (rc == 0 && (de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if ((size_t)snprintf(sc->path + len, PATH_SIZE - len, "%s%s",
		    len > 0 ? "/" : "", de->d_name) >= PATH_SIZE - len)
			continue;	/* a path no file system holds */
		/* Only files and folders are opened (a device in the library
		 * is left alone); O_NONBLOCK: a FIFO put in a file's place
		 * meanwhile must not hang the scan. */
		if (fstatat(dirfd(d), de->d_name, &st, 0) < 0) {
			warn(sc);
		} else if (S_ISREG(st.st_mode)) {
			if ((fd = openat(dirfd(d), de->d_name, O_RDONLY |
			    O_NONBLOCK | O_CLOEXEC)) < 0) {
				warn(sc);
			} else {
				rc = file(sc, fd);
				close(fd);
			}
		} else if (S_ISDIR(st.st_mode) && depth < DEPTH_MAX) {
			if ((fd = openat(dirfd(d), de->d_name, O_RDONLY |
			    O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) >= 0)
				rc = folder(sc, fd, strlen(sc->path), depth + 1);
			else if (errno != ELOOP && errno != ENOTDIR)
				warn(sc);	/* not a link to a folder */
		}
		sc->path[len] = '\0';
	}
	closedir(d);
	return rc;
}

int
kss_library_scan(const char *dir, const json_t *wanted, json_t **found,
    void (*warnf)(void *ctx, const char *path), void *ctx)
{
	struct scan sc = {wanted, NULL, warnf, ctx, ""};
	int fd, rc;

	if ((sc.found = json_object()) == NULL)
		return -1;
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		json_decref(sc.found);
		return -1;
	}
	if ((rc = folder(&sc, fd, 0, 0)) < 0) {
		json_decref(sc.found);
		return -1;
	}
	*found = sc.found;
	return 0;
}
