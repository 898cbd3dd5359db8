/* Walking a forensic log directory: every segment in order, every record
 * checked (framing, CRC, seq, chain, segment headers, the anchor). Used by
 * wal_verify()/wal_read(), which stop at the first problem, and by
 * wal_open(), which walks on past it to find where the log ends. Never
 * modifies anything. */
#ifndef VG_RECORD_WAL_SCAN_H
#define VG_RECORD_WAL_SCAN_H

#include "record/wal_anchor.h"

struct wal_scan_problem {
	bool found;
	bool torn; /* framing damage, what an interrupted write leaves behind */
	uint64_t segment_number;
	char segment[32]; /* file name */
	uint64_t offset;
	uint64_t seq; /* seq expected there */
	char text[360];
};

struct wal_scan {
	/* What to do. */
	bool walk_past_problem;
	int (*fn)(const struct wal_record *rec, void *ctx); /* records before the first problem */
	void *ctx;

	/* What was found. */
	struct wal_anchor_file anchor;
	uint64_t segments;	      /* segment files present */
	uint64_t last_segment_number; /* the highest-numbered one */
	uint64_t last_segment_end;    /* end of its header and intact records */
	bool last_segment_intact;     /* its header and all its framing are sound */
	uint64_t valid_records;	      /* records before the first problem */
	uint64_t last_valid_seq;      /* seq of the last of them */
	uint64_t last_seq;	      /* last record (or segment start) with intact framing */
	uint8_t last_chain[WAL_CHAIN_SIZE];
	uint64_t max_seq; /* highest seq seen anywhere */
	struct wal_scan_problem problem;
	bool stopped; /* fn returned non-zero */
};

/* Returns 0 when the directory could be read (scan->problem says whether it
 * is valid), -1 with err set otherwise. */
int wal_scan_dir(int dir_fd, struct wal_scan *scan, char *err, size_t errlen);

#endif
