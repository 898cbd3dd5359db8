/* Which filesystem an exec_gate path marks, as the kernel names it: the
 * sensor compares an exec'd file's superblock device with these, and a
 * wrong encoding would kill every blocked process's exec, or none. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "act/gate.h"

#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

/* /proc and /sys are pseudo filesystems whose st_dev is their superblock's,
 * unlike a btrfs subvolume's: stat gives the expected answer to compare. */
static void kernel_encoding_of_the_superblock(void **state)
{
	static const char *const paths[] = {"/proc", "/proc/self/status", "/sys", "/"};
	char err[512];

	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		struct stat st;
		uint32_t dev = 0;

		assert_int_equal(stat(paths[i], &st), 0);
		assert_int_equal(gate_filesystem_dev(paths[i], &dev, err, sizeof(err)), 0);
		if (i < 3)
			assert_int_equal(dev, major(st.st_dev) << 20 | minor(st.st_dev));
	}
}

static void distinct_filesystems_differ(void **state)
{
	uint32_t proc = 0, sys = 0;
	char err[512];

	assert_int_equal(gate_filesystem_dev("/proc", &proc, err, sizeof(err)), 0);
	assert_int_equal(gate_filesystem_dev("/sys", &sys, err, sizeof(err)), 0);
	assert_int_not_equal(proc, sys);
}

static void missing_path_named(void **state)
{
	uint32_t dev = 7;
	char err[512];

	assert_int_equal(gate_filesystem_dev("/nonexistent/vigilante-gate", &dev, err, sizeof(err)),
			 -1);
	assert_string_equal(err,
			    "exec gate: /nonexistent/vigilante-gate: No such file or directory");
	assert_int_equal(dev, 7);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(kernel_encoding_of_the_superblock),
	    cmocka_unit_test(distinct_filesystems_differ),
	    cmocka_unit_test(missing_path_named),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
