/* The forensic log's on-disk encoding: the segment header, the record frame
 * and the anchor slot, each a fixed sequence of little-endian fields with no
 * padding (wal.c documents the layout). Structs here are in-memory views;
 * they are never written as they are. */
#ifndef VG_RECORD_WAL_FORMAT_H
#define VG_RECORD_WAL_FORMAT_H

#include "record/wal.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WAL_FORMAT_VERSION 1u
#define WAL_CHAIN_SIZE	   32u

#define WAL_SEGMENT_MAGIC	"VGWALSEG"
#define WAL_SEGMENT_HEADER_SIZE 64u

/* A record: header, payload, then trailer (chain hash and CRC32C). */
#define WAL_RECORD_HEADER_SIZE	24u
#define WAL_RECORD_TRAILER_SIZE (WAL_CHAIN_SIZE + 4u)
#define WAL_RECORD_OVERHEAD	(WAL_RECORD_HEADER_SIZE + WAL_RECORD_TRAILER_SIZE)
#define WAL_RECORD_MAX_SIZE	(WAL_RECORD_OVERHEAD + WAL_MAX_PAYLOAD)

/* The anchor file holds two slots, one per disk sector, written in turn. */
#define WAL_ANCHOR_FILE	       "HEAD"
#define WAL_ANCHOR_MAGIC       "VGWALANC"
#define WAL_ANCHOR_SLOT_SIZE   56u
#define WAL_ANCHOR_SLOT_STRIDE 512u
#define WAL_ANCHOR_SLOTS       2u

/* Segment files are named wal-<16 lowercase hex digits>.seg. */
#define WAL_SEGMENT_NAME_LEN 24u

struct wal_segment_header {
	uint64_t number;
	uint64_t first_seq;
	uint8_t prev_chain[WAL_CHAIN_SIZE]; /* chain value of the record before first_seq */
};

struct wal_record_header {
	uint32_t payload_len;
	uint32_t type;
	uint64_t seq;
	uint64_t timestamp_ns;
};

struct wal_anchor {
	uint64_t seq; /* last record known durable */
	uint8_t chain[WAL_CHAIN_SIZE];
};

/* Whether type is one of enum wal_type. */
bool wal_type_known(uint32_t type);

/* CRC32C (Castagnoli) with the standard all-ones init and final XOR. */
uint32_t wal_crc32c(const void *data, size_t len);

void wal_put_le32(uint8_t *p, uint32_t v);
void wal_put_le64(uint8_t *p, uint64_t v);
uint32_t wal_get_le32(const uint8_t *p);
uint64_t wal_get_le64(const uint8_t *p);

void wal_segment_header_encode(const struct wal_segment_header *h,
			       uint8_t out[WAL_SEGMENT_HEADER_SIZE]);
/* Returns NULL when the bytes are a valid header of this format version,
 * else what is wrong with them; *torn says whether the damage is a CRC
 * mismatch, which is what an interrupted write leaves behind. */
const char *wal_segment_header_decode(const uint8_t in[WAL_SEGMENT_HEADER_SIZE],
				      struct wal_segment_header *h, bool *torn);

void wal_record_header_encode(const struct wal_record_header *h,
			      uint8_t out[WAL_RECORD_HEADER_SIZE]);
void wal_record_header_decode(const uint8_t in[WAL_RECORD_HEADER_SIZE],
			      struct wal_record_header *h);

void wal_anchor_encode(const struct wal_anchor *a, uint8_t out[WAL_ANCHOR_SLOT_SIZE]);
bool wal_anchor_decode(const uint8_t in[WAL_ANCHOR_SLOT_SIZE], struct wal_anchor *a);

void wal_segment_name(uint64_t number, char out[WAL_SEGMENT_NAME_LEN + 1]);
/* Returns true and sets *number when name is a segment file name. */
bool wal_segment_name_parse(const char *name, uint64_t *number);

/* SHA-256 over prev_chain, the encoded record header and the payload. A
 * fresh log starts from an all-zero chain value. Returns 0, or -1 with errno
 * set (EIO) when libcrypto fails. */
struct wal_hasher;
struct wal_hasher *wal_hasher_new(void);
void wal_hasher_free(struct wal_hasher *hasher);
int wal_chain_compute(struct wal_hasher *hasher, const uint8_t prev_chain[WAL_CHAIN_SIZE],
		      const uint8_t header[WAL_RECORD_HEADER_SIZE], const void *payload,
		      uint32_t payload_len, uint8_t out[WAL_CHAIN_SIZE]);

#endif
