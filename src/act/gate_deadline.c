#include "act/gate_deadline.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fanotify.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"

struct vg_gate_deadline {
	pthread_mutex_t lock; /* guards everything below but late */
	pthread_cond_t changed;
	pthread_t thread;
	int fanotify_fd;
	uint64_t deadline_ns;
	int pending_fd;	     /* the event being decided; -1: none */
	struct timespec due; /* CLOCK_MONOTONIC: when the watchdog allows it */
	bool answered;	     /* the pending event has had its answer */
	bool idle;	     /* the watchdog waits for an event, with no time set */
	bool stopping;
	uint64_t late; /* atomic */
};

static bool before(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec < b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

/* Writes the answer for the pending event. Called with the lock held. */
static bool respond(struct vg_gate_deadline *d, uint32_t response)
{
	struct fanotify_response answer = {.fd = d->pending_fd, .response = response};

	d->answered = true;
	if (write(d->fanotify_fd, &answer, sizeof(answer)) == sizeof(answer))
		return true;
	vg_warn("gate: answering a permission event: %s", strerror(errno));
	return false;
}

static void *watchdog(void *arg)
{
	struct vg_gate_deadline *d = arg;

	pthread_mutex_lock(&d->lock);
	while (!d->stopping) {
		struct timespec now;

		if (d->pending_fd < 0 || d->answered) {
			d->idle = true;
			pthread_cond_wait(&d->changed, &d->lock);
			d->idle = false;
			continue;
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (before(&now, &d->due)) {
			pthread_cond_timedwait(&d->changed, &d->lock, &d->due);
			continue;
		}
		respond(d, FAN_ALLOW);
		__atomic_add_fetch(&d->late, 1, __ATOMIC_RELAXED);
	}
	pthread_mutex_unlock(&d->lock);
	return NULL;
}

int gate_deadline_start(int fanotify_fd, uint32_t deadline_ms, struct vg_gate_deadline **out,
			char *err, size_t errlen)
{
	struct vg_gate_deadline *d = calloc(1, sizeof(*d));
	pthread_condattr_t attr;

	if (!d) {
		snprintf(err, errlen, "gate: out of memory");
		return -1;
	}
	d->fanotify_fd = fanotify_fd;
	d->deadline_ns = (uint64_t)deadline_ms * 1000000;
	d->pending_fd = -1;
	pthread_mutex_init(&d->lock, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&d->changed, &attr);
	pthread_condattr_destroy(&attr);
	errno = pthread_create(&d->thread, NULL, watchdog, d);
	if (errno) {
		snprintf(err, errlen, "gate: starting its deadline thread: %s", strerror(errno));
		pthread_cond_destroy(&d->changed);
		pthread_mutex_destroy(&d->lock);
		free(d);
		return -1;
	}
	*out = d;
	return 0;
}

void gate_deadline_set(struct vg_gate_deadline *d, uint32_t deadline_ms)
{
	pthread_mutex_lock(&d->lock);
	d->deadline_ns = (uint64_t)deadline_ms * 1000000;
	pthread_mutex_unlock(&d->lock);
}

void gate_deadline_begin(struct vg_gate_deadline *d, int fd)
{
	struct timespec due;
	uint64_t ns;

	clock_gettime(CLOCK_MONOTONIC, &due);
	pthread_mutex_lock(&d->lock);
	ns = (uint64_t)due.tv_nsec + d->deadline_ns;
	due.tv_sec += (time_t)(ns / 1000000000);
	due.tv_nsec = (long)(ns % 1000000000);
	d->due = due;
	d->pending_fd = fd;
	d->answered = false;
	/* A watchdog already waiting on a time wakes then and finds this
	 * event: under a stream of events it wakes once per deadline, not once
	 * per event. */
	if (d->idle)
		pthread_cond_signal(&d->changed);
	pthread_mutex_unlock(&d->lock);
}

bool gate_deadline_answer(struct vg_gate_deadline *d, uint32_t response)
{
	bool in_time;

	pthread_mutex_lock(&d->lock);
	in_time = !d->answered;
	if (in_time)
		respond(d, response);
	d->pending_fd = -1;
	pthread_mutex_unlock(&d->lock);
	return in_time;
}

uint64_t gate_deadline_late(const struct vg_gate_deadline *d)
{
	return __atomic_load_n(&d->late, __ATOMIC_RELAXED);
}

void gate_deadline_stop(struct vg_gate_deadline *d)
{
	if (!d)
		return;
	pthread_mutex_lock(&d->lock);
	d->stopping = true;
	pthread_cond_signal(&d->changed);
	pthread_mutex_unlock(&d->lock);
	pthread_join(d->thread, NULL);
	pthread_cond_destroy(&d->changed);
	pthread_mutex_destroy(&d->lock);
	free(d);
}
