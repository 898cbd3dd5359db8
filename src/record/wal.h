/* The forensic log: an append-only, checksummed, hash-chained write-ahead log
 * in segment files under one directory. See wal.c for the on-disk format.
 *
 * Writing: wal_open() recovers the directory (a torn tail is cut back to the
 * last valid record and reported; a broken chain before it is reported and
 * never repaired), wal_append() frames a record in memory and hands it to
 * the kernel, wal_commit() makes every appended record durable (group
 * commit: one fdatasync for all of them). A record is acknowledged as
 * durable only once wal_commit() has returned 0 with durable_seq >= its seq.
 *
 * Reading: wal_verify() checks a whole directory and names the first bad
 * record; wal_read() walks the valid records in order. Neither modifies
 * anything. */
#ifndef VG_RECORD_WAL_H
#define VG_RECORD_WAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum wal_type {
	WAL_DAEMON_START = 1,
	WAL_DAEMON_STOP = 2,
	WAL_POLICY_LOAD = 3,
	WAL_ALERT = 4,
	WAL_ACTION = 5,
	WAL_NOTE = 6,
	WAL_RECOVERY = 7, /* what wal_open() found and did, written right after it */
	WAL_DECISION = 8,
	WAL_VACCINE = 9,
	WAL_QUARANTINE = 10,
	WAL_DECOY = 11,
};

#define WAL_MAX_PAYLOAD (1u << 20)
#define WAL_DEFAULT_DIR "/var/lib/vigilante/wal"

struct wal; /* an open log, for appending */

struct wal_options {
	uint64_t segment_size; /* bytes after which a new segment is started */
};

/* What recovery found: the caller logs it and writes a WAL_RECOVERY record. */
struct wal_recovery {
	uint64_t records;	  /* valid records found */
	uint64_t last_seq;	  /* seq new records follow: the last valid record's, 0 if
				   * none (on a broken log, the highest seq found or the
				   * anchor's, whichever is higher) */
	uint64_t truncated_bytes; /* torn tail cut from the last segment */
	bool chain_broken;	  /* a record before the tail failed verification */
	char problem[512];	  /* human description of what was found, "" if clean */
};

/* Creates dir (0700, with missing parents) if needed, takes an exclusive
 * lock on it (one writer per log), recovers it and opens it for appending.
 * opts may be NULL; segment_size 0 means 16 MiB. Returns 0, or -1 with errno
 * and err set. rec may be NULL. On a broken log new records go to a new
 * segment, so damaged bytes are never written next to. */
int wal_open(const char *dir, const struct wal_options *opts, struct wal **out,
	     struct wal_recovery *rec, char *err, size_t errlen);
/* Appends one record; *seq (may be NULL) gets its sequence number (1, 2, ...).
 * Not yet durable. Returns 0, or -1 with errno set: EINVAL for an unknown
 * type or a payload over WAL_MAX_PAYLOAD (nothing is written), else an I/O
 * error (wal_error() says which file and operation). */
int wal_append(struct wal *w, enum wal_type type, const void *payload, uint32_t len, uint64_t *seq);
/* Makes every appended record durable: fdatasync of the segment, fsync of
 * the directory if a segment was created, then the anchor. Returns 0, or -1
 * with errno set. After an I/O error in wal_append() or wal_commit() that
 * could not be undone, the log refuses further writes with that errno (a
 * failed fsync cannot be retried safely): close it and open it again. */
int wal_commit(struct wal *w);
uint64_t wal_durable_seq(const struct wal *w);
uint64_t wal_appended_seq(const struct wal *w);
/* What the last failing wal_append()/wal_commit() did: file, operation and
 * strerror. "" if nothing failed. */
const char *wal_error(const struct wal *w);
void wal_close(struct wal *w); /* commits (call wal_commit() first to see errors), then closes */

struct wal_record {
	uint64_t seq;
	uint64_t timestamp_ns; /* CLOCK_REALTIME */
	enum wal_type type;
	const uint8_t *payload;
	uint32_t len;
	uint8_t chain[32];   /* SHA-256 chained over the previous record's chain */
	const char *segment; /* file name of the segment holding it */
	uint64_t offset;     /* byte offset of the record in that segment */
};

struct wal_verify_result {
	uint64_t records;  /* valid records before the first problem */
	uint64_t last_seq; /* seq of the last of them, 0 if none */
	bool ok;
	uint64_t bad_seq;  /* seq expected at the first bad record */
	char segment[256]; /* where it is */
	uint64_t offset;
	char problem[512]; /* what is wrong with it */
};

/* Returns 0 if the directory could be read (res->ok says whether it is
 * valid), -1 with err set if it could not be read at all. An empty
 * directory is a valid, empty log. */
int wal_verify(const char *dir, struct wal_verify_result *res, char *err, size_t errlen);

/* Calls fn for each valid record in order; stops at the first problem (which
 * it reports in res) or when fn returns non-zero (res->ok then says only that
 * nothing wrong was met so far). rec->payload and rec->segment are valid
 * during the call only. Return value as for wal_verify(). */
int wal_read(const char *dir, int (*fn)(const struct wal_record *rec, void *ctx), void *ctx,
	     struct wal_verify_result *res, char *err, size_t errlen);

/* "alert", "daemon_start", ...; "unknown" for a value outside enum wal_type. */
const char *wal_type_name(enum wal_type type);

#endif
