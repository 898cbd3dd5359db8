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

enum vg_log_level vg_log_set_level(enum vg_log_level level)
{
	enum vg_log_level old = log_level;

	log_level = level;
	return old;
}

/* Copies text[0..len) into out (room for 4 * len + 1) with what could forge
 * a line of its own or drive a terminal escaped: \n, \t, \r, other control
 * characters (C0, DEL and C1) and every byte that is not valid UTF-8 as
 * \xNN. Valid UTF-8, names in any script, is kept as is. */
static void escape_message(const char *text, size_t len, char *out)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = (const unsigned char *)text;
	size_t o = 0;

	for (size_t i = 0; i < len;) {
		size_t n = utf8_sequence_length(s + i, len - i);
		bool control =
		    s[i] < 0x20 || s[i] == 0x7f || (n == 2 && s[i] == 0xc2 && s[i + 1] < 0xa0);

		if (n > 0 && !control) {
			for (size_t k = 0; k < n; k++)
				out[o++] = (char)s[i + k];
			i += n;
			continue;
		}
		n = n ? n : 1;
		for (size_t k = 0; k < n; k++, i++) {
			out[o++] = '\\';
			if (s[i] == '\n') {
				out[o++] = 'n';
			} else if (s[i] == '\t') {
				out[o++] = 't';
			} else if (s[i] == '\r') {
				out[o++] = 'r';
			} else {
				out[o++] = 'x';
				out[o++] = hex[s[i] >> 4];
				out[o++] = hex[s[i] & 15];
			}
		}
	}
	out[o] = '\0';
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
	escape_message(message, (size_t)len, escaped);
	/* One call, so that threads' lines do not interleave. */
	fprintf(stderr, "%s: %s: %s\n", log_progname, names[level], escaped);
	free(long_text);
	free(long_shown);
}
