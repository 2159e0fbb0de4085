/* CGI (RFC 3875): the request in environ and stdin, the answer on stdout,
 * errors on stderr (the web server's error log). */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kss.h"
#include "transport.h"

static const char *
env_get(void *ctx, const char *name)
{
	(void)ctx;
	return getenv(name);
}

static long
stdin_read(void *ctx, char *buf, size_t len)
{
	ssize_t n;

	(void)ctx;
	do
		n = read(STDIN_FILENO, buf, len);
	while (n < 0 && errno == EINTR);
	return (long)n;
}

static void
stderr_write(void *ctx, const char *line)
{
	(void)ctx;
	fprintf(stderr, "%s\n", line);
}

int
kss_cgi_run(void)
{
	struct kss_io io = {
		.params = {env_get, NULL},
		.read = stdin_read,
		.log = {stderr_write, NULL},
	};
	struct kss_response resp;
	char head[256];
	int n, rc = 0;

	kss_serve(&io, &resp);
	if ((n = kss_response_head(&resp, head, sizeof(head))) < 0 ||
	    fwrite(head, 1, (size_t)n, stdout) != (size_t)n ||
	    fwrite(resp.body, 1, resp.len, stdout) != resp.len ||
	    fflush(stdout) != 0)
		rc = 1;
	kss_response_free(&resp);
	return rc;
}
