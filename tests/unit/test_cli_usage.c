/* Command-line numbers and usage errors (common/cli_usage.c): numbers are
 * whole, in range and without overflow; a bad option is named by the word
 * getopt_long() stopped at. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "common/cli_usage.h"
#include "common/log.h"

#include <getopt.h>
#include <limits.h>

static void test_numbers(void **state)
{
	long long v = -7;

	(void)state;
	assert_int_equal(cli_parse_number("0", 0, 10, &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(cli_parse_number("10", 0, 10, &v), 0);
	assert_int_equal(v, 10);
	assert_int_equal(cli_parse_number("-3", -5, 5, &v), 0);
	assert_int_equal(v, -3);
	assert_int_equal(cli_parse_number("9223372036854775807", 0, LLONG_MAX, &v), 0);
	assert_true(v == LLONG_MAX);
	v = 42;
	const char *bad[] = {"",
			     "11",
			     "-1",
			     "12x",
			     "x12",
			     " ",
			     "1 ",
			     "0x10",
			     "1e3",
			     "99999999999999999999",
			     "-99999999999999999999"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(cli_parse_number(bad[i], 0, 10, &v), -1);
		assert_int_equal(v, 42); /* untouched on a refusal */
	}
}

/* getopt_long() over ARGS with the ':' convention; returns what it returned
 * for the first bad word. */
static int first_error(int argc, char **argv)
{
	static const struct option options[] = {
	    {"limit", required_argument, NULL, 'n'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	int opt;

	optind = 0;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":n:h", options, NULL)) != -1)
		if (opt == '?' || opt == ':')
			return opt;
	return -1;
}

static void test_bad_options(void **state)
{
	char *unknown_long[] = {"ps", "--bogus", NULL};
	char *unknown_short[] = {"ps", "-x", NULL};
	char *missing[] = {"ps", "--limit", NULL};
	char *fine[] = {"ps", "--limit", "3", NULL};

	(void)state;
	assert_int_equal(first_error(2, unknown_long), '?');
	assert_int_equal(optopt, 0);
	assert_int_equal(cli_bad_option('?', "ps", unknown_long), CLI_EXIT_USAGE);
	assert_int_equal(first_error(2, unknown_short), '?');
	assert_int_equal(optopt, 'x');
	assert_int_equal(cli_bad_option('?', "ps", unknown_short), CLI_EXIT_USAGE);
	assert_int_equal(first_error(2, missing), ':');
	assert_string_equal(missing[optind - 1], "--limit");
	assert_int_equal(cli_bad_option(':', "ps", missing), CLI_EXIT_USAGE);
	assert_int_equal(first_error(3, fine), -1);
	assert_int_equal(cli_usage_error(NULL, "unexpected argument '%s'", "x"), CLI_EXIT_USAGE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_numbers),
	    cmocka_unit_test(test_bad_options),
	};

	vg_log_init("test_cli_usage", VG_LOG_SILENT);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
