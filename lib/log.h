/* One line per failure to the web server's error log (DESIGN.md §6). */
#ifndef KSS_LOG_H
#define KSS_LOG_H

struct kss_log {
	/* Writes one line (no newline) to the error log. */
	void (*write)(void *ctx, const char *line);
	void *ctx;
};

/* Formats and writes one "kss: ..." line; never pass a key or password. */
void kss_logf(const struct kss_log *log, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
