/* A minimal TAP producer for the C unit tests (automake's tap-driver.sh
 * reads it). Header-only: each test program is one translation unit. */
#ifndef KSS_TAP_H
#define KSS_TAP_H

#include <stdio.h>
#include <string.h>

static int tap_n, tap_failed;

#define ok(cond, ...) tap_ok(!!(cond), __FILE__, __LINE__, __VA_ARGS__)
#define is_int(got, want, ...) \
	tap_is_int((long long)(got), (long long)(want), __FILE__, __LINE__, __VA_ARGS__)
#define is_str(got, want, ...) \
	tap_is_str((got), (want), __FILE__, __LINE__, __VA_ARGS__)

static int
tap_ok(int pass, const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#include <stdarg.h>

static int
tap_ok(int pass, const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	printf("%sok %d - ", pass ? "" : "not ", ++tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (!pass) {
		printf("#   failed at %s:%d\n", file, line);
		tap_failed++;
	}
	return pass;
}

#define tap_is_int(got, want, file, line, ...) \
	(tap_ok((got) == (want), file, line, __VA_ARGS__) ? 1 : \
	 (printf("#   got %lld, want %lld\n", (got), (want)), 0))

#define tap_is_str(got, want, file, line, ...) \
	(tap_ok((got) != NULL && strcmp((got), (want)) == 0, file, line, \
	    __VA_ARGS__) ? 1 : \
	 (printf("#   got '%s'\n#  want '%s'\n", (got) ? (got) : "(null)", \
	    (want)), 0))

/* Prints the plan; returns the exit status. */
static int
tap_done(void)
{
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}

#endif
