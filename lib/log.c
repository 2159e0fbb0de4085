#include "config.h"

#include <stdarg.h>
#include <stdio.h>

#include "log.h"

void
kss_logf(const struct kss_log *log, const char *fmt, ...)
{
	char line[512];
	va_list ap;
	int n;

	if (log == NULL || log->write == NULL)
		return;
	n = snprintf(line, sizeof(line), "kss: ");
	va_start(ap, fmt);
	vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	va_end(ap);
	log->write(log->ctx, line);
}
