/* Unit tests: what a process keeps between requests (struct kss_server):
 * one open store per data directory, reused, logging to the request at
 * hand, reopened when the directory is replaced; nothing kept for CGI. */
#include "config.h"

#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "dirmode.h"
#include "fakeio.h"
#include "kss.h"
#include "tap.h"
#include "util.h"

static char root[] = "/tmp/kss-server-XXXXXX";
static char shm[] = "/dev/shm/kss-server-XXXXXX";	/* the CGI key cache's */

/* Settings every call adds: the key cache's folder, and one more. */
static char cachevar[100] = "KSS_CACHE_DIR=/nonexistent";
static const char *extra = "X_NOTHING=1";

/* One request to s on data folder dir; f keeps its log. */
static int
call(struct kss_server *s, struct fake *f, const char *dir,
    const char *method, const char *path, const char *body)
{
	char d[300], m[40], p[200], cl[40];
	const char *vars[] = {d, m, p, cl, "KSS_HASH_COST=1",
	    "HTTP_X_AUTH_USER=ann", "HTTP_X_AUTH_KEY=annkey", cachevar, extra,
	    NULL};
	struct kss_response resp;
	struct kss_io io;
	int status;

	snprintf(d, sizeof(d), "KSS_DIR=%s/%s", root, dir);
	snprintf(m, sizeof(m), "REQUEST_METHOD=%s", method);
	snprintf(p, sizeof(p), "PATH_INFO=%s", path);
	snprintf(cl, sizeof(cl), "CONTENT_LENGTH=%zu", body ? strlen(body) : 0);
	io = fake_io(f, vars, body);
	kss_serve(s, &io, &resp);
	status = resp.status;
	kss_response_free(&resp);
	return status;
}

static const char reg[] = "{\"username\":\"ann\",\"password\":\"annkey\"}";
static const char push[] = "{\"document\":\"d\",\"progress\":\"p\","
    "\"percentage\":0.5,\"device\":\"k\"}";

static int
exists(const char *rel)
{
	char p[400];
	struct stat st;

	snprintf(p, sizeof(p), "%s/%s", root, rel);
	return lstat(p, &st) == 0;
}

static void
kept(void)
{
	int before = count_fds();
	struct kss_server *s = kss_server_new(true);
	struct fake f1, f2;
	char a[400], b[400];
	FILE *fp;
	int fds;

	if (!ok(s != NULL, "a server that keeps state"))
		return;
	is_int(call(s, &f1, "a", "POST", "/users/create", reg), 201,
	    "register in a");
	is_int(call(s, &f1, "b", "POST", "/users/create", reg), 201,
	    "register in b: every KSS_DIR its own store");
	ok(exists("a/ann/auth.json") && exists("b/ann/auth.json"),
	    "both on disk");
	fds = count_fds();
	is_int(fds, before + 2, "two data folders, two stores kept open");
	is_int(call(s, &f1, "a", "PUT", "/syncs/progress", push), 200, "push");
	is_int(call(s, &f1, "b", "GET", "/syncs/progress/d", NULL), 200,
	    "pull");
	is_int(call(s, &f1, "a", "GET", "/users/auth", NULL), 200, "login");
	is_int(count_fds(), fds, "and reused, not opened anew");

	/* A kept store logs to the request it serves. */
	snprintf(a, sizeof(a), "%s/a/ann/d.json", root);
	if ((fp = fopen(a, "w")) != NULL) {
		fputs("{garbled", fp);
		fclose(fp);
	}
	is_int(call(s, &f2, "a", "GET", "/syncs/progress/d", NULL), 500,
	    "a corrupt record");
	ok(strstr(f2.lastlog, "d.json") != NULL,
	    "is logged to its own request (%s)", f2.lastlog);

	/* A data folder moved aside (a restore from a backup) is not written
	 * through the old fd. */
	snprintf(a, sizeof(a), "%s/a", root);
	snprintf(b, sizeof(b), "%s/a-old", root);
	ok(rename(a, b) == 0, "a moved aside");
	is_int(call(s, &f1, "a", "POST", "/users/create", reg), 201,
	    "a registration lands in a new a");
	ok(exists("a/ann/auth.json"), "on disk there");
	ok(exists("a-old/ann/d.json"), "the old one left as it was");
	is_int(call(s, &f1, "a", "GET", "/syncs/progress/d", NULL), 200,
	    "and the new a is read");
	is_int(count_fds(), fds, "its store in place of the old one's");

	/* A copy restored to the same path: the path is fine, the folder is
	 * another. */
	snprintf(b, sizeof(b), "cp -a '%s/a' '%s/a-copy' && mv '%s/a' "
	    "'%s/a-moved' && mv '%s/a-copy' '%s/a'", root, root, root, root,
	    root, root);
	ok(system(b) == 0, "a replaced by a copy of itself");
	is_int(call(s, &f1, "a", "PUT", "/syncs/progress", push), 200,
	    "a push after the swap");
	ok(exists("a/ann/d.json") && !exists("a-moved/ann/d.json"),
	    "lands in the folder now at the path, not the one moved away");
	kss_server_free(s);
	is_int(count_fds(), before, "freeing the server closes them");
}

static void
not_kept(void)
{
	struct kss_server *s = kss_server_new(false);
	struct fake f;
	int fds = count_fds();

	if (!ok(s != NULL, "a server that keeps nothing"))
		return;
	is_int(call(s, &f, "c", "POST", "/users/create", reg), 201,
	    "register in c");
	is_int(call(s, &f, "c", "PUT", "/syncs/progress", push), 200, "push");
	is_int(count_fds(), fds, "the store is closed after each request");
	kss_server_free(s);
	is_int(call(NULL, &f, "c", "GET", "/healthcheck", NULL), 500,
	    "no server (no memory): 500");
}

/* Files in the folder path, or -1. */
static int
files_in(const char *path)
{
	struct dirent *de;
	DIR *d;
	int n = 0;

	if ((d = opendir(path)) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL)
		n += strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0;
	closedir(d);
	return n;
}

/* CGI processes share verified keys through KSS_CACHE_DIR. */
static void
cgi_cache(void)
{
	struct kss_server *s;
	struct fake f;
	char dir[120];
	int fds = count_fds();

	snprintf(dir, sizeof(dir), "%.90s/cgi", shm);
	snprintf(cachevar, sizeof(cachevar), "KSS_CACHE_DIR=%.80s", dir);
	s = kss_server_new(false);
	if (!ok(s != NULL, "a CGI process"))
		return;
	is_int(call(s, &f, "e", "POST", "/users/create", reg), 201,
	    "registers");
	is_int(files_in(dir), -1, "a registration does not touch the cache");
	is_int(call(s, &f, "e", "GET", "/users/auth", NULL), 200, "logs in");
	is_int(files_in(dir), 2, "which leaves its secret and an entry");
	is_int(count_fds(), fds, "and closes it after the request");
	kss_server_free(s);
	s = kss_server_new(false);
	extra = "KSS_AUTH_CACHE=false";
	snprintf(dir, sizeof(dir), "%.90s/off", shm);
	snprintf(cachevar, sizeof(cachevar), "KSS_CACHE_DIR=%.80s", dir);
	is_int(call(s, &f, "e", "GET", "/users/auth", NULL), 200,
	    "with KSS_AUTH_CACHE=false, a login");
	is_int(files_in(dir), -1, "leaves nothing");
	extra = "KSS_AUTH_CACHE=sometimes";
	is_int(call(s, &f, "e", "GET", "/users/auth", NULL), 500,
	    "KSS_AUTH_CACHE=sometimes: 500");
	ok(strstr(f.lastlog, "KSS_AUTH_CACHE") != NULL, "logged: %s",
	    f.lastlog);
	extra = "X_NOTHING=1";
	snprintf(cachevar, sizeof(cachevar), "KSS_CACHE_DIR=cache");
	is_int(call(s, &f, "e", "GET", "/users/auth", NULL), 500,
	    "a relative KSS_CACHE_DIR: 500");
	ok(strstr(f.lastlog, "absolute") != NULL, "logged: %s", f.lastlog);
	snprintf(cachevar, sizeof(cachevar), "KSS_CACHE_DIR=%s/e", root);
	is_int(call(s, &f, "e", "GET", "/users/auth", NULL), 200,
	    "a KSS_CACHE_DIR in the data folder: the login works");
	ok(strstr(f.lastlog, "in the data folder") != NULL,
	    "without the cache, logged: %s", f.lastlog);
	kss_server_free(s);

	/* Without KSS_CACHE_DIR: the runtime folder's kss/. */
	s = kss_server_new(false);
	snprintf(cachevar, sizeof(cachevar), "XDG_RUNTIME_DIR=%.80s", shm);
	is_int(call(s, &f, "e", "GET", "/users/auth", NULL), 200,
	    "with XDG_RUNTIME_DIR and no KSS_CACHE_DIR, a login");
	snprintf(dir, sizeof(dir), "%.90s/kss", shm);
	is_int(files_in(dir), 2, "uses $XDG_RUNTIME_DIR/kss");
	kss_server_free(s);
	snprintf(cachevar, sizeof(cachevar), "KSS_CACHE_DIR=%s/c", shm);
}

/* A folder open to its group, setgid, of a group its owner (kss's user)
 * is not in: the kernel drops the setgid bit when kss makes it private,
 * and the log says the mode it has, not the one asked for. */
static char dirmode_line[512];

static void
dirmode_write(void *ctx, const char *line)
{
	(void)ctx;
	snprintf(dirmode_line, sizeof(dirmode_line), "%s", line);
}

static void
dirmode_setgid(void)
{
	const struct kss_log log = {dirmode_write, NULL};
	char dir[300];
	struct stat st;
	pid_t pid;
	int fd, status = -1;

	if (geteuid() != 0) {
		skip("a setgid folder of another group", "not root");
		skip("and kss says the mode it has", "not root");
		return;
	}
	snprintf(dir, sizeof(dir), "%.200s/setgid", root);
	if (mkdir(dir, 0700) < 0 || chown(dir, 65534, 0) < 0 ||
	    chmod(dir, 02750) < 0 ||
	    (fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		skip("a setgid folder of another group", "cannot make it");
		skip("and kss says the mode it has", "cannot make it");
		return;
	}
	fflush(stdout);
	if ((pid = fork()) == 0) {
		if (setgroups(0, NULL) < 0 || setresgid(65534, 65534, 65534) < 0 ||
		    setresuid(65534, 65534, 65534) < 0)
			_exit(3);
		kss_dirmode_check(fd, "setgid", &log);
		if (strstr(dirmode_line, "made it 0700") != NULL)
			_exit(0);
		fprintf(stderr, "# logged: %s\n", dirmode_line);
		_exit(strstr(dirmode_line, "made it") != NULL ? 1 : 2);
	}
	if (pid > 0)
		waitpid(pid, &status, 0);
	close(fd);
	is_int(stat(dir, &st) == 0 ? (int)(st.st_mode & 07777) : -1, 0700,
	    "a setgid folder of another group: the kernel leaves it 0700");
	is_int(WIFEXITED(status) ? WEXITSTATUS(status) : -1, 0,
	    "and kss says it made it 0700, not 2700");
}

int
main(void)
{
	char cmd[200];

	if (mkdtemp(root) == NULL || mkdtemp(shm) == NULL)
		return 1;
	snprintf(cachevar, sizeof(cachevar), "KSS_CACHE_DIR=%s/c", shm);
	kept();
	not_kept();
	cgi_cache();
	dirmode_setgid();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s' '%s'", root, shm);
	if (system(cmd) != 0)
		return 1;
	return tap_done();
}
