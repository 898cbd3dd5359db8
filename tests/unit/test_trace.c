/* Reading ADFA-LD trace files and directories: mapping through the ABI's
 * numbers, families from directory names, and errors that name the file
 * and the token at fault. */
#include "score/trace.h"
#include "syscall_table.h"

#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "temp_name.h"

static char root[64];
static char captured[4096];
static int saved_stderr = -1;

static void capture_begin(void)
{
	FILE *f = tmpfile();

	assert_non_null(f);
	fflush(stderr);
	saved_stderr = dup(STDERR_FILENO);
	assert_true(saved_stderr >= 0);
	assert_true(dup2(fileno(f), STDERR_FILENO) >= 0);
	fclose(f);
}

static const char *capture_end(void)
{
	fflush(stderr);
	ssize_t got = pread(STDERR_FILENO, captured, sizeof(captured) - 1, 0);
	assert_true(got >= 0);
	captured[got] = '\0';
	assert_true(dup2(saved_stderr, STDERR_FILENO) >= 0);
	close(saved_stderr);
	return captured;
}

static void write_file(const char *rel, const char *content)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fputs(content, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

static void make_dir(const char *rel)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	assert_int_equal(mkdir(path, 0755), 0);
}

static int setup(void **state)
{
	return mkdtemp(temp_name(root, sizeof(root), "/tmp/vg-test-trace-")) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[600];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	return system(cmd);
}

static void read_ok(const char *rel, enum vg_abi abi, struct vg_trace *trace)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	assert_int_equal(vg_trace_read(path, abi, trace), 0);
}

static const char *read_fails(const char *rel)
{
	char path[512];
	struct vg_trace trace;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	capture_begin();
	int rc = vg_trace_read(path, VG_ABI_I386, &trace);
	const char *err = capture_end();
	assert_int_equal(rc, -1);
	assert_non_null(strstr(err, path));
	return err;
}

static void test_parses_and_maps_i386(void **state)
{
	struct vg_trace trace;

	write_file("ok.txt", "3 4\n\t5  102 192 \n6");
	read_ok("ok.txt", VG_ABI_I386, &trace);
	assert_int_equal(trace.len, 6);
	assert_int_equal(trace.ids[0], VG_SYS_read);
	assert_int_equal(trace.ids[1], VG_SYS_write);
	assert_int_equal(trace.ids[2], VG_SYS_open);
	assert_int_equal(trace.ids[3], VG_SYS_socketcall);
	assert_int_equal(trace.ids[4], VG_SYS_mmap);
	assert_int_equal(trace.ids[5], VG_SYS_close);
	vg_trace_free(&trace);
}

static void test_x86_64_numbers(void **state)
{
	struct vg_trace trace;

	write_file("live.txt", "0 1 2 3 1000");
	read_ok("live.txt", VG_ABI_X86_64, &trace);
	assert_int_equal(trace.len, 5);
	assert_int_equal(trace.ids[0], VG_SYS_read);
	assert_int_equal(trace.ids[3], VG_SYS_close);
	assert_int_equal(trace.ids[4], VG_SYS_other);
	vg_trace_free(&trace);
}

static void test_empty_file_is_empty_trace(void **state)
{
	struct vg_trace trace;

	write_file("empty.txt", "  \n");
	read_ok("empty.txt", VG_ABI_I386, &trace);
	assert_int_equal(trace.len, 0);
	vg_trace_free(&trace);
}

static void test_non_numeric_token_named(void **state)
{
	write_file("bad.txt", "3 4 x5 6");
	const char *err = read_fails("bad.txt");
	assert_non_null(strstr(err, "token 3"));
	assert_non_null(strstr(err, "byte offset 4"));
	assert_non_null(strstr(err, "'x5'"));
}

static void test_out_of_range_and_negative(void **state)
{
	write_file("big.txt", "3\n99999\n");
	assert_non_null(strstr(read_fails("big.txt"), "token 2"));
	write_file("neg.txt", "-1 3");
	assert_non_null(strstr(read_fails("neg.txt"), "token 1"));
	write_file("binary.txt", "3 4\x01\x02 5");
	assert_non_null(strstr(read_fails("binary.txt"), "token 2"));
}

static void test_missing_file(void **state)
{
	assert_non_null(strstr(read_fails("nope.txt"), "cannot open"));
}

static void test_directory_with_families(void **state)
{
	struct vg_trace_set set = {0};
	char path[512];

	make_dir("attack");
	make_dir("attack/Hydra_FTP_10");
	make_dir("attack/Adduser_2");
	make_dir("attack/Adduser_1");
	write_file("attack/Hydra_FTP_10/a.txt", "3 4 5");
	write_file("attack/Adduser_2/b.txt", "3");
	write_file("attack/Adduser_1/c.txt", "4 4");
	write_file("attack/Adduser_1/a.txt", "5");
	write_file("attack/direct.txt", "6 6 6 6");
	snprintf(path, sizeof(path), "%s/attack", root);
	assert_int_equal(vg_trace_set_add_dir(&set, path, VG_ABI_I386), 0);
	assert_int_equal(set.count, 5);
	assert_int_equal(set.syscalls, 11);
	/* Direct files first, then subdirectories, each in name order. */
	assert_string_equal(set.traces[0].family, "attack");
	assert_string_equal(set.traces[1].family, "Adduser");
	assert_non_null(strstr(set.traces[1].path, "Adduser_1/a.txt"));
	assert_non_null(strstr(set.traces[2].path, "Adduser_1/c.txt"));
	assert_string_equal(set.traces[3].family, "Adduser");
	assert_string_equal(set.traces[4].family, "Hydra_FTP");
	vg_trace_set_free(&set);
}

static void test_bad_directories(void **state)
{
	struct vg_trace_set set = {0};
	char path[512];

	snprintf(path, sizeof(path), "%s/missing", root);
	capture_begin();
	assert_int_equal(vg_trace_set_add_dir(&set, path, VG_ABI_I386), -1);
	assert_non_null(strstr(capture_end(), path));

	make_dir("deep");
	make_dir("deep/run_1");
	make_dir("deep/run_1/nested");
	snprintf(path, sizeof(path), "%s/deep", root);
	capture_begin();
	assert_int_equal(vg_trace_set_add_dir(&set, path, VG_ABI_I386), -1);
	assert_non_null(strstr(capture_end(), "nested"));

	make_dir("broken");
	write_file("broken/ok.txt", "3 4");
	write_file("broken/worse.txt", "3 four");
	snprintf(path, sizeof(path), "%s/broken", root);
	capture_begin();
	assert_int_equal(vg_trace_set_add_dir(&set, path, VG_ABI_I386), -1);
	assert_non_null(strstr(capture_end(), "worse.txt"));
	vg_trace_set_free(&set);
}

static void test_family_names(void **state)
{
	static const char *const cases[][2] = {
	    {"Adduser_1", "Adduser"},
	    {"Hydra_SSH_10", "Hydra_SSH"},
	    {"Web_Shell_3", "Web_Shell"},
	    {"Training_Data_Master", "Training_Data_Master"},
	    {"run_", "run_"},
	    {"12", "12"},
	    {"Ev\nil\x1b[2J_4", "Ev\\nil\\x1b[2J"},
	    {"Caf\xc3\xa9_\xff_2", "Caf\xc3\xa9_\\xff"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *family = vg_trace_family_of(cases[i][0]);
		assert_string_equal(family, cases[i][1]);
		free(family);
	}
}

static void test_abi_names(void **state)
{
	enum vg_abi abi;

	assert_int_equal(vg_abi_parse("x86_64", &abi), 0);
	assert_int_equal(abi, VG_ABI_X86_64);
	assert_int_equal(vg_abi_parse("i386", &abi), 0);
	assert_int_equal(abi, VG_ABI_I386);
	assert_int_equal(vg_abi_parse("arm64", &abi), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parses_and_maps_i386),
	    cmocka_unit_test(test_x86_64_numbers),
	    cmocka_unit_test(test_empty_file_is_empty_trace),
	    cmocka_unit_test(test_non_numeric_token_named),
	    cmocka_unit_test(test_out_of_range_and_negative),
	    cmocka_unit_test(test_missing_file),
	    cmocka_unit_test(test_directory_with_families),
	    cmocka_unit_test(test_bad_directories),
	    cmocka_unit_test(test_family_names),
	    cmocka_unit_test(test_abi_names),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
