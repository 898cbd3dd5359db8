/* The forensic log: writer, recovery and the public read/verify entry points.
 *
 * On-disk format (version 1). Every integer is little-endian; nothing is
 * written from a C struct, so there is no padding.
 *
 * A log is a directory holding segment files wal-<N as 16 hex digits>.seg,
 * numbered from 1 with no gaps, and the anchor file HEAD.
 *
 * Segment header, 64 bytes at offset 0:
 *    0  magic       8 bytes "VGWALSEG"
 *    8  version     u32 (1)
 *   12  number      u64, must match the file name
 *   20  first_seq   u64, seq of the segment's first record
 *   28  prev_chain  32 bytes, chain value of record first_seq - 1 (zeros for seq 1)
 *   60  crc         u32 CRC32C of bytes 0..59
 *
 * Records follow back to back, each 60 + len bytes:
 *    0  len         u32 payload length, at most WAL_MAX_PAYLOAD
 *    4  type        u32 enum wal_type
 *    8  seq         u64, one more than the previous record's
 *   16  time        u64 CLOCK_REALTIME in nanoseconds
 *   24  payload     len bytes
 * 24+len chain      32 bytes SHA-256(previous chain || bytes 0..23 || payload)
 * 56+len crc        u32 CRC32C of bytes 0..55+len
 *
 * The CRC catches torn writes and flipped bits; the chain makes any change,
 * removal or reordering of records break every chain value after it; the
 * segment header carries the chain across files, so a deleted, replaced or
 * reordered segment is seen too.
 *
 * HEAD holds two 56-byte anchor slots, at offsets 0 and 512 (one per sector,
 * so a torn write spoils one slot at most), written in turn:
 *    0  magic       8 bytes "VGWALANC"
 *    8  version     u32 (1)
 *   12  seq         u64, last record made durable by a commit
 *   20  chain       32 bytes, that record's chain value
 *   52  crc         u32 CRC32C of bytes 0..51
 * The valid slot with the higher seq counts. A commit fdatasyncs the segment
 * before writing the anchor, so the anchor may lag the log but never leads
 * it: records cut off the end of the log at a record boundary show up as
 * "anchor says seq N is durable but the log ends at seq M", and records past
 * the anchor are simply not yet anchored.
 *
 * Recovery: damaged framing in the last segment past the anchor is what a
 * crash leaves (those records were never acknowledged), so it is cut off.
 * Anything else is evidence of tampering or media failure: it is reported,
 * never repaired, and new records go to a new segment.
 */
#include "record/wal.h"

#include "common/cleanup.h"
#include "record/wal_anchor.h"
#include "record/wal_format.h"
#include "record/wal_scan.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define WAL_DEFAULT_SEGMENT_SIZE (16u << 20)

struct wal {
	int dir_fd; /* also holds the writer's lock */
	int segment_fd;
	int anchor_fd;
	uint64_t segment_number;
	uint64_t segment_bytes; /* where the next record goes */
	uint64_t segment_size;	/* rotation threshold */
	uint64_t appended_seq;
	uint64_t durable_seq;
	uint64_t anchored_seq;
	uint8_t chain[WAL_CHAIN_SIZE]; /* chain value of record appended_seq */
	unsigned anchor_slot;	       /* the slot the next anchor write goes to */
	bool dir_dirty;		       /* a segment was created since the last commit */
	int failed;		       /* errno of a failure that left the log unusable */
	struct wal_hasher *hasher;
	uint8_t *frame; /* one record being built */
	char error[512];
};

static const char *const type_names[] = {
    [WAL_DAEMON_START] = "daemon_start",
    [WAL_DAEMON_STOP] = "daemon_stop",
    [WAL_POLICY_LOAD] = "policy_load",
    [WAL_ALERT] = "alert",
    [WAL_ACTION] = "action",
    [WAL_NOTE] = "note",
    [WAL_RECOVERY] = "recovery",
    [WAL_DECISION] = "decision",
    [WAL_VACCINE] = "vaccine",
    [WAL_QUARANTINE] = "quarantine",
    [WAL_DECOY] = "decoy",
};

const char *wal_type_name(enum wal_type type)
{
	return wal_type_known((uint32_t)type) ? type_names[type] : "unknown";
}

/* Sets w->error; keeps errno. */
__attribute__((format(printf, 2, 3))) static void set_error(struct wal *w, const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(w->error, sizeof(w->error), fmt, ap);
	va_end(ap);
	errno = saved;
}

/* Marks the log unusable after an I/O failure that cannot be undone. */
static int fail(struct wal *w)
{
	w->failed = errno ? errno : EIO;
	errno = w->failed;
	return -1;
}

static int write_all_at(int fd, const uint8_t *buf, size_t len, uint64_t offset)
{
	while (len) {
		ssize_t n = pwrite(fd, buf, len, (off_t)offset);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0) {
			errno = EIO;
			return -1;
		}
		buf += n;
		len -= (size_t)n;
		offset += (uint64_t)n;
	}
	return 0;
}

static int sync_parent_dir(char *path, char *err, size_t errlen)
{
	char *slash = strrchr(path, '/');
	const char *parent = slash == path ? "/" : slash ? path : ".";
	int rc = 0;

	if (slash && slash != path)
		*slash = '\0';
	_cleanup_close_ int fd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || fsync(fd) < 0) {
		snprintf(err, errlen, "fsync directory %s: %s", parent, strerror(errno));
		rc = -1;
	}
	if (slash && slash != path)
		*slash = '/';
	return rc;
}

/* mkdir -p with mode 0700, making each new entry durable in its parent. */
static int make_dirs(const char *dir, char *err, size_t errlen)
{
	_cleanup_free_ char *path = strdup(dir);

	if (!path) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		return -1;
	}
	for (char *p = path + 1;; p++) {
		char saved = *p;

		if (saved != '/' && saved != '\0')
			continue;
		*p = '\0';
		if (mkdir(path, 0700) == 0) {
			if (sync_parent_dir(path, err, errlen) < 0)
				return -1;
		} else if (errno != EEXIST) {
			snprintf(err, errlen, "create directory %s: %s", path, strerror(errno));
			return -1;
		}
		*p = saved;
		if (!saved)
			return 0;
	}
}

/* Creates segment number and makes it the one appended to. */
static int start_segment(struct wal *w, uint64_t number, uint64_t first_seq,
			 const uint8_t prev_chain[WAL_CHAIN_SIZE])
{
	struct wal_segment_header h = {.number = number, .first_seq = first_seq};
	uint8_t header_bytes[WAL_SEGMENT_HEADER_SIZE];
	char name[WAL_SEGMENT_NAME_LEN + 1];
	int fd;

	memcpy(h.prev_chain, prev_chain, WAL_CHAIN_SIZE);
	wal_segment_header_encode(&h, header_bytes);
	wal_segment_name(number, name);
	fd = openat(w->dir_fd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		set_error(w, "create %s: %s", name, strerror(errno));
		return -1;
	}
	if (write_all_at(fd, header_bytes, sizeof(header_bytes), 0) < 0) {
		set_error(w, "write header of %s: %s", name, strerror(errno));
		unlinkat(w->dir_fd, name, 0);
		close(fd);
		return -1;
	}
	if (w->segment_fd >= 0)
		close(w->segment_fd);
	w->segment_fd = fd;
	w->segment_number = number;
	w->segment_bytes = WAL_SEGMENT_HEADER_SIZE;
	w->dir_dirty = true;
	return 0;
}

/* Only damaged framing in the last segment, past what the anchor says is
 * durable, can be a write cut short by a crash. */
static bool torn_tail(const struct wal_scan *scan)
{
	const struct wal_scan_problem *p = &scan->problem;

	return p->found && p->torn && scan->segments &&
	       p->segment_number == scan->last_segment_number &&
	       scan->anchor.state == WAL_ANCHOR_VALID && p->seq > scan->anchor.anchor.seq;
}

/* Cuts the torn tail: back to the last intact record, or the whole segment
 * when even its header is damaged. Returns the bytes removed, or -1. */
static int64_t cut_torn_tail(struct wal *w, const struct wal_scan_problem *p)
{
	_cleanup_close_ int fd = openat(w->dir_fd, p->segment, O_WRONLY | O_CLOEXEC);
	struct stat st;

	if (fd < 0 || fstat(fd, &st) < 0) {
		set_error(w, "open %s to cut its torn tail: %s", p->segment, strerror(errno));
		return -1;
	}
	if (p->offset == 0) {
		if (unlinkat(w->dir_fd, p->segment, 0) < 0 || fsync(w->dir_fd) < 0) {
			set_error(w, "remove torn segment %s: %s", p->segment, strerror(errno));
			return -1;
		}
	} else if (ftruncate(fd, (off_t)p->offset) < 0 || fsync(fd) < 0) {
		set_error(w, "cut %s back to %" PRIu64 " bytes: %s", p->segment, p->offset,
			  strerror(errno));
		return -1;
	}
	return (int64_t)((uint64_t)st.st_size - p->offset);
}

static int scan_log(struct wal *w, struct wal_scan *scan)
{
	memset(scan, 0, sizeof(*scan));
	scan->walk_past_problem = true;
	return wal_scan_dir(w->dir_fd, scan, w->error, sizeof(w->error));
}

/* Makes the anchor file ready for commits; a log without segments gets a
 * fresh one saying nothing is durable yet. */
static int open_anchor(struct wal *w, const struct wal_scan *scan)
{
	struct wal_anchor empty = {.seq = 0};

	w->anchor_fd = openat(w->dir_fd, WAL_ANCHOR_FILE, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (w->anchor_fd < 0) {
		set_error(w, "open %s: %s", WAL_ANCHOR_FILE, strerror(errno));
		return -1;
	}
	if (scan->anchor.state == WAL_ANCHOR_VALID) {
		w->anchored_seq = scan->anchor.anchor.seq;
		w->anchor_slot = !scan->anchor.slot;
		return 0;
	}
	if (scan->segments)
		return 0; /* reported as a problem; the next commit writes a valid anchor */
	for (unsigned slot = 0; slot < WAL_ANCHOR_SLOTS; slot++)
		if (wal_anchor_write(w->anchor_fd, slot, &empty, w->error, sizeof(w->error)) < 0)
			return -1;
	if (fsync(w->dir_fd) < 0) {
		set_error(w, "fsync log directory: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/* Continues an intact log in its last segment. */
static int resume_last_segment(struct wal *w, const struct wal_scan *scan)
{
	char name[WAL_SEGMENT_NAME_LEN + 1];

	wal_segment_name(scan->last_segment_number, name);
	w->segment_fd = openat(w->dir_fd, name, O_WRONLY | O_CLOEXEC);
	if (w->segment_fd < 0) {
		set_error(w, "open %s for appending: %s", name, strerror(errno));
		return -1;
	}
	/* Records found past the anchor may still be only in the page cache. */
	if (fdatasync(w->segment_fd) < 0) {
		set_error(w, "fdatasync %s: %s", name, strerror(errno));
		return -1;
	}
	w->segment_number = scan->last_segment_number;
	w->segment_bytes = scan->last_segment_end;
	w->appended_seq = scan->last_seq;
	memcpy(w->chain, scan->last_chain, WAL_CHAIN_SIZE);
	return 0;
}

/* Sets up writing after recovery: where the next record goes and what it
 * chains to. A broken log is continued after its last record, in the last
 * segment if its framing is sound (so verify keeps naming the problem at the
 * same place), else in a new segment. */
static int prepare_writing(struct wal *w, const struct wal_scan *scan, struct wal_recovery *rec)
{
	const struct wal_scan_problem *p = &scan->problem;
	char next_segment[WAL_SEGMENT_NAME_LEN + 1];
	uint64_t next_seq = scan->max_seq;
	uint8_t zero_chain[WAL_CHAIN_SIZE] = {0};
	int rc;

	if (open_anchor(w, scan) < 0)
		return -1;
	if (!p->found)
		return scan->segments ? resume_last_segment(w, scan)
				      : start_segment(w, 1, 1, zero_chain);

	/* Never reuse a seq the log or the anchor has seen: a gap keeps
	 * records lost below the anchor visible once new ones are anchored. */
	if (scan->anchor.state == WAL_ANCHOR_VALID && scan->anchor.anchor.seq > next_seq)
		next_seq = scan->anchor.anchor.seq;
	if (scan->last_segment_intact)
		rc = resume_last_segment(w, scan);
	else
		rc =
		    start_segment(w, scan->last_segment_number + 1, next_seq + 1, scan->last_chain);
	if (rc < 0)
		return -1;
	w->appended_seq = next_seq;
	memcpy(w->chain, scan->last_chain, WAL_CHAIN_SIZE);
	wal_segment_name(w->segment_number, next_segment);
	rec->chain_broken = true;
	snprintf(rec->problem, sizeof(rec->problem),
		 "%s offset %" PRIu64 ", seq %" PRIu64 ": %s; not repaired, new records go to %s",
		 p->segment, p->offset, p->seq, p->text, next_segment);
	return 0;
}

/* Scans the log, cuts a torn tail if there is one, and positions the writer. */
static int recover(struct wal *w, struct wal_recovery *rec)
{
	struct wal_scan scan;

	if (scan_log(w, &scan) < 0)
		return -1;
	if (torn_tail(&scan)) {
		int64_t cut = cut_torn_tail(w, &scan.problem);

		if (cut < 0)
			return -1;
		rec->truncated_bytes = (uint64_t)cut;
		snprintf(rec->problem, sizeof(rec->problem),
			 "torn tail cut: %" PRId64 " bytes of %s from offset %" PRIu64
			 ", where seq %" PRIu64 " was expected (%s)",
			 cut, scan.problem.segment, scan.problem.offset, scan.problem.seq,
			 scan.problem.text);
		if (scan_log(w, &scan) < 0)
			return -1;
	}
	if (prepare_writing(w, &scan, rec) < 0)
		return -1;
	rec->records = scan.valid_records;
	rec->last_seq = w->appended_seq;
	w->durable_seq = w->appended_seq;
	return 0;
}

static void free_wal(struct wal *w)
{
	if (w->segment_fd >= 0)
		close(w->segment_fd);
	if (w->anchor_fd >= 0)
		close(w->anchor_fd);
	if (w->dir_fd >= 0)
		close(w->dir_fd);
	wal_hasher_free(w->hasher);
	free(w->frame);
	free(w);
}

void wal_close(struct wal *w)
{
	if (!w)
		return;
	wal_commit(w);
	free_wal(w);
}

int wal_open(const char *dir, const struct wal_options *opts, struct wal **out,
	     struct wal_recovery *rec, char *err, size_t errlen)
{
	struct wal_recovery local_rec;
	struct wal *w;

	if (!dir || !*dir || !out) {
		snprintf(err, errlen, "wal_open: no log directory or result pointer given");
		errno = EINVAL;
		return -1;
	}
	if (!rec)
		rec = &local_rec;
	memset(rec, 0, sizeof(*rec));
	uint64_t segment_size =
	    opts && opts->segment_size ? opts->segment_size : WAL_DEFAULT_SEGMENT_SIZE;
	if (segment_size < WAL_SEGMENT_HEADER_SIZE + WAL_RECORD_OVERHEAD) {
		snprintf(err, errlen,
			 "%s: segment size %" PRIu64 " is too small (minimum %u bytes)", dir,
			 segment_size, WAL_SEGMENT_HEADER_SIZE + WAL_RECORD_OVERHEAD);
		errno = EINVAL;
		return -1;
	}
	if (make_dirs(dir, err, errlen) < 0)
		return -1;
	w = calloc(1, sizeof(*w));
	if (!w) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		return -1;
	}
	w->segment_fd = w->anchor_fd = -1;
	w->segment_size = segment_size;
	w->dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (w->dir_fd < 0)
		set_error(w, "open: %s", strerror(errno));
	else if (flock(w->dir_fd, LOCK_EX | LOCK_NB) < 0)
		set_error(w, "lock: %s",
			  errno == EWOULDBLOCK ? "another process has this log open for writing"
					       : strerror(errno));
	else if (!(w->hasher = wal_hasher_new()) || !(w->frame = malloc(WAL_RECORD_MAX_SIZE)))
		set_error(w, "allocate: %s", strerror(errno));
	else if (recover(w, rec) == 0) {
		w->error[0] = '\0';
		*out = w;
		return 0;
	}
	int saved = errno;
	snprintf(err, errlen, "%s: %s", dir, w->error);
	free_wal(w);
	errno = saved;
	return -1;
}

int wal_append(struct wal *w, enum wal_type type, const void *payload, uint32_t len, uint64_t *seq)
{
	struct wal_record_header h = {.payload_len = len, .type = (uint32_t)type};
	struct timespec now;

	if (!w) {
		errno = EINVAL;
		return -1;
	}
	if (w->failed) {
		errno = w->failed;
		return -1;
	}
	if (!wal_type_known((uint32_t)type)) {
		errno = EINVAL;
		set_error(w, "append: unknown record type %d", (int)type);
		return -1;
	}
	if (len > WAL_MAX_PAYLOAD || (len && !payload)) {
		errno = EINVAL;
		set_error(w, "append: payload of %" PRIu32 " bytes %s", len,
			  len > WAL_MAX_PAYLOAD ? "exceeds the 1 MiB maximum" : "given as NULL");
		return -1;
	}
	uint64_t total = WAL_RECORD_OVERHEAD + (uint64_t)len;
	char name[WAL_SEGMENT_NAME_LEN + 1];

	if (w->segment_bytes > WAL_SEGMENT_HEADER_SIZE &&
	    w->segment_bytes + total > w->segment_size) {
		/* The anchor may soon name records in the next segment, so this
		 * one must be durable first. */
		if (fdatasync(w->segment_fd) < 0) {
			wal_segment_name(w->segment_number, name);
			set_error(w, "fdatasync %s: %s", name, strerror(errno));
			return fail(w);
		}
		if (start_segment(w, w->segment_number + 1, w->appended_seq + 1, w->chain) < 0)
			return fail(w);
	}
	if (clock_gettime(CLOCK_REALTIME, &now) < 0) {
		set_error(w, "append: clock_gettime: %s", strerror(errno));
		return -1;
	}
	h.seq = w->appended_seq + 1;
	h.timestamp_ns = (uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec;
	wal_record_header_encode(&h, w->frame);
	if (len)
		memcpy(w->frame + WAL_RECORD_HEADER_SIZE, payload, len);
	uint8_t *chain = w->frame + WAL_RECORD_HEADER_SIZE + len;
	if (wal_chain_compute(w->hasher, w->chain, w->frame, w->frame + WAL_RECORD_HEADER_SIZE, len,
			      chain) < 0) {
		set_error(w, "append: SHA-256 failed");
		return -1;
	}
	wal_put_le32(chain + WAL_CHAIN_SIZE, wal_crc32c(w->frame, total - 4));

	if (write_all_at(w->segment_fd, w->frame, total, w->segment_bytes) < 0) {
		wal_segment_name(w->segment_number, name);
		set_error(w, "write %s at offset %" PRIu64 ": %s", name, w->segment_bytes,
			  strerror(errno));
		/* Take back a partial record so the next one lands on a record
		 * boundary; if even that fails, the log cannot go on. */
		int saved = errno;
		if (ftruncate(w->segment_fd, (off_t)w->segment_bytes) < 0)
			return fail(w);
		errno = saved;
		return -1;
	}
	w->segment_bytes += total;
	w->appended_seq = h.seq;
	memcpy(w->chain, chain, WAL_CHAIN_SIZE);
	if (seq)
		*seq = h.seq;
	return 0;
}

int wal_commit(struct wal *w)
{
	struct wal_anchor anchor = {.seq = 0};
	char name[WAL_SEGMENT_NAME_LEN + 1];

	if (!w) {
		errno = EINVAL;
		return -1;
	}
	if (w->failed) {
		errno = w->failed;
		return -1;
	}
	if (w->appended_seq == w->anchored_seq && !w->dir_dirty)
		return 0;
	if (fdatasync(w->segment_fd) < 0) {
		wal_segment_name(w->segment_number, name);
		set_error(w, "fdatasync %s: %s", name, strerror(errno));
		return fail(w);
	}
	if (w->dir_dirty) {
		if (fsync(w->dir_fd) < 0) {
			set_error(w, "fsync log directory: %s", strerror(errno));
			return fail(w);
		}
		w->dir_dirty = false;
	}
	anchor.seq = w->appended_seq;
	memcpy(anchor.chain, w->chain, WAL_CHAIN_SIZE);
	if (wal_anchor_write(w->anchor_fd, w->anchor_slot, &anchor, w->error, sizeof(w->error)) < 0)
		return fail(w);
	w->anchor_slot = !w->anchor_slot;
	w->anchored_seq = w->durable_seq = w->appended_seq;
	return 0;
}

uint64_t wal_durable_seq(const struct wal *w)
{
	return w->durable_seq;
}

uint64_t wal_appended_seq(const struct wal *w)
{
	return w->appended_seq;
}

const char *wal_error(const struct wal *w)
{
	return w->error;
}

static int read_log(const char *dir, int (*fn)(const struct wal_record *rec, void *ctx), void *ctx,
		    struct wal_verify_result *res, char *err, size_t errlen)
{
	struct wal_scan scan = {.fn = fn, .ctx = ctx};
	char scan_err[512];

	if (!dir || !res) {
		snprintf(err, errlen, "no log directory or result given");
		errno = EINVAL;
		return -1;
	}
	memset(res, 0, sizeof(*res));
	_cleanup_close_ int dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dir_fd < 0) {
		snprintf(err, errlen, "open log directory %s: %s", dir, strerror(errno));
		return -1;
	}
	if (wal_scan_dir(dir_fd, &scan, scan_err, sizeof(scan_err)) < 0) {
		snprintf(err, errlen, "%s: %s", dir, scan_err);
		return -1;
	}
	res->records = scan.valid_records;
	res->last_seq = scan.last_valid_seq;
	res->ok = !scan.problem.found;
	if (!res->ok) {
		res->bad_seq = scan.problem.seq;
		snprintf(res->segment, sizeof(res->segment), "%s", scan.problem.segment);
		res->offset = scan.problem.offset;
		snprintf(res->problem, sizeof(res->problem), "%s", scan.problem.text);
	}
	return 0;
}

int wal_verify(const char *dir, struct wal_verify_result *res, char *err, size_t errlen)
{
	return read_log(dir, NULL, NULL, res, err, errlen);
}

int wal_read(const char *dir, int (*fn)(const struct wal_record *rec, void *ctx), void *ctx,
	     struct wal_verify_result *res, char *err, size_t errlen)
{
	if (!fn) {
		snprintf(err, errlen, "wal_read: no callback given");
		errno = EINVAL;
		return -1;
	}
	return read_log(dir, fn, ctx, res, err, errlen);
}
