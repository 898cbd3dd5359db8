/* The forensic log's anchor file (HEAD): the last seq a commit made durable
 * and its chain value, so that records cut off the end of the log at a
 * record boundary are detected. Two slots in separate sectors are written in
 * turn, so a write torn by a crash leaves the previous value readable; the
 * reader takes the valid slot with the higher seq. */
#ifndef VG_RECORD_WAL_ANCHOR_H
#define VG_RECORD_WAL_ANCHOR_H

#include "record/wal_format.h"

enum wal_anchor_state { WAL_ANCHOR_MISSING, WAL_ANCHOR_CORRUPT, WAL_ANCHOR_VALID };

struct wal_anchor_file {
	enum wal_anchor_state state;
	struct wal_anchor anchor; /* valid when state is WAL_ANCHOR_VALID */
	unsigned slot;		  /* the slot it came from */
};

/* Reads HEAD from the directory. Returns 0 (a missing or corrupt file is a
 * state, not an error), or -1 with err set when the file cannot be read. */
int wal_anchor_read(int dir_fd, struct wal_anchor_file *out, char *err, size_t errlen);

/* Writes the anchor into one slot of the open HEAD file and fdatasyncs it.
 * Returns 0, or -1 with errno and err set. */
int wal_anchor_write(int fd, unsigned slot, const struct wal_anchor *anchor, char *err,
		     size_t errlen);

#endif
