#include "common/file_hash.h"

#include <errno.h>
#include <stdio.h>
#include <unistd.h>

#include <openssl/evp.h>

int sha256_fd(int fd, unsigned char out[VG_SHA256_LEN])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned char buf[65536];
	off_t offset = 0;
	ssize_t n;
	int rc = -1;

	if (!ctx || !EVP_DigestInit_ex(ctx, EVP_sha256(), NULL)) {
		errno = ENOMEM;
		goto out;
	}
	while ((n = pread(fd, buf, sizeof(buf), offset)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			goto out;
		}
		if (!EVP_DigestUpdate(ctx, buf, (size_t)n)) {
			errno = EIO;
			goto out;
		}
		offset += n;
	}
	if (!EVP_DigestFinal_ex(ctx, out, NULL)) {
		errno = EIO;
		goto out;
	}
	rc = 0;
out:
	EVP_MD_CTX_free(ctx);
	return rc;
}

void sha256_hex(const unsigned char digest[VG_SHA256_LEN], char out[2 * VG_SHA256_LEN + 1])
{
	for (int i = 0; i < VG_SHA256_LEN; i++)
		snprintf(out + 2 * i, 3, "%02x", digest[i]);
}
