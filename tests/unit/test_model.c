/* The precognition model: the shared scoring step, training, and the model
 * file that carries it (refusals for every kind of damage). */
#include "score/eval.h"
#include "score/model.h"
#include "score/model_file.h"
#include "score/train.h"

#include <openssl/evp.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "temp_name.h"
#include "trace_set.h"

/* A small "program": a loader prologue, then a request loop. */
static const __u16 program[] = {
    VG_SYS_execve, VG_SYS_brk,	 VG_SYS_access, VG_SYS_openat, VG_SYS_fstat,
    VG_SYS_mmap,   VG_SYS_close, VG_SYS_read,	VG_SYS_mmap,   VG_SYS_mprotect,
};
static const __u16 request[] = {VG_SYS_poll, VG_SYS_read, VG_SYS_clock_gettime, VG_SYS_write,
				VG_SYS_poll, VG_SYS_read, VG_SYS_sendto,	VG_SYS_futex};

#define TRACE_LEN 600

static void fill_normal(__u16 *ids, size_t len, unsigned variant)
{
	size_t n = 0;

	for (size_t i = 0; i < sizeof(program) / sizeof(program[0]) && n < len; i++)
		ids[n++] = program[i];
	for (size_t i = 0; n < len; i++)
		ids[n++] = request[(i + variant) % (sizeof(request) / sizeof(request[0]))];
}

static struct vg_trace_set normal_set(void)
{
	struct vg_trace_set set = {0};

	set.traces = calloc(12, sizeof(*set.traces));
	assert_non_null(set.traces);
	for (unsigned t = 0; t < 12; t++) {
		struct vg_trace *trace = &set.traces[set.count++];
		trace->len = TRACE_LEN - 20 * t;
		trace->ids = calloc(trace->len, sizeof(__u16));
		trace->path = strdup("mem");
		trace->family = strdup("normal");
		assert_non_null(trace->ids);
		fill_normal(trace->ids, trace->len, t);
		set.syscalls += trace->len;
	}
	return set;
}

static __u32 max_score(const struct vg_model *m, const __u16 *ids, size_t len)
{
	struct vg_trace trace = {.ids = (__u16 *)ids, .len = len};

	return vg_trace_score(m, &trace);
}

static struct vg_model trained(void)
{
	struct vg_trace_set set = normal_set();
	struct vg_model m;

	assert_int_equal(vg_model_train(&set, NULL, 1, &m, NULL, NULL), 0);
	assert_int_equal(vg_model_calibrate(&m, &set), 0);
	vg_trace_set_free(&set);
	return m;
}

static void test_zeroed_state_is_reset_state(void **state)
{
	struct vg_model_state a, b;

	memset(&a, 0, sizeof(a));
	memset(&b, 0xa5, sizeof(b));
	vg_model_reset(&b);
	assert_memory_equal(&a, &b, sizeof(a));
	assert_true(sizeof(struct vg_model_state) <= 64);
	assert_true(sizeof(struct vg_model) <= 8192);
}

static void test_step_is_deterministic(void **state)
{
	struct vg_model m = trained();
	struct vg_model_state s1, s2;
	__u16 ids[TRACE_LEN];

	fill_normal(ids, TRACE_LEN, 3);
	vg_model_reset(&s1);
	vg_model_reset(&s2);
	for (size_t i = 0; i < TRACE_LEN; i++) {
		__u32 a = vg_model_step(&m, &s1, ids[i]);
		__u32 b = vg_model_step(&m, &s2, ids[i]);
		assert_int_equal(a, b);
		assert_true(a <= VG_MODEL_SCORE_MAX);
	}
	assert_memory_equal(&s1, &s2, sizeof(s1));
	assert_int_equal(s1.count, TRACE_LEN);
}

static void test_normal_scores_below_shuffled_and_foreign(void **state)
{
	struct vg_model m = trained();
	__u16 normal[TRACE_LEN], shuffled[TRACE_LEN], foreign[TRACE_LEN];
	__u32 seed = 12345;

	fill_normal(normal, TRACE_LEN, 5);
	memcpy(shuffled, normal, sizeof(normal));
	for (size_t i = TRACE_LEN - 1; i > 0; i--) {
		seed = seed * 1664525u + 1013904223u;
		size_t j = (seed >> 8) % (i + 1);
		__u16 tmp = shuffled[i];
		shuffled[i] = shuffled[j];
		shuffled[j] = tmp;
	}
	for (size_t i = 0; i < TRACE_LEN; i++)
		foreign[i] = (__u16)(VG_SYS_ptrace + i % 7);

	__u32 s_normal = max_score(&m, normal, TRACE_LEN);
	__u32 s_shuffled = max_score(&m, shuffled, TRACE_LEN);
	__u32 s_foreign = max_score(&m, foreign, TRACE_LEN);
	assert_true(s_normal < s_shuffled);
	assert_true(s_shuffled <= s_foreign);
	/* Every n-gram unseen: the average reaches the top of the scale. */
	assert_true(s_foreign >= VG_MODEL_SCORE_MAX - 8);
	/* The thresholds sit above every training trace, below the foreign one. */
	assert_true(m.flag_threshold > s_normal);
	assert_true(m.block_threshold >= m.flag_threshold);
	assert_true(s_foreign >= m.block_threshold);
}

static void test_reason_names_unseen_ngram(void **state)
{
	struct vg_model m = trained();
	struct vg_model_state s;
	__u16 ids[TRACE_LEN];

	fill_normal(ids, TRACE_LEN, 0);
	vg_model_reset(&s);
	for (size_t i = 0; i < 200; i++)
		vg_model_step(&m, &s, ids[i]);
	vg_model_step(&m, &s, VG_SYS_ptrace);
	assert_int_equal(s.reason.cost, VG_MODEL_COST_MAX);
	assert_int_equal(s.reason.ngram[VG_MODEL_ORDER - 1], VG_SYS_ptrace);
	assert_int_equal(s.reason.ngram[VG_MODEL_ORDER - 2], ids[199]);
	assert_int_equal(s.reason.at, 201);
}

static void test_training_is_deterministic_and_seeded(void **state)
{
	struct vg_trace_set set = normal_set();
	struct vg_model a, b, c;

	assert_int_equal(vg_model_train(&set, NULL, 9, &a, NULL, NULL), 0);
	assert_int_equal(vg_model_train(&set, NULL, 9, &b, NULL, NULL), 0);
	assert_int_equal(vg_model_train(&set, NULL, 10, &c, NULL, NULL), 0);
	assert_memory_equal(&a, &b, sizeof(a));
	assert_memory_not_equal(a.cost, c.cost, sizeof(a.cost));
	vg_trace_set_free(&set);

	struct vg_trace_set empty = {0};
	assert_int_equal(vg_model_train(&empty, NULL, 1, &a, NULL, NULL), -1);
	assert_int_equal(vg_model_calibrate(&a, &empty), -1);
}

/* A set of one trace: LEN calls of ID. */
static struct vg_trace_set constant_set(__u16 id, size_t len)
{
	__u16 ids[2048];

	assert_true(len <= sizeof(ids) / sizeof(ids[0]));
	for (size_t i = 0; i < len; i++)
		ids[i] = id;
	return one_trace_set(ids, len);
}

static __u32 cost_of(const struct vg_model *m, __u16 id)
{
	const __u16 history[VG_MODEL_ORDER - 1] = {id, id, id};

	return vg_model_cell(m, vg_model_bucket(m->hash_seed, history, id));
}

/* Evidence by hand: one normal trace of 66 getpid calls, one attack trace of
 * 66 uname calls. Each side has 66 syscalls, so a cell's cost is
 * 8 + log2((attack count + 1) / (normal count + 1)). The n-gram of four
 * unames is made 63 times by the attack side, never by the normal one:
 * 8 + log2(64) = 14; four getpids the reverse: 8 - 6 = 2; an n-gram neither
 * side made: 8. */
static void test_evidence_costs_by_hand(void **state)
{
	struct vg_trace_set normal = constant_set(VG_SYS_getpid, 66);
	struct vg_trace_set attack = constant_set(VG_SYS_uname, 66);
	struct vg_model m, again;

	assert_int_equal(vg_model_train(&normal, &attack, 1, &m, NULL, NULL), 0);
	assert_int_equal(cost_of(&m, VG_SYS_uname), 14);
	assert_int_equal(cost_of(&m, VG_SYS_getpid), 2);
	assert_int_equal(cost_of(&m, VG_SYS_ptrace), VG_MODEL_COST_EVEN);

	assert_true(max_score(&m, attack.traces[0].ids, 66) >
		    max_score(&m, normal.traces[0].ids, 66));
	assert_int_equal(vg_model_train(&normal, &attack, 1, &again, NULL, NULL), 0);
	assert_memory_equal(&m, &again, sizeof(m));

	/* An empty attack set is normal-only training: unseen costs the most. */
	struct vg_trace_set none = {0};
	assert_int_equal(vg_model_train(&normal, &none, 1, &m, NULL, NULL), 0);
	assert_int_equal(cost_of(&m, VG_SYS_ptrace), VG_MODEL_COST_MAX);
	vg_trace_set_free(&normal);
	vg_trace_set_free(&attack);
}

/* The cap: an n-gram 2^10 times likelier in attacks costs 15, not 18. */
static void test_evidence_is_clamped(void **state)
{
	struct vg_trace_set normal = constant_set(VG_SYS_getpid, 1027);
	struct vg_trace_set attack = constant_set(VG_SYS_uname, 1027);
	struct vg_model m;

	assert_int_equal(vg_model_train(&normal, &attack, 1, &m, NULL, NULL), 0);
	assert_int_equal(cost_of(&m, VG_SYS_uname), VG_MODEL_COST_MAX);
	assert_int_equal(cost_of(&m, VG_SYS_getpid), 0);
	vg_trace_set_free(&normal);
	vg_trace_set_free(&attack);
}

/* Cross-fitted calibration, by hand: the 12 normal traces are 4 blocks of
 * 3 in order; each block is scored by a model trained (same seed, same
 * attack traces) on the other 9, and the thresholds are read from those 12
 * scores. */
static void test_cross_calibration_is_out_of_fold(void **state)
{
	struct vg_trace_set normal = normal_set();
	struct vg_trace_set attack = constant_set(VG_SYS_uname, 600);
	__u32 scores[12];
	struct vg_model m, fold;

	assert_int_equal(VG_MODEL_CALIBRATION_FOLDS, 4);
	for (size_t block = 0; block < 4; block++) {
		struct vg_trace others[9];
		struct vg_trace_set rest = {.traces = others};

		for (size_t i = 0; i < 12; i++)
			if (i / 3 != block) {
				others[rest.count++] = normal.traces[i];
				rest.syscalls += normal.traces[i].len;
			}
		assert_int_equal(vg_model_train(&rest, &attack, 5, &fold, NULL, NULL), 0);
		for (size_t i = block * 3; i < block * 3 + 3; i++)
			scores[i] = vg_trace_score(&fold, &normal.traces[i]);
	}
	assert_int_equal(vg_model_train(&normal, &attack, 5, &m, NULL, NULL), 0);
	assert_int_equal(vg_model_calibrate_cross(&m, &normal, &attack, NULL, NULL), 0);
	assert_true(m.flag_threshold > 0);
	assert_int_equal(m.flag_threshold, vg_threshold_at_fpr(scores, 12, 0.01));
	assert_int_equal(m.block_threshold, vg_threshold_at_fpr(scores, 12, 0.001));

	/* Fewer traces than blocks: refused, thresholds untouched. */
	struct vg_trace_set few = {.traces = normal.traces, .count = 3};
	assert_int_equal(vg_model_calibrate_cross(&m, &few, &attack, NULL, NULL), -1);
	assert_int_equal(m.flag_threshold, vg_threshold_at_fpr(scores, 12, 0.01));
	vg_trace_set_free(&normal);
	vg_trace_set_free(&attack);
}

/* ---- model file ---------------------------------------------------------- */

static void rechecksum(unsigned char *buf)
{
	unsigned int len = 32;

	assert_int_equal(EVP_Digest(buf, VG_MODEL_FILE_SIZE - 32, buf + VG_MODEL_FILE_SIZE - 32,
				    &len, EVP_sha256(), NULL),
			 1);
}

static enum vg_model_file_status decode(const unsigned char *buf, size_t len)
{
	struct vg_model m;

	return vg_model_decode(buf, len, "test.model", &m, NULL);
}

static void test_round_trip(void **state)
{
	struct vg_model m = trained(), back;
	struct vg_model_file_info info;
	char path[64];
	int fd = mkstemp(temp_name(path, sizeof(path), "/tmp/vg-test-model-"));

	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(vg_model_save(path, &m), 0);
	assert_int_equal(vg_model_load(path, &back, &info), VG_MODEL_FILE_OK);
	assert_memory_equal(&m, &back, sizeof(m));
	assert_int_equal(info.version, VG_MODEL_FILE_VERSION);
	assert_true(info.table_hash == VG_SYSCALL_TABLE_HASH);
	assert_int_equal(info.param_bytes, VG_MODEL_PARAM_BYTES);
	unlink(path);
	assert_int_equal(vg_model_load(path, &back, NULL), VG_MODEL_FILE_IO);
}

static void test_truncated_at_every_length(void **state)
{
	struct vg_model m = trained();
	unsigned char buf[VG_MODEL_FILE_SIZE];

	vg_model_encode(&m, buf);
	assert_int_equal(decode(buf, sizeof(buf)), VG_MODEL_FILE_OK);
	for (size_t len = 0; len < sizeof(buf); len++)
		assert_int_equal(decode(buf, len), VG_MODEL_FILE_TRUNCATED);
}

static void test_trailing_bytes(void **state)
{
	struct vg_model m = trained();
	unsigned char buf[VG_MODEL_FILE_SIZE + 1];

	vg_model_encode(&m, buf);
	buf[VG_MODEL_FILE_SIZE] = 0;
	assert_int_equal(decode(buf, sizeof(buf)), VG_MODEL_FILE_BAD_SIZE);
}

static void test_flipped_bytes(void **state)
{
	struct vg_model m = trained();
	unsigned char buf[VG_MODEL_FILE_SIZE];
	const size_t positions[] = {24,
				    28,
				    40,
				    41,
				    1000,
				    VG_MODEL_FILE_SIZE - 33,
				    VG_MODEL_FILE_SIZE - 32,
				    VG_MODEL_FILE_SIZE - 1};

	for (size_t i = 0; i < sizeof(positions) / sizeof(positions[0]); i++) {
		vg_model_encode(&m, buf);
		buf[positions[i]] ^= 0x10;
		assert_int_equal(decode(buf, sizeof(buf)), VG_MODEL_FILE_BAD_CHECKSUM);
	}
	vg_model_encode(&m, buf);
	buf[2] ^= 0x10;
	assert_int_equal(decode(buf, sizeof(buf)), VG_MODEL_FILE_BAD_MAGIC);
	assert_int_equal(decode((const unsigned char *)"#!/bin/sh", 9), VG_MODEL_FILE_BAD_MAGIC);
}

static void test_wrong_version_and_size(void **state)
{
	struct vg_model m = trained();
	unsigned char buf[VG_MODEL_FILE_SIZE];

	vg_model_encode(&m, buf);
	buf[8] = VG_MODEL_FILE_VERSION + 1;
	rechecksum(buf);
	assert_int_equal(decode(buf, sizeof(buf)), VG_MODEL_FILE_BAD_VERSION);

	vg_model_encode(&m, buf);
	buf[12] ^= 0x01;
	rechecksum(buf);
	assert_int_equal(decode(buf, sizeof(buf)), VG_MODEL_FILE_BAD_SIZE);

	vg_model_encode(&m, buf);
	buf[VG_MODEL_FILE_HEADER] ^= 0x01; /* the geometry word: n-gram order */
	rechecksum(buf);
	assert_int_equal(decode(buf, sizeof(buf)), VG_MODEL_FILE_BAD_GEOMETRY);
}

static void test_table_mismatch_named(void **state)
{
	struct vg_model m = trained();
	unsigned char buf[VG_MODEL_FILE_SIZE];
	char captured[1024] = "";

	vg_model_encode(&m, buf);
	buf[16] ^= 0xff;
	rechecksum(buf);

	FILE *f = tmpfile();
	assert_non_null(f);
	fflush(stderr);
	int saved = dup(STDERR_FILENO);
	assert_true(saved >= 0 && dup2(fileno(f), STDERR_FILENO) >= 0);
	enum vg_model_file_status status = decode(buf, sizeof(buf));
	fflush(stderr);
	assert_true(dup2(saved, STDERR_FILENO) >= 0);
	close(saved);
	rewind(f);
	size_t got = fread(captured, 1, sizeof(captured) - 1, f);
	captured[got] = '\0';
	fclose(f);

	assert_int_equal(status, VG_MODEL_FILE_TABLE_MISMATCH);
	assert_non_null(strstr(captured, "test.model"));
	assert_non_null(strstr(captured, "syscall table"));
}

static void test_default_model_loads(void **state)
{
	struct vg_model m;
	struct vg_model_file_info info;

	assert_int_equal(vg_model_load_default(&m, &info), VG_MODEL_FILE_OK);
	assert_true(m.flag_threshold > 0);
	assert_true(m.block_threshold >= m.flag_threshold);
	assert_true(m.block_threshold <= VG_MODEL_SCORE_MAX);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_zeroed_state_is_reset_state),
	    cmocka_unit_test(test_step_is_deterministic),
	    cmocka_unit_test(test_normal_scores_below_shuffled_and_foreign),
	    cmocka_unit_test(test_reason_names_unseen_ngram),
	    cmocka_unit_test(test_training_is_deterministic_and_seeded),
	    cmocka_unit_test(test_evidence_costs_by_hand),
	    cmocka_unit_test(test_evidence_is_clamped),
	    cmocka_unit_test(test_cross_calibration_is_out_of_fold),
	    cmocka_unit_test(test_round_trip),
	    cmocka_unit_test(test_truncated_at_every_length),
	    cmocka_unit_test(test_trailing_bytes),
	    cmocka_unit_test(test_flipped_bytes),
	    cmocka_unit_test(test_wrong_version_and_size),
	    cmocka_unit_test(test_table_mismatch_named),
	    cmocka_unit_test(test_default_model_loads),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
