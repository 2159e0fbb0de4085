/* FastCGI through libfcgi's reentrant API: KSS_THREADS threads, each
 * with one FCGX_Request reused for every request, params read per
 * request then from the process environment (DESIGN.md §5). */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <fcgiapp.h>

#include "kss.h"
#include "main.h"
#include "redis_url.h"
#include "sandbox.h"
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

/* The process environment as a request without params sees it: its
 * settings only. */
static const char *
env_setting(void *ctx, const char *name)
{
	(void)ctx;
	return setting(name) ? getenv(name) : NULL;
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

/* Set once the process is to stop, and when it is because a worker
 * could not accept: the loop's only state besides the requests. */
static atomic_bool stopping;
static atomic_bool broken;

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

/* Answers requests until the process stops (0), or until accept fails
 * (FCGX_Accept_r()'s -errno). The thread may be cancelled only while it
 * waits for a connection, never with a request in hand. */
static int
serve(FCGX_Request *req, struct kss_server *srv)
{
	int rc = 0;

	while (!atomic_load(&stopping)) {
		pthread_setcancelstate(PTHREAD_CANCEL_ENABLE, NULL);
		rc = FCGX_Accept_r(req);
		pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, NULL);
		if (rc < 0)
			break;
		answer(req, srv);
		FCGX_Finish_r(req);
	}
	return rc;
}

static struct kss_server *
server_new(void)
{
	struct kss_server *srv = kss_server_new(true);

	if (srv == NULL)
		fprintf(stderr, "kss: cannot start: out of memory, or libsodium "
		    "failed to start\n");
	return srv;
}

/* A thread serving requests with a state of its own (stores, key cache):
 * nothing but the stop flag is shared, and the store's locks tell threads
 * apart (kss_server_threads_ok()). */
struct worker {
	pthread_t id;
	pthread_t boss;		/* the thread that waits for a stop */
	int fd;
	struct kss_server *srv;
	FCGX_Request req;
};

static void
drop_request(void *arg)
{
	FCGX_Free(arg, 1);
}

static void *
work(void *arg)
{
	struct worker *w = arg;
	int rc;

	pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, NULL);
	pthread_cleanup_push(drop_request, &w->req);
	rc = serve(&w->req, w->srv);
	pthread_cleanup_pop(1);
	/* A worker ends on its own only when accept() fails (the socket is
	 * gone, no file descriptor left): the process stops as on a signal,
	 * not with fewer threads, and says why. */
	if (!atomic_load(&stopping)) {
		fprintf(stderr, "kss: cannot accept a connection: %s; "
		    "stopping\n", rc < 0 && rc > -4096 ? strerror(-rc) :
		    "FastCGI error");
		atomic_store(&broken, true);
		pthread_kill(w->boss, SIGTERM);
	}
	return NULL;
}

static void *
idle(void *arg)
{
	(void)arg;
	for (;;)
		pause();
	return NULL;
}

/* glibc loads libgcc_s at a process's first pthread_cancel(): done at
 * start, on a thread of no use, so that the stop needs nothing new (it
 * may come when no file descriptor is left, as after an EMFILE), and a
 * system without the library fails now, not at the stop. */
static int
cancel_ready(void)
{
	pthread_t t;

	if ((errno = pthread_create(&t, NULL, idle, NULL)) != 0)
		return -1;
	pthread_cancel(t);
	pthread_join(t, NULL);
	return 0;
}

static void
stderr_write(void *ctx, const char *line)
{
	(void)ctx;
	fprintf(stderr, "%s\n", line);
}

/* The sandbox, with each worker's store open, before any worker starts
 * (Landlock holds for the threads started after it). Its folders are
 * those of the process's own environment: a request's params come too
 * late, and may name others, which the sandbox then refuses (said on
 * the request's log). Without KSS_DIR there, the data folders come with
 * the requests: no Landlock then, only seccomp, said once. With a Redis
 * store every worker opens its own now, not only the first: its host
 * name can be looked up only now. -1 (said) when kss is not to serve. */
static int
sandbox(struct worker *w, int n)
{
	struct kss_log log = {stderr_write, NULL};
	struct kss_params env = {env_setting, NULL};
	struct kss_sandbox sb = {.confine = true};
	const char *dir = getenv("KSS_DIR"), *store = getenv("KSS_STORE");
	enum kss_sandbox_got got;
	int i;

	if (!kss_sandbox_wanted(getenv("KSS_SANDBOX"), &log))
		return 0;
	/* A Redis store needs no folder, but must be known now for the
	 * sandbox to admit its connection. */
	if ((dir == NULL || *dir == '\0') &&
	    (store == NULL || !kss_redis_url_is(store))) {
		sb.confine = false;
		fprintf(stderr, "kss: sandbox: KSS_DIR is not in kss.fcgi's "
		    "environment, so its file access is not confined to the "
		    "data folder (seccomp still applies; see Sandbox in "
		    "README)\n");
	} else {
		/* A file store needs only the first: the others open the
		 * same folder inside the sandbox, which admits it. */
		if (store == NULL || !kss_redis_url_is(store))
			n = 1;
		for (i = 0; i < n; i++)
			if (kss_server_prepare(w[i].srv, &env, &log, &sb) !=
			    KSS_OK)
				return -1;
	}
	if ((got = kss_sandbox_enter(&sb, &log)) == KSS_SANDBOX_NO_LANDLOCK)
		fprintf(stderr, "kss: sandbox: this kernel has no Landlock, so "
		    "file access is not confined to the data folder (seccomp "
		    "still applies)\n");
	return got == KSS_SANDBOX_FAILED ? -1 : 0;
}

/* n workers, one even for KSS_THREADS=1: this thread waits for a stop
 * signal (blocked in every thread, so none is ever interrupted
 * mid-request), then cancels the workers waiting in accept() and lets the
 * busy ones answer first. A cancel waits for the worker's next accept(),
 * so no signal is lost between a check of the flag and the accept() it
 * guards. */
static int
run(int fd, int n)
{
	struct worker *w;
	struct sigaction sa;
	sigset_t stop;
	int i, made, started, sig, rc = 0;

	if ((w = calloc((size_t)n, sizeof(*w))) == NULL) {
		fprintf(stderr, "kss: cannot start: out of memory\n");
		return 1;
	}
	sigemptyset(&stop);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &stop, NULL);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGPIPE, &sa, NULL);
	if (cancel_ready() < 0) {
		fprintf(stderr, "kss: cannot start a thread: %s\n",
		    strerror(errno));
		free(w);
		return 1;
	}
	/* Every worker's state first: what they start with is set up
	 * before the sandbox closes the way to it. */
	for (made = 0; made < n; made++) {
		w[made].boss = pthread_self();
		w[made].fd = fd;
		if (FCGX_InitRequest(&w[made].req, fd, 0) != 0 ||
		    (w[made].srv = server_new()) == NULL)
			break;
	}
	if (made < n || sandbox(w, n) < 0) {
		for (i = 0; i < made; i++)
			kss_server_free(w[i].srv);
		free(w);
		return 1;
	}
	/* After what the sandbox says, once the process will serve. */
	kss_warn_root();
	for (started = 0; started < n; started++) {
		if ((errno = pthread_create(&w[started].id, NULL, work,
		    &w[started])) != 0) {
			fprintf(stderr, "kss: cannot start a thread: %s\n",
			    strerror(errno));
			break;
		}
	}
	for (i = started; i < n; i++)
		kss_server_free(w[i].srv);
	if (started < n) {
		rc = 1;
		pthread_kill(pthread_self(), SIGTERM);
	}
	sigwait(&stop, &sig);
	atomic_store(&stopping, true);
	for (i = 0; i < started; i++)
		pthread_cancel(w[i].id);
	for (i = 0; i < started; i++) {
		pthread_join(w[i].id, NULL);
		kss_server_free(w[i].srv);
	}
	free(w);
	return rc != 0 || atomic_load(&broken) ? 1 : 0;
}

int
kss_fcgi_threads(void)
{
	const char *v = getenv("KSS_THREADS");
	int n;

	if (kss_config_threads(v, &n) != 0) {
		fprintf(stderr, "kss: KSS_THREADS must be a whole number from 1 "
		    "to %d\n", KSS_THREADS_MAX);
		return -1;
	}
	if (n > 1 && !kss_server_threads_ok()) {
		if (v != NULL && *v != '\0')
			fprintf(stderr, "kss: KSS_THREADS=%s needs locks of open "
			    "files (Linux 3.17 or later); serving one request "
			    "at a time\n", v);
		n = 1;
	}
	return n;
}

int
kss_fcgi_run(int fd, int threads)
{
	if (FCGX_Init() != 0) {
		fprintf(stderr, "kss: cannot start FastCGI\n");
		return 1;
	}
	return run(fd, threads);
}
