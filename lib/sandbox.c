/* The sandbox (sandbox.h, README "Sandbox").
 *
 * Two locks, in this order, each for the whole process and for good:
 *
 *   Landlock (Linux 5.13+): file access only beneath the data folder and
 *   in the shared RAM folder. Rights the kernel does not know (an older
 *   ABI) are simply not asked for; a kernel without Landlock leaves
 *   seccomp alone, since that is normal on an older or differently built
 *   kernel, not a failure.
 *
 *   seccomp: an allowlist of the system calls kss makes once it serves
 *   (found by tracing the whole test suite, CGI and FastCGI, with strace
 *   -f), by libseccomp's names so that one list serves every
 *   architecture; anything else, and any call made through another
 *   architecture's entry (i386's int 0x80 on x86_64, x32), kills the
 *   process. A few calls are narrowed by their arguments: threads but no
 *   fork, no executable memory, signals only to this process.
 *
 * Whatever fails once the kernel offers a lock is a failure: the caller
 * then does not serve (fail closed), since a sandbox that quietly is not
 * there is worse than none said to be off (KSS_SANDBOX=false). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "conf.h"
#include "log.h"
#include "sandbox.h"

#ifdef KSS_SANDBOX
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <stdint.h>
#include <seccomp.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <termios.h>
#if defined(HAVE_LINUX_LANDLOCK_H) && defined(SYS_landlock_create_ruleset)
#include <linux/landlock.h>
#define KSS_LANDLOCK 1
#endif
#endif

static bool confined;
static bool filtered;
static bool admit_inet, admit_unix;	/* sockets the filter admits */

bool
kss_sandbox_wanted(const char *v, const struct kss_log *log)
{
#ifdef KSS_SANDBOX
	bool on = true;

	if (v == NULL || *v == '\0')
		return true;
	if (kss_config_bool(v, &on) < 0) {
		/* A typo must not turn it off; nor may it pass unsaid. */
		kss_logf(log, "KSS_SANDBOX must be true or false; the sandbox "
		    "stays on");
		return true;
	}
	if (!on)
		kss_logf(log, "sandbox off (KSS_SANDBOX=false): for debugging "
		    "only");
	return on;
#else
	(void)v;
	(void)log;
	return false;
#endif
}

bool
kss_sandbox_confined(void)
{
	return confined;
}

bool
kss_sandbox_filtered(void)
{
	return filtered;
}

bool
kss_sandbox_admits(int family)
{
	if (!filtered)
		return true;
	return family == AF_UNIX ? admit_unix :
	    (family == AF_INET || family == AF_INET6) && admit_inet;
}

const char *
kss_sandbox_why(int err)
{
	if (err != EACCES || !confined)
		return "";
	return " (kss's sandbox admits only the folders it was started "
	    "with: see Sandbox in README)";
}

#ifdef KSS_LANDLOCK

/* Rights a later ABI added, by the kernel's numbers, for headers older
 * than the kernel (Debian 12's are Linux 6.1's, ABI 2). */
#ifndef LANDLOCK_ACCESS_FS_REFER
#define LANDLOCK_ACCESS_FS_REFER (1ULL << 13)			/* ABI 2 */
#endif
#ifndef LANDLOCK_ACCESS_FS_TRUNCATE
#define LANDLOCK_ACCESS_FS_TRUNCATE (1ULL << 14)		/* ABI 3 */
#endif
#ifndef LANDLOCK_ACCESS_FS_IOCTL_DEV
#define LANDLOCK_ACCESS_FS_IOCTL_DEV (1ULL << 15)		/* ABI 5 */
#endif

/* The kernel's Landlock ABI, 0 without (not built in: ENOSYS; built in
 * but not enabled at boot: EOPNOTSUPP). */
static int
landlock_abi(void)
{
	long v = syscall(SYS_landlock_create_ruleset, NULL, 0,
	    LANDLOCK_CREATE_RULESET_VERSION);

	return v < 0 ? 0 : (int)v;
}

/* Every file-system right the kernel's ABI knows: all are denied but
 * those a rule gives back. (Network and scope rights, ABI 4 and 6, are
 * seccomp's business here: kss makes no socket but a Redis store's, and
 * sends no signal out.) */
static unsigned long long
handled(int abi)
{
	unsigned long long h = LANDLOCK_ACCESS_FS_EXECUTE |
	    LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_READ_FILE |
	    LANDLOCK_ACCESS_FS_READ_DIR | LANDLOCK_ACCESS_FS_REMOVE_DIR |
	    LANDLOCK_ACCESS_FS_REMOVE_FILE | LANDLOCK_ACCESS_FS_MAKE_CHAR |
	    LANDLOCK_ACCESS_FS_MAKE_DIR | LANDLOCK_ACCESS_FS_MAKE_REG |
	    LANDLOCK_ACCESS_FS_MAKE_SOCK | LANDLOCK_ACCESS_FS_MAKE_FIFO |
	    LANDLOCK_ACCESS_FS_MAKE_BLOCK | LANDLOCK_ACCESS_FS_MAKE_SYM;

	if (abi >= 2)
		h |= LANDLOCK_ACCESS_FS_REFER;
	if (abi >= 3)
		h |= LANDLOCK_ACCESS_FS_TRUNCATE;
	if (abi >= 5)
		h |= LANDLOCK_ACCESS_FS_IOCTL_DEV;
	return h;
}

/* The data folder: users' folders made, renamed and removed, records
 * written by temporary file and rename. Never executed, never a link,
 * device, FIFO or socket. */
#define DATA_RIGHTS (LANDLOCK_ACCESS_FS_READ_FILE | \
    LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_READ_DIR | \
    LANDLOCK_ACCESS_FS_REMOVE_DIR | LANDLOCK_ACCESS_FS_REMOVE_FILE | \
    LANDLOCK_ACCESS_FS_MAKE_DIR | LANDLOCK_ACCESS_FS_MAKE_REG | \
    LANDLOCK_ACCESS_FS_REFER | LANDLOCK_ACCESS_FS_TRUNCATE)

/* The shared RAM folder (rundir.h): files made, linked or renamed into
 * place, removed, and the table of failed logins sized (ftruncate). */
#define CACHE_RIGHTS (LANDLOCK_ACCESS_FS_READ_FILE | \
    LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_READ_DIR | \
    LANDLOCK_ACCESS_FS_REMOVE_FILE | LANDLOCK_ACCESS_FS_MAKE_REG | \
    LANDLOCK_ACCESS_FS_TRUNCATE)

/* Gives folder dir (O_PATH: no right on it is needed to name it) rights
 * in ruleset rs. A folder that is not there is given nothing: the data
 * folder is, the caller opened it; a RAM folder that could not be made
 * stays out of reach, and the code that wanted it says so when it
 * tries. -1 with errno on any other failure. */
static int
admit(int rs, const char *dir, unsigned long long rights, bool follow)
{
	struct landlock_path_beneath_attr pb = {.allowed_access = rights};
	int fd, rc, saved;

	if (dir[0] == '\0')
		return 0;
	if ((fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC |
	    (follow ? 0 : O_NOFOLLOW))) < 0)
		return errno == ENOENT || errno == ENOTDIR || errno == ELOOP ||
		    errno == EACCES ? 0 : -1;
	pb.parent_fd = fd;
	rc = (int)syscall(SYS_landlock_add_rule, rs, LANDLOCK_RULE_PATH_BENEATH,
	    &pb, 0);
	saved = errno;
	close(fd);
	errno = saved;
	return rc;
}

/* 0 in place, 1 when the kernel has no Landlock, -1 (said) on failure. */
static int
landlock(const struct kss_sandbox *sb, const struct kss_log *log)
{
	struct landlock_ruleset_attr attr;
	unsigned long long h;
	int abi, rs, saved;

	if ((abi = landlock_abi()) < 1)
		return 1;
	h = handled(abi);
	memset(&attr, 0, sizeof(attr));
	attr.handled_access_fs = h;
	if ((rs = (int)syscall(SYS_landlock_create_ruleset, &attr,
	    sizeof(attr), 0)) < 0) {
		kss_logf(log, "sandbox: Landlock (ABI %d): cannot make a "
		    "ruleset: %s", abi, strerror(errno));
		return -1;
	}
	if (admit(rs, sb->data, DATA_RIGHTS & h, true) < 0 ||
	    admit(rs, sb->cache, CACHE_RIGHTS & h, false) < 0 ||
	    syscall(SYS_landlock_restrict_self, rs, 0) < 0) {
		saved = errno;
		close(rs);
		kss_logf(log, "sandbox: Landlock (ABI %d): %s", abi,
		    strerror(saved));
		return -1;
	}
	close(rs);
	confined = true;
	return 0;
}

#endif /* KSS_LANDLOCK */

#ifdef KSS_SANDBOX

/* The system calls kss makes once in the sandbox, CGI or FastCGI: libc's
 * memory, files in its folders, time, threads and their stop, the
 * FastCGI socket. By libseccomp's names: a name the running architecture
 * lacks (mmap2, fcntl64, ...) is skipped by libseccomp, one it does not
 * know at all (a libseccomp older than the call) here. Those narrowed by
 * their arguments are in rules() below. */
static const char *const allowed[] = {
	/* memory (malloc, thread stacks, a login's 16 MiB hash) */
	"brk", "munmap", "mremap", "madvise",
	/* files in the data and RAM folders; stdio; the FastCGI stream
	 * (stat: the calls an older libc or another architecture makes for
	 * stat() and fstat()) */
	"read", "write", "readv", "writev", "lseek", "_llseek", "close",
	"openat", "openat2", "newfstatat", "fstat", "fstat64", "fstatat64",
	"stat", "stat64", "lstat", "lstat64", "statx", "fstatfs",
	"fstatfs64", "fcntl", "fcntl64", "ftruncate", "ftruncate64", "fsync",
	"mkdir", "mkdirat", "renameat", "renameat2", "unlinkat", "linkat",
	"getdents64", "faccessat", "faccessat2",
	/* time, ids, randomness (libsodium, temporary names) */
	"clock_gettime", "clock_gettime64", "gettimeofday", "time",
	"getpid", "gettid", "geteuid", "getrandom",
	/* threads: locks, their start (clone: rules()), malloc's arenas,
	 * a stop by signal, the cancel of a waiting thread, and exit */
	"futex", "futex_time64", "set_robust_list", "rseq",
	"sched_getaffinity", "sched_yield", "rt_sigaction", "rt_sigprocmask",
	"rt_sigreturn", "sigreturn", "rt_sigtimedwait",
	"rt_sigtimedwait_time64", "restart_syscall", "exit", "exit_group",
	/* FastCGI: accept a connection, and libfcgi's close of it */
	"accept", "accept4", "shutdown", "poll", "ppoll", "ppoll_time64",
	"select", "_newselect", "pselect6", "pselect6_time64",
};

/* Adds name with action, when n > 0 only for calls whose arguments
 * match arg[0..n). A negative errno from libseccomp. */
static int
rule(scmp_filter_ctx ctx, uint32_t action, const char *name, unsigned n,
    const struct scmp_arg_cmp *arg)
{
	int nr = seccomp_syscall_resolve_name(name);

	if (nr == __NR_SCMP_ERROR)
		return 0;
	return seccomp_rule_add_array(ctx, action, nr, n, arg);
}

static int
allow(scmp_filter_ctx ctx, const char *name, unsigned n,
    const struct scmp_arg_cmp *arg)
{
	return rule(ctx, SCMP_ACT_ALLOW, name, n, arg);
}

/* Calls allowed only with some arguments; a negative errno from
 * libseccomp. */
static int
rules(scmp_filter_ctx ctx)
{
	/* clone(2)'s flags are its first argument but on s390. */
#if defined(__s390__) || defined(__s390x__)
	const struct scmp_arg_cmp thread =
	    SCMP_A1(SCMP_CMP_MASKED_EQ, CLONE_THREAD, CLONE_THREAD);
#else
	const struct scmp_arg_cmp thread =
	    SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD, CLONE_THREAD);
#endif
	const struct scmp_arg_cmp noexec =
	    SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0);
	const struct scmp_arg_cmp self =
	    SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)getpid());
	const struct scmp_arg_cmp private_mode =
	    SCMP_A1(SCMP_CMP_MASKED_EQ, 077, 0);
	const struct scmp_arg_cmp nodelay[] = {
		SCMP_A1(SCMP_CMP_EQ, IPPROTO_TCP),
		SCMP_A2(SCMP_CMP_EQ, TCP_NODELAY),
	};
	int rc;

	/* Threads (FastCGI's workers), never a new process: clone3()
	 * passes its flags in memory, where no filter can see them, so it
	 * answers ENOSYS and glibc falls back to clone(). */
	if ((rc = allow(ctx, "clone", 1, &thread)) < 0 ||
	    (rc = rule(ctx, SCMP_ACT_ERRNO(ENOSYS), "clone3", 0, NULL)) < 0)
		return rc;
	/* Memory, never executable: nothing is loaded once in the
	 * sandbox (libgcc_s is loaded before: cgi/fcgi.c). */
	if ((rc = allow(ctx, "mmap", 1, &noexec)) < 0 ||
	    (rc = allow(ctx, "mmap2", 1, &noexec)) < 0 ||
	    (rc = allow(ctx, "mprotect", 1, &noexec)) < 0)
		return rc;
	/* libfcgi turns Nagle off on each TCP connection it accepts
	 * (--listen HOST:PORT); no other socket option. */
	if ((rc = allow(ctx, "setsockopt", 2, nodelay)) < 0)
		return rc;
	/* A data folder found open to other users is made 0700 (dirmode.c):
	 * a mode that gives group and others nothing, of a file already
	 * open beneath the sandbox's folders. */
	if ((rc = allow(ctx, "fchmod", 1, &private_mode)) < 0)
		return rc;
	/* Signals to this process's threads only: pthread_kill(),
	 * pthread_cancel(). */
	if ((rc = allow(ctx, "tgkill", 1, &self)) < 0)
		return rc;
	/* stdio asks whether stdout is a terminal (TCGETS) before it first
	 * writes there: "no", and no other ioctl. */
	return rule(ctx, SCMP_ACT_ERRNO(ENOTTY), "ioctl", 0, NULL);
}

/* socket(family, SOCK_STREAM, 0), with or without SOCK_NONBLOCK and
 * SOCK_CLOEXEC. */
static int
allow_socket(scmp_filter_ctx ctx, int family)
{
	const struct scmp_arg_cmp arg[] = {
		SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)family),
		SCMP_A1(SCMP_CMP_MASKED_EQ,
		    ~(scmp_datum_t)(SOCK_NONBLOCK | SOCK_CLOEXEC), SOCK_STREAM),
		SCMP_A2(SCMP_CMP_EQ, 0),
	};

	return allow(ctx, "socket", 3, arg);
}

/* setsockopt(fd, level, name, ...) */
static int
allow_sockopt(scmp_filter_ctx ctx, const char *call, int level, int name)
{
	const struct scmp_arg_cmp arg[] = {
		SCMP_A1(SCMP_CMP_EQ, (scmp_datum_t)level),
		SCMP_A2(SCMP_CMP_EQ, (scmp_datum_t)name),
	};

	return allow(ctx, call, 2, arg);
}

/* The Redis store's connection (redis_conn.c): a stream socket of the
 * configured kind, connected without blocking (poll, then SO_ERROR),
 * with reply timeouts (SO_RCVTIMEO, SO_SNDTIMEO; their _NEW numbers
 * where a 64-bit time_t takes them) and TCP_NODELAY, already admitted.
 * Without a Redis store, none of it: a socket kills. (A store named only
 * by a request's params does not try: kss_sandbox_admits().) */
static int
redis_rules(scmp_filter_ctx ctx, const struct kss_sandbox *sb)
{
	static const int timeouts[] = {SO_RCVTIMEO, SO_SNDTIMEO,
#ifdef SO_RCVTIMEO_NEW
	    SO_RCVTIMEO_NEW, SO_SNDTIMEO_NEW,
#endif
	};
	size_t i;
	int rc;

	if (!sb->redis_inet && !sb->redis_unix)
		return 0;
	if ((sb->redis_inet && ((rc = allow_socket(ctx, AF_INET)) < 0 ||
	    (rc = allow_socket(ctx, AF_INET6)) < 0)) ||
	    (sb->redis_unix && (rc = allow_socket(ctx, AF_UNIX)) < 0) ||
	    (rc = allow(ctx, "connect", 0, NULL)) < 0 ||
	    (rc = allow_sockopt(ctx, "getsockopt", SOL_SOCKET, SO_ERROR)) < 0)
		return rc;
	for (i = 0; i < sizeof(timeouts) / sizeof(timeouts[0]); i++) {
		if ((rc = allow_sockopt(ctx, "setsockopt", SOL_SOCKET,
		    timeouts[i])) < 0)
			return rc;
	}
	return 0;
}

/* 0, or -1 (said on the log). */
static int
load_filter(const struct kss_sandbox *sb, const struct kss_log *log)
{
	scmp_filter_ctx ctx;
	const char *what = "cannot start";
	size_t i;
	int rc = -ENOMEM;

	/* The whole process, not the thread, is killed: a FastCGI process
	 * must not serve on with a worker gone. */
	if ((ctx = seccomp_init(SCMP_ACT_KILL_PROCESS)) == NULL)
		goto fail;
	/* The architecture is checked first (libseccomp admits the native
	 * one only); a call through another is killed like any other. */
	what = "cannot set its attributes";
	if ((rc = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH,
	    SCMP_ACT_KILL_PROCESS)) < 0 ||
	    (rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 1)) < 0 ||
	    /* Every thread, should a library have started one. */
	    (rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1)) < 0)
		goto fail;
	what = "cannot add a rule";
	for (i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++) {
		if ((rc = allow(ctx, allowed[i], 0, NULL)) < 0)
			goto fail;
	}
	if ((rc = rules(ctx)) < 0 || (rc = redis_rules(ctx, sb)) < 0)
		goto fail;
	what = "cannot load the filter";
	if ((rc = seccomp_load(ctx)) < 0)
		goto fail;
	seccomp_release(ctx);
	return 0;
fail:
	kss_logf(log, "sandbox: seccomp: %s: %s (KSS_SANDBOX=false runs "
	    "without the sandbox: see README)", what, strerror(-rc));
	if (ctx != NULL)
		seccomp_release(ctx);
	return -1;
}

#endif /* KSS_SANDBOX */

enum kss_sandbox_got
kss_sandbox_enter(const struct kss_sandbox *sb, const struct kss_log *log)
{
#ifdef KSS_SANDBOX
	int ll = 1;

	/* Landlock asks for it; seccomp would set it too. A process that
	 * cannot gain privileges (set-user-ID programs) is all kss is. */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		kss_logf(log, "sandbox: no_new_privs: %s", strerror(errno));
		return KSS_SANDBOX_FAILED;
	}
#ifdef KSS_LANDLOCK
	if (sb->confine && (ll = landlock(sb, log)) < 0)
		return KSS_SANDBOX_FAILED;
#else
	(void)sb;
#endif
	if (load_filter(sb, log) < 0)
		return KSS_SANDBOX_FAILED;
	filtered = true;
	admit_inet = sb->redis_inet;
	admit_unix = sb->redis_unix;
	return ll == 1 && sb->confine ? KSS_SANDBOX_NO_LANDLOCK :
	    KSS_SANDBOX_ALL;
#else
	(void)sb;
	(void)log;
	return KSS_SANDBOX_ALL;
#endif
}

const char *
kss_sandbox_describe(char *buf, int size)
{
#if defined(KSS_LANDLOCK)
	int abi = landlock_abi();

	if (abi > 0)
		snprintf(buf, (size_t)size, "seccomp and Landlock (this "
		    "kernel's ABI %d)", abi);
	else
		snprintf(buf, (size_t)size, "seccomp; no Landlock in this "
		    "kernel");
#elif defined(KSS_SANDBOX)
	snprintf(buf, (size_t)size, "seccomp; built without Landlock (no "
	    "linux/landlock.h)");
#else
	snprintf(buf, (size_t)size, "none (built with --disable-sandbox)");
#endif
	return buf;
}
