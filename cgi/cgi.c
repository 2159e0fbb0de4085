/* CGI (RFC 3875): the request in environ and stdin, the answer on stdout,
 * errors on stderr (the web server's error log). */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kss.h"
#include "main.h"
#include "sandbox.h"
#include "transport.h"

static const char *
env_get(void *ctx, const char *name)
{
	(void)ctx;
	return getenv(name);
}

/* Body bytes read so far. */
struct body {
	unsigned long long read;
};

static long
stdin_read(void *ctx, char *buf, size_t len)
{
	struct body *b = ctx;
	ssize_t n;

	do
		n = read(STDIN_FILENO, buf, len);
	while (n < 0 && errno == EINTR);
	if (n > 0)
		b->read += (unsigned long long)n;
	return (long)n;
}

/* The most of an unread body drained; nginx refuses bodies over 1 MiB
 * (client_max_body_size) before they reach kss. */
#define DRAIN_MAX (2ULL * 1024 * 1024)

/* Reads and drops what is left of the body (CONTENT_LENGTH, bounded).
 * A web server that writes the whole body before it reads the answer
 * (fcgiwrap) otherwise fails its write once the pipe is full, and answers
 * 502 of its own in place of kss's 413. Never past CONTENT_LENGTH: the
 * server need not close stdin after the body (RFC 3875 §4.2). */
static void
drain(const struct body *b)
{
	const char *cl = getenv("CONTENT_LENGTH");
	unsigned long long want;
	char buf[65536], *end;
	long n;

	if (cl == NULL || *cl < '0' || *cl > '9')
		return;
	errno = 0;
	want = strtoull(cl, &end, 10);
	if (errno != 0 || *end != '\0' || want <= b->read)
		return;
	want -= b->read;
	if (want > DRAIN_MAX)
		want = DRAIN_MAX;
	while (want > 0) {
		struct body ignored = {0};

		n = stdin_read(&ignored, buf,
		    want < sizeof(buf) ? (size_t)want : sizeof(buf));
		if (n <= 0)
			break;
		want -= (unsigned long long)n;
	}
}

static void
stderr_write(void *ctx, const char *line)
{
	(void)ctx;
	fprintf(stderr, "%s\n", line);
}

/* The sandbox, once the configuration is read and the data folder open
 * (kss_server_prepare()), before the request is: it is the request's
 * environment that names the folders, so they are known. -1 (said) when
 * the request is not to be served: its configuration or data folder will
 * not do (the 500 it would get anyway, said once), or the sandbox could
 * not be put in place. A kernel without Landlock is said nowhere: it
 * would be a line per request, and --help tells. */
static int
sandbox(struct kss_server *srv, const struct kss_io *io)
{
	struct kss_sandbox sb = {.confine = true};

	if (!kss_sandbox_wanted(getenv("KSS_SANDBOX"), &io->log))
		return 0;
	if (kss_server_prepare(srv, &io->params, &io->log, &sb) != KSS_OK ||
	    kss_sandbox_enter(&sb, &io->log) == KSS_SANDBOX_FAILED)
		return -1;
	return 0;
}

int
kss_cgi_run(void)
{
	struct body body = {0};
	struct kss_io io = {
		.params = {env_get, NULL},
		.read = stdin_read,
		.read_ctx = &body,
		.log = {stderr_write, NULL},
	};
	struct kss_server *srv = kss_server_new(false);
	struct kss_response resp;
	char head[256];
	int n, rc = 0;

	kss_warn_root();
	if (srv == NULL)
		stderr_write(NULL, "kss: cannot start: out of memory, or "
		    "libsodium failed to start");
	else if (sandbox(srv, &io) < 0) {
		kss_server_free(srv);
		srv = NULL;
	}
	kss_serve(srv, &io, &resp);
	kss_server_free(srv);
	if ((n = kss_response_head(&resp, head, sizeof(head))) < 0 ||
	    fwrite(head, 1, (size_t)n, stdout) != (size_t)n ||
	    fwrite(resp.body, 1, resp.len, stdout) != resp.len ||
	    fflush(stdout) != 0)
		rc = 1;
	drain(&body);
	kss_response_free(&resp);
	return rc;
}
