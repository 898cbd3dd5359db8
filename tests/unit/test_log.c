/* Diagnostics stay one line each and cannot drive a terminal, whatever the
 * names in them: what vg_log writes to stderr is read back from a temporary
 * file standing in for it. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "common/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* What vg_err("file %s: bad", arg) writes, NUL-terminated (caller frees). */
static char *logged(const char *arg)
{
	FILE *capture = tmpfile();
	int saved = dup(STDERR_FILENO);
	char *out;
	long len;

	assert_non_null(capture);
	assert_true(saved >= 0);
	fflush(stderr);
	assert_int_equal(dup2(fileno(capture), STDERR_FILENO), STDERR_FILENO);
	vg_err("file %s: bad", arg);
	fflush(stderr);
	assert_int_equal(dup2(saved, STDERR_FILENO), STDERR_FILENO);
	close(saved);
	len = lseek(fileno(capture), 0, SEEK_END);
	assert_true(len >= 0);
	out = calloc(1, (size_t)len + 1);
	assert_non_null(out);
	assert_int_equal(pread(fileno(capture), out, (size_t)len, 0), len);
	fclose(capture);
	return out;
}

static void expect(const char *arg, const char *shown)
{
	char *out = logged(arg);
	char want[8192];

	snprintf(want, sizeof(want), "vigilante: error: file %s: bad\n", shown);
	assert_string_equal(out, want);
	free(out);
}

static void plain_and_unicode_as_is(void **state)
{
	expect("/tmp/trace.txt", "/tmp/trace.txt");
	expect("/srv/名前/née ✓.txt", "/srv/名前/née ✓.txt");
	expect("back\\slash", "back\\slash");
}

static void controls_escaped(void **state)
{
	/* A newline in a name would otherwise forge a line of its own. */
	expect("a\nvigilante: info: all clear", "a\\nvigilante: info: all clear");
	expect("tab\there\rcr", "tab\\there\\rcr");
	expect("\x1b[31mred\x1b[0m", "\\x1b[31mred\\x1b[0m");
	expect("del\x7f", "del\\x7f");
	/* U+009B is a C1 control (CSI on some terminals), valid UTF-8. */
	expect("c1\xc2\x9b"
	       "2J",
	       "c1\\xc2\\x9b2J");
}

static void invalid_utf8_escaped(void **state)
{
	expect("\xff\xfe", "\\xff\\xfe");
	expect("over\xc0\xaflong", "over\\xc0\\xaflong");	     /* overlong '/' */
	expect("surrogate\xed\xa0\x80", "surrogate\\xed\\xa0\\x80"); /* U+D800 */
	expect("cut \xe5\x90", "cut \\xe5\\x90");		     /* half of a character */
}

static void long_message_whole(void **state)
{
	char *arg = malloc(5001), *out;

	assert_non_null(arg);
	memset(arg, 'x', 5000);
	arg[5000] = '\0';
	arg[4999] = '\n';
	out = logged(arg);
	/* Past the 1 KB stack buffer: whole, from the heap. */
	assert_int_equal(strlen(out),
			 strlen("vigilante: error: file ") + 4999 + 2 + strlen(": bad\n"));
	assert_string_equal(out + strlen(out) - 9, "x\\n: bad\n");
	free(out);
	free(arg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(plain_and_unicode_as_is),
	    cmocka_unit_test(controls_escaped),
	    cmocka_unit_test(invalid_utf8_escaped),
	    cmocka_unit_test(long_message_whole),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
