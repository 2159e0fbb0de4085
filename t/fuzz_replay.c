/* Replays every file of the fuzz corpus (t/corpus/) through the fuzz
 * target, one TAP line each. A seed named NAME.STATUS or NAME.STATUS-CODE
 * (push.200, push-no-progress.403-2003) must get exactly that HTTP status
 * and, when given, that KOReader error code in the body; any other file
 * (the hash-named ones libFuzzer adds) must get a JSON object. A crash or
 * a sanitizer report fails it too. */
#include "config.h"

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "fuzz_serve.h"
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

/* The code member of an error body, or 0. */
static long
body_code(const struct kss_response *resp)
{
	json_t *v = json_loadb(resp->body, resp->len, JSON_ALLOW_NUL, NULL);
	long code = (long)json_integer_value(json_object_get(v, "code"));

	json_decref(v);
	return code;
}

/* Parses the expectation in a seed's name: after the last '.', a status
 * and an optional "-code". Returns 0 when there is none, 1 when there is
 * one, -1 when the name has a '.' but no valid expectation. */
static int
expected(const char *name, int *status, long *code)
{
	const char *dot = strrchr(name, '.');
	char *end;

	*status = 0;
	*code = 0;
	if (dot == NULL)
		return 0;
	*status = (int)strtol(dot + 1, &end, 10);
	if (*status < 200 || *status > 599)
		return -1;
	if (*end == '-')
		*code = strtol(end + 1, &end, 10);
	return *end == '\0' ? 1 : -1;
}

static void
replay(const char *dir, const char *name)
{
	char path[8192];
	struct kss_response resp;
	unsigned char *buf;
	size_t size = 0;
	int want, status;
	long code;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((want = expected(name, &status, &code)) < 0) {
		ok(0, "corpus %s: the name says NAME.STATUS[-CODE]", name);
		return;
	}
	if ((buf = slurp(path, &size)) == NULL) {
		ok(0, "corpus %s read", name);
		return;
	}
	if (fuzz_serve(buf, size, &resp) < 0) {
		ok(0, "corpus %s served", name);
		free(buf);
		return;
	}
	if (!fuzz_answer_ok(&resp))
		ok(0, "corpus %s answered with a JSON object (%d %s)", name,
		    resp.status, resp.body ? resp.body : "(null)");
	else if (want && (resp.status != status ||
	    (code != 0 && body_code(&resp) != code)))
		ok(0, "corpus %s got %d %s, not the %d%s%.0ld named", name,
		    resp.status, resp.body, status, code != 0 ? "-" : "", code);
	else
		ok(1, "corpus %s answered %d %s", name, resp.status,
		    resp.body);
	kss_response_free(&resp);
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

	snprintf(dir, sizeof(dir), "%s/corpus", argc > 1 ? argv[1] :
	    src != NULL ? src : "t");
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
