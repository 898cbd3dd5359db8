/* Names for mkstemp() and mkdtemp(): a prefix followed by the six 'X'
 * characters that libc replaces with a unique suffix. */
#ifndef VG_TESTS_TEMP_NAME_H
#define VG_TESTS_TEMP_NAME_H

#include <stdio.h>
#include <string.h>

static inline char *temp_name(char *buf, size_t len, const char *prefix)
{
	int n = snprintf(buf, len, "%s", prefix);

	if (n >= 0 && (size_t)n + 7 <= len) {
		memset(buf + n, 'X', 6);
		buf[n + 6] = '\0';
	}
	return buf;
}

#endif
