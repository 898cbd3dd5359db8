/* The generated canonical syscall table (scripts/gen-syscalls.sh): the same
 * operation gets the same identity from i386 and x86_64 numbers, unknown
 * numbers are "other", and the model classes fold socket and IPC calls. */
#include "syscall_table.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>

#include <cmocka.h>

static void test_read_from_both_abis(void **state)
{
	assert_int_equal(vg_syscall_from_i386(3), VG_SYS_read);
	assert_int_equal(vg_syscall_from_x86_64(0), VG_SYS_read);
	assert_string_equal(vg_syscall_name(VG_SYS_read), "read");
	assert_int_equal(vg_syscall_from_i386(4), vg_syscall_from_x86_64(1));
	assert_string_equal(vg_syscall_name(vg_syscall_from_i386(4)), "write");
}

static void test_i386_variants_fold_to_base(void **state)
{
	assert_int_equal(vg_syscall_from_i386(192), vg_syscall_from_x86_64(9)); /* mmap2 -> mmap */
	assert_int_equal(vg_syscall_from_i386(195), vg_syscall_from_x86_64(4)); /* stat64 -> stat */
	assert_int_equal(vg_syscall_from_i386(197), vg_syscall_from_x86_64(5)); /* fstat64 */
	assert_int_equal(vg_syscall_from_i386(140), vg_syscall_from_x86_64(8)); /* _llseek */
	assert_int_equal(vg_syscall_from_i386(199), vg_syscall_from_x86_64(102)); /* getuid32 */
	assert_int_equal(vg_syscall_from_i386(7),
			 vg_syscall_from_x86_64(61)); /* waitpid -> wait4 */
	assert_string_equal(vg_syscall_name(vg_syscall_from_i386(403)), "clock_gettime");
}

static void test_i386_only_calls_keep_their_identity(void **state)
{
	__u16 socketcall = vg_syscall_from_i386(102);

	assert_int_equal(socketcall, VG_SYS_socketcall);
	assert_string_equal(vg_syscall_name(socketcall), "socketcall");
	assert_int_not_equal(socketcall, VG_SYS_other);
	assert_int_equal(vg_syscall_from_i386(117), VG_SYS_ipc);
}

static void test_model_classes(void **state)
{
	/* x86_64 connect(42) and sendto(44) look like i386 socketcall to the model. */
	assert_int_equal(vg_syscall_from_x86_64(42), VG_SYS_connect);
	assert_int_equal(vg_syscall_class(VG_SYS_connect), VG_SYS_socketcall);
	assert_int_equal(vg_syscall_class(vg_syscall_from_x86_64(44)), VG_SYS_socketcall);
	assert_int_equal(vg_syscall_class(VG_SYS_socketcall), VG_SYS_socketcall);
	assert_int_equal(vg_syscall_class(VG_SYS_shmget), VG_SYS_ipc);
	assert_int_equal(vg_syscall_class(VG_SYS_read), VG_SYS_read);
}

static void test_unknown_numbers_are_other(void **state)
{
	assert_int_equal(vg_syscall_from_i386(100000), VG_SYS_other);
	assert_int_equal(vg_syscall_from_x86_64(100000), VG_SYS_other);
	assert_int_equal(vg_syscall_from_x86_64((__u64)-1), VG_SYS_other);
	assert_int_equal(vg_syscall_from_x86_64(VG_SYSCALL_X86_64_NR_COUNT), VG_SYS_other);
	/* 222 and 223 are unassigned on i386. */
	assert_int_equal(vg_syscall_from_i386(222), VG_SYS_other);
	assert_string_equal(vg_syscall_name(VG_SYS_other), "other");
	assert_int_equal(vg_syscall_class(VG_SYSCALL_COUNT + 5), VG_SYS_other);
}

static void test_names_are_unique(void **state)
{
	for (unsigned i = 0; i < VG_SYSCALL_COUNT; i++)
		for (unsigned j = i + 1; j < VG_SYSCALL_COUNT; j++)
			assert_string_not_equal(vg_syscall_names[i], vg_syscall_names[j]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_read_from_both_abis),
	    cmocka_unit_test(test_i386_variants_fold_to_base),
	    cmocka_unit_test(test_i386_only_calls_keep_their_identity),
	    cmocka_unit_test(test_model_classes),
	    cmocka_unit_test(test_unknown_numbers_are_other),
	    cmocka_unit_test(test_names_are_unique),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
