/* SHA-256 of a file's content (OpenSSL), for identities that survive a
 * rename, a hard link or a copy: programs' profiles, and later vaccines and
 * snapshots. */
#ifndef VG_COMMON_FILE_HASH_H
#define VG_COMMON_FILE_HASH_H

#include <stddef.h>

#define VG_SHA256_LEN 32

/* Hashes the open file fd from its start. Returns 0, or -1 with errno. */
int sha256_fd(int fd, unsigned char out[VG_SHA256_LEN]);
/* Lower-case hex, 65 bytes with the NUL. */
void sha256_hex(const unsigned char digest[VG_SHA256_LEN], char out[2 * VG_SHA256_LEN + 1]);

#endif
