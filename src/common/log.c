#include "common/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/utf8.h"

static const char *log_progname = "vigilante";
static enum vg_log_level log_level = VG_LOG_INFO;

void vg_log_init(const char *progname, enum vg_log_level level)
{
	log_progname = progname;
	log_level = level;
}

const char *vg_log_progname(void)
{
	return log_progname;
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
	char text[1024], shown[4 * sizeof(text) + 1];
	char *long_text = NULL, *long_shown = NULL;
	const char *message = text;
	char *escaped = shown;
	va_list ap;
	int len;

	if (level > log_level)
		return;
	va_start(ap, fmt);
	len = vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (len < 0)
		len = 0;
	if ((size_t)len >= sizeof(text)) {
		/* Longer than the stack buffer: whole from the heap, or cut. */
		long_text = malloc((size_t)len + 1);
		long_shown = malloc(4 * (size_t)len + 1);
		if (long_text && long_shown) {
			va_start(ap, fmt);
			vsnprintf(long_text, (size_t)len + 1, fmt, ap);
			va_end(ap);
			message = long_text;
			escaped = long_shown;
		} else {
			len = sizeof(text) - 1;
		}
	}
	utf8_escape(message, (size_t)len, escaped);
	/* One call, so that threads' lines do not interleave. */
	fprintf(stderr, "%s: %s: %s\n", log_progname, names[level], escaped);
	free(long_text);
	free(long_shown);
}
