/* File formats that end in a SHA-256 of the bytes before it: random bytes
 * never get past that check, so the targets also decode the input "sealed",
 * with its digest appended, to reach the parser behind it. */
#ifndef VG_FUZZ_SEAL_H
#define VG_FUZZ_SEAL_H

#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "fuzz.h"

/* Calls decode on data[0..size) as it is, then followed by its SHA-256. */
static inline void decode_raw_and_sealed(const uint8_t *data, size_t size,
					 void (*decode)(const uint8_t *data, size_t size))
{
	unsigned char *sealed = malloc(size + 32);

	FUZZ_REQUIRE(sealed, "out of memory");
	if (size)
		memcpy(sealed, data, size);
	FUZZ_REQUIRE(EVP_Digest(data, size, sealed + size, NULL, EVP_sha256(), NULL), "EVP_Digest");
	decode(data, size);
	decode(sealed, size + 32);
	free(sealed);
}

#endif
