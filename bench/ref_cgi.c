/* The reference CGI program: the same answers as ref_fcgi.c, one request
 * per process, as kss.cgi. */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "ref.h"

/* The whole body, up to CONTENT_LENGTH (at most REF_BODY_MAX). */
static size_t
read_body(char *buf)
{
	const char *cl = getenv("CONTENT_LENGTH");
	long want = cl != NULL ? strtol(cl, NULL, 10) : 0;
	size_t got = 0;

	if (want < 0 || want > REF_BODY_MAX)
		want = REF_BODY_MAX;
	while (got < (size_t)want) {
		ssize_t n = read(STDIN_FILENO, buf + got, (size_t)want - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	return got;
}

int
main(void)
{
	static char body[REF_BODY_MAX];
	struct ref_answer a;
	size_t len;

	if (ref_init() != 0)
		return 1;
	len = read_body(body);
	a = ref_handle(getenv("REQUEST_METHOD"), body, len);
	printf("Status: %d\r\nContent-Type: application/json\r\n\r\n%s",
	    a.status, a.json);
	return fflush(stdout) == 0 ? 0 : 1;
}
