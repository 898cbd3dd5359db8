/* Forensic log: round trips, crash recovery and tamper detection. Every test
 * works in a fresh mkdtemp directory under /tmp and removes it. Damage is
 * done to the files directly, the way a crash or an intruder would. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "temp_name.h"

#include "record/wal.h"
#include "record/wal_format.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_COLLECTED 256

struct fixture {
	char root[128];
	char dir[160]; /* the log directory, inside root, created by wal_open */
};

struct collected_record {
	uint64_t seq;
	uint64_t timestamp_ns;
	enum wal_type type;
	char segment[32];
	uint64_t offset;
	uint32_t len;
	char payload[256];
	uint8_t chain[32];
};

struct collection {
	size_t count;
	struct collected_record rec[MAX_COLLECTED];
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	const char *tmp = getenv("TMPDIR");

	char prefix[256];

	snprintf(prefix, sizeof(prefix), "%s/test_wal.", tmp && *tmp ? tmp : "/tmp");
	temp_name(f->root, sizeof(f->root), prefix);
	if (!mkdtemp(f->root)) {
		free(f);
		return -1;
	}
	snprintf(f->dir, sizeof(f->dir), "%s/wal", f->root);
	*state = f;
	return 0;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	int rc = nftw(f->root, remove_entry, 16, FTW_DEPTH | FTW_PHYS);

	free(f);
	return rc;
}

static void path_in(const struct fixture *f, const char *name, char *out, size_t outlen)
{
	snprintf(out, outlen, "%s/%s", f->dir, name);
}

static void segment_path(const struct fixture *f, uint64_t number, char *out, size_t outlen)
{
	char name[WAL_SEGMENT_NAME_LEN + 1];

	wal_segment_name(number, name);
	path_in(f, name, out, outlen);
}

static uint8_t *slurp(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	struct stat st;
	uint8_t *data;

	assert_non_null(fp);
	assert_int_equal(fstat(fileno(fp), &st), 0);
	data = malloc((size_t)st.st_size + 1);
	assert_non_null(data);
	assert_int_equal(fread(data, 1, (size_t)st.st_size, fp), (size_t)st.st_size);
	fclose(fp);
	*len = (size_t)st.st_size;
	return data;
}

static void spit(const char *path, const uint8_t *data, size_t len)
{
	FILE *fp = fopen(path, "wb");

	assert_non_null(fp);
	assert_int_equal(fwrite(data, 1, len, fp), len);
	assert_int_equal(fclose(fp), 0);
}

static void flip_byte(const char *path, uint64_t offset)
{
	size_t len;
	uint8_t *data = slurp(path, &len);

	assert_true(offset < len);
	data[offset] ^= 0x40;
	spit(path, data, len);
	free(data);
}

static int payload_for(uint64_t n, char *out, size_t outlen)
{
	/* Lengths vary so records do not all line up the same way. */
	return snprintf(out, outlen, "{\"n\":%llu,\"pad\":\"%.*s\"}", (unsigned long long)n,
			(int)(n % 23), "abcdefghijklmnopqrstuvwxyz");
}

static struct wal *open_log(const struct fixture *f, uint64_t segment_size,
			    struct wal_recovery *rec)
{
	struct wal_options opts = {.segment_size = segment_size};
	struct wal *w = NULL;
	char err[512] = "";

	if (wal_open(f->dir, &opts, &w, rec, err, sizeof(err)) < 0)
		fail_msg("wal_open %s: %s", f->dir, err);
	return w;
}

static void append_records(struct wal *w, uint64_t first_seq, uint64_t count, uint64_t commit_every)
{
	char payload[128];

	for (uint64_t n = first_seq; n < first_seq + count; n++) {
		uint64_t seq = 0;
		int len = payload_for(n, payload, sizeof(payload));

		assert_int_equal(
		    wal_append(w, (enum wal_type)(WAL_ALERT + n % 3), payload, (uint32_t)len, &seq),
		    0);
		assert_int_equal(seq, n);
		if (commit_every && n % commit_every == 0)
			assert_int_equal(wal_commit(w), 0);
	}
}

/* Writes count committed records into a fresh log with the given segment size. */
static void make_log(const struct fixture *f, uint64_t count, uint64_t segment_size)
{
	struct wal *w = open_log(f, segment_size, NULL);

	append_records(w, 1, count, 4);
	assert_int_equal(wal_commit(w), 0);
	assert_int_equal(wal_durable_seq(w), count);
	wal_close(w);
}

/* Simulates kill -9: a child appends `committed` records and commits, then
 * appends `uncommitted` more and dies without closing the log. */
static void crash_after(const struct fixture *f, uint64_t committed, uint64_t uncommitted)
{
	pid_t pid = fork();
	int status;

	assert_true(pid >= 0);
	if (pid == 0) {
		struct wal *w = NULL;
		char err[512], payload[128];

		if (wal_open(f->dir, NULL, &w, NULL, err, sizeof(err)) < 0)
			_exit(2);
		for (uint64_t n = 1; n <= committed + uncommitted; n++) {
			int len = payload_for(n, payload, sizeof(payload));

			if (wal_append(w, WAL_ALERT, payload, (uint32_t)len, NULL) < 0)
				_exit(3);
			if (n == committed && wal_commit(w) < 0)
				_exit(4);
		}
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

static int collect(const struct wal_record *rec, void *ctx)
{
	struct collection *c = ctx;
	struct collected_record *out;

	if (c->count == MAX_COLLECTED)
		return 1;
	out = &c->rec[c->count++];
	out->seq = rec->seq;
	out->timestamp_ns = rec->timestamp_ns;
	out->type = rec->type;
	snprintf(out->segment, sizeof(out->segment), "%s", rec->segment);
	out->offset = rec->offset;
	out->len = rec->len;
	snprintf(out->payload, sizeof(out->payload), "%.*s", (int)rec->len, rec->payload);
	memcpy(out->chain, rec->chain, sizeof(out->chain));
	return 0;
}

static void read_all(const struct fixture *f, struct collection *c, struct wal_verify_result *res)
{
	char err[512] = "";

	memset(c, 0, sizeof(*c));
	if (wal_read(f->dir, collect, c, res, err, sizeof(err)) < 0)
		fail_msg("wal_read %s: %s", f->dir, err);
}

static void verify_ok(const struct fixture *f, uint64_t records)
{
	struct wal_verify_result res;
	char err[512] = "";

	if (wal_verify(f->dir, &res, err, sizeof(err)) < 0)
		fail_msg("wal_verify %s: %s", f->dir, err);
	if (!res.ok)
		fail_msg("verify: %s offset %llu seq %llu: %s", res.segment,
			 (unsigned long long)res.offset, (unsigned long long)res.bad_seq,
			 res.problem);
	assert_int_equal(res.records, records);
}

/* Checks that verify names the first bad record exactly. */
static void verify_bad(const struct fixture *f, uint64_t seq, const char *segment, uint64_t offset,
		       const char *what)
{
	struct wal_verify_result res;
	char err[512] = "";

	if (wal_verify(f->dir, &res, err, sizeof(err)) < 0)
		fail_msg("wal_verify %s: %s", f->dir, err);
	assert_false(res.ok);
	assert_int_equal(res.bad_seq, seq);
	assert_int_equal(res.records, seq - 1);
	assert_string_equal(res.segment, segment);
	assert_int_equal(res.offset, offset);
	if (!strstr(res.problem, what))
		fail_msg("problem '%s' does not mention '%s'", res.problem, what);
}

static uint64_t record_end(const struct collected_record *r)
{
	return r->offset + WAL_RECORD_OVERHEAD + r->len;
}

static uint64_t count_segments(const struct fixture *f)
{
	char path[256];
	uint64_t n = 0;

	for (;;) {
		segment_path(f, n + 1, path, sizeof(path));
		if (access(path, F_OK) < 0)
			return n;
		n++;
	}
}

static void test_crc32c_test_vector(void **state)
{
	assert_int_equal(wal_crc32c("123456789", 9), 0xE3069283u);
	assert_int_equal(wal_crc32c("", 0), 0u);
}

static void test_type_names(void **state)
{
	static const struct {
		enum wal_type type;
		const char *name;
	} expected[] = {
	    {WAL_DAEMON_START, "daemon_start"},
	    {WAL_DAEMON_STOP, "daemon_stop"},
	    {WAL_POLICY_LOAD, "policy_load"},
	    {WAL_ALERT, "alert"},
	    {WAL_ACTION, "action"},
	    {WAL_NOTE, "note"},
	    {WAL_RECOVERY, "recovery"},
	    {WAL_DECISION, "decision"},
	    {WAL_VACCINE, "vaccine"},
	    {WAL_QUARANTINE, "quarantine"},
	    {WAL_DECOY, "decoy"},
	};

	for (size_t i = 0; i < sizeof(expected) / sizeof(expected[0]); i++)
		assert_string_equal(wal_type_name(expected[i].type), expected[i].name);
	assert_string_equal(wal_type_name((enum wal_type)0), "unknown");
	assert_string_equal(wal_type_name((enum wal_type)(WAL_DECOY + 1)), "unknown");
}

static void test_round_trip_across_segments(void **state)
{
	struct fixture *f = *state;
	struct wal_recovery rec;
	struct collection c;
	struct wal_verify_result res;
	struct timespec before, after;
	char payload[128];
	struct stat st;

	clock_gettime(CLOCK_REALTIME, &before);
	make_log(f, 50, 300);
	clock_gettime(CLOCK_REALTIME, &after);
	assert_int_equal(stat(f->dir, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	assert_true(count_segments(f) >= 5);

	read_all(f, &c, &res);
	assert_true(res.ok);
	assert_int_equal(c.count, 50);
	for (size_t i = 0; i < c.count; i++) {
		payload_for(i + 1, payload, sizeof(payload));
		assert_int_equal(c.rec[i].seq, i + 1);
		assert_int_equal(c.rec[i].type, WAL_ALERT + (i + 1) % 3);
		assert_string_equal(c.rec[i].payload, payload);
		assert_true(c.rec[i].timestamp_ns >=
			    (uint64_t)before.tv_sec * 1000000000u + (uint64_t)before.tv_nsec);
		assert_true(c.rec[i].timestamp_ns <=
			    (uint64_t)after.tv_sec * 1000000000u + (uint64_t)after.tv_nsec);
		if (i)
			assert_memory_not_equal(c.rec[i].chain, c.rec[i - 1].chain, 32);
	}
	assert_string_not_equal(c.rec[0].segment, c.rec[49].segment);

	struct wal *w = open_log(f, 300, &rec);
	assert_int_equal(rec.records, 50);
	assert_int_equal(rec.last_seq, 50);
	assert_int_equal(rec.truncated_bytes, 0);
	assert_false(rec.chain_broken);
	assert_string_equal(rec.problem, "");
	assert_int_equal(wal_appended_seq(w), 50);
	append_records(w, 51, 10, 3);
	wal_close(w);
	verify_ok(f, 60);
}

static int stop_at_third(const struct wal_record *rec, void *ctx)
{
	uint64_t *seen = ctx;

	*seen = rec->seq;
	return rec->seq == 3;
}

static void test_read_stops_when_callback_asks(void **state)
{
	struct fixture *f = *state;
	struct wal_verify_result res;
	uint64_t seen = 0;
	char err[512];

	make_log(f, 10, 0);
	assert_int_equal(wal_read(f->dir, stop_at_third, &seen, &res, err, sizeof(err)), 0);
	assert_true(res.ok);
	assert_int_equal(seen, 3);
	assert_int_equal(res.records, 3);
}

static void test_torn_tail_at_every_offset(void **state)
{
	struct fixture *f = *state;
	struct collection c;
	struct wal_verify_result res;
	char seg[256], head[192];
	size_t seg_len, head_len;

	crash_after(f, 4, 1);
	read_all(f, &c, &res);
	assert_true(res.ok); /* the unanchored record is intact, so not an error */
	assert_int_equal(c.count, 5);
	const struct collected_record last = c.rec[4];
	segment_path(f, 1, seg, sizeof(seg));
	path_in(f, WAL_ANCHOR_FILE, head, sizeof(head));
	uint8_t *seg_bytes = slurp(seg, &seg_len);
	uint8_t *head_bytes = slurp(head, &head_len);
	assert_int_equal(seg_len, record_end(&last));

	for (uint64_t cut = last.offset; cut < record_end(&last); cut++) {
		struct wal_recovery rec;
		char payload[64];
		uint64_t seq = 0;

		spit(seg, seg_bytes, cut);
		spit(head, head_bytes, head_len);
		struct wal *w = open_log(f, 0, &rec);
		assert_int_equal(rec.truncated_bytes, cut - last.offset);
		assert_false(rec.chain_broken);
		assert_int_equal(rec.records, 4);
		assert_int_equal(rec.last_seq, 4);
		if (cut > last.offset)
			assert_non_null(strstr(rec.problem, "torn tail cut"));
		int len = snprintf(payload, sizeof(payload), "after cut at %llu",
				   (unsigned long long)cut);
		assert_int_equal(wal_append(w, WAL_NOTE, payload, (uint32_t)len, &seq), 0);
		assert_int_equal(seq, 5);
		assert_int_equal(wal_commit(w), 0);
		wal_close(w);

		read_all(f, &c, &res);
		assert_true(res.ok);
		assert_int_equal(c.count, 5);
		assert_string_equal(c.rec[4].payload, payload);
		assert_int_equal(c.rec[4].offset, last.offset);
	}
	free(seg_bytes);
	free(head_bytes);
}

static void test_bad_crc_on_unanchored_last_record_is_cut(void **state)
{
	struct fixture *f = *state;
	struct wal_recovery rec;
	struct collection c;
	struct wal_verify_result res;
	char seg[256];

	crash_after(f, 4, 1);
	read_all(f, &c, &res);
	const struct collected_record last = c.rec[4];
	segment_path(f, 1, seg, sizeof(seg));
	flip_byte(seg, last.offset + WAL_RECORD_HEADER_SIZE + 2);
	verify_bad(f, 5, last.segment, last.offset, "past the anchor");

	struct wal *w = open_log(f, 0, &rec);
	assert_int_equal(rec.truncated_bytes, record_end(&last) - last.offset);
	assert_false(rec.chain_broken);
	assert_int_equal(rec.records, 4);
	wal_close(w);
	verify_ok(f, 4);
}

static void test_damaged_anchored_tail_is_not_cut(void **state)
{
	struct fixture *f = *state;
	struct wal_recovery rec;
	struct collection c;
	struct wal_verify_result res;
	char seg[256];
	struct stat st;

	crash_after(f, 5, 0);
	read_all(f, &c, &res);
	const struct collected_record last = c.rec[4];
	segment_path(f, 1, seg, sizeof(seg));
	assert_int_equal(truncate(seg, (off_t)(record_end(&last) - 3)), 0);

	struct wal *w = open_log(f, 0, &rec);
	assert_true(rec.chain_broken);
	assert_int_equal(rec.truncated_bytes, 0);
	assert_non_null(strstr(rec.problem, last.segment));
	assert_int_equal(stat(seg, &st), 0);
	assert_int_equal(st.st_size, record_end(&last) - 3);
	append_records(w, 6, 2, 1);
	wal_close(w);
	verify_bad(f, 5, last.segment, last.offset, "truncated record");
}

static void test_flipped_byte_in_middle_record(void **state)
{
	struct fixture *f = *state;
	struct collection c;
	struct wal_verify_result res;
	char seg[256];
	size_t len;

	make_log(f, 10, 0);
	read_all(f, &c, &res);
	const struct collected_record mid = c.rec[4];
	segment_path(f, 1, seg, sizeof(seg));
	uint8_t *pristine = slurp(seg, &len);
	const uint64_t positions[] = {
	    0,							   /* length */
	    5,							   /* type */
	    9,							   /* seq */
	    17,							   /* timestamp */
	    WAL_RECORD_HEADER_SIZE + 1,				   /* payload */
	    WAL_RECORD_HEADER_SIZE + mid.len + 3,		   /* chain */
	    WAL_RECORD_HEADER_SIZE + mid.len + WAL_CHAIN_SIZE + 1, /* crc */
	};

	for (size_t i = 0; i < sizeof(positions) / sizeof(positions[0]); i++) {
		spit(seg, pristine, len);
		flip_byte(seg, mid.offset + positions[i]);
		verify_bad(f, 5, mid.segment, mid.offset, "");
	}
	free(pristine);
}

static void test_rechecksummed_tampering_breaks_chain(void **state)
{
	struct fixture *f = *state;
	struct collection c;
	struct wal_verify_result res;
	struct wal_recovery rec;
	char seg[256];
	size_t len;

	make_log(f, 10, 0);
	read_all(f, &c, &res);
	const struct collected_record mid = c.rec[4];
	segment_path(f, 1, seg, sizeof(seg));
	uint8_t *data = slurp(seg, &len);
	uint8_t *record = data + mid.offset;
	uint64_t crc_at = WAL_RECORD_HEADER_SIZE + mid.len + WAL_CHAIN_SIZE;

	record[WAL_RECORD_HEADER_SIZE + 1] ^= 0x01;
	wal_put_le32(record + crc_at, wal_crc32c(record, crc_at));
	spit(seg, data, len);
	verify_bad(f, 5, mid.segment, mid.offset, "bad chain hash");

	/* The daemon keeps recording after it, and verify keeps naming it. */
	struct wal *w = open_log(f, 0, &rec);
	assert_true(rec.chain_broken);
	assert_int_equal(rec.truncated_bytes, 0);
	assert_non_null(strstr(rec.problem, "bad chain hash"));
	append_records(w, 11, 3, 1);
	wal_close(w);
	verify_bad(f, 5, mid.segment, mid.offset, "bad chain hash");
	free(data);
}

static void test_deleted_middle_record(void **state)
{
	struct fixture *f = *state;
	struct collection c;
	struct wal_verify_result res;
	char seg[256];
	size_t len;

	make_log(f, 10, 0);
	read_all(f, &c, &res);
	const struct collected_record mid = c.rec[4];
	segment_path(f, 1, seg, sizeof(seg));
	uint8_t *data = slurp(seg, &len);
	uint64_t gone = record_end(&mid) - mid.offset;

	memmove(data + mid.offset, data + record_end(&mid), len - record_end(&mid));
	spit(seg, data, len - gone);
	verify_bad(f, 5, mid.segment, mid.offset, "seq gap");
	free(data);
}

static uint64_t first_seq_of(const struct collection *c, const char *segment)
{
	for (size_t i = 0; i < c->count; i++)
		if (!strcmp(c->rec[i].segment, segment))
			return c->rec[i].seq;
	fail_msg("no record in %s", segment);
	return 0;
}

static void test_reordered_segments(void **state)
{
	struct fixture *f = *state;
	struct collection c;
	struct wal_verify_result res;
	struct wal_recovery rec;
	char second[256], third[256], tmp[256], name[WAL_SEGMENT_NAME_LEN + 1];

	make_log(f, 30, 300);
	assert_true(count_segments(f) >= 4);
	read_all(f, &c, &res);
	wal_segment_name(2, name);
	uint64_t expected = first_seq_of(&c, name);
	segment_path(f, 2, second, sizeof(second));
	segment_path(f, 3, third, sizeof(third));
	path_in(f, "swap", tmp, sizeof(tmp));
	assert_int_equal(rename(second, tmp), 0);
	assert_int_equal(rename(third, second), 0);
	assert_int_equal(rename(tmp, third), 0);
	verify_bad(f, expected, name, 0, "segment header mismatch: it says segment 3");

	struct wal *w = open_log(f, 300, &rec);
	assert_true(rec.chain_broken);
	append_records(w, 31, 2, 1);
	wal_close(w);
	verify_bad(f, expected, name, 0, "segment header mismatch: it says segment 3");
}

static void test_deleted_segments(void **state)
{
	struct fixture *f = *state;
	struct collection c;
	struct wal_verify_result res;
	char path[256], name[WAL_SEGMENT_NAME_LEN + 1], last_name[WAL_SEGMENT_NAME_LEN + 1];
	size_t len;

	make_log(f, 30, 300);
	uint64_t segments = count_segments(f);
	assert_true(segments >= 4);
	read_all(f, &c, &res);

	/* A middle one. */
	segment_path(f, 2, path, sizeof(path));
	uint8_t *saved = slurp(path, &len);
	assert_int_equal(unlink(path), 0);
	wal_segment_name(2, name);
	verify_bad(f, first_seq_of(&c, name), name, 0, "segment is missing");
	spit(path, saved, len);
	free(saved);

	/* The first one. */
	segment_path(f, 1, path, sizeof(path));
	saved = slurp(path, &len);
	assert_int_equal(unlink(path), 0);
	wal_segment_name(1, name);
	verify_bad(f, 1, name, 0, "segment is missing");
	spit(path, saved, len);
	free(saved);
	verify_ok(f, 30);

	/* The last one: only the anchor can tell. */
	wal_segment_name(segments, name);
	wal_segment_name(segments - 1, last_name);
	uint64_t lost_from = first_seq_of(&c, name);
	uint64_t end = 0;
	for (size_t i = 0; i < c.count; i++)
		if (!strcmp(c.rec[i].segment, last_name))
			end = record_end(&c.rec[i]);
	segment_path(f, segments, path, sizeof(path));
	assert_int_equal(unlink(path), 0);
	verify_bad(f, lost_from, last_name, end, "anchor says seq 30 is durable");
}

static void test_tail_cut_at_record_boundary_detected_by_anchor(void **state)
{
	struct fixture *f = *state;
	struct collection c;
	struct wal_verify_result res;
	struct wal_recovery rec;
	char seg[256];

	make_log(f, 10, 0);
	read_all(f, &c, &res);
	const struct collected_record eighth = c.rec[7];
	segment_path(f, 1, seg, sizeof(seg));
	assert_int_equal(truncate(seg, (off_t)eighth.offset), 0);
	verify_bad(f, 8, eighth.segment, eighth.offset,
		   "anchor says seq 10 is durable but the log ends at seq 7");

	struct wal *w = open_log(f, 0, &rec);
	assert_true(rec.chain_broken);
	assert_int_equal(rec.truncated_bytes, 0);
	assert_int_equal(rec.last_seq, 10); /* seqs 8..10 are never reused */
	append_records(w, 11, 2, 1);
	wal_close(w);
	verify_bad(f, 8, eighth.segment, eighth.offset, "records 8..10 are missing");
}

static void test_records_past_lagging_anchor_are_valid(void **state)
{
	struct fixture *f = *state;
	struct wal_recovery rec;

	crash_after(f, 5, 3);
	verify_ok(f, 8);
	struct wal *w = open_log(f, 0, &rec);
	assert_false(rec.chain_broken);
	assert_int_equal(rec.truncated_bytes, 0);
	assert_int_equal(rec.records, 8);
	assert_int_equal(wal_durable_seq(w), 8);
	append_records(w, 9, 1, 1);
	wal_close(w);
	verify_ok(f, 9);
}

static void test_torn_anchor_slot_falls_back(void **state)
{
	struct fixture *f = *state;
	char head[256];

	/* The fresh log wrote seq 0 to both slots; the commit then wrote slot 0. */
	crash_after(f, 5, 0);
	path_in(f, WAL_ANCHOR_FILE, head, sizeof(head));
	flip_byte(head, 14);
	verify_ok(f, 5);

	flip_byte(head, WAL_ANCHOR_SLOT_STRIDE + 14);
	verify_bad(f, 6, WAL_ANCHOR_FILE, 0, "anchor file is corrupt");
	assert_int_equal(unlink(head), 0);
	verify_bad(f, 6, WAL_ANCHOR_FILE, 0, "anchor file is missing");
}

static void test_bad_appends_rejected(void **state)
{
	struct fixture *f = *state;
	struct collection c;
	struct wal_verify_result res;
	uint8_t *big = calloc(1, WAL_MAX_PAYLOAD + 1);
	uint64_t seq = 0;

	assert_non_null(big);
	struct wal *w = open_log(f, 0, NULL);
	errno = 0;
	assert_int_equal(wal_append(w, WAL_NOTE, big, WAL_MAX_PAYLOAD + 1, &seq), -1);
	assert_int_equal(errno, EINVAL);
	assert_non_null(strstr(wal_error(w), "maximum"));
	assert_int_equal(wal_append(w, (enum wal_type)0, "x", 1, &seq), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(wal_append(w, (enum wal_type)(WAL_DECOY + 1), "x", 1, &seq), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(wal_append(w, WAL_NOTE, NULL, 4, &seq), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(wal_appended_seq(w), 0);

	big[0] = 'A';
	big[WAL_MAX_PAYLOAD - 1] = 'Z';
	assert_int_equal(wal_append(w, WAL_NOTE, big, WAL_MAX_PAYLOAD, &seq), 0);
	assert_int_equal(seq, 1);
	assert_int_equal(wal_append(w, WAL_NOTE, NULL, 0, &seq), 0);
	assert_int_equal(seq, 2);
	wal_close(w);
	read_all(f, &c, &res);
	assert_true(res.ok);
	assert_int_equal(c.count, 2);
	assert_int_equal(c.rec[0].len, WAL_MAX_PAYLOAD);
	assert_int_equal(c.rec[1].len, 0);
	free(big);
}

static void test_open_rejects_bad_options_and_second_writer(void **state)
{
	struct fixture *f = *state;
	struct wal_options tiny = {.segment_size = 10};
	struct wal *second = NULL;
	char err[512] = "";

	assert_int_equal(wal_open(f->dir, &tiny, &second, NULL, err, sizeof(err)), -1);
	assert_int_equal(errno, EINVAL);
	assert_non_null(strstr(err, "segment size 10 is too small"));

	struct wal *w = open_log(f, 0, NULL);
	assert_int_equal(wal_open(f->dir, NULL, &second, NULL, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "another process"));
	assert_null(second);
	wal_close(w);
}

static void test_verify_empty_and_missing_directory(void **state)
{
	struct fixture *f = *state;
	struct wal_verify_result res;
	char err[512] = "";

	assert_int_equal(wal_verify(f->dir, &res, err, sizeof(err)), -1);
	assert_non_null(strstr(err, f->dir));
	assert_int_equal(mkdir(f->dir, 0700), 0);
	verify_ok(f, 0);
}

static void test_acknowledged_records_survive_kill(void **state)
{
	struct fixture *f = *state;
	struct wal_recovery rec;
	int pipefd[2];
	uint64_t acked = 0, value;

	assert_int_equal(pipe(pipefd), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct wal *w = NULL;
		char err[512], payload[128];

		close(pipefd[0]);
		if (wal_open(f->dir, NULL, &w, NULL, err, sizeof(err)) < 0)
			_exit(2);
		for (uint64_t n = 1;; n++) {
			int len = payload_for(n, payload, sizeof(payload));

			if (wal_append(w, WAL_ALERT, payload, (uint32_t)len, NULL) < 0)
				_exit(3);
			if (n % 8 == 0) {
				if (wal_commit(w) < 0)
					_exit(4);
				value = wal_durable_seq(w);
				if (write(pipefd[1], &value, sizeof(value)) != sizeof(value))
					_exit(5);
			}
		}
	}
	close(pipefd[1]);
	for (int i = 0; i < 20; i++) {
		assert_int_equal(read(pipefd[0], &value, sizeof(value)), sizeof(value));
		acked = value;
	}
	assert_int_equal(kill(pid, SIGKILL), 0);
	assert_int_equal(waitpid(pid, NULL, 0), pid);
	while (read(pipefd[0], &value, sizeof(value)) == sizeof(value))
		acked = value;
	close(pipefd[0]);

	struct wal *w = open_log(f, 0, &rec);
	assert_false(rec.chain_broken);
	assert_true(rec.last_seq >= acked);
	wal_close(w);
	verify_ok(f, rec.last_seq);
}

static void test_many_small_records_with_group_commit(void **state)
{
	struct fixture *f = *state;
	struct timespec start, end;

	clock_gettime(CLOCK_MONOTONIC, &start);
	struct wal *w = open_log(f, 1 << 20, NULL);
	append_records(w, 1, 100000, 64);
	wal_close(w);
	clock_gettime(CLOCK_MONOTONIC, &end);
	double seconds = (double)(end.tv_sec - start.tv_sec) + (end.tv_nsec - start.tv_nsec) / 1e9;
	print_message("100000 records, commit every 64: %.2f s\n", seconds);
	verify_ok(f, 100000);
	/* On a disk each commit waits for two flushes; on tmpfs only the code counts. */
	struct statfs fs;
	assert_int_equal(statfs(f->root, &fs), 0);
	if (fs.f_type == TMPFS_MAGIC)
		assert_true(seconds < 3.0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_crc32c_test_vector),
	    cmocka_unit_test(test_type_names),
	    cmocka_unit_test_setup_teardown(test_round_trip_across_segments, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_read_stops_when_callback_asks, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_torn_tail_at_every_offset, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bad_crc_on_unanchored_last_record_is_cut, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_damaged_anchored_tail_is_not_cut, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_flipped_byte_in_middle_record, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_rechecksummed_tampering_breaks_chain, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_deleted_middle_record, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_reordered_segments, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_deleted_segments, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_tail_cut_at_record_boundary_detected_by_anchor,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_records_past_lagging_anchor_are_valid, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_torn_anchor_slot_falls_back, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bad_appends_rejected, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_open_rejects_bad_options_and_second_writer, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_verify_empty_and_missing_directory, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_acknowledged_records_survive_kill, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_many_small_records_with_group_commit, setup,
					    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
