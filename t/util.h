/* Small helpers the C tests share: header-only, as tap.h. */
#ifndef KSS_TEST_UTIL_H
#define KSS_TEST_UTIL_H

#include <dirent.h>
#include <stdio.h>

/* Open file descriptors of this process, or -1. */
static inline int
count_fds(void)
{
	struct dirent *de;
	DIR *d;
	int n = 0;

	if ((d = opendir("/proc/self/fd")) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL)
		n += de->d_name[0] != '.';
	closedir(d);
	return n - 1;	/* less opendir's own */
}

/* Writes text as the whole of the file path (a test's fixture). */
static inline void
put_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (f != NULL) {
		fputs(text, f);
		fclose(f);
	}
}

#endif
