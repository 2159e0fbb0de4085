/* The Redis connection (redis_conn.h). kss makes the socket itself and
 * hands it to hiredis (redisConnectFd): the address is resolved once,
 * before the sandbox, and a reconnect inside it needs only socket(),
 * connect() and the socket options below (sandbox.c admits those when
 * the store is Redis). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "log.h"
#include "redis_conn.h"
#include "redis_url.h"
#include "sandbox.h"

/* The official server's 1 s to connect (protocol.md §6); a little more
 * for a reply, which may wait on a busy server. */
#define CONNECT_MS 1000
#define REPLY_MS 2000
#define ADDRS 4		/* addresses of a name tried in turn */
#define ARGS_MAX 160	/* arguments of one script call (a part of a
			 * delete's page: store_redis.c's PURGE_CHUNK) */

struct kss_redis {
	struct kss_redis_url url;
	const struct kss_log *log;
	redisContext *c;
	struct sockaddr_storage addr[ADDRS];
	socklen_t addrlen[ADDRS];
	int naddr;		/* 0: not resolved (yet) */
	bool looked_up;		/* a name lookup was made, outside the
				 * sandbox, and failed: */
	int gai_rc;		/* why */
	char where[300];	/* host:port or the socket path, for the log */
};

/* Resolves the host to at most ADDRS addresses: only a numeric one in
 * the sandbox, where a name lookup would read files and open sockets it
 * forbids. getaddrinfo()'s error, or 0. */
static int
resolve(struct kss_redis *r)
{
	struct addrinfo hints, *res, *ai;
	char port[8];
	int rc;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV |
	    (kss_sandbox_filtered() ? AI_NUMERICHOST : 0);
	snprintf(port, sizeof(port), "%d", r->url.port);
	if ((rc = getaddrinfo(r->url.host, port, &hints, &res)) != 0)
		return rc;
	for (ai = res; ai != NULL && r->naddr < ADDRS; ai = ai->ai_next) {
		if (ai->ai_addrlen > sizeof(r->addr[0]))
			continue;
		memcpy(&r->addr[r->naddr], ai->ai_addr, ai->ai_addrlen);
		r->addrlen[r->naddr++] = ai->ai_addrlen;
	}
	freeaddrinfo(res);
	return 0;
}

/* Why the host did not resolve (getaddrinfo()'s rc), once per failed
 * connect: a name that failed before the sandbox is not looked up again
 * inside it. */
static void
say_unresolved(struct kss_redis *r, int rc)
{
	if (r->looked_up)
		kss_logf(r->log, "Redis at %s: cannot resolve the host: %s "
		    "(looked up when kss started; its sandbox admits no lookup "
		    "since)", r->where, gai_strerror(r->gai_rc));
	else if (rc == EAI_NONAME && kss_sandbox_filtered())
		kss_logf(r->log, "Redis at %s: kss's sandbox admits no name "
		    "lookup (put KSS_STORE in kss.fcgi's own environment, or "
		    "give an address)", r->where);
	else
		kss_logf(r->log, "Redis at %s: cannot resolve the host: %s",
		    r->where, rc == EAI_SYSTEM ? strerror(errno) :
		    gai_strerror(rc));
}

struct kss_redis *
kss_redis_new(const struct kss_redis_url *u, const struct kss_log *log)
{
	struct kss_redis *r = calloc(1, sizeof(*r));
	struct sockaddr_un *sun;
	int rc;

	if (r == NULL)
		return NULL;
	r->url = *u;
	r->log = log;
	if (u->path[0] != '\0') {
		snprintf(r->where, sizeof(r->where), "%s", u->path);
		sun = (struct sockaddr_un *)&r->addr[0];
		sun->sun_family = AF_UNIX;
		memcpy(sun->sun_path, u->path, strlen(u->path) + 1);
		r->addrlen[0] = sizeof(*sun);
		r->naddr = 1;
	} else {
		snprintf(r->where, sizeof(r->where), strchr(u->host, ':') ?
		    "[%s]:%d" : "%s:%d", u->host, u->port);
		/* A name that does not resolve now is tried again at each
		 * connect, outside the sandbox: the store opens all the
		 * same, and answers 502 until it does. */
		if ((rc = resolve(r)) != 0 && !kss_sandbox_filtered() &&
		    rc != EAI_SYSTEM) {
			r->looked_up = true;
			r->gai_rc = rc;
		}
	}
	return r;
}

static void
drop(struct kss_redis *r)
{
	if (r->c != NULL)
		redisFree(r->c);	/* closes the socket */
	r->c = NULL;
}

void
kss_redis_free(struct kss_redis *r)
{
	if (r == NULL)
		return;
	drop(r);
	explicit_bzero(r->url.password, sizeof(r->url.password));
	free(r);
}

/* Waits for a non-blocking connect() on fd: 0, or -1 with errno. */
static int
wait_connected(int fd)
{
	struct pollfd p = {.fd = fd, .events = POLLOUT};
	socklen_t len = sizeof(int);
	int rc, err = 0;

	while ((rc = poll(&p, 1, CONNECT_MS)) < 0 && errno == EINTR)
		;
	if (rc == 0)
		errno = ETIMEDOUT;
	if (rc <= 0)
		return -1;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		return -1;
	errno = err;
	return err == 0 ? 0 : -1;
}

/* A blocking socket connected to address i, with the reply timeouts
 * set: the fd, or -1 with errno. */
static int
dial(struct kss_redis *r, int i)
{
	const struct sockaddr *sa = (const struct sockaddr *)&r->addr[i];
	struct timeval tv = {REPLY_MS / 1000, (REPLY_MS % 1000) * 1000};
	int fd, on = 1, saved;

	/* The sandbox kills a socket() it was not set up for. */
	if (!kss_sandbox_admits(sa->sa_family)) {
		errno = EACCES;
		return -1;
	}
	if ((fd = socket(sa->sa_family, SOCK_STREAM | SOCK_CLOEXEC |
	    SOCK_NONBLOCK, 0)) < 0)
		return -1;
	if ((connect(fd, sa, r->addrlen[i]) < 0 &&
	    (errno != EINPROGRESS || wait_connected(fd) < 0)) ||
	    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0 ||
	    /* Requests are small and each waits for its reply: Nagle would
	     * only hold a pipeline's tail back. */
	    (sa->sa_family != AF_UNIX && setsockopt(fd, IPPROTO_TCP,
	    TCP_NODELAY, &on, sizeof(on)) < 0)) {
		saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}

/* AUTH and SELECT, in one round trip, on a new connection. */
static enum kss_err
hello(struct kss_redis *r)
{
	const char *argv[3];
	size_t len[3];
	int n = 0, i, argc;
	redisReply *rep;
	enum kss_err e = KSS_OK;
	char db[8];

	if (r->url.password[0] != '\0') {
		argc = 0;
		argv[argc] = "AUTH", len[argc++] = 4;
		if (r->url.user[0] != '\0') {
			argv[argc] = r->url.user;
			len[argc++] = strlen(r->url.user);
		}
		argv[argc] = r->url.password;
		len[argc++] = strlen(r->url.password);
		n += redisAppendCommandArgv(r->c, argc, argv, len) == REDIS_OK;
	}
	if (r->url.db != 0) {
		snprintf(db, sizeof(db), "%d", r->url.db);
		argv[0] = "SELECT", len[0] = 6;
		argv[1] = db, len[1] = strlen(db);
		n += redisAppendCommandArgv(r->c, 2, argv, len) == REDIS_OK;
	}
	for (i = 0; i < n; i++) {
		if (redisGetReply(r->c, (void **)&rep) != REDIS_OK) {
			kss_logf(r->log, "Redis at %s: %s", r->where,
			    r->c->errstr);
			return KSS_E_STORE_DOWN;
		}
		if (rep->type == REDIS_REPLY_ERROR && e == KSS_OK) {
			/* The server's words name no secret ("WRONGPASS
			 * invalid username-password pair ..."). */
			kss_logf(r->log, "Redis at %s refuses the connection "
			    "(KSS_STORE's password or database): %.*s",
			    r->where, (int)rep->len, rep->str);
			e = KSS_E_STORE_DOWN;
		}
		freeReplyObject(rep);
	}
	return e;
}

/* A new connection: each address in turn. */
static enum kss_err
connect_any(struct kss_redis *r)
{
	int i, fd = -1, rc = 0;
	enum kss_err e;

	if (r->naddr == 0 && ((r->looked_up && kss_sandbox_filtered()) ||
	    (rc = resolve(r)) != 0)) {
		say_unresolved(r, rc);
		return KSS_E_STORE_DOWN;
	}
	for (i = 0; i < r->naddr && fd < 0; i++)
		fd = dial(r, i);
	if (fd < 0) {
		kss_logf(r->log, "Redis at %s: cannot connect: %s%s", r->where,
		    strerror(errno), errno == EACCES && kss_sandbox_filtered() ?
		    " (kss's sandbox admits the connection of a Redis store "
		    "named by KSS_STORE in kss.fcgi's own environment only: "
		    "see Sandbox in README)" : "");
		return KSS_E_STORE_DOWN;
	}
	if ((r->c = redisConnectFd(fd)) == NULL) {
		close(fd);
		kss_logf(r->log, "Redis at %s: out of memory", r->where);
		return KSS_E_STORE_DOWN;
	}
	if ((e = hello(r)) != KSS_OK)
		drop(r);
	return e;
}

/* Whether a kept connection is still open: nothing is to be read on it
 * between requests, so a readable socket is one the server closed (a
 * restart, its idle timeout) or one out of step; either is made anew
 * rather than fail the request it would carry. */
static bool
alive(const struct kss_redis *r)
{
	struct pollfd p = {.fd = r->c->fd, .events = POLLIN};

	return r->c->err == 0 && poll(&p, 1, 0) == 0;
}

void
kss_redis_free_replies(int n, redisReply **out)
{
	int i;

	for (i = 0; i < n; i++) {
		if (out[i] != NULL)
			freeReplyObject(out[i]);
		out[i] = NULL;
	}
}

enum kss_err
kss_redis_run(struct kss_redis *r, int n, const struct kss_redis_cmd *cmds,
    redisReply **out)
{
	enum kss_err e;
	int i;

	for (i = 0; i < n; i++)
		out[i] = NULL;
	if (r->c != NULL && !alive(r))
		drop(r);
	if (r->c == NULL && (e = connect_any(r)) != KSS_OK)
		return e;
	for (i = 0; i < n; i++) {
		if (redisAppendCommandArgv(r->c, cmds[i].argc, cmds[i].argv,
		    cmds[i].len) != REDIS_OK)
			goto fail;
	}
	for (i = 0; i < n; i++) {
		if (redisGetReply(r->c, (void **)&out[i]) != REDIS_OK)
			goto fail;
	}
	return KSS_OK;
fail:
	kss_logf(r->log, "Redis at %s: %s", r->where,
	    r->c->errstr[0] != '\0' ? r->c->errstr : "out of memory");
	kss_redis_free_replies(n, out);
	drop(r);
	return KSS_E_STORE;
}

enum kss_err
kss_redis_check(struct kss_redis *r, const redisReply *reply,
    const char *what)
{
	if (reply->type != REDIS_REPLY_ERROR)
		return KSS_OK;
	/* A server that wants a password KSS_STORE lacks (database 0: no
	 * SELECT in hello() met it first) refuses the connection, as
	 * hello() says. */
	if (strncmp(reply->str, "NOAUTH", 6) == 0 ||
	    strncmp(reply->str, "WRONGPASS", 9) == 0) {
		kss_logf(r->log, "Redis at %s refuses the connection "
		    "(KSS_STORE's password): %.*s", r->where,
		    (int)reply->len, reply->str);
		return KSS_E_STORE_DOWN;
	}
	kss_logf(r->log, "Redis at %s: %s: %.*s", r->where, what,
	    (int)reply->len, reply->str);
	return KSS_E_STORE;
}

enum kss_err
kss_redis_eval(struct kss_redis *r, const struct kss_redis_script *script,
    int nkeys, int n, const char **args, const size_t *len,
    redisReply **out)
{
	const char *argv[ARGS_MAX + 3];
	size_t alen[ARGS_MAX + 3];
	char nk[8];
	struct kss_redis_cmd cmd = {n + 3, argv, alen};
	enum kss_err e;

	*out = NULL;
	if (n > ARGS_MAX)
		return KSS_E_SERVER;
	snprintf(nk, sizeof(nk), "%d", nkeys);
	argv[0] = "EVALSHA", alen[0] = 7;
	argv[1] = script->sha, alen[1] = strlen(script->sha);
	argv[2] = nk, alen[2] = strlen(nk);
	memcpy(argv + 3, args, (size_t)n * sizeof(*args));
	memcpy(alen + 3, len, (size_t)n * sizeof(*len));
	if ((e = kss_redis_run(r, 1, &cmd, out)) != KSS_OK)
		return e;
	/* Not (yet) in the server's script cache: EVAL puts it there. */
	if ((*out)->type == REDIS_REPLY_ERROR &&
	    strncmp((*out)->str, "NOSCRIPT", 8) == 0) {
		freeReplyObject(*out);
		argv[0] = "EVAL", alen[0] = 4;
		argv[1] = script->text, alen[1] = strlen(script->text);
		if ((e = kss_redis_run(r, 1, &cmd, out)) != KSS_OK)
			return e;
	}
	if ((e = kss_redis_check(r, *out, "script")) != KSS_OK) {
		freeReplyObject(*out);
		*out = NULL;
	}
	return e;
}
