/* Replays every file of a fuzz target's corpus (fuzz_corpus, a folder of
 * t/) through the target's fuzz_check(), one TAP line each; built once per
 * target. A seed named NAME.A or NAME.A-B must get what those numbers
 * say, which is the target's to tell (fuzz_serve.c: the HTTP status and
 * KOReader error code, push.200, push-no-progress.403-2003); any file,
 * the hash-named ones libFuzzer adds included, must pass the target's
 * invariants. A crash or a sanitizer report fails it too. */
#include "config.h"

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "tap.h"

/* Reads path into a malloc'd buffer; NULL on error. */
static unsigned char *
slurp(const char *path, size_t *size)
{
	unsigned char *buf;
	FILE *f;
	long n;

	if ((f = fopen(path, "rb")) == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) ||
	    (buf = malloc((size_t)n + 1)) == NULL) {
		fclose(f);
		return NULL;
	}
	if (fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		fclose(f);
		return NULL;
	}
	fclose(f);
	*size = (size_t)n;
	return buf;
}

/* Parses the expectation in a seed's name: after the last '.', a number
 * from 200 to 599 and an optional "-number". Returns 0 when there is none,
 * 1 when there is one, -1 when the name has a '.' but no valid
 * expectation. */
static int
expected(const char *name, int *a, long *b)
{
	const char *dot = strrchr(name, '.');
	char *end;

	*a = 0;
	*b = 0;
	if (dot == NULL)
		return 0;
	*a = (int)strtol(dot + 1, &end, 10);
	if (*a < 200 || *a > 599)
		return -1;
	if (*end == '-')
		*b = strtol(end + 1, &end, 10);
	return *end == '\0' ? 1 : -1;
}

static void
replay(const char *dir, const char *name)
{
	char path[8192], what[1024];
	unsigned char *buf;
	size_t size = 0;
	int a, rc;
	long b;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (expected(name, &a, &b) < 0) {
		ok(0, "%s %s: the name says NAME.A[-B]", fuzz_corpus, name);
		return;
	}
	if ((buf = slurp(path, &size)) == NULL) {
		ok(0, "%s %s read", fuzz_corpus, name);
		return;
	}
	what[0] = '\0';
	if ((rc = fuzz_check(buf, size, a, b, what, sizeof(what))) < 0)
		ok(0, "%s %s run", fuzz_corpus, name);
	else
		ok(rc, "%s %s %s", fuzz_corpus, name, what);
	free(buf);
}

static int
by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int
main(int argc, char *argv[])
{
	const char *src = getenv("T_SRCDIR");
	char dir[4096], *names[4096];
	struct dirent *de;
	size_t n = 0, i;
	DIR *d;

	snprintf(dir, sizeof(dir), "%s/%s", argc > 1 ? argv[1] :
	    src != NULL ? src : "t", fuzz_corpus);
	if ((d = opendir(dir)) == NULL) {
		printf("1..0 # SKIP no corpus at %s\n", dir);
		return 0;
	}
	while ((de = readdir(d)) != NULL && n < 4096) {
		if (de->d_name[0] != '.')
			names[n++] = strdup(de->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof(names[0]), by_name);
	for (i = 0; i < n; i++) {
		replay(dir, names[i]);
		free(names[i]);
	}
	return tap_done();
}
