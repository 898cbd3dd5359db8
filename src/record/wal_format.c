/* Encoding and decoding of the forensic log's on-disk structures, the CRC32C
 * that frames them and the SHA-256 chain that links records. */
#include "record/wal_format.h"

#include <endian.h>
#include <errno.h>
#include <inttypes.h>
#include <isa-l/crc.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct wal_hasher {
	EVP_MD *sha256;
	EVP_MD_CTX *ctx;
};

bool wal_type_known(uint32_t type)
{
	return type >= WAL_DAEMON_START && type <= WAL_DECOY;
}

uint32_t wal_crc32c(const void *data, size_t len)
{
	/* ISA-L takes an int length and leaves init/final to the caller; CRC32C
	 * is defined with both set to all ones. Records never exceed INT_MAX. */
	return crc32_iscsi((unsigned char *)data, (int)len, 0xFFFFFFFFu) ^ 0xFFFFFFFFu;
}

void wal_put_le32(uint8_t *p, uint32_t v)
{
	v = htole32(v);
	memcpy(p, &v, sizeof(v));
}

void wal_put_le64(uint8_t *p, uint64_t v)
{
	v = htole64(v);
	memcpy(p, &v, sizeof(v));
}

uint32_t wal_get_le32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return le32toh(v);
}

uint64_t wal_get_le64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return le64toh(v);
}

void wal_segment_header_encode(const struct wal_segment_header *h,
			       uint8_t out[WAL_SEGMENT_HEADER_SIZE])
{
	memcpy(out, WAL_SEGMENT_MAGIC, 8);
	wal_put_le32(out + 8, WAL_FORMAT_VERSION);
	wal_put_le64(out + 12, h->number);
	wal_put_le64(out + 20, h->first_seq);
	memcpy(out + 28, h->prev_chain, WAL_CHAIN_SIZE);
	wal_put_le32(out + 60, wal_crc32c(out, 60));
}

const char *wal_segment_header_decode(const uint8_t in[WAL_SEGMENT_HEADER_SIZE],
				      struct wal_segment_header *h, bool *torn)
{
	*torn = wal_get_le32(in + 60) != wal_crc32c(in, 60);
	if (*torn)
		return "bad segment header CRC";
	if (memcmp(in, WAL_SEGMENT_MAGIC, 8))
		return "bad segment magic";
	if (wal_get_le32(in + 8) != WAL_FORMAT_VERSION)
		return "unsupported segment format version";
	h->number = wal_get_le64(in + 12);
	h->first_seq = wal_get_le64(in + 20);
	memcpy(h->prev_chain, in + 28, WAL_CHAIN_SIZE);
	return NULL;
}

void wal_record_header_encode(const struct wal_record_header *h,
			      uint8_t out[WAL_RECORD_HEADER_SIZE])
{
	wal_put_le32(out, h->payload_len);
	wal_put_le32(out + 4, h->type);
	wal_put_le64(out + 8, h->seq);
	wal_put_le64(out + 16, h->timestamp_ns);
}

void wal_record_header_decode(const uint8_t in[WAL_RECORD_HEADER_SIZE], struct wal_record_header *h)
{
	h->payload_len = wal_get_le32(in);
	h->type = wal_get_le32(in + 4);
	h->seq = wal_get_le64(in + 8);
	h->timestamp_ns = wal_get_le64(in + 16);
}

void wal_anchor_encode(const struct wal_anchor *a, uint8_t out[WAL_ANCHOR_SLOT_SIZE])
{
	memcpy(out, WAL_ANCHOR_MAGIC, 8);
	wal_put_le32(out + 8, WAL_FORMAT_VERSION);
	wal_put_le64(out + 12, a->seq);
	memcpy(out + 20, a->chain, WAL_CHAIN_SIZE);
	wal_put_le32(out + 52, wal_crc32c(out, 52));
}

bool wal_anchor_decode(const uint8_t in[WAL_ANCHOR_SLOT_SIZE], struct wal_anchor *a)
{
	if (wal_get_le32(in + 52) != wal_crc32c(in, 52) || memcmp(in, WAL_ANCHOR_MAGIC, 8) ||
	    wal_get_le32(in + 8) != WAL_FORMAT_VERSION)
		return false;
	a->seq = wal_get_le64(in + 12);
	memcpy(a->chain, in + 20, WAL_CHAIN_SIZE);
	return true;
}

void wal_segment_name(uint64_t number, char out[WAL_SEGMENT_NAME_LEN + 1])
{
	snprintf(out, WAL_SEGMENT_NAME_LEN + 1, "wal-%016" PRIx64 ".seg", number);
}

bool wal_segment_name_parse(const char *name, uint64_t *number)
{
	uint64_t value = 0;

	if (strlen(name) != WAL_SEGMENT_NAME_LEN || strncmp(name, "wal-", 4) ||
	    strcmp(name + 20, ".seg"))
		return false;
	for (const char *p = name + 4; p < name + 20; p++) {
		if (*p >= '0' && *p <= '9')
			value = value << 4 | (uint64_t)(*p - '0');
		else if (*p >= 'a' && *p <= 'f')
			value = value << 4 | (uint64_t)(*p - 'a' + 10);
		else
			return false;
	}
	*number = value;
	return true;
}

struct wal_hasher *wal_hasher_new(void)
{
	struct wal_hasher *hasher = calloc(1, sizeof(*hasher));

	if (!hasher)
		return NULL;
	hasher->sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
	hasher->ctx = EVP_MD_CTX_new();
	if (!hasher->sha256 || !hasher->ctx) {
		wal_hasher_free(hasher);
		errno = ENOMEM;
		return NULL;
	}
	return hasher;
}

void wal_hasher_free(struct wal_hasher *hasher)
{
	if (!hasher)
		return;
	EVP_MD_CTX_free(hasher->ctx);
	EVP_MD_free(hasher->sha256);
	free(hasher);
}

int wal_chain_compute(struct wal_hasher *hasher, const uint8_t prev_chain[WAL_CHAIN_SIZE],
		      const uint8_t header[WAL_RECORD_HEADER_SIZE], const void *payload,
		      uint32_t payload_len, uint8_t out[WAL_CHAIN_SIZE])
{
	unsigned int out_len = 0;

	if (EVP_DigestInit_ex(hasher->ctx, hasher->sha256, NULL) != 1 ||
	    EVP_DigestUpdate(hasher->ctx, prev_chain, WAL_CHAIN_SIZE) != 1 ||
	    EVP_DigestUpdate(hasher->ctx, header, WAL_RECORD_HEADER_SIZE) != 1 ||
	    (payload_len && EVP_DigestUpdate(hasher->ctx, payload, payload_len) != 1) ||
	    EVP_DigestFinal_ex(hasher->ctx, out, &out_len) != 1 || out_len != WAL_CHAIN_SIZE) {
		errno = EIO;
		return -1;
	}
	return 0;
}
