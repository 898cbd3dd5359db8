/* Walks a forensic log directory and checks everything (see wal_scan.h).
 * Framing damage (short data, bad length, bad CRC) ends the walk of a
 * segment, because nothing after it can be located; chain damage (seq gap,
 * bad chain hash, header mismatch) does not, so that wal_open() can find the
 * true end of a log whose middle was tampered with. */
#include "record/wal_scan.h"

#include "common/cleanup.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

enum walk_step { STEP_NEXT, STEP_END_OF_SEGMENT, STEP_STOP };

struct walker {
	struct wal_scan *scan;
	int dir_fd;
	struct wal_hasher *hasher;
	uint8_t *buf; /* one whole record */
	uint64_t expected_seq;
	uint8_t expected_chain[WAL_CHAIN_SIZE];
	char *err;
	size_t errlen;
};

static int compare_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

static int list_segments(int dir_fd, uint64_t **numbers, size_t *count, char *err, size_t errlen)
{
	_cleanup_close_ int fd = openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	_cleanup_free_ uint64_t *list = NULL;
	size_t used = 0, cap = 0;
	struct dirent *entry;
	DIR *dir;

	if (fd < 0 || !(dir = fdopendir(fd))) {
		snprintf(err, errlen, "open log directory: %s", strerror(errno));
		return -1;
	}
	fd = -1; /* owned by dir now */
	for (errno = 0; (entry = readdir(dir)); errno = 0) {
		uint64_t number;

		if (!wal_segment_name_parse(entry->d_name, &number))
			continue;
		if (used == cap) {
			uint64_t *grown = reallocarray(list, cap ? cap * 2 : 64, sizeof(*list));

			if (!grown) {
				snprintf(err, errlen, "list segments: %s", strerror(errno));
				closedir(dir);
				return -1;
			}
			list = grown;
			cap = cap ? cap * 2 : 64;
		}
		list[used++] = number;
	}
	if (errno) {
		snprintf(err, errlen, "read log directory: %s", strerror(errno));
		closedir(dir);
		return -1;
	}
	closedir(dir);
	if (used)
		qsort(list, used, sizeof(*list), compare_u64);
	*numbers = steal_pointer(&list);
	*count = used;
	return 0;
}

/* Records the first problem found; returns whether the walk should stop. */
__attribute__((format(printf, 6, 7))) static bool report(struct walker *w, bool torn,
							 const char *segment, uint64_t number,
							 uint64_t offset, const char *fmt, ...)
{
	struct wal_scan_problem *p = &w->scan->problem;
	const struct wal_anchor_file *anchor = &w->scan->anchor;
	va_list ap;

	if (!p->found) {
		p->found = true;
		p->torn = torn;
		p->segment_number = number;
		snprintf(p->segment, sizeof(p->segment), "%s", segment);
		p->offset = offset;
		p->seq = w->expected_seq;
		va_start(ap, fmt);
		vsnprintf(p->text, sizeof(p->text), fmt, ap);
		va_end(ap);
		if (torn && anchor->state == WAL_ANCHOR_VALID && p->seq > anchor->anchor.seq) {
			size_t used = strlen(p->text);

			snprintf(
			    p->text + used, sizeof(p->text) - used,
			    "; past the anchor's durable seq %" PRIu64
			    ", so a write cut short by a crash, which the next wal_open cuts off",
			    anchor->anchor.seq);
		}
	}
	return !w->scan->walk_past_problem;
}

static int read_exact(struct walker *w, FILE *f, const char *segment, uint64_t offset, void *buf,
		      size_t len)
{
	if (fread(buf, 1, len, f) == len)
		return 0;
	snprintf(w->err, w->errlen, "read %s at offset %" PRIu64 ": %s", segment, offset,
		 ferror(f) ? strerror(errno) : "file shrank while being read");
	return -1;
}

/* Nothing after framing damage in a segment can be located. */
static int framing_damage(bool stop)
{
	return stop ? STEP_STOP : STEP_END_OF_SEGMENT;
}

/* Returns a walk_step (with *record_size set for STEP_NEXT), or -1 with
 * w->err set on an I/O error. */
static int walk_record(struct walker *w, FILE *f, const char *segment, uint64_t number,
		       uint64_t offset, uint64_t size, bool is_last, uint64_t *record_size)
{
	struct wal_scan *scan = w->scan;
	struct wal_record_header h;
	uint8_t computed[WAL_CHAIN_SIZE];
	uint64_t total;
	bool stop = false;

	if (size - offset < WAL_RECORD_HEADER_SIZE)
		return framing_damage(report(w, true, segment, number, offset,
					     "truncated record header: %" PRIu64 " of %u bytes",
					     size - offset, WAL_RECORD_HEADER_SIZE));
	if (read_exact(w, f, segment, offset, w->buf, WAL_RECORD_HEADER_SIZE) < 0)
		return -1;
	wal_record_header_decode(w->buf, &h);
	if (h.payload_len > WAL_MAX_PAYLOAD)
		return framing_damage(report(w, true, segment, number, offset,
					     "bad length %" PRIu32 " (maximum %u)", h.payload_len,
					     WAL_MAX_PAYLOAD));
	total = WAL_RECORD_OVERHEAD + (uint64_t)h.payload_len;
	if (size - offset < total)
		return framing_damage(report(w, true, segment, number, offset,
					     "truncated record: %" PRIu64 " bytes long, %" PRIu64
					     " left in the segment",
					     total, size - offset));
	if (read_exact(w, f, segment, offset, w->buf + WAL_RECORD_HEADER_SIZE,
		       total - WAL_RECORD_HEADER_SIZE) < 0)
		return -1;

	const uint8_t *payload = w->buf + WAL_RECORD_HEADER_SIZE;
	const uint8_t *chain = payload + h.payload_len;
	uint32_t stored_crc = wal_get_le32(chain + WAL_CHAIN_SIZE);
	uint32_t computed_crc = wal_crc32c(w->buf, total - 4);

	if (stored_crc != computed_crc)
		return framing_damage(report(w, true, segment, number, offset,
					     "bad CRC (stored %08" PRIx32 ", computed %08" PRIx32
					     ")",
					     stored_crc, computed_crc));
	if (wal_chain_compute(w->hasher, w->expected_chain, w->buf, payload, h.payload_len,
			      computed) < 0) {
		snprintf(w->err, w->errlen, "SHA-256 of the record at %s offset %" PRIu64 " failed",
			 segment, offset);
		return -1;
	}
	if (h.seq != w->expected_seq)
		stop = h.seq > w->expected_seq
			   ? report(w, false, segment, number, offset,
				    "seq gap: found seq %" PRIu64 ", so records %" PRIu64
				    "..%" PRIu64 " are missing",
				    h.seq, w->expected_seq, h.seq - 1)
			   : report(w, false, segment, number, offset,
				    "seq out of order: found seq %" PRIu64, h.seq);
	else if (!wal_type_known(h.type))
		stop = report(w, false, segment, number, offset, "unknown record type %" PRIu32,
			      h.type);
	else if (memcmp(computed, chain, WAL_CHAIN_SIZE))
		stop = report(w, false, segment, number, offset,
			      "bad chain hash (this record or one before it was altered)");
	else if (scan->anchor.state == WAL_ANCHOR_VALID && h.seq == scan->anchor.anchor.seq &&
		 memcmp(chain, scan->anchor.anchor.chain, WAL_CHAIN_SIZE))
		stop = report(w, false, segment, number, offset,
			      "chain hash differs from the one the anchor recorded for this seq "
			      "(the log was rewritten)");

	if (!scan->problem.found) {
		struct wal_record rec = {
		    .seq = h.seq,
		    .timestamp_ns = h.timestamp_ns,
		    .type = (enum wal_type)h.type,
		    .payload = payload,
		    .len = h.payload_len,
		    .segment = segment,
		    .offset = offset,
		};

		memcpy(rec.chain, chain, WAL_CHAIN_SIZE);
		scan->valid_records++;
		scan->last_valid_seq = h.seq;
		if (scan->fn && scan->fn(&rec, scan->ctx)) {
			scan->stopped = true;
			stop = true;
		}
	}
	/* Later records are checked against this one, whatever was wrong with it. */
	w->expected_seq = h.seq + 1;
	memcpy(w->expected_chain, chain, WAL_CHAIN_SIZE);
	scan->last_seq = h.seq;
	memcpy(scan->last_chain, chain, WAL_CHAIN_SIZE);
	if (h.seq > scan->max_seq)
		scan->max_seq = h.seq;
	if (is_last)
		scan->last_segment_end = offset + total;
	*record_size = total;
	return stop ? STEP_STOP : STEP_NEXT;
}

static bool check_segment_header(struct walker *w, const struct wal_segment_header *h,
				 const char *segment, uint64_t number)
{
	if (h->number != number)
		return report(w, false, segment, number, 0,
			      "segment header mismatch: it says segment %" PRIu64
			      " (segments renamed or reordered)",
			      h->number);
	if (h->first_seq > w->expected_seq)
		return report(w, false, segment, number, 0,
			      "segment header mismatch: it starts at seq %" PRIu64
			      " but the log before it ends at seq %" PRIu64 ": records %" PRIu64
			      "..%" PRIu64 " are missing",
			      h->first_seq, w->expected_seq - 1, w->expected_seq, h->first_seq - 1);
	if (h->first_seq < w->expected_seq)
		return report(w, false, segment, number, 0,
			      "segment header mismatch: it starts at seq %" PRIu64
			      " but the log before it ends at seq %" PRIu64
			      " (segments replaced or reordered)",
			      h->first_seq, w->expected_seq - 1);
	if (memcmp(h->prev_chain, w->expected_chain, WAL_CHAIN_SIZE))
		return report(w, false, segment, number, 0,
			      "segment header mismatch: it continues a chain value that is not the "
			      "previous record's (segments replaced or reordered)");
	return false;
}

/* Returns a walk_step, or -1 with w->err set on an I/O error. */
static int walk_segment(struct walker *w, uint64_t number, bool is_last)
{
	struct wal_scan *scan = w->scan;
	char segment[WAL_SEGMENT_NAME_LEN + 1];
	uint8_t header_bytes[WAL_SEGMENT_HEADER_SIZE];
	struct wal_segment_header h;
	struct stat st;
	bool torn;

	wal_segment_name(number, segment);
	_cleanup_close_ int fd = openat(w->dir_fd, segment, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		snprintf(w->err, w->errlen, "open %s: %s", segment, strerror(errno));
		return -1;
	}
	_cleanup_fclose_ FILE *f = fdopen(fd, "r");
	if (!f) {
		snprintf(w->err, w->errlen, "fdopen %s: %s", segment, strerror(errno));
		return -1;
	}
	fd = -1; /* owned by f now */

	uint64_t size = (uint64_t)st.st_size;
	if (size < WAL_SEGMENT_HEADER_SIZE)
		return framing_damage(report(w, true, segment, number, 0,
					     "truncated segment header: %" PRIu64 " of %u bytes",
					     size, WAL_SEGMENT_HEADER_SIZE));
	if (read_exact(w, f, segment, 0, header_bytes, sizeof(header_bytes)) < 0)
		return -1;
	const char *bad = wal_segment_header_decode(header_bytes, &h, &torn);
	if (bad)
		return framing_damage(report(w, torn, segment, number, 0, "%s", bad));
	if (check_segment_header(w, &h, segment, number))
		return STEP_STOP;
	w->expected_seq = h.first_seq;
	memcpy(w->expected_chain, h.prev_chain, WAL_CHAIN_SIZE);
	scan->last_seq = h.first_seq - 1;
	memcpy(scan->last_chain, h.prev_chain, WAL_CHAIN_SIZE);
	if (is_last)
		scan->last_segment_end = WAL_SEGMENT_HEADER_SIZE;

	for (uint64_t offset = WAL_SEGMENT_HEADER_SIZE, record_size = 0; offset < size;
	     offset += record_size) {
		int step = walk_record(w, f, segment, number, offset, size, is_last, &record_size);

		if (step != STEP_NEXT)
			return step;
	}
	scan->last_segment_intact = is_last;
	return STEP_NEXT;
}

static void check_anchor(struct walker *w)
{
	struct wal_scan *scan = w->scan;
	const struct wal_anchor_file *anchor = &scan->anchor;
	char last[WAL_SEGMENT_NAME_LEN + 1];

	if (scan->segments && anchor->state == WAL_ANCHOR_MISSING)
		report(w, false, WAL_ANCHOR_FILE, 0, 0,
		       "anchor file is missing, so records cut off the end of the log cannot be "
		       "ruled out");
	else if (scan->segments && anchor->state == WAL_ANCHOR_CORRUPT)
		report(w, false, WAL_ANCHOR_FILE, 0, 0,
		       "anchor file is corrupt: no slot has a valid CRC");
	else if (anchor->state == WAL_ANCHOR_VALID && anchor->anchor.seq > scan->last_seq) {
		wal_segment_name(scan->last_segment_number, last);
		report(w, false, scan->segments ? last : "(no segment)", scan->last_segment_number,
		       scan->last_segment_end,
		       "anchor says seq %" PRIu64 " is durable but the log ends at seq %" PRIu64,
		       anchor->anchor.seq, scan->last_seq);
	}
}

int wal_scan_dir(int dir_fd, struct wal_scan *scan, char *err, size_t errlen)
{
	_cleanup_free_ uint64_t *numbers = NULL;
	_cleanup_free_ uint8_t *buf = malloc(WAL_RECORD_MAX_SIZE);
	struct walker w = {.scan = scan,
			   .dir_fd = dir_fd,
			   .buf = buf,
			   .expected_seq = 1,
			   .err = err,
			   .errlen = errlen};
	uint64_t expected_number = 1;
	size_t count = 0;
	int rc = 0;

	scan->segments = scan->last_segment_number = scan->last_segment_end = 0;
	scan->last_segment_intact = false;
	scan->valid_records = scan->last_valid_seq = scan->last_seq = scan->max_seq = 0;
	memset(scan->last_chain, 0, sizeof(scan->last_chain));
	memset(&scan->problem, 0, sizeof(scan->problem));
	scan->stopped = false;
	if (!buf) {
		snprintf(err, errlen, "allocate a %u-byte record buffer: %s", WAL_RECORD_MAX_SIZE,
			 strerror(errno));
		return -1;
	}
	if (wal_anchor_read(dir_fd, &scan->anchor, err, errlen) < 0 ||
	    list_segments(dir_fd, &numbers, &count, err, errlen) < 0)
		return -1;
	scan->segments = count;
	if (count)
		scan->last_segment_number = numbers[count - 1];
	w.hasher = wal_hasher_new();
	if (!w.hasher) {
		snprintf(err, errlen, "set up SHA-256: %s", strerror(errno));
		return -1;
	}

	for (size_t i = 0; i < count; i++) {
		char missing[WAL_SEGMENT_NAME_LEN + 1];
		int step;

		if (numbers[i] != expected_number) {
			wal_segment_name(expected_number, missing);
			if (report(&w, false, missing, expected_number, 0,
				   "segment is missing (the next one present is number %" PRIu64
				   ")",
				   numbers[i]))
				goto out;
		}
		expected_number = numbers[i] + 1;
		step = walk_segment(&w, numbers[i], i + 1 == count);
		if (step < 0) {
			rc = -1;
			goto out;
		}
		if (step == STEP_STOP)
			goto out;
	}
	check_anchor(&w);
out:
	wal_hasher_free(w.hasher);
	return rc;
}
