/* kss.cgi / kss.fcgi: one executable, two transports (DESIGN.md §1). */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fcgiapp.h>

#include "transport.h"

static void
usage(FILE *f)
{
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
	    "  --backlog N       listen queue length for --listen (default 64)\n"
	    "  --help, --version\n"
	    "\n"
	    "Configuration comes from the environment: KSS_DIR, KSS_DISABLE_REGISTRATION,\n"
	    "KSS_STRICT_ACCEPT, KSS_HASH_COST (see kss's README).\n");
}

/* The FastCGI convention (FCGX_IsCGI, kcgi): fd 0 is a listening socket
 * exactly when getpeername() on it fails with ENOTCONN. */
static int
stdin_is_listener(void)
{
	struct sockaddr_storage sa;
	socklen_t len = sizeof(sa);

	return getpeername(STDIN_FILENO, (struct sockaddr *)&sa, &len) < 0 &&
	    errno == ENOTCONN;
}

/* systemd socket activation (sd_listen_fds(3)): one socket passed as fd 3
 * with LISTEN_PID naming us. Returns the fd, or -1 when not activated. */
static int
activated_fd(void)
{
	const char *pid = getenv("LISTEN_PID"), *fds = getenv("LISTEN_FDS");
	char *end;
	long n;

	if (pid == NULL || fds == NULL)
		return -1;
	n = strtol(pid, &end, 10);
	if (*end != '\0' || n != (long)getpid())
		return -1;
	if (strcmp(fds, "1") != 0) {
		fprintf(stderr, "kss: LISTEN_FDS=%s: kss serves one socket\n", fds);
		return -1;
	}
	return 3;
}

int
main(int argc, char *argv[])
{
	enum { AUTO, CGI, FCGI, LISTEN } mode = AUTO;
	const char *addr = NULL;
	long backlog = 64;
	char *end;
	int i, fd;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--cgi") == 0)
			mode = CGI;
		else if (strcmp(argv[i], "--fcgi") == 0)
			mode = FCGI;
		else if (strcmp(argv[i], "--listen") == 0 && i + 1 < argc) {
			mode = LISTEN;
			addr = argv[++i];
		} else if (strcmp(argv[i], "--backlog") == 0 && i + 1 < argc) {
			backlog = strtol(argv[++i], &end, 10);
			if (*end != '\0' || backlog < 1 || backlog > 65535) {
				fprintf(stderr, "kss: --backlog wants 1..65535\n");
				return 2;
			}
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
	if (mode == AUTO && (fd = activated_fd()) >= 0)
		return kss_fcgi_run(fd);
	if (mode == AUTO)
		mode = stdin_is_listener() ? FCGI : CGI;
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
		return kss_fcgi_run(fd);
	default:
		return kss_fcgi_run(STDIN_FILENO);
	}
}
