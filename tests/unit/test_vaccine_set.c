/* The vaccines in force rebuilt from the forensic log: adds and revokes in
 * order, payloads that are not C strings (the log's buffer goes on with the
 * next record), records that must be skipped with a reason, and a real log
 * written with wal_append in a fresh mkdtemp directory. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "temp_name.h"

#include "act/vaccine_set.h"
#include "record/wal.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The log's JSON for adding an exec_sha256 vaccine with this id. */
static char *add_record(uint32_t id)
{
	struct vg_vaccine v = {.id = id, .kind = VG_VACCINE_EXEC};
	struct json_object *obj;
	char *text;

	memset(v.sha256, (int)id, sizeof(v.sha256));
	snprintf(v.path, sizeof(v.path), "/opt/tool-%u", id);
	snprintf(v.origin, sizeof(v.origin), "operator");
	v.created_real_ns = 1000;
	v.expires_real_ns = 4000000000000000000ull;
	obj = vaccine_to_json(&v);
	json_object_object_add(obj, "type", json_object_new_string("vaccine"));
	json_object_object_add(obj, "op", json_object_new_string("add"));
	text = strdup(json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN));
	json_object_put(obj);
	assert_non_null(text);
	return text;
}

static void apply(struct vg_vaccine_set *s, const char *text)
{
	char err[256] = "";

	if (vaccine_set_apply_record(s, text, strlen(text), err, sizeof(err)))
		fail_msg("record %s not applied: %s", text, err);
}

static bool has(const struct vg_vaccine_set *s, uint32_t id)
{
	for (int i = 0; i < s->count; i++)
		if (s->items[i].id == id)
			return true;
	return false;
}

static void adds_and_revokes_in_order(void **state)
{
	struct vg_vaccine_set s = {0};
	char *one = add_record(1), *two = add_record(2), *three = add_record(3);

	apply(&s, one);
	apply(&s, two);
	apply(&s, "{\"type\":\"vaccine\",\"op\":\"revoke\",\"id\":1}");
	apply(&s, three);
	/* An id no longer in force (expired, or revoked twice) changes nothing. */
	apply(&s, "{\"type\":\"vaccine\",\"op\":\"revoke\",\"id\":1}");
	assert_int_equal(s.count, 2);
	assert_false(has(&s, 1));
	assert_true(has(&s, 2));
	assert_true(has(&s, 3));
	assert_string_equal(s.items[0].path, "/opt/tool-2"); /* the last took 1's place */
	assert_int_equal(s.last_id, 3);
	/* A revoked id is never handed out again. */
	apply(&s, "{\"type\":\"vaccine\",\"op\":\"revoke\",\"id\":3}");
	assert_int_equal(s.last_id, 3);
	vaccine_set_free(&s);
	assert_null(s.items);
	free(one);
	free(two);
	free(three);
}

/* The bug this module was cut out for: parsing the payload as a C string
 * read on into the next record's bytes, and the vaccine was lost. */
static void payload_is_not_a_c_string(void **state)
{
	struct vg_vaccine_set s = {0};
	char *rec = add_record(9), err[256];
	size_t len = strlen(rec);
	char *buf = malloc(len + 64);

	assert_non_null(buf);
	memcpy(buf, rec, len);
	memcpy(buf + len, "{\"op\":\"revoke\",\"id\":9}", 22); /* no NUL after it */
	assert_int_equal(vaccine_set_apply_record(&s, buf, len, err, sizeof(err)), 0);
	assert_int_equal(s.count, 1);
	assert_int_equal(s.items[0].id, 9);
	/* Cut one byte short, it is no JSON and is refused, not half-applied. */
	assert_int_equal(vaccine_set_apply_record(&s, buf, len - 1, err, sizeof(err)), -1);
	assert_string_equal(err, "not a JSON object");
	assert_int_equal(s.count, 1);
	vaccine_set_free(&s);
	free(buf);
	free(rec);
}

static void bad_records_named(void **state)
{
	static const struct {
		const char *text, *err;
	} cases[] = {
	    {"[1,2]", "not a JSON object"},
	    {"{\"op\":\"add\"", "not a JSON object"},
	    {"{\"op\":\"grant\",\"id\":1}", "unknown \"op\" \"grant\""},
	    {"{\"id\":1}", "unknown \"op\" \"\""},
	    {"{\"op\":\"revoke\"}", "a revocation without an integer \"id\""},
	    {"{\"op\":\"revoke\",\"id\":\"1\"}", "a revocation without an integer \"id\""},
	    {"{\"op\":\"add\",\"id\":4,\"kind\":\"exec_sha256\"}", NULL},
	};
	struct vg_vaccine_set s = {0};
	char *good = add_record(5), err[256];

	apply(&s, good);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		err[0] = '\0';
		assert_int_equal(vaccine_set_apply_record(&s, cases[i].text, strlen(cases[i].text),
							  err, sizeof(err)),
				 -1);
		if (cases[i].err)
			assert_string_equal(err, cases[i].err);
		else
			assert_true(err[0] != '\0'); /* vaccine_from_json names the field */
		/* Nothing changed: the good vaccine is still the only one. */
		assert_int_equal(s.count, 1);
		assert_int_equal(s.items[0].id, 5);
		assert_int_equal(s.last_id, 5);
	}
	vaccine_set_free(&s);
	free(good);
}

static void full_set_refuses(void **state)
{
	struct vg_vaccine_set s = {0};
	char *rec = add_record(1), err[256];

	while (s.count < VG_VACCINES_MAX) {
		assert_true(vaccine_set_reserve(&s));
		s.items[s.count].id = 100000 + (uint32_t)s.count;
		s.count++;
	}
	assert_false(vaccine_set_reserve(&s));
	assert_int_equal(vaccine_set_apply_record(&s, rec, strlen(rec), err, sizeof(err)), -1);
	assert_non_null(strstr(err, "no room for more than 16384 vaccines"));
	vaccine_set_remove_at(&s, 0);
	assert_int_equal(s.count, VG_VACCINES_MAX - 1);
	apply(&s, rec);
	assert_int_equal(s.items[s.count - 1].id, 1);
	vaccine_set_free(&s);
	free(rec);
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

static void append(struct wal *w, enum wal_type type, const char *text)
{
	assert_int_equal(wal_append(w, type, text, (uint32_t)strlen(text), NULL), 0);
}

/* Through a real log: only vaccine records count, a bad one is skipped and
 * the ones after it still apply. */
static void replays_a_log(void **state)
{
	char root[256], dir[300], prefix[256], err[512];
	const char *tmp = getenv("TMPDIR");
	struct vg_vaccine_set s = {0};
	struct wal_options opts = {.segment_size = 4096}; /* several segments */
	struct wal_recovery recovery;
	struct wal *w;
	char *rec[40];

	snprintf(prefix, sizeof(prefix), "%s/test_vaccine_set.", tmp && *tmp ? tmp : "/tmp");
	assert_non_null(mkdtemp(temp_name(root, sizeof(root), prefix)));
	snprintf(dir, sizeof(dir), "%s/wal", root);
	assert_int_equal(wal_open(dir, &opts, &w, &recovery, err, sizeof(err)), 0);
	for (uint32_t i = 0; i < 40; i++) {
		rec[i] = add_record(i + 1);
		append(w, WAL_VACCINE, rec[i]);
		/* A decision record that looks like a revocation is not one. */
		append(w, WAL_DECISION, "{\"op\":\"revoke\",\"id\":1}");
	}
	append(w, WAL_VACCINE, "{\"op\":\"revoke\",\"id\":2}");
	append(w, WAL_VACCINE, "not json");
	append(w, WAL_VACCINE, "{\"op\":\"revoke\",\"id\":40}");
	assert_int_equal(wal_commit(w), 0);
	wal_close(w);

	assert_int_equal(vaccine_set_replay(&s, dir, err, sizeof(err)), 0);
	assert_int_equal(s.count, 38);
	assert_true(has(&s, 1));
	assert_false(has(&s, 2));
	assert_false(has(&s, 40));
	assert_int_equal(s.last_id, 40);
	vaccine_set_free(&s);

	/* A log that cannot be read is an error with the reason. */
	snprintf(dir, sizeof(dir), "%s/none", root);
	assert_int_equal(vaccine_set_replay(&s, dir, err, sizeof(err)), -1);
	assert_true(err[0] != '\0');
	for (int i = 0; i < 40; i++)
		free(rec[i]);
	assert_int_equal(nftw(root, remove_entry, 16, FTW_DEPTH | FTW_PHYS), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(adds_and_revokes_in_order),
	    cmocka_unit_test(payload_is_not_a_c_string),
	    cmocka_unit_test(bad_records_named),
	    cmocka_unit_test(full_set_refuses),
	    cmocka_unit_test(replays_a_log),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
