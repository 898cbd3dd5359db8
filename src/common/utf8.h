/* UTF-8 validation, for the places that show or record untrusted bytes
 * (kernel strings, paths, trace files) and must tell text from junk. */
#ifndef VG_COMMON_UTF8_H
#define VG_COMMON_UTF8_H

#include <stddef.h>

/* Length of the valid UTF-8 sequence at s (1..4; avail > 0 bytes there), or
 * 0 if it is invalid (overlong forms, surrogates and code points above
 * U+10FFFF are invalid, as RFC 3629 says). */
size_t utf8_sequence_length(const unsigned char *s, size_t avail);

#endif
