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

/* A kss_log for tests: the last line written, and how many. */
static char logged[512] __attribute__((unused));
static int logged_lines __attribute__((unused));

static inline void
keep_log(void *ctx, const char *line)
{
	(void)ctx;
	logged_lines++;
	snprintf(logged, sizeof(logged), "%s", line);
}

/* base/rel, in one of four buffers used in turn (so a call may take
 * several). */
static inline const char *
at(const char *base, const char *rel)
{
	static char buf[4][512];
	static int n;

	n = (n + 1) % 4;
	snprintf(buf[n], sizeof(buf[n]), "%.250s/%.250s", base, rel);
	return buf[n];
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
