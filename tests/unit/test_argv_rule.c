/* Exec-by-argv vaccines: the recursive-delete-of-root family matches every
 * spelling of a recursive delete of a protected root, and nothing else,
 * including hostile argv (unicode, newlines, very long and truncated). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "decide/argv_rule.h"

/* argv as the kernel captures it: NUL-separated, from a NULL-ended list. */
static size_t pack(char *buf, size_t cap, const char *const *args)
{
	size_t n = 0;

	for (; *args; args++) {
		size_t len = strlen(*args) + 1;

		assert_true(n + len <= cap);
		memcpy(buf + n, *args, len);
		n += len;
	}
	return n;
}

static bool matches_in(const char *cwd, const char *const *args)
{
	struct vg_argv_rule rule;
	char buf[16384];
	size_t n = pack(buf, sizeof(buf), args);

	assert_int_equal(argv_rule_builtin("rm-root", &rule), 0);
	return argv_rule_matches(&rule, "/usr/bin/rm", buf, n, false, cwd);
}

#define MATCHES(...) matches_in("/tmp", (const char *const[]){__VA_ARGS__, NULL})

static void recursive_spellings_of_root(void **state)
{
	assert_true(MATCHES("rm", "-rf", "/"));
	assert_true(MATCHES("rm", "-fr", "/"));
	assert_true(MATCHES("rm", "-Rf", "/etc"));
	assert_true(MATCHES("rm", "-r", "-f", "/usr"));
	assert_true(MATCHES("rm", "--recursive", "--force", "/boot"));
	assert_true(MATCHES("rm", "--rec", "/var"));
	assert_true(MATCHES("rm", "-v", "-i", "-R", "/home"));
	assert_true(MATCHES("rm", "/root", "-rf")); /* GNU rm permutes options */
	assert_true(MATCHES("rm", "-rf", "--no-preserve-root", "/"));
	assert_true(MATCHES("rm", "-rf", "/tmp/x", "/lib"));
}

static void normalised_operands(void **state)
{
	assert_true(MATCHES("rm", "-rf", "//"));
	assert_true(MATCHES("rm", "-rf", "/./etc/"));
	assert_true(MATCHES("rm", "-rf", "/usr/../etc"));
	assert_true(MATCHES("rm", "-rf", "///bin//"));
	assert_true(MATCHES("rm", "-rf", "/.."));
	assert_true(MATCHES("rm", "-rf", "..")); /* from /tmp: / */
	assert_true(matches_in("/", (const char *const[]){"rm", "-rf", "etc", NULL}));
	assert_true(MATCHES("rm", "-rf", "/usr/local/../../")); /* / */
	assert_false(matches_in(NULL, (const char *const[]){"rm", "-rf", "..", NULL}));
}

static void not_matched(void **state)
{
	assert_false(MATCHES("rm", "/etc/passwd-copy"));    /* not recursive */
	assert_false(MATCHES("rm", "-f", "/"));		    /* not recursive */
	assert_false(MATCHES("rm", "-rf", "/tmp/scratch")); /* not a root */
	assert_false(MATCHES("rm", "-rf", "/etc/ssh"));	    /* below a root, not one */
	assert_false(MATCHES("rm", "-rf", "/usrx"));
	assert_false(MATCHES("rm", "-rf", "./x"));
	assert_false(MATCHES("rm", "--", "-rf", "/"));	/* "-rf" is an operand here */
	assert_false(MATCHES("rm", "-rf", "--", "-/")); /* a file named "-/" below /tmp */
	assert_false(MATCHES("rm", "--force", "/"));
	assert_false(MATCHES("rm", "--recursivex", "/"));
	assert_false(MATCHES("rm", "-rf", ""));
	assert_false(MATCHES("rm", "-rf"));
	assert_false(MATCHES("rm"));
}

static void other_programs(void **state)
{
	struct vg_argv_rule rule;
	char buf[64];
	size_t n = pack(buf, sizeof(buf), (const char *const[]){"rmdir", "-rf", "/", NULL});

	assert_int_equal(argv_rule_builtin("rm-root", &rule), 0);
	assert_false(argv_rule_matches(&rule, "/usr/bin/rmdir", buf, n, false, "/"));
	assert_false(argv_rule_matches(&rule, "/usr/bin/rmdir", buf, n, true, "/"));
	/* A renamed copy run as "rm" through argv[0] is caught by argv[0]. */
	n = pack(buf, sizeof(buf), (const char *const[]){"/bin/rm", "-rf", "/", NULL});
	assert_true(argv_rule_matches(&rule, "/tmp/x", buf, n, false, "/"));
	/* rm called by another argv[0]: the executable's name still counts. */
	n = pack(buf, sizeof(buf), (const char *const[]){"innocent", "-rf", "/", NULL});
	assert_true(argv_rule_matches(&rule, "/usr/bin/rm", buf, n, false, "/"));
}

static void hostile_argv(void **state)
{
	struct vg_argv_rule rule;
	char *big = malloc(200000);
	size_t n;

	assert_non_null(big);
	assert_int_equal(argv_rule_builtin("rm-root", &rule), 0);
	/* Lookalikes are other files. */
	assert_false(MATCHES("rm", "-rf", "/etc\xe2\x80\x8b")); /* zero-width space */
	assert_false(MATCHES("rm", "-rf", "/\xc3\xa9tc"));
	assert_false(MATCHES("rm", "-rf", "/etc\n"));
	assert_false(MATCHES("rm", "-rf\n", "/tmp"));
	assert_true(MATCHES("rm", "-\xe2\x80\x8br", "/")); /* a cluster with r in it */
	/* A very long operand that normalises to a root. */
	memset(big, 0, 200000);
	memcpy(big, "rm\0-rf\0", 7);
	n = 7;
	for (int i = 0; i < 20000; i++, n += 2)
		memcpy(big + n, "/.", 2);
	memcpy(big + n, "/etc", 5);
	n += 5;
	assert_true(argv_rule_matches(&rule, "/bin/rm", big, n, false, "/"));
	/* A long harmless one. */
	memset(big + 7, 'a', 100000);
	big[7 + 100000] = '\0';
	assert_false(argv_rule_matches(&rule, "/bin/rm", big, 7 + 100001, false, "/"));
	/* Truncated: rm fails closed, what was not seen could be "-rf /". */
	assert_true(argv_rule_matches(&rule, "/bin/rm", big, 7 + 50, true, "/"));
	/* A working directory without its leading '/' (found by fuzz_argv_rule:
	 * the operand's buffer was one byte short). */
	assert_false(matches_in("a", (const char *const[]){"rm", "-r", "b", NULL}));
	assert_false(matches_in("?", (const char *const[]){"rm", "-r", "-", NULL}));
	/* The last argument without its NUL (cut at the capture's end). */
	assert_true(argv_rule_matches(&rule, "/bin/rm", "rm\0-rf\0/", 9, false, "/"));
	assert_false(argv_rule_matches(&rule, "/bin/rm", "rm\0-rf\0/tm", 10, false, "/"));
	/* A long option cut so (found by fuzz_argv_rule: its name was read
	 * past the capture, as far as the next NUL). */
	char *cut = malloc(13);
	assert_non_null(cut);
	memcpy(cut, "rm\0/etc\0--rec", 13);
	assert_true(argv_rule_matches(&rule, "/bin/rm", cut, 13, false, "/"));
	memcpy(cut, "rm\0/etc\0--rex", 13);
	assert_false(argv_rule_matches(&rule, "/bin/rm", cut, 13, false, "/"));
	free(cut);
	/* Empty argv (execve with argv NULL): only the program is known. */
	assert_true(argv_rule_matches(&rule, "/bin/rm", "", 0, false, "/"));
	free(big);
}

static void rule_init_checks(void **state)
{
	struct vg_argv_rule rule;
	char err[256];
	const char *good[] = {"/srv/data/", "/"};
	const char *relative[] = {"srv"};

	assert_int_equal(
	    argv_rule_init(&rule, VG_ARGV_RECURSIVE_DELETE_OF, "shred", good, 2, err, sizeof(err)),
	    0);
	assert_string_equal(rule.roots[0], "/srv/data");
	assert_int_equal(argv_rule_init(&rule, VG_ARGV_RECURSIVE_DELETE_OF, "/bin/rm", good, 1, err,
					sizeof(err)),
			 -1);
	assert_non_null(strstr(err, "plain name"));
	assert_int_equal(
	    argv_rule_init(&rule, VG_ARGV_RECURSIVE_DELETE_OF, "rm", relative, 1, err, sizeof(err)),
	    -1);
	assert_non_null(strstr(err, "absolute"));
	assert_int_equal(
	    argv_rule_init(&rule, VG_ARGV_RECURSIVE_DELETE_OF, "rm", good, 0, err, sizeof(err)),
	    -1);
	assert_int_equal(argv_rule_builtin("rm-everything", &rule), -1);
	assert_int_equal(argv_rule_kind_from_name("recursive-delete-of"),
			 VG_ARGV_RECURSIVE_DELETE_OF);
	assert_int_equal(argv_rule_kind_from_name("delete"), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(recursive_spellings_of_root),
	    cmocka_unit_test(normalised_operands),
	    cmocka_unit_test(not_matched),
	    cmocka_unit_test(other_programs),
	    cmocka_unit_test(hostile_argv),
	    cmocka_unit_test(rule_init_checks),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
