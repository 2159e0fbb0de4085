/* FastCGI through libfcgi's reentrant API: one FCGX_Request reused for
 * every request, params read per request then from the process
 * environment (DESIGN.md §5). */
#include "config.h"

#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <fcgiapp.h>

#include "kss.h"
#include "transport.h"

/* Whether name is a setting, which may also come from the process
 * environment (lighttpd's bin-environment, systemd's Environment=). The
 * rest describes the request, and only the request may say it: a stray
 * REQUEST_METHOD or PATH_INFO in the environment must not fill in for a
 * param the web server did not send. */
static bool
setting(const char *name)
{
	return strncmp(name, "KSS_", 4) == 0 || strcmp(name, "HOME") == 0 ||
	    strcmp(name, "XDG_DATA_HOME") == 0;
}

/* FCGX_GetParam()'s answer, the first param called name, without its
 * strncmp() call per param: a request's dozen lookups over nginx's two
 * dozen params were a quarter of a healthcheck's instructions. */
static const char *
param_find(char **envp, const char *name)
{
	const char *p;
	size_t i;

	for (; envp != NULL && *envp != NULL; envp++) {
		p = *envp;
		for (i = 0; name[i] != '\0' && p[i] == name[i]; i++)
			;
		if (name[i] == '\0' && p[i] == '=')
			return p + i + 1;
	}
	return NULL;
}

static const char *
param_get(void *ctx, const char *name)
{
	FCGX_Request *req = ctx;
	const char *v = param_find(req->envp, name);

	if (v == NULL && setting(name))
		v = getenv(name);
	return v;
}

static long
body_read(void *ctx, char *buf, size_t len)
{
	FCGX_Request *req = ctx;
	int n = len > 65536 ? 65536 : (int)len;

	return FCGX_GetStr(buf, n, req->in);
}

static void
err_write(void *ctx, const char *line)
{
	FCGX_Request *req = ctx;

	FCGX_FPrintF(req->err, "%s\n", line);
}

/* Set by a stop signal: the loop's only state besides the request. */
static volatile sig_atomic_t stopping;

static void
on_signal(int sig)
{
	(void)sig;
	stopping = 1;
	FCGX_ShutdownPending();
}

/* No SA_RESTART: a signal must interrupt accept() so the loop can end. */
static void
catch_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
}

static void
answer(FCGX_Request *req, struct kss_server *srv)
{
	struct kss_io io = {
		.params = {param_get, req},
		.read = body_read,
		.read_ctx = req,
		.log = {err_write, req},
	};
	struct kss_response resp;
	char head[256];
	int n;

	kss_serve(srv, &io, &resp);
	if ((n = kss_response_head(&resp, head, sizeof(head))) > 0) {
		FCGX_PutStr(head, n, req->out);
		FCGX_PutStr(resp.body, (int)resp.len, req->out);
	}
	kss_response_free(&resp);
}

int
kss_fcgi_run(int fd)
{
	struct kss_server *srv;
	FCGX_Request req;

	if (FCGX_Init() != 0 || FCGX_InitRequest(&req, fd, 0) != 0) {
		fprintf(stderr, "kss: cannot start FastCGI\n");
		return 1;
	}
	/* The loop's state: the store of each data directory, kept open,
	 * and the keys verified, so that steady traffic skips the KDF. */
	if ((srv = kss_server_new(true)) == NULL) {
		fprintf(stderr, "kss: cannot start: out of memory, or libsodium "
		    "failed to start\n");
		return 1;
	}
	catch_signals();
	/* A signal that lands while a request is served ends the loop once
	 * it is answered; one that lands in accept() interrupts it. */
	while (!stopping && FCGX_Accept_r(&req) >= 0) {
		answer(&req, srv);
		FCGX_Finish_r(&req);
	}
	FCGX_Free(&req, 1);
	kss_server_free(srv);
	return 0;
}
