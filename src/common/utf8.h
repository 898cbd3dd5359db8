/* UTF-8 validation and escaping, for the places that show or record
 * untrusted bytes (kernel strings, paths, trace files) and must tell text
 * from junk. */
#ifndef VG_COMMON_UTF8_H
#define VG_COMMON_UTF8_H

#include <stddef.h>

/* Length of the valid UTF-8 sequence at s (1..4; avail > 0 bytes there), or
 * 0 if it is invalid (overlong forms, surrogates and code points above
 * U+10FFFF are invalid, as RFC 3629 says). */
size_t utf8_sequence_length(const unsigned char *s, size_t avail);
/* Copies text[0..len) into out (room for 4 * len + 1, NUL-terminated) with
 * what could forge a line of its own or drive a terminal escaped: \n, \t,
 * \r, other control characters (C0, DEL and C1) and every byte that is not
 * valid UTF-8, as \xNN. Valid UTF-8, names in any script, is kept as is. */
void utf8_escape(const char *text, size_t len, char *out);

#endif
