/* Unit tests of the sandbox (sandbox.h). Each case runs in a child
 * process that enters the sandbox as a transport does (kss_server_new(),
 * kss_server_prepare(), kss_sandbox_enter()), then tries one thing: the
 * parent tells a call the filter killed (SIGSYS) from one it let through
 * (the child's exit status). Every request kss serves still passes; a
 * call kss never makes kills the whole process, from any thread, and so
 * does a call through another architecture's entry; Landlock keeps the
 * files outside the data and RAM folders out of reach. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "fakeio.h"
#include "kss.h"
#include "sandbox.h"
#include "tap.h"
#include "util.h"

static char root[] = "/tmp/kss-sandbox-XXXXXX";
static char shm[] = "/dev/shm/kss-sandbox-XXXXXX";
static char dirvar[600], cachevar[600];
static int landlock;	/* whether this kernel has it */
static pid_t parent;	/* this process, for the children to aim at */

/* The child's verdicts, as exit statuses. */
enum { PASSED = 0, REFUSED = 3, WRONG = 4, SETUP = 5 };

/* One request to s; its status, its log's last line in f. */
static int
call(struct kss_server *s, struct fake *f, const char *method,
    const char *path, const char *key, const char *body)
{
	char m[40], p[200], cl[40], k[100];
	const char *vars[] = {dirvar, cachevar, m, p, cl, k, "KSS_HASH_COST=1",
	    "HTTP_X_AUTH_USER=ann", "REMOTE_ADDR=192.0.2.1", NULL};
	struct kss_response resp;
	struct kss_io io;
	int status;

	snprintf(m, sizeof(m), "REQUEST_METHOD=%s", method);
	snprintf(p, sizeof(p), "PATH_INFO=%s", path);
	snprintf(cl, sizeof(cl), "CONTENT_LENGTH=%zu", body ? strlen(body) : 0);
	snprintf(k, sizeof(k), "HTTP_X_AUTH_KEY=%s", key);
	io = fake_io(f, vars, body);
	kss_serve(s, &io, &resp);
	status = resp.status;
	kss_response_free(&resp);
	return status;
}

/* In the child: a server made and prepared as the transport does
 * (keep: FastCGI's, else CGI's), then the sandbox. */
static struct kss_server *
enter(bool keep, bool confine)
{
	const char *vars[] = {dirvar, cachevar, "KSS_HASH_COST=1", NULL};
	struct kss_sandbox sb = {.confine = confine};
	struct kss_server *s = kss_server_new(keep);
	struct fake f;
	struct kss_io io = fake_io(&f, vars, NULL);

	if (s == NULL || kss_server_prepare(s, &io.params, &io.log, &sb) !=
	    KSS_OK || kss_sandbox_enter(&sb, &io.log) == KSS_SANDBOX_FAILED) {
		fprintf(stderr, "# cannot enter the sandbox: %s\n", f.lastlog);
		_exit(SETUP);
	}
	return s;
}

/* Runs fn in a child in the sandbox; its wait status. */
static int
child(void (*fn)(struct kss_server *), bool keep, bool confine)
{
	pid_t pid;
	int st;

	fflush(stdout);
	if ((pid = fork()) < 0)
		return -1;
	if (pid == 0) {
		fn(enter(keep, confine));
		_exit(PASSED);
	}
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	return st;
}

static bool
killed(int st)
{
	return WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS;
}

static bool
exited(int st, int code)
{
	return WIFEXITED(st) && WEXITSTATUS(st) == code;
}

/* --- what kss does ---------------------------------------------------- */

static const char reg[] = "{\"username\":\"ann\",\"password\":\"annkey\"}";
static const char push[] = "{\"document\":\"d\",\"progress\":\"p\","
    "\"percentage\":0.5,\"device\":\"k\"}";
static const char pass[] = "{\"password\":\"newkey\"}";

/* Every route, both kinds of login (the hash, then the cache), a wrong
 * key (the count of failed logins), and nothing logged. */
static void
serve_all(struct kss_server *s)
{
	struct fake f;
	int want[] = {200, 201, 200, 200, 200, 200, 401, 200, 200, 200, 404};
	int got[11], i = 0;

	got[i++] = call(s, &f, "GET", "/healthcheck", "", NULL);
	got[i++] = call(s, &f, "POST", "/users/create", "", reg);
	got[i++] = call(s, &f, "GET", "/users/auth", "annkey", NULL);
	got[i++] = call(s, &f, "GET", "/users/auth", "annkey", NULL);
	got[i++] = call(s, &f, "PUT", "/syncs/progress", "annkey", push);
	got[i++] = call(s, &f, "GET", "/syncs/progress/d", "annkey", NULL);
	got[i++] = call(s, &f, "GET", "/users/auth", "wrongkey", NULL);
	got[i++] = call(s, &f, "PUT", "/users/password", "annkey", pass);
	got[i++] = call(s, &f, "GET", "/syncs/progress/d", "newkey", NULL);
	got[i++] = call(s, &f, "DELETE", "/users/me", "newkey", NULL);
	got[i++] = call(s, &f, "DELETE", "/users/me", "newkey", NULL);
	for (i = 0; i < 11; i++) {
		if (got[i] != want[i]) {
			fprintf(stderr, "# request %d: %d, want %d (%s)\n", i,
			    got[i], want[i], f.lastlog);
			_exit(WRONG);
		}
	}
	if (f.lastlog[0] != '\0') {
		fprintf(stderr, "# logged: %s\n", f.lastlog);
		_exit(WRONG);
	}
	kss_server_free(s);
}

/* --- what kss never does ---------------------------------------------- */

static void
do_socket(struct kss_server *s)
{
	(void)s;
	socket(AF_INET, SOCK_STREAM, 0);
}

static void
do_exec(struct kss_server *s)
{
	char *argv[] = {"true", NULL}, *envp[] = {NULL};

	(void)s;
	execve("/bin/true", argv, envp);
}

static void
do_fork(struct kss_server *s)
{
	pid_t pid;

	(void)s;
	/* A process of its own: clone(2) without CLONE_THREAD. */
	if ((pid = fork()) == 0)
		_exit(PASSED);
}

static void
do_exec_memory(struct kss_server *s)
{
	(void)s;
	mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS,
	    -1, 0);
}

static void
do_kill_other(struct kss_server *s)
{
	(void)s;
	/* Signal 0 to the parent: harmless, if it were let through. */
	kill(parent, 0);
}

static void
do_tgkill_other(struct kss_server *s)
{
	(void)s;
	syscall(SYS_tgkill, parent, parent, 0);
}

static void
do_ptrace(struct kss_server *s)
{
	(void)s;
	syscall(SYS_ptrace, 0 /* PTRACE_TRACEME */, 0, 0, 0);
}

/* fchmod() of a file kss made (as dirmode.c does of the data folder)
 * to chmod_mode: PASSED when it answers at all. */
static mode_t chmod_mode;

static int
data_file(void)
{
	int fd = open(at(root, "data/modes"), O_RDONLY | O_CREAT | O_CLOEXEC,
	    0600);

	if (fd < 0)
		_exit(SETUP);
	return fd;
}

static void
do_fchmod(struct kss_server *s)
{
	(void)s;
	fchmod(data_file(), chmod_mode);
}

static void
do_chmod(struct kss_server *s)
{
	(void)s;
	close(data_file());
#ifdef SYS_chmod
	syscall(SYS_chmod, at(root, "data/modes"), 0700);
#else	/* (no chmod of its own: fchmodat, below) */
	syscall(SYS_fchmodat, AT_FDCWD, at(root, "data/modes"), 0700, 0);
#endif
}

static void
do_fchmodat(struct kss_server *s)
{
	(void)s;
	close(data_file());
	syscall(SYS_fchmodat, AT_FDCWD, at(root, "data/modes"), 0700, 0);
}

static void *
thread_socket(void *arg)
{
	(void)arg;
	socket(AF_UNIX, SOCK_STREAM, 0);
	return NULL;
}

/* From a thread started in the sandbox (a FastCGI worker): the whole
 * process goes, not the thread alone. */
static void
do_thread_socket(struct kss_server *s)
{
	pthread_t t;

	(void)s;
	if (pthread_create(&t, NULL, thread_socket, NULL) != 0)
		_exit(SETUP);
	pthread_join(t, NULL);
}

#if defined(__x86_64__)
/* getpid through the i386 entry (int 0x80): the filter, checking the
 * architecture first, kills it; without that check, i386's numbers
 * would be read as x86_64's. */
static void
do_i386(struct kss_server *s)
{
	long ret = 20;	/* i386's getpid */

	(void)s;
	__asm__ volatile("int $0x80" : "+a"(ret) : : "memory");
}

/* getpid through the x32 entry (the same numbers with bit 30 set). */
static void
do_x32(struct kss_server *s)
{
	(void)s;
	syscall(0x40000000L | SYS_getpid);
}
#endif

/* --- what the filter answers rather than kills ------------------------- */

static void
do_ioctl(struct kss_server *s)
{
	struct termios t;
	int fd, n;

	(void)s;
	/* isatty(): "no" for any fd, and no other ioctl does anything:
	 * FIONREAD, which a file in the data folder would answer. */
	if (ioctl(0, TCGETS, &t) == 0 || errno != ENOTTY)
		_exit(WRONG);
	if ((fd = open(at(root, "data/.kss-layout"), O_RDONLY | O_CLOEXEC)) < 0)
		_exit(SETUP);
	if (ioctl(fd, FIONREAD, &n) == 0 || errno != ENOTTY)
		_exit(WRONG);
}

static void
do_clone3(struct kss_server *s)
{
	(void)s;
	/* glibc then falls back to clone(), whose flags can be checked. */
	if (syscall(SYS_clone3, NULL, 0) == 0 || errno != ENOSYS)
		_exit(WRONG);
}

/* --- Landlock --------------------------------------------------------- */

/* Exits REFUSED when open(path, flags) fails with EACCES. */
static void
try_open(const char *path, int flags)
{
	int fd = open(path, flags | O_CLOEXEC, 0600);

	if (fd < 0 && errno == EACCES)
		_exit(REFUSED);
	if (fd >= 0)
		close(fd);
}

static void
read_etc(struct kss_server *s)
{
	(void)s;
	try_open("/etc/passwd", O_RDONLY);
}

static void
read_beside(struct kss_server *s)
{
	(void)s;
	try_open(at(root, "beside"), O_RDONLY);
}

static void
write_beside(struct kss_server *s)
{
	(void)s;
	try_open(at(root, "new"), O_WRONLY | O_CREAT);
}

static void
write_data(struct kss_server *s)
{
	(void)s;
	try_open(at(root, "data/new"), O_WRONLY | O_CREAT);
}

static void
write_cache(struct kss_server *s)
{
	(void)s;
	try_open(at(shm, "cache/new"), O_WRONLY | O_CREAT);
}

static void
move_out(struct kss_server *s)
{
	int fd;

	(void)s;
	if ((fd = open(at(root, "data/out"), O_WRONLY | O_CREAT | O_CLOEXEC,
	    0600)) < 0)
		_exit(SETUP);
	close(fd);
	/* EXDEV is Landlock's answer where only the right to move between
	 * folders is missing. */
	if (renameat(AT_FDCWD, at(root, "data/out"), AT_FDCWD,
	    at(root, "out")) < 0 &&
	    (errno == EACCES || errno == EXDEV))
		_exit(REFUSED);
}

static void
dir_in_cache(struct kss_server *s)
{
	(void)s;
	if (mkdir(at(shm, "cache/sub"), 0700) < 0 && errno == EACCES)
		_exit(REFUSED);
}

static void *
thread_read_etc(void *arg)
{
	(void)arg;
	try_open("/etc/passwd", O_RDONLY);
	return NULL;
}

static void
thread_etc(struct kss_server *s)
{
	pthread_t t;

	(void)s;
	if (pthread_create(&t, NULL, thread_read_etc, NULL) != 0)
		_exit(SETUP);
	pthread_join(t, NULL);
}

/* KSS_SANDBOX: off only when said so, and said on the log. */
static void
wanted(void)
{
	const char *vars[] = {NULL};
	struct fake f;
	struct kss_io io = fake_io(&f, vars, NULL);

	ok(kss_sandbox_wanted(NULL, &io.log) && f.lastlog[0] == '\0',
	    "KSS_SANDBOX unset: on, silently");
	ok(kss_sandbox_wanted("", &io.log) && f.lastlog[0] == '\0',
	    "KSS_SANDBOX empty: on");
	ok(kss_sandbox_wanted("yes", &io.log) && f.lastlog[0] == '\0',
	    "KSS_SANDBOX=yes: on");
	ok(!kss_sandbox_wanted("false", &io.log) &&
	    strstr(f.lastlog, "sandbox off (KSS_SANDBOX=false)") != NULL,
	    "KSS_SANDBOX=false: off, and said (%s)", f.lastlog);
	f.lastlog[0] = '\0';
	ok(kss_sandbox_wanted("flase", &io.log) &&
	    strstr(f.lastlog, "KSS_SANDBOX must be true or false; the sandbox "
	    "stays on") != NULL, "KSS_SANDBOX=flase: on, and said (%s)",
	    f.lastlog);
}

/* --- a Redis store's connection ---------------------------------------- */

static void
quiet(void *ctx, const char *line)
{
	(void)ctx;
	fprintf(stderr, "# %s\n", line);
}

/* Runs fn in a child in a sandbox set up for a Redis store reached over
 * TCP (inet) or a unix socket; its wait status. */
static int
net_child(bool inet, bool unx, void (*fn)(void))
{
	struct kss_sandbox sb = {.confine = true, .redis_inet = inet,
	    .redis_unix = unx};
	struct kss_log lg = {quiet, NULL};
	pid_t pid;
	int st;

	fflush(stdout);
	if ((pid = fork()) < 0)
		return -1;
	if (pid == 0) {
		if (kss_sandbox_enter(&sb, &lg) == KSS_SANDBOX_FAILED)
			_exit(SETUP);
		fn();
		_exit(PASSED);
	}
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	return st;
}

/* What redis_conn.c does: a non-blocking stream socket, connect() (to a
 * port where nothing listens), SO_ERROR, the reply timeouts. */
static void
dial_tcp(void)
{
	struct sockaddr_in sa = {.sin_family = AF_INET,
	    .sin_port = htons(1), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	struct timeval tv = {1, 0};
	socklen_t len = sizeof(int);
	int fd, err, on = 1;

	if (!kss_sandbox_admits(AF_INET) || kss_sandbox_admits(AF_UNIX))
		_exit(WRONG);
	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0)) < 0)
		_exit(REFUSED);
	connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
	close(fd);
	if ((fd = socket(AF_INET6, SOCK_STREAM, 0)) < 0 && errno != EAFNOSUPPORT)
		_exit(REFUSED);
}

static void
dial_unix(void)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd;

	if (!kss_sandbox_admits(AF_UNIX) || kss_sandbox_admits(AF_INET))
		_exit(WRONG);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/none.sock", root);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		_exit(REFUSED);
	connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	close(fd);
}

static void
udp(void)
{
	socket(AF_INET, SOCK_DGRAM, 0);
}

static void
unix_socket(void)
{
	socket(AF_UNIX, SOCK_STREAM, 0);
}

static void
tcp_socket(void)
{
	socket(AF_INET, SOCK_STREAM, 0);
}

static void
reuse(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0), on = 1;

	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
}

static void
no_redis(void)
{
	if (kss_sandbox_admits(AF_INET) || kss_sandbox_admits(AF_UNIX))
		_exit(WRONG);
}

static void
redis(void)
{
	ok(exited(net_child(true, false, dial_tcp), PASSED), "Redis over TCP: "
	    "a stream socket, connect(), SO_ERROR, the timeouts, TCP_NODELAY");
	ok(killed(net_child(true, false, udp)), "but no datagram socket");
	ok(killed(net_child(true, false, unix_socket)), "nor a unix socket");
	ok(killed(net_child(true, false, reuse)), "nor another socket option");
	ok(exited(net_child(false, true, dial_unix), PASSED),
	    "Redis over a unix socket: a unix stream socket, connect()");
	ok(killed(net_child(false, true, tcp_socket)), "but no TCP socket");
	ok(exited(net_child(false, false, no_redis), PASSED),
	    "no Redis store: kss_sandbox_admits() says no socket, so none is "
	    "tried");
}

int
main(void)
{
	char buf[128];
	int st;

#ifndef KSS_SANDBOX
	printf("1..0 # SKIP built without the sandbox (--disable-sandbox)\n");
	return 0;
#endif
	if (mkdtemp(root) == NULL || mkdtemp(shm) == NULL) {
		printf("1..0 # SKIP no temporary folder (/tmp, /dev/shm)\n");
		return 0;
	}
	parent = getpid();
	snprintf(dirvar, sizeof(dirvar), "KSS_DIR=%s/data", root);
	snprintf(cachevar, sizeof(cachevar), "KSS_CACHE_DIR=%s/cache", shm);
	put_text(at(root, "beside"), "not kss's\n");
	landlock = strstr(kss_sandbox_describe(buf, sizeof(buf)),
	    "Landlock (") != NULL;
	printf("# sandbox: %s\n", buf);

	wanted();

	st = child(serve_all, false, true);
	ok(exited(st, PASSED), "CGI in the sandbox: every route answers as "
	    "without, nothing logged (status %#x)", st);
	st = child(serve_all, true, true);
	ok(exited(st, PASSED), "FastCGI's server in the sandbox: the same "
	    "(status %#x)", st);
	ok(access(at(root, "data/.kss-layout"), F_OK) == 0,
	    "the data folder was made and opened before the sandbox");
	ok(access(at(shm, "cache/secret"), F_OK) == 0 &&
	    access(at(shm, "cache/logins"), F_OK) == 0,
	    "the key cache and the count of failed logins were written in "
	    "the RAM folder");

	ok(killed(child(do_socket, false, true)), "socket(): killed (SIGSYS)");
	ok(killed(child(do_exec, false, true)), "execve(): killed");
	ok(killed(child(do_fork, false, true)), "fork(): killed");
	ok(killed(child(do_exec_memory, false, true)),
	    "executable memory: killed");
	ok(killed(child(do_kill_other, false, true)),
	    "kill() of another process: killed");
	ok(killed(child(do_tgkill_other, false, true)),
	    "tgkill() of another process: killed");
	ok(killed(child(do_ptrace, false, true)), "ptrace(): killed");
	ok(killed(child(do_thread_socket, true, true)),
	    "socket() from a thread started in the sandbox: the whole process "
	    "killed");
	ok(killed(child(do_socket, true, false)),
	    "socket() without Landlock (confine off): killed all the same");
#if defined(__x86_64__)
	ok(killed(child(do_i386, false, true)),
	    "getpid() through the i386 entry (int 0x80): killed");
	ok(killed(child(do_x32, false, true)),
	    "getpid() through the x32 entry: killed");
#endif
	{
		static const mode_t refused[] = {0755, 0750, 0705, 0777, 0770,
		    0701, 04710, 02707}, allowed[] = {0700, 04700, 02700,
		    01700, 0600, 0};
		size_t i;

		for (i = 0; i < sizeof(refused) / sizeof(*refused); i++) {
			chmod_mode = refused[i];
			ok(killed(child(do_fchmod, false, true)),
			    "fchmod() to %04o (open to group or others): "
			    "killed", (unsigned)refused[i]);
		}
		for (i = 0; i < sizeof(allowed) / sizeof(*allowed); i++) {
			chmod_mode = allowed[i];
			ok(exited(child(do_fchmod, false, true), PASSED),
			    "fchmod() to %04o: let through (dirmode.c "
			    "making a folder private)", (unsigned)allowed[i]);
		}
	}
	ok(killed(child(do_chmod, false, true)), "chmod() (by path): killed");
	ok(killed(child(do_fchmodat, false, true)),
	    "fchmodat(): killed, even to 0700");
	ok(exited(child(do_ioctl, false, true), PASSED),
	    "ioctl(): ENOTTY, not killed (stdio's isatty()), whatever it asks");
	ok(exited(child(do_clone3, false, true), PASSED),
	    "clone3(): ENOSYS, so that glibc falls back to clone()");
	redis();

	if (landlock) {
		ok(exited(child(read_etc, false, true), REFUSED),
		    "Landlock: /etc/passwd cannot be read (EACCES)");
		ok(exited(child(read_beside, false, true), REFUSED),
		    "nor a file beside the data folder");
		ok(exited(child(write_beside, false, true), REFUSED),
		    "nor one made there");
		ok(exited(child(write_data, false, true), PASSED),
		    "while one is made in the data folder");
		ok(exited(child(write_cache, false, true), PASSED),
		    "and in the RAM folder");
		ok(exited(child(move_out, false, true), REFUSED),
		    "nor moved there from the data folder");
		ok(exited(child(dir_in_cache, false, true), REFUSED),
		    "no folder in the RAM folder");
		ok(exited(child(thread_etc, true, true), REFUSED),
		    "a thread started in the sandbox is confined too");
		ok(exited(child(read_etc, false, false), PASSED),
		    "confine off (FastCGI without KSS_DIR): files not confined");
	} else {
		for (st = 0; st < 9; st++)
			printf("ok %d # SKIP no Landlock in this kernel\n",
			    ++tap_n);
	}

	if (fork() == 0)
		execlp("rm", "rm", "-rf", root, shm, (char *)NULL);
	wait(NULL);
	printf("1..%d\n", tap_n);
	return tap_failed != 0;
}
