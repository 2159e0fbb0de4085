/* kss.cgi / kss.fcgi: one executable, two transports (DESIGN.md §1). */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fcgiapp.h>

#include "main.h"
#include "sandbox.h"
#include "transport.h"

/* Where the data lives when KSS_DIR is unset (lib/conf.c decides; this is
 * what --help tells the administrator). */
#ifdef KSS_DEFAULT_DIR
#define DEFAULT_DIR_TEXT KSS_DEFAULT_DIR
#else
#define DEFAULT_DIR_TEXT "$XDG_DATA_HOME/kss, else $HOME/.local/share/kss"
#endif

/* The stores KSS_STORE may name in this build (configure --with-redis). */
#ifdef KSS_REDIS
#define STORES_TEXT "file (KSS_DIR), redis (KSS_STORE=redis://HOST:PORT/DB)"
#else
#define STORES_TEXT "file (KSS_DIR); no Redis (configure --with-redis)"
#endif

static void
usage(FILE *f)
{
	char sandbox[128];

	fprintf(f,
	    "usage: kss.fcgi [--cgi | --fcgi | --listen ADDRESS [--backlog N]]\n"
	    "\n"
	    "KOReader progress-sync server. With no option it serves one CGI\n"
	    "request, or FastCGI when standard input is a listening socket\n"
	    "(spawn-fcgi, lighttpd bin-path) or systemd passes one (LISTEN_FDS).\n"
	    "\n"
	    "  --cgi             serve one CGI request, whatever stdin is\n"
	    "  --fcgi            serve FastCGI on the socket on stdin\n"
	    "  --listen ADDRESS  open and serve FastCGI on ADDRESS: a unix socket\n"
	    "                    path (/run/kss.sock) or HOST:PORT (127.0.0.1:9000)\n"
	    "  --backlog N       listen queue length for --listen, 1..65535\n"
	    "                    (default 64)\n"
	    "  --help, --version\n"
	    "\n"
	    "Configuration comes from the environment: KSS_DIR, KSS_STORE,\n"
	    "KSS_DISABLE_REGISTRATION, KSS_STRICT_ACCEPT, KSS_HASH_COST, KSS_LOGIN_LIMIT,\n"
	    "KSS_THREADS (FastCGI requests served at once), ... (see kss's README).\n"
	    "Data directory when KSS_DIR is unset: %s\n"
	    "Stores: %s\n"
	    "Sandbox (KSS_SANDBOX=false turns it off, for debugging): %s\n",
	    DEFAULT_DIR_TEXT, STORES_TEXT,
	    kss_sandbox_describe(sandbox, sizeof(sandbox)));
}

/* The FastCGI convention (FCGX_IsCGI, kcgi): fd is a listening socket
 * exactly when getpeername() on it fails with ENOTCONN. */
static int
is_listener(int fd)
{
	struct sockaddr_storage sa;
	socklen_t len = sizeof(sa);

	return getpeername(fd, (struct sockaddr *)&sa, &len) < 0 &&
	    errno == ENOTCONN;
}

/* systemd socket activation (sd_listen_fds(3)): sockets passed from fd 3
 * on, LISTEN_FDS of them, with LISTEN_PID naming us (otherwise the
 * variables were meant for another process and are ignored). kss serves
 * exactly one: anything else is a unit to fix, said once, not a reason
 * to guess. Returns 3, -1 when not activated, -2 on such an error. The
 * variables are removed, as sd_listen_fds(unset=1) does, so that nothing
 * started later takes them for its own. */
static int
activated_fd(void)
{
	const char *pid = getenv("LISTEN_PID"), *fds = getenv("LISTEN_FDS");
	char *end;
	long n;

	if (pid == NULL || fds == NULL)
		return -1;
	errno = 0;
	n = strtol(pid, &end, 10);
	if (errno != 0 || end == pid || *end != '\0' || n != (long)getpid())
		return -1;
	if (strcmp(fds, "1") != 0) {
		fprintf(stderr, "kss: LISTEN_FDS=%s: kss serves exactly one "
		    "socket (one ListenStream= in the socket unit)\n", fds);
		return -2;
	}
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	if (!is_listener(3)) {
		fprintf(stderr, "kss: LISTEN_FDS=1 but fd 3 is not a listening "
		    "socket\n");
		return -2;
	}
	return 3;
}

/* Said, not refused: a NAS may have no user but root, and the sandbox
 * still holds. But a flaw in kss would then be root's, and what kss makes
 * in the data folder is root's, which kss under the web server's user
 * cannot open later (500 for those users): so said at every start, in
 * the web server's error log. */
void
kss_warn_root(void)
{
	if (geteuid() == 0)
		fprintf(stderr, "kss: warning: serving as root; run kss as the "
		    "web server's user (lighttpd server.username, spawn-fcgi "
		    "-u): what it makes in its folders (KSS_DIR, KSS_CACHE_DIR) "
		    "is root's, and kss under another user then fails on it "
		    "(README, Deploying)\n");
}

/* The value of an option that takes one, or NULL (said) when missing. */
static const char *
option_value(int argc, char *argv[], int *i)
{
	if (*i + 1 >= argc) {
		fprintf(stderr, "kss: %s needs a value (see --help)\n",
		    argv[*i]);
		return NULL;
	}
	return argv[++*i];
}

int
main(int argc, char *argv[])
{
	enum { AUTO, CGI, FCGI, LISTEN } mode = AUTO;
	const char *addr = NULL, *v;
	long backlog = 64;
	int i, fd, threads, backlog_set = 0;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--cgi") == 0)
			mode = CGI;
		else if (strcmp(argv[i], "--fcgi") == 0)
			mode = FCGI;
		else if (strcmp(argv[i], "--listen") == 0) {
			if ((addr = option_value(argc, argv, &i)) == NULL)
				return 2;
			mode = LISTEN;
		} else if (strcmp(argv[i], "--backlog") == 0) {
			if ((v = option_value(argc, argv, &i)) == NULL)
				return 2;
			/* Digits only: strtol would take " 5", "+5", "5x". */
			backlog = 0;
			if (*v == '\0' || strspn(v, "0123456789") != strlen(v) ||
			    strlen(v) > 5 || (backlog = atol(v)) < 1 ||
			    backlog > 65535) {
				fprintf(stderr, "kss: --backlog %s: want a "
				    "number 1..65535\n", v);
				return 2;
			}
			backlog_set = 1;
		} else if (strcmp(argv[i], "--help") == 0) {
			usage(stdout);
			return 0;
		} else if (strcmp(argv[i], "--version") == 0) {
			printf("%s\n", PACKAGE_STRING);
			return 0;
		} else {
			fprintf(stderr, "kss: unknown option %s\n", argv[i]);
			usage(stderr);
			return 2;
		}
	}
	if (backlog_set && mode != LISTEN) {
		fprintf(stderr, "kss: --backlog goes with --listen (the socket "
		    "kss opens itself)\n");
		return 2;
	}
	if (mode == AUTO && (fd = activated_fd()) != -1)
		return fd < 0 || (threads = kss_fcgi_threads()) < 0 ? 1 :
		    kss_fcgi_run(fd, threads);
	if (mode == AUTO)
		mode = is_listener(STDIN_FILENO) ? FCGI : CGI;
	/* Checked before a socket is opened and said to listen. */
	if (mode != CGI && (threads = kss_fcgi_threads()) < 0)
		return 1;
	switch (mode) {
	case CGI:
		return kss_cgi_run();
	case LISTEN:
		if (FCGX_Init() != 0 ||
		    (fd = FCGX_OpenSocket(addr, (int)backlog)) < 0) {
			fprintf(stderr, "kss: cannot listen on %s: %s\n", addr,
			    strerror(errno));
			return 1;
		}
		/* Tells whoever started us (a test, an init script) that
		 * connections will now be accepted. */
		fprintf(stderr, "kss: listening on %s\n", addr);
		return kss_fcgi_run(fd, threads);
	default:
		/* Else FCGX_Accept_r fails at once and the loop ends with
		 * status 0, saying nothing. */
		if (!is_listener(STDIN_FILENO)) {
			fprintf(stderr, "kss: --fcgi: standard input is not a "
			    "listening socket\n");
			return 1;
		}
		return kss_fcgi_run(STDIN_FILENO, threads);
	}
}
