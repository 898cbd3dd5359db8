/* The gate's deadline watchdog (act/gate_deadline.h), with one end of a
 * socket pair standing in for the fanotify fd: what the watchdog writes
 * there is what fanotify would have received as answers, and what the test
 * writes into the other end are the events queued behind the batch. The
 * late answers come from late_answer() below: process BLOCKED_PID is
 * refused, any other allowed. */
#include "act/gate_deadline.h"

#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

struct watched {
	int fanotify; /* the watchdog's end */
	int kernel;   /* the test's end */
	struct vg_gate_deadline *deadline;
};

#define BLOCKED_PID 666

static uint32_t late_answer(void *ctx, const struct fanotify_event_metadata *ev)
{
	(void)ctx;
	return ev->pid == BLOCKED_PID ? FAN_DENY : FAN_ALLOW;
}

/* A batch as the gate thread hands it over: events with these fds, of
 * process 1 but for the one at index blocked (-1: none). */
static void begin(struct watched *w, const int *fds, size_t count, int blocked)
{
	struct fanotify_event_metadata evs[8] = {0};

	assert_true(count <= 8);
	for (size_t i = 0; i < count; i++) {
		evs[i].fd = fds[i];
		evs[i].mask = FAN_OPEN_PERM;
		evs[i].pid = (int)i == blocked ? BLOCKED_PID : 1;
	}
	gate_deadline_begin(w->deadline, evs, count);
}

static int setup(void **state)
{
	static struct watched w;
	int pair[2];
	char err[256];

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, pair),
			 0);
	w.fanotify = pair[0];
	w.kernel = pair[1];
	assert_int_equal(
	    gate_deadline_start(w.fanotify, 5, late_answer, NULL, &w.deadline, err, sizeof(err)),
	    0);
	*state = &w;
	return 0;
}

static int teardown(void **state)
{
	struct watched *w = *state;

	gate_deadline_stop(w->deadline);
	close(w->fanotify);
	close(w->kernel);
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

	if (read(w->kernel, &r, sizeof(r)) != sizeof(r))
		r.fd = -1;
	return r;
}

/* The next answer written is RESPONSE for fd. */
static void expect_answer(const struct watched *w, int fd, uint32_t response)
{
	struct fanotify_response r = next_answer(w);

	assert_int_equal(r.fd, fd);
	assert_int_equal(r.response, response);
}

/* Queues a permission event as the kernel would, with an fd of its own
 * (/dev/null) for the reader to answer and close; returns that fd. */
static int queue_event(const struct watched *w, int pid)
{
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	struct fanotify_event_metadata ev = {
	    .event_len = sizeof(ev),
	    .vers = FANOTIFY_METADATA_VERSION,
	    .metadata_len = sizeof(ev),
	    .mask = FAN_OPEN_PERM,
	    .fd = fd,
	    .pid = pid,
	};

	assert_true(fd >= 0);
	assert_int_equal(write(w->kernel, &ev, sizeof(ev)), sizeof(ev));
	return fd;
}

static void test_in_time_answers_are_the_decisions(void **state)
{
	struct watched *w = *state;
	const int fds[2] = {40, 41};

	begin(w, fds, 2, -1);
	assert_true(gate_deadline_answer(w->deadline, 0, FAN_DENY, NULL));
	assert_true(gate_deadline_answer(w->deadline, 1, FAN_ALLOW, NULL));
	gate_deadline_end(w->deadline);
	expect_answer(w, 40, FAN_DENY);
	expect_answer(w, 41, FAN_ALLOW);
	sleep_ms(20); /* past the deadline: nothing more is written */
	assert_int_equal(next_answer(w).fd, -1);
	assert_int_equal(gate_deadline_late(w->deadline), 0);
}

/* The first event takes too long: it and the one behind it in the batch
 * are allowed once, the decisions that come after are not written. */
static void test_late_batch_is_allowed_once(void **state)
{
	struct watched *w = *state;
	const int fds[2] = {42, 43};

	begin(w, fds, 2, -1);
	sleep_ms(50);
	for (int fd = 42; fd <= 43; fd++) {
		expect_answer(w, fd, FAN_ALLOW);
	}
	assert_int_equal(gate_deadline_late(w->deadline), 2);
	assert_false(gate_deadline_answer(w->deadline, 0, FAN_DENY, NULL));
	assert_false(gate_deadline_answer(w->deadline, 1, FAN_DENY, NULL));
	gate_deadline_end(w->deadline);
	assert_int_equal(next_answer(w).fd, -1);

	/* The next batch starts its own clock. */
	const int next = 44;
	begin(w, &next, 1, -1);
	assert_true(gate_deadline_answer(w->deadline, 0, FAN_ALLOW, NULL));
	gate_deadline_end(w->deadline);
	assert_int_equal(next_answer(w).fd, 44);
	assert_int_equal(gate_deadline_late(w->deadline), 2);
}

/* While the gate thread is still held up past the deadline, events queued
 * behind its batch are read by the watchdog, allowed and their fds closed. */
static void test_queue_drained_while_held_up(void **state)
{
	struct watched *w = *state;
	const int held = 45;
	int queued;

	begin(w, &held, 1, -1);
	sleep_ms(30);
	assert_int_equal(next_answer(w).fd, 45);
	queued = queue_event(w, 1);
	sleep_ms(50);
	expect_answer(w, queued, FAN_ALLOW);
	assert_int_equal(fcntl(queued, F_GETFD), -1); /* the watchdog closed it */
	assert_int_equal(gate_deadline_late(w->deadline), 4);
	gate_deadline_end(w->deadline);
}

static void test_new_deadline_applies_to_next_batch(void **state)
{
	struct watched *w = *state;
	const int fd = 46;

	gate_deadline_set(w->deadline, 60000);
	begin(w, &fd, 1, -1);
	sleep_ms(50); /* ten times the old deadline */
	assert_int_equal(next_answer(w).fd, -1);
	assert_true(gate_deadline_answer(w->deadline, 0, FAN_DENY, NULL));
	gate_deadline_end(w->deadline);
	assert_int_equal(next_answer(w).response, FAN_DENY);
	gate_deadline_set(w->deadline, 5);
}

/* Late events still get what can be decided at once: a blocked process's
 * is refused, in the batch and queued behind it, and the gate thread learns
 * which answer its late decision had. */
static void test_late_answers_refuse_blocked(void **state)
{
	struct watched *w = *state;
	const int fds[2] = {48, 49};
	uint64_t late = gate_deadline_late(w->deadline);
	uint32_t given;
	int queued;

	begin(w, fds, 2, 1);
	sleep_ms(30);
	expect_answer(w, 48, FAN_ALLOW);
	expect_answer(w, 49, FAN_DENY);
	assert_false(gate_deadline_answer(w->deadline, 1, FAN_ALLOW, &given));
	assert_int_equal(given, FAN_DENY);
	queued = queue_event(w, BLOCKED_PID);
	sleep_ms(50);
	expect_answer(w, queued, FAN_DENY);
	gate_deadline_end(w->deadline);
	assert_int_equal(gate_deadline_late(w->deadline), late + 3);
}

/* A shorter deadline holds for the next batch even while the watchdog
 * sleeps until a time set under the longer one. */
static void test_shortened_deadline_wakes_watchdog(void **state)
{
	struct watched *w = *state;
	const int first = 50, second = 51;

	gate_deadline_set(w->deadline, 60000);
	begin(w, &first, 1, -1);
	sleep_ms(10); /* the watchdog sleeps until a minute from now */
	assert_true(gate_deadline_answer(w->deadline, 0, FAN_ALLOW, NULL));
	gate_deadline_end(w->deadline);
	assert_int_equal(next_answer(w).fd, 50);
	gate_deadline_set(w->deadline, 5);
	begin(w, &second, 1, 0);
	sleep_ms(50);
	expect_answer(w, 51, FAN_DENY);
	gate_deadline_end(w->deadline);
}

/* Last: the gate thread leaves mid-batch on an error. Its undecided event
 * and everything queued after are allowed at once, without waiting for a
 * deadline (this one is a minute). */
static void test_abandoned_gate_allows_everything(void **state)
{
	struct watched *w = *state;
	const int fd = 47;
	int queued;
	uint64_t late = gate_deadline_late(w->deadline);

	gate_deadline_set(w->deadline, 60000);
	begin(w, &fd, 1, -1);
	gate_deadline_abandon(w->deadline);
	sleep_ms(30);
	assert_int_equal(next_answer(w).fd, 47);
	queued = queue_event(w, 1);
	sleep_ms(50);
	assert_int_equal(next_answer(w).fd, queued);
	assert_int_equal(fcntl(queued, F_GETFD), -1);
	assert_int_equal(gate_deadline_late(w->deadline), late + 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_in_time_answers_are_the_decisions),
	    cmocka_unit_test(test_late_batch_is_allowed_once),
	    cmocka_unit_test(test_queue_drained_while_held_up),
	    cmocka_unit_test(test_late_answers_refuse_blocked),
	    cmocka_unit_test(test_shortened_deadline_wakes_watchdog),
	    cmocka_unit_test(test_new_deadline_applies_to_next_batch),
	    cmocka_unit_test(test_abandoned_gate_allows_everything),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
