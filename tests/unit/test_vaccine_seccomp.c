/* The seccomp compiler: the filter for a program denies exactly the
 * syscalls its vaccines name (EPERM), in a child that loads it; other
 * programs' and expired vaccines do not count; an unknown syscall name is
 * refused with its name. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "act/vaccine_seccomp.h"

static const unsigned char program[32] = {1, 2, 3};
static const unsigned char other_program[32] = {9, 9, 9};

static uint64_t in_an_hour(void)
{
	struct timespec now;

	clock_gettime(CLOCK_REALTIME, &now);
	return (uint64_t)(now.tv_sec + 3600) * 1000000000;
}

static void syscall_vaccine(struct vg_vaccine *v, uint32_t id, const unsigned char *sha,
			    const char *name, uint64_t expires)
{
	memset(v, 0, sizeof(*v));
	v->id = id;
	v->kind = VG_VACCINE_SYSCALL;
	memcpy(v->sha256, sha, 32);
	snprintf(v->syscall, sizeof(v->syscall), "%s", name);
	v->expires_real_ns = expires;
}

/* 5 vaccines: getppid twice for the program, getpid for another program,
 * gettid expired, an exec vaccine (another kind). */
static struct vg_vaccine *vaccines(void)
{
	static struct vg_vaccine list[5];

	syscall_vaccine(&list[0], 1, program, "getppid", in_an_hour());
	syscall_vaccine(&list[1], 2, program, "getppid", in_an_hour());
	syscall_vaccine(&list[2], 3, other_program, "getpid", in_an_hour());
	syscall_vaccine(&list[3], 4, program, "gettid", 1);
	list[4] = list[0];
	list[4].kind = VG_VACCINE_EXEC;
	return list;
}

static void denies_exactly_the_named_syscalls(void **state)
{
	pid_t child = fork();
	int status;

	assert_true(child >= 0);
	if (child == 0) {
		char err[256];
		int bad = 0;

		if (vaccine_seccomp_load(vaccines(), 5, program, err, sizeof(err)) != 1)
			_exit(100);
		errno = 0;
		bad |= (syscall(SYS_getppid) != -1 || errno != EPERM) << 0;
		bad |= (syscall(SYS_getpid) <= 0) << 1;
		bad |= (syscall(SYS_gettid) <= 0) << 2;
		bad |= (syscall(SYS_getuid) < 0) << 3;
		_exit(bad);
	}
	assert_int_equal(waitpid(child, &status, 0), child);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	/* The parent never loaded anything. */
	assert_true(syscall(SYS_getppid) > 0);
}

static void nothing_for_other_programs(void **state)
{
	static const unsigned char unknown[32] = {7};
	char err[256];

	assert_int_equal(vaccine_seccomp_load(vaccines(), 5, unknown, err, sizeof(err)), 0);
	assert_true(syscall(SYS_getppid) > 0);
}

static void export_names_the_rule(void **state)
{
	char err[256], text[8192] = "", want[32];
	FILE *f = tmpfile();
	size_t n;

	assert_non_null(f);
	assert_int_equal(
	    vaccine_seccomp_export(vaccines(), 5, program, fileno(f), err, sizeof(err)), 1);
	rewind(f);
	n = fread(text, 1, sizeof(text) - 1, f);
	text[n] = '\0';
	fclose(f);
	snprintf(want, sizeof(want), "== %d", (int)SYS_getppid);
	assert_non_null(strstr(text, want));
	assert_non_null(strstr(text, "ERRNO"));
	snprintf(want, sizeof(want), "== %d", (int)SYS_gettid);
	assert_null(strstr(text, want));
}

static void unknown_syscall_refused(void **state)
{
	struct vg_vaccine v;
	char err[256];

	syscall_vaccine(&v, 7, program, "no_such_syscall", in_an_hour());
	assert_int_equal(vaccine_seccomp_load(&v, 1, program, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "no_such_syscall"));
	assert_false(vaccine_seccomp_syscall_known("no_such_syscall"));
	assert_true(vaccine_seccomp_syscall_known("ptrace"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(denies_exactly_the_named_syscalls),
	    cmocka_unit_test(nothing_for_other_programs),
	    cmocka_unit_test(export_names_the_rule),
	    cmocka_unit_test(unknown_syscall_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
