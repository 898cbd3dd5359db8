#include "common/utf8.h"

#include <stdbool.h>
#include <stdint.h>

size_t utf8_sequence_length(const unsigned char *s, size_t avail)
{
	uint32_t cp;
	size_t n;

	if (s[0] < 0x80)
		return 1;
	if ((s[0] & 0xe0) == 0xc0) {
		n = 2;
		cp = s[0] & 0x1f;
	} else if ((s[0] & 0xf0) == 0xe0) {
		n = 3;
		cp = s[0] & 0x0f;
	} else if ((s[0] & 0xf8) == 0xf0) {
		n = 4;
		cp = s[0] & 0x07;
	} else {
		return 0;
	}
	if (n > avail)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

void utf8_escape(const char *text, size_t len, char *out)
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
