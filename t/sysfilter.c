/* A test helper: runs a program under a seccomp allowlist as systemd's
 * SystemCallFilter= would (kill by default, the native architecture
 * only), so that t/sandbox.t can run kss under examples/kss.service's
 * filter without systemd.
 *
 *   sysfilter NAMES -- PROGRAM [ARG...]
 *
 * NAMES: a file of system call names, one a line (systemd-analyze's
 * expansion of the unit's groups). Names libseccomp does not know, or
 * that this architecture lacks, are skipped, as systemd does. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#ifdef KSS_SANDBOX
#include <seccomp.h>

int
main(int argc, char *argv[])
{
	scmp_filter_ctx ctx;
	char line[128];
	FILE *f;
	int nr, rc;

	if (argc < 4 || strcmp(argv[2], "--") != 0) {
		fprintf(stderr, "usage: sysfilter NAMES -- PROGRAM [ARG...]\n");
		return 2;
	}
	if ((f = fopen(argv[1], "r")) == NULL) {
		perror(argv[1]);
		return 2;
	}
	if ((ctx = seccomp_init(SCMP_ACT_KILL_PROCESS)) == NULL ||
	    seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH,
		SCMP_ACT_KILL_PROCESS) < 0)
		return 2;
	while (fgets(line, sizeof(line), f) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		if (line[0] == '\0' ||
		    (nr = seccomp_syscall_resolve_name(line)) == __NR_SCMP_ERROR)
			continue;
		if ((rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0)) < 0) {
			fprintf(stderr, "sysfilter: %s: %s\n", line,
			    strerror(-rc));
			return 2;
		}
	}
	fclose(f);
	if ((rc = seccomp_load(ctx)) < 0) {
		fprintf(stderr, "sysfilter: %s\n", strerror(-rc));
		return 2;
	}
	seccomp_release(ctx);
	execv(argv[3], argv + 3);
	perror(argv[3]);
	return 127;
}
#else
int
main(void)
{
	fprintf(stderr, "sysfilter: built without libseccomp\n");
	return 2;
}
#endif
