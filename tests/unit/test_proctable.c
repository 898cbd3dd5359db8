/* The process table keys processes by (pid, start time): a reused pid is a
 * different process, and lineage follows the right one. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "sense/proctable.h"
#include "sense/sensor.h"

static void exec_event(struct vg_proctable *t, uint32_t tgid, uint64_t start, uint32_t ppid,
		       uint64_t parent_start, const char *exe)
{
	struct vg_exec_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.hdr.type = VG_EVENT_EXEC;
	ev.hdr.tgid = ev.hdr.pid = tgid;
	ev.hdr.start_ns = start;
	ev.hdr.ppid = ppid;
	ev.hdr.parent_start_ns = parent_start;
	snprintf(ev.path, sizeof(ev.path), "%s", exe);
	ev.path_len = (uint32_t)strlen(exe);
	proctable_apply_event(t, &ev);
}

static void exit_event(struct vg_proctable *t, uint32_t tgid, uint64_t start, uint64_t when)
{
	struct vg_exit_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.hdr.type = VG_EVENT_EXIT;
	ev.hdr.tgid = ev.hdr.pid = tgid;
	ev.hdr.start_ns = start;
	ev.hdr.ts_ns = when;
	proctable_apply_event(t, &ev);
}

static void test_pid_reuse_is_a_new_process(void **state)
{
	struct vg_proctable *t = proctable_new();
	const struct vg_proc *old, *fresh;

	(void)state;
	exec_event(t, 100, 1000, 1, 10, "/usr/bin/old");
	exit_event(t, 100, 1000, 2000);
	exec_event(t, 100, 5000, 1, 10, "/usr/bin/new");
	old = proctable_find(t, 100, 1000);
	fresh = proctable_find(t, 100, 5000);
	assert_non_null(old);
	assert_non_null(fresh);
	assert_ptr_not_equal(old, fresh);
	assert_string_equal(old->exe, "/usr/bin/old");
	assert_string_equal(fresh->exe, "/usr/bin/new");
	assert_int_equal(old->exit_ns, 2000);
	assert_int_equal(fresh->exit_ns, 0);
	assert_int_equal(proctable_count(t), 2);
	proctable_free(t);
}

static void test_lineage_follows_start_times(void **state)
{
	struct vg_proctable *t = proctable_new();
	const struct vg_proc *chain[8];
	struct vg_fork_event fork;
	size_t n;

	(void)state;
	exec_event(t, 10, 100, 1, 1, "/sbin/init-ish");
	exec_event(t, 20, 200, 10, 100, "/bin/bash");
	/* Pid 20 is reused later by an unrelated process. */
	exit_event(t, 20, 200, 300);
	exec_event(t, 20, 400, 10, 100, "/usr/bin/unrelated");
	memset(&fork, 0, sizeof(fork));
	fork.hdr.type = VG_EVENT_FORK;
	fork.hdr.tgid = 20;
	fork.hdr.start_ns = 200;
	fork.child_tgid = 30;
	fork.child_start_ns = 250;
	proctable_apply_event(t, &fork);

	n = proctable_lineage(t, proctable_find(t, 30, 250), chain, 8);
	assert_int_equal(n, 2);
	assert_string_equal(chain[0]->exe, "/bin/bash");
	assert_string_equal(chain[1]->exe, "/sbin/init-ish");
	proctable_free(t);
}

static void test_expire_forgets_only_old_exits(void **state)
{
	struct vg_proctable *t = proctable_new();

	(void)state;
	exec_event(t, 1, 1, 0, 0, "/a");
	exec_event(t, 2, 2, 0, 0, "/b");
	exec_event(t, 3, 3, 0, 0, "/c");
	exit_event(t, 1, 1, 100);
	exit_event(t, 2, 2, 900);
	proctable_expire(t, 1000, 500);
	assert_null(proctable_find(t, 1, 1));
	assert_non_null(proctable_find(t, 2, 2));
	assert_non_null(proctable_find(t, 3, 3));
	assert_int_equal(proctable_count(t), 2);
	proctable_free(t);
}

static uint64_t own_start_ticks(void)
{
	char buf[1024];
	FILE *f = fopen("/proc/self/stat", "r");
	size_t n;
	unsigned long long ticks = 0;

	assert_non_null(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	assert_int_equal(sscanf(strrchr(buf, ')') + 2,
				"%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d "
				"%*d %*d %*d %llu",
				&ticks),
			 1);
	return ticks;
}

static void test_seed_finds_this_process(void **state)
{
	struct vg_proctable *t = proctable_new();
	uint64_t tick_ns = 1000000000ull / (uint64_t)sysconf(_SC_CLK_TCK);
	uint64_t start = own_start_ticks() * tick_ns;
	const struct vg_proc *self;
	char exe[4096];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	(void)state;
	assert_true(n > 0);
	exe[n] = '\0';
	assert_int_equal(proctable_seed(t), 0);
	/* /proc gives the start to a clock tick; a kernel event carries the
	 * exact time, somewhere inside that tick. */
	self = proctable_find(t, (uint32_t)getpid(), start + tick_ns / 2);
	assert_non_null(self);
	assert_string_equal(self->exe, exe);
	assert_int_equal(self->ppid, getppid());
	/* Outside the tick it is another process. */
	assert_null(proctable_find(t, (uint32_t)getpid(), start + 2 * tick_ns));
	proctable_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_pid_reuse_is_a_new_process),
	    cmocka_unit_test(test_lineage_follows_start_times),
	    cmocka_unit_test(test_expire_forgets_only_old_exits),
	    cmocka_unit_test(test_seed_finds_this_process),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
