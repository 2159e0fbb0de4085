/* The sandbox (README, "Sandbox"; Linux): once a process has read its
 * configuration and opened its data folder, and before it reads a
 * request, it gives up every system call kss does not make (seccomp,
 * kill by default) and every file outside its folders (Landlock, where
 * the kernel has it). What is given up cannot be taken back, by kss or
 * by code that a flaw in the request parser would let an attacker run. */
#ifndef KSS_SANDBOX_H
#define KSS_SANDBOX_H

#include <stdbool.h>

#include "conf.h"

struct kss_log;

/* The folders a sandboxed process may still use; "" for none. */
struct kss_sandbox {
	char data[KSS_DIR_SIZE];	/* KSS_DIR: read and written beneath */
	char cache[KSS_DIR_SIZE];	/* KSS_CACHE_DIR: files in it */
	/* Whether the process is to keep only the folders above: false
	 * when they are not known at start (a FastCGI process given
	 * KSS_DIR per request only), and then seccomp alone applies. */
	bool confine;
	/* The store is a Redis server, reached over TCP (IPv4 or IPv6) or
	 * a unix socket, and (re)connected to from inside the sandbox:
	 * a stream socket of that kind, connect() and the options
	 * redis_conn.c sets are admitted, nothing else of the network. */
	bool redis_inet, redis_unix;
};

enum kss_sandbox_got {
	KSS_SANDBOX_FAILED = -1,	/* said on the log: do not serve */
	KSS_SANDBOX_ALL,		/* seccomp, and Landlock if confine */
	KSS_SANDBOX_NO_LANDLOCK,	/* seccomp; the kernel has no Landlock */
};

/* Whether the process is to enter the sandbox: false when this build has
 * none (configure --disable-sandbox) or when v, KSS_SANDBOX from the
 * process's own environment (never a FastCGI param: the sandbox is in
 * place before any request), is false (a debugging switch, said on the
 * log each time). A value that is not a boolean leaves it on, said. */
bool kss_sandbox_wanted(const char *v, const struct kss_log *log);

/* Puts the calling process in the sandbox: Landlock first (only sb's
 * folders, when sb->confine and the kernel has it), then the seccomp
 * allowlist, for every thread it starts afterwards. Call it before
 * starting threads: Landlock holds for the calling thread and those it
 * starts. */
enum kss_sandbox_got kss_sandbox_enter(const struct kss_sandbox *sb,
    const struct kss_log *log);

/* Whether this process is in the seccomp filter: then no name lookup
 * (it would read files and open sockets the filter forbids). */
bool kss_sandbox_filtered(void);

/* Whether a stream socket of family (AF_INET, AF_INET6, AF_UNIX) may be
 * made: always outside the filter, inside only for the Redis store the
 * sandbox was set up for (a socket() it does not admit kills). */
bool kss_sandbox_admits(int family);

/* Whether this process is confined to its folders (Landlock in place):
 * an EACCES then may be the sandbox's, and kss_sandbox_why() says so. */
bool kss_sandbox_confined(void);

/* What to add to a line saying err, when err may be the sandbox's: "" or
 * a pointer to the README. */
const char *kss_sandbox_why(int err);

/* One line for --help: what this build and kernel give. */
const char *kss_sandbox_describe(char *buf, int size);

#endif
