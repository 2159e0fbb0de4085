/* The reference FastCGI responder: libfcgi's reentrant API, one request
 * at a time per process, as kss.fcgi. Run under spawn-fcgi. */
#define _POSIX_C_SOURCE 200809L

#include <stdlib.h>

#include <fcgiapp.h>

#include "ref.h"

/* The whole body, up to CONTENT_LENGTH (at most REF_BODY_MAX): a server
 * must read what it is sent. */
static size_t
read_body(FCGX_Request *req, char *buf)
{
	const char *cl = FCGX_GetParam("CONTENT_LENGTH", req->envp);
	long want = cl != NULL ? strtol(cl, NULL, 10) : 0;
	size_t got = 0;

	if (want < 0 || want > REF_BODY_MAX)
		want = REF_BODY_MAX;
	while (got < (size_t)want) {
		int n = FCGX_GetStr(buf + got, (int)((size_t)want - got), req->in);

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
	FCGX_Request req;

	if (ref_init() != 0 || FCGX_Init() != 0 ||
	    FCGX_InitRequest(&req, 0, 0) != 0)
		return 1;
	while (FCGX_Accept_r(&req) >= 0) {
		const char *method = FCGX_GetParam("REQUEST_METHOD", req.envp);
		size_t len = read_body(&req, body);
		struct ref_answer a = ref_handle(method, body, len);

		FCGX_FPrintF(req.out, "Status: %d\r\n"
		    "Content-Type: application/json\r\n\r\n%s", a.status, a.json);
		FCGX_Finish_r(&req);
	}
	return 0;
}
