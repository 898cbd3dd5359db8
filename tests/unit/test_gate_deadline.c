/* The gate's deadline watchdog (act/gate_deadline.h), with a pipe standing
 * in for the fanotify fd: what it writes there is what fanotify would have
 * received as answers. */
#include "act/gate_deadline.h"

#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <sys/fanotify.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

struct watched {
	int pipe[2];
	struct vg_gate_deadline *deadline;
};

static int setup(void **state)
{
	static struct watched w;
	char err[256];

	assert_int_equal(pipe2(w.pipe, O_NONBLOCK | O_CLOEXEC), 0);
	assert_int_equal(gate_deadline_start(w.pipe[1], 5, &w.deadline, err, sizeof(err)), 0);
	*state = &w;
	return 0;
}

static int teardown(void **state)
{
	struct watched *w = *state;

	gate_deadline_stop(w->deadline);
	close(w->pipe[0]);
	close(w->pipe[1]);
	return 0;
}

static void sleep_ms(long ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000};

	nanosleep(&ts, NULL);
}

/* The next answer written, or fd -1 if there is none. */
static struct fanotify_response next_answer(const struct watched *w)
{
	struct fanotify_response r = {.fd = -1};

	if (read(w->pipe[0], &r, sizeof(r)) != sizeof(r))
		r.fd = -1;
	return r;
}

static void test_in_time_answer_is_the_decision(void **state)
{
	struct watched *w = *state;
	struct fanotify_response r;

	gate_deadline_begin(w->deadline, 40);
	assert_true(gate_deadline_answer(w->deadline, FAN_DENY));
	r = next_answer(w);
	assert_int_equal(r.fd, 40);
	assert_int_equal(r.response, FAN_DENY);
	assert_int_equal(next_answer(w).fd, -1);
	sleep_ms(20); /* past the deadline: nothing more is written */
	assert_int_equal(next_answer(w).fd, -1);
	assert_int_equal(gate_deadline_late(w->deadline), 0);
}

static void test_late_event_is_allowed_once(void **state)
{
	struct watched *w = *state;
	struct fanotify_response r;

	gate_deadline_begin(w->deadline, 41);
	sleep_ms(50);
	r = next_answer(w);
	assert_int_equal(r.fd, 41);
	assert_int_equal(r.response, FAN_ALLOW);
	assert_int_equal(gate_deadline_late(w->deadline), 1);
	/* The decision that comes after is not written. */
	assert_false(gate_deadline_answer(w->deadline, FAN_DENY));
	assert_int_equal(next_answer(w).fd, -1);

	/* The next event starts its own clock. */
	gate_deadline_begin(w->deadline, 42);
	assert_true(gate_deadline_answer(w->deadline, FAN_ALLOW));
	assert_int_equal(next_answer(w).fd, 42);
	assert_int_equal(gate_deadline_late(w->deadline), 1);
}

static void test_new_deadline_applies_to_next_event(void **state)
{
	struct watched *w = *state;

	gate_deadline_set(w->deadline, 60000);
	gate_deadline_begin(w->deadline, 43);
	sleep_ms(50); /* ten times the old deadline */
	assert_int_equal(next_answer(w).fd, -1);
	assert_true(gate_deadline_answer(w->deadline, FAN_DENY));
	assert_int_equal(next_answer(w).response, FAN_DENY);
	gate_deadline_set(w->deadline, 5);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_in_time_answer_is_the_decision),
	    cmocka_unit_test(test_late_event_is_allowed_once),
	    cmocka_unit_test(test_new_deadline_applies_to_next_event),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
