#include "common/log.h"

#include <stdarg.h>
#include <stdio.h>

static const char *log_progname = "vigilante";
static enum vg_log_level log_level = VG_LOG_INFO;

void vg_log_init(const char *progname, enum vg_log_level level)
{
	log_progname = progname;
	log_level = level;
}

enum vg_log_level vg_log_set_level(enum vg_log_level level)
{
	enum vg_log_level old = log_level;

	log_level = level;
	return old;
}

void vg_log(enum vg_log_level level, const char *fmt, ...)
{
	static const char *const names[] = {"error", "warning", "info", "debug"};
	va_list ap;

	if (level > log_level)
		return;
	fprintf(stderr, "%s: %s: ", log_progname, names[level]);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}
