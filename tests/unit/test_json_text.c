/* JSON escaping of hostile strings: what reaches a sink must parse as JSON
 * and give back the same text, and bytes that are not UTF-8 must be replaced
 * visibly, with the exact bytes kept in base64. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "record/json_text.h"

static struct json_object *round_trip(struct json_object *obj)
{
	const char *line = json_text_line(obj);
	struct json_object *parsed;

	assert_null(strchr(line, '\n'));
	parsed = json_tokener_parse(line);
	assert_non_null(parsed);
	return parsed;
}

static void check_field(const char *input, size_t len, const char *expected, bool expect_b64)
{
	struct json_object *obj = json_object_new_object(), *parsed, *v;

	json_text_add(obj, "s", input, len);
	parsed = round_trip(obj);
	assert_true(json_object_object_get_ex(parsed, "s", &v));
	assert_string_equal(json_object_get_string(v), expected);
	assert_int_equal(json_object_object_get_ex(parsed, "s_b64", &v), expect_b64);
	json_object_put(parsed);
	json_object_put(obj);
}

static void test_plain_and_escapes(void **state)
{
	(void)state;
	check_field("plain", 5, "plain", false);
	check_field("a\"quote\" and \\back\\slash", 24, "a\"quote\" and \\back\\slash", false);
	check_field("new\nline\ttab\rcr", 15, "new\nline\ttab\rcr", false);
	check_field("\x1b[31mred", 8, "\x1b[31mred", false);
	check_field("/path/with/slashes", 18, "/path/with/slashes", false);
}

static void test_valid_utf8_kept(void **state)
{
	(void)state;
	check_field("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x94\x92", 14,
		    "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x94\x92", false);
}

static void test_invalid_utf8_replaced(void **state)
{
	(void)state;
	/* A lone continuation byte, a truncated sequence, an overlong '/', a
	 * surrogate, a code point above U+10FFFF. */
	check_field("a\x80z", 3, "a\xef\xbf\xbdz", true);
	check_field("a\xe2\x82", 3, "a\xef\xbf\xbd\xef\xbf\xbd", true);
	check_field("\xc0\xaf", 2, "\xef\xbf\xbd\xef\xbf\xbd", true);
	check_field("\xed\xa0\x80", 3, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd", true);
	check_field("\xf4\x90\x80\x80", 4, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd",
		    true);
}

static void test_embedded_nul_replaced(void **state)
{
	(void)state;
	check_field("a\0b", 3,
		    "a\xef\xbf\xbd"
		    "b",
		    true);
}

static void test_base64_keeps_exact_bytes(void **state)
{
	static const char raw[] = "x\xff\x00y";
	struct json_object *obj = json_object_new_object(), *parsed, *v;

	(void)state;
	json_text_add(obj, "s", raw, 4);
	parsed = round_trip(obj);
	assert_true(json_object_object_get_ex(parsed, "s_b64", &v));
	assert_string_equal(json_object_get_string(v), "eP8AeQ==");
	json_object_put(parsed);
	json_object_put(obj);
}

/* A reply shown as text: strings and keys at any depth lose their control
 * characters, ordinary ones are left alone, numbers are untouched. */
static void test_printable_tree(void **state)
{
	struct json_object *tree = json_tokener_parse(
	    "{\"comm\":\"sl\\nFORGED\\u001b[2J\",\"pid\":7,\"exe\":\"/usr/bin/caf\u00e9\","
	    "\"argv\":[\"a\",\"b\\rc\",{\"deep\":\"\\u009b1m\"}],\"x\\ny\":\"v\"}");
	struct json_object *v, *argv;

	(void)state;
	assert_non_null(tree);
	json_text_printable(tree);
	assert_true(json_object_object_get_ex(tree, "comm", &v));
	assert_string_equal(json_object_get_string(v), "sl\\nFORGED\\x1b[2J");
	assert_true(json_object_object_get_ex(tree, "exe", &v));
	assert_string_equal(json_object_get_string(v), "/usr/bin/caf\xc3\xa9");
	assert_true(json_object_object_get_ex(tree, "pid", &v));
	assert_int_equal(json_object_get_int(v), 7);
	assert_true(json_object_object_get_ex(tree, "argv", &argv));
	assert_string_equal(json_object_get_string(json_object_array_get_idx(argv, 0)), "a");
	assert_string_equal(json_object_get_string(json_object_array_get_idx(argv, 1)), "b\\rc");
	assert_true(json_object_object_get_ex(json_object_array_get_idx(argv, 2), "deep", &v));
	assert_string_equal(json_object_get_string(v), "\\xc2\\x9b1m");
	assert_false(json_object_object_get_ex(tree, "x\ny", &v));
	assert_true(json_object_object_get_ex(tree, "x\\ny", &v));
	assert_string_equal(json_object_get_string(v), "v");
	json_object_put(tree);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_plain_and_escapes),
	    cmocka_unit_test(test_valid_utf8_kept),
	    cmocka_unit_test(test_invalid_utf8_replaced),
	    cmocka_unit_test(test_embedded_nul_replaced),
	    cmocka_unit_test(test_base64_keeps_exact_bytes),
	    cmocka_unit_test(test_printable_tree),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
