/* Per-program profiles: scoring against a program's own learned behaviour,
 * and the profiles file (round trip, refusals). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "temp_name.h"
#include "trace_set.h"

#include "score/model_file.h"
#include "score/profile_file.h"
#include "score/train.h"

#define LEN 2000

/* uname, over and over, with a getpid now and then. */
static void odd_program(__u16 *ids, size_t len)
{
	for (size_t i = 0; i < len; i++)
		ids[i] = (i % 7 == 6) ? VG_SYS_getpid : VG_SYS_uname;
}

static __u32 max_score(const struct vg_model *m, const struct vg_profile *p, const __u16 *ids,
		       size_t len)
{
	struct vg_model_state s;
	__u32 best = 0;

	vg_model_reset(&s);
	for (size_t i = 0; i < len; i++) {
		__u32 score = vg_model_step_profiled(m, p, &s, ids[i]);

		best = score > best ? score : best;
	}
	return best;
}

/* A model that finds ATTACK far above its block threshold: trained on a
 * read/write loop as normal and ATTACK as attack, calibrated on the loop. */
static void model_against(struct vg_model *m, const __u16 *attack_ids, size_t len)
{
	__u16 loop[LEN];

	for (size_t i = 0; i < LEN; i++)
		loop[i] = (i % 3 == 2) ? VG_SYS_close : (i % 3) ? VG_SYS_write : VG_SYS_read;
	struct vg_trace_set normal = one_trace_set(loop, LEN);
	struct vg_trace_set attack = one_trace_set(attack_ids, len);
	assert_int_equal(vg_model_train(&normal, &attack, 1, m, NULL, NULL), 0);
	assert_int_equal(vg_model_calibrate(m, &normal), 0);
	vg_trace_set_free(&normal);
	vg_trace_set_free(&attack);
}

/* What the kernel does while learning: record each n-gram's cell. */
static void learn(const struct vg_model *m, struct vg_profile *p, const __u16 *ids, size_t len)
{
	struct vg_model_state s;

	vg_model_reset(&s);
	for (size_t i = 0; i < len; i++) {
		vg_model_step(m, &s, ids[i]);
		p->seen[s.last_bucket >> 6] |= 1ull << (s.last_bucket & 63);
	}
}

static void test_profile_makes_own_behaviour_normal(void **state)
{
	struct vg_model m;
	struct vg_profile p = {0}, other = {0};
	__u16 ids[LEN], foreign[LEN];

	__u16 both[2 * LEN];

	(void)state;
	odd_program(ids, LEN);
	for (size_t i = 0; i < LEN; i++)
		foreign[i] = (i % 2) ? VG_SYS_getrlimit : VG_SYS_prlimit64;
	memcpy(both, ids, sizeof(ids));
	memcpy(both + LEN, foreign, sizeof(foreign));
	model_against(&m, both, 2 * LEN);
	/* Without a profile the odd program is far above the block threshold. */
	assert_true(max_score(&m, NULL, ids, LEN) > m.block_threshold);
	learn(&m, &p, ids, LEN);
	/* Against its own profile, the same behaviour is normal... */
	assert_true(max_score(&m, &p, ids, LEN) < m.flag_threshold / 4);
	/* ...but the profile does not excuse something else... */
	assert_true(max_score(&m, &p, foreign, LEN) > m.block_threshold);
	/* ...and another program's profile does not excuse this one. */
	learn(&m, &other, foreign, LEN);
	assert_true(max_score(&m, &other, ids, LEN) > m.block_threshold);
	/* A NULL profile is exactly the general model. */
	assert_int_equal(max_score(&m, NULL, foreign, LEN),
			 max_score(&m, &(struct vg_profile){0}, foreign, LEN));
}

static char *temp_path(void)
{
	static char path[64];
	int fd = mkstemp(temp_name(path, sizeof(path), "/tmp/vg-test-profile-"));

	assert_true(fd >= 0);
	close(fd);
	return path;
}

static void sample_set(struct vg_profile_set *set)
{
	unsigned char sha[VG_SHA256_LEN];
	struct vg_profile p = {0};

	memset(set, 0, sizeof(*set));
	set->hash_seed = 77;
	for (int i = 0; i < 3; i++) {
		memset(sha, 0x10 + i, sizeof(sha));
		p.seen[i] = 0x8000000000000001ull << i;
		p.seen[VG_PROFILE_WORDS - 1] = (__u64)i;
		assert_int_equal(
		    vg_profiles_add(set, sha, i == 1 ? "/usr/bin/a b\nc" : "/bin/x", &p), 0);
	}
}

static void test_round_trip(void **state)
{
	struct vg_profile_set set, back;
	char err[512], *path = temp_path();

	(void)state;
	sample_set(&set);
	assert_int_equal(vg_profiles_save(path, &set, err, sizeof(err)), 0);
	assert_int_equal(vg_profiles_load(path, &back, err, sizeof(err)), 0);
	assert_int_equal(back.count, 3);
	assert_int_equal(back.hash_seed, 77);
	for (size_t i = 0; i < 3; i++) {
		assert_string_equal(back.entries[i].path, set.entries[i].path);
		assert_memory_equal(back.entries[i].sha256, set.entries[i].sha256, VG_SHA256_LEN);
		assert_memory_equal(&back.entries[i].profile, &set.entries[i].profile,
				    sizeof(struct vg_profile));
	}
	vg_profiles_free(&set);
	vg_profiles_free(&back);
	unlink(path);
}

static void test_damage_refused(void **state)
{
	struct vg_profile_set set, back;
	char err[512], *path = temp_path();
	unsigned char *buf;
	long len;
	FILE *f;

	(void)state;
	sample_set(&set);
	assert_int_equal(vg_profiles_save(path, &set, err, sizeof(err)), 0);
	vg_profiles_free(&set);
	f = fopen(path, "rb");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	rewind(f);
	buf = malloc((size_t)len);
	assert_int_equal(fread(buf, 1, (size_t)len, f), (size_t)len);
	fclose(f);
	unlink(path);

	for (long cut = 0; cut < len; cut += 97) {
		assert_int_equal(vg_profiles_decode(buf, (size_t)cut, "p", &back, err, sizeof(err)),
				 -1);
		assert_non_null(strstr(err, "p: "));
	}
	for (long at = 8; at < len; at += 131) {
		buf[at] ^= 0x40;
		assert_int_equal(vg_profiles_decode(buf, (size_t)len, "p", &back, err, sizeof(err)),
				 -1);
		assert_non_null(strstr(err, "SHA-256 mismatch"));
		buf[at] ^= 0x40;
	}
	buf[0] = 'X';
	assert_int_equal(vg_profiles_decode(buf, (size_t)len, "p", &back, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "bad magic"));
	buf[0] = 'V';
	assert_int_equal(vg_profiles_decode(buf, (size_t)len, "p", &back, err, sizeof(err)), 0);
	vg_profiles_free(&back);
	free(buf);
}

/* Profiles hold one model's cells: another model's (its hash seed) refuses
 * them, naming both seeds; the model they came from takes them. */
static void test_other_model_refused(void **state)
{
	struct vg_profile_set set, back;
	char err[512], *path = temp_path();

	(void)state;
	sample_set(&set);
	assert_int_equal(vg_profiles_save(path, &set, err, sizeof(err)), 0);
	vg_profiles_free(&set);
	assert_int_equal(vg_profiles_load_for_model(path, 78, &back, err, sizeof(err)), -1);
	assert_non_null(
	    strstr(err, "learned with another model (hash seed 77, the model's is 78)"));
	assert_int_equal(vg_profiles_load_for_model(path, 77, &back, err, sizeof(err)), 0);
	assert_int_equal(back.count, 3);
	vg_profiles_free(&back);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_profile_makes_own_behaviour_normal),
	    cmocka_unit_test(test_round_trip),
	    cmocka_unit_test(test_damage_refused),
	    cmocka_unit_test(test_other_model_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
