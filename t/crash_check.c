/* crash_check DIR [SKIP]: what is not whole in the data folder DIR, one
 * line each, for crash.t (a jq per check would cost it minutes): a user
 * folder without an auth.json that parses, names the folder's user and
 * holds a hashed key; a record that does not parse or mixes two pushes.
 * crash.t's pushes carry one number N in every field (progress
 * "<document>:N", percentage N / 10^6, device "dev-N", device_id "id-N"),
 * so a record made of two pushes shows. Names starting with "." are
 * kss's own and skipped, as is the file SKIP. Exits 1 when something is
 * wrong, 2 when DIR cannot be read. */
#include "config.h"

#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

static int bad;

static void
wrong(const char *path, const char *why)
{
	printf("%s: %s\n", path, why);
	bad = 1;
}

static void
check_auth(const char *path, const char *user)
{
	json_t *v = json_load_file(path, 0, NULL);
	const char *u = json_string_value(json_object_get(v, "x-auth-user"));
	const char *h = json_string_value(json_object_get(v,
	    "x-auth-key-hash"));

	if (v == NULL)
		wrong(path, "does not parse");
	else if (u == NULL || strcmp(u, user) != 0)
		wrong(path, "names another user");
	else if (h == NULL || h[0] != '$')
		wrong(path, "holds no hashed key");
	json_decref(v);
}

static void
check_record(const char *path)
{
	json_t *v = json_load_file(path, 0, NULL);
	const char *doc = json_string_value(json_object_get(v, "document"));
	const char *p = json_string_value(json_object_get(v, "progress"));
	const char *n;
	char want[64];
	size_t len;

	if (v == NULL) {
		wrong(path, "does not parse");
		return;
	}
	if (doc == NULL || p == NULL || (len = strlen(doc),
	    strncmp(p, doc, len) != 0) || p[len] != ':') {
		wrong(path, "progress names another document");
		goto out;
	}
	n = p + len + 1;
	snprintf(want, sizeof(want), "dev-%s", n);
	if (!json_is_string(json_object_get(v, "device")) ||
	    strcmp(json_string_value(json_object_get(v, "device")), want))
		wrong(path, "device is another push's");
	snprintf(want, sizeof(want), "id-%s", n);
	if (!json_is_string(json_object_get(v, "device_id")) ||
	    strcmp(json_string_value(json_object_get(v, "device_id")), want))
		wrong(path, "device_id is another push's");
	snprintf(want, sizeof(want), "%.0f", json_number_value(
	    json_object_get(v, "percentage")) * 1e6);
	if (strcmp(want, n) != 0)
		wrong(path, "percentage is another push's");
	if (!json_is_integer(json_object_get(v, "timestamp")))
		wrong(path, "has no timestamp");
out:
	json_decref(v);
}

static void
check_user(const char *dir, const char *user, const char *skip)
{
	char path[4096];
	struct dirent *de;
	DIR *d;

	snprintf(path, sizeof(path), "%s/%s", dir, user);
	if ((d = opendir(path)) == NULL) {
		wrong(path, "cannot be read");
		return;
	}
	snprintf(path, sizeof(path), "%s/%s/auth.json", dir, user);
	check_auth(path, user);
	while ((de = readdir(d)) != NULL) {
		size_t n = strlen(de->d_name);

		if (de->d_name[0] == '.' || strcmp(de->d_name, "auth.json") == 0 ||
		    n < 5 || strcmp(de->d_name + n - 5, ".json") != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s/%s", dir, user, de->d_name);
		if (skip == NULL || strcmp(path, skip) != 0)
			check_record(path);
	}
	closedir(d);
}

/* Whether name in dir is a folder (not a link to one). */
static int
is_dir(const char *dir, const struct dirent *de)
{
	char path[4096];
	struct stat st;

	if (de->d_type != DT_UNKNOWN)
		return de->d_type == DT_DIR;
	snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
	return lstat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

int
main(int argc, char **argv)
{
	struct dirent *de;
	DIR *d;

	if (argc < 2 || (d = opendir(argv[1])) == NULL) {
		fprintf(stderr, "usage: crash_check DIR [SKIP]\n");
		return 2;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] != '.' && is_dir(argv[1], de))
			check_user(argv[1], de->d_name, argc > 2 ? argv[2] : NULL);
	}
	closedir(d);
	return bad;
}
