#include "act/gate_deadline.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"

/* While the gate thread is held up, how often the watchdog looks for it
 * being done between reads of the queue. */
#define DRAIN_POLL_MS 10

struct vg_gate_deadline {
	pthread_mutex_t lock; /* guards everything below but late */
	pthread_cond_t changed;
	pthread_t thread;
	int fanotify_fd;
	uint64_t deadline_ns;
	vg_late_fn late_fn;
	void *late_ctx;
	/* The batch the gate thread is deciding. */
	struct fanotify_event_metadata evs[VG_GATE_BATCH_MAX];
	bool answered[VG_GATE_BATCH_MAX];
	uint32_t given[VG_GATE_BATCH_MAX]; /* the answer, once answered */
	size_t count;
	size_t unanswered;
	bool busy;	       /* between begin and end */
	uint64_t batch;	       /* counts batches begun */
	struct timespec due;   /* CLOCK_MONOTONIC: when the watchdog allows them */
	struct timespec wakes; /* when the watchdog, asleep on a time, wakes */
	bool idle;	       /* the watchdog waits for a batch, with no time set */
	bool abandoned;	       /* the gate thread is gone: allow everything */
	bool stopping;
	uint64_t late; /* atomic */
};

static bool before(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec < b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

static void respond(int fanotify_fd, int fd, uint32_t response)
{
	struct fanotify_response answer = {.fd = fd, .response = response};

	if (write(fanotify_fd, &answer, sizeof(answer)) != sizeof(answer))
		vg_warn("answering a fanotify permission event: %s", strerror(errno));
}

static uint32_t late_answer(struct vg_gate_deadline *d, const struct fanotify_event_metadata *ev)
{
	return d->late_fn ? d->late_fn(d->late_ctx, ev) : FAN_ALLOW;
}

/* The gate thread is held up past the deadline: reads the events queued
 * behind its batch and answers them at once. Called without the lock. */
static void drain(struct vg_gate_deadline *d)
{
	char buf[8192] __attribute__((aligned(__alignof__(struct fanotify_event_metadata))));
	struct pollfd pfd = {.fd = d->fanotify_fd, .events = POLLIN};
	ssize_t len;

	if (poll(&pfd, 1, DRAIN_POLL_MS) <= 0 || !(pfd.revents & POLLIN))
		return;
	len = read(d->fanotify_fd, buf, sizeof(buf));
	for (struct fanotify_event_metadata *ev = (void *)buf; len > 0 && FAN_EVENT_OK(ev, len);
	     ev = FAN_EVENT_NEXT(ev, len)) {
		if (ev->fd < 0)
			continue;
		respond(d->fanotify_fd, ev->fd, late_answer(d, ev));
		close(ev->fd);
		__atomic_add_fetch(&d->late, 1, __ATOMIC_RELAXED);
	}
}

/* Answers every event of the batch that has no answer yet. Called with the
 * lock held, which keeps the gate thread from answering (and closing) them
 * meanwhile. */
static void answer_batch(struct vg_gate_deadline *d)
{
	for (size_t i = 0; i < d->count; i++) {
		if (d->answered[i])
			continue;
		d->given[i] = late_answer(d, &d->evs[i]);
		respond(d->fanotify_fd, d->evs[i].fd, d->given[i]);
		d->answered[i] = true;
		__atomic_add_fetch(&d->late, 1, __ATOMIC_RELAXED);
	}
	d->unanswered = 0;
}

static void *watchdog(void *arg)
{
	struct vg_gate_deadline *d = arg;

	pthread_mutex_lock(&d->lock);
	while (!d->stopping) {
		struct timespec now;

		if (d->abandoned) {
			answer_batch(d);
			pthread_mutex_unlock(&d->lock);
			drain(d);
			pthread_mutex_lock(&d->lock);
			continue;
		}
		if (!d->busy || d->unanswered == 0) {
			d->idle = true;
			pthread_cond_wait(&d->changed, &d->lock);
			d->idle = false;
			continue;
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (before(&now, &d->due)) {
			d->wakes = d->due;
			pthread_cond_timedwait(&d->changed, &d->lock, &d->wakes);
			continue;
		}
		answer_batch(d);
		/* Until the gate thread is done with this batch. */
		for (uint64_t held_up = d->batch; d->busy && d->batch == held_up && !d->stopping;) {
			pthread_mutex_unlock(&d->lock);
			drain(d);
			pthread_mutex_lock(&d->lock);
		}
	}
	pthread_mutex_unlock(&d->lock);
	return NULL;
}

int gate_deadline_start(int fanotify_fd, uint32_t deadline_ms, vg_late_fn late, void *late_ctx,
			struct vg_gate_deadline **out, char *err, size_t errlen)
{
	struct vg_gate_deadline *d = calloc(1, sizeof(*d));
	pthread_condattr_t attr;

	if (!d) {
		snprintf(err, errlen, "gate: out of memory");
		return -1;
	}
	d->fanotify_fd = fanotify_fd;
	d->late_fn = late;
	d->late_ctx = late_ctx;
	d->deadline_ns = (uint64_t)deadline_ms * 1000000;
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

void gate_deadline_begin(struct vg_gate_deadline *d, const struct fanotify_event_metadata *evs,
			 size_t count)
{
	struct timespec due;
	uint64_t ns;

	if (count > VG_GATE_BATCH_MAX)
		count = VG_GATE_BATCH_MAX;
	clock_gettime(CLOCK_MONOTONIC, &due);
	pthread_mutex_lock(&d->lock);
	ns = (uint64_t)due.tv_nsec + d->deadline_ns;
	due.tv_sec += (time_t)(ns / 1000000000);
	due.tv_nsec = (long)(ns % 1000000000);
	d->due = due;
	memcpy(d->evs, evs, count * sizeof(*evs));
	memset(d->answered, 0, count * sizeof(*d->answered));
	d->count = count;
	d->unanswered = count;
	d->busy = true;
	d->batch++;
	/* A watchdog already waiting on a time wakes then and finds this
	 * batch: under a stream of events it wakes about once per deadline,
	 * not once per event. Unless that time is later than this batch's
	 * (the deadline was shortened meanwhile). */
	if (d->idle || before(&due, &d->wakes))
		pthread_cond_signal(&d->changed);
	pthread_mutex_unlock(&d->lock);
}

bool gate_deadline_answer(struct vg_gate_deadline *d, size_t index, uint32_t response,
			  uint32_t *given)
{
	bool in_time;

	pthread_mutex_lock(&d->lock);
	in_time = index < d->count && !d->answered[index];
	if (in_time) {
		respond(d->fanotify_fd, d->evs[index].fd, response);
		d->answered[index] = true;
		d->given[index] = response;
		d->unanswered--;
	}
	if (given)
		*given = index < d->count ? d->given[index] : FAN_ALLOW;
	pthread_mutex_unlock(&d->lock);
	return in_time;
}

void gate_deadline_end(struct vg_gate_deadline *d)
{
	pthread_mutex_lock(&d->lock);
	d->busy = false;
	d->count = 0;
	d->unanswered = 0;
	pthread_mutex_unlock(&d->lock);
}

void gate_deadline_abandon(struct vg_gate_deadline *d)
{
	pthread_mutex_lock(&d->lock);
	d->abandoned = true;
	pthread_cond_signal(&d->changed);
	pthread_mutex_unlock(&d->lock);
}

void gate_deadline_serve(struct vg_gate_deadline *d, int stop_fd, const char *who,
			 vg_permission_fn decide, void *ctx)
{
	char buf[8192] __attribute__((aligned(__alignof__(struct fanotify_event_metadata))));
	struct pollfd fds[2] = {{.fd = d->fanotify_fd, .events = POLLIN},
				{.fd = stop_fd, .events = POLLIN}};
	struct fanotify_event_metadata batch[VG_GATE_BATCH_MAX];

	_Static_assert(sizeof(buf) / sizeof(struct fanotify_event_metadata) <= VG_GATE_BATCH_MAX,
		       "a read can return more events than a deadline batch holds");
	for (;;) {
		ssize_t len, left;
		size_t count = 0;

		if (poll(fds, 2, -1) < 0 && errno != EINTR) {
			vg_err("%s: poll: %s", who, strerror(errno));
			break;
		}
		if (fds[1].revents)
			return;
		len = read(d->fanotify_fd, buf, sizeof(buf));
		if (len < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (len <= 0) {
			vg_err("%s: reading fanotify events: %s", who,
			       len ? strerror(errno) : "EOF");
			break;
		}
		/* FAN_EVENT_NEXT consumes its length: one copy per pass. */
		left = len;
		for (struct fanotify_event_metadata *ev = (void *)buf; FAN_EVENT_OK(ev, left);
		     ev = FAN_EVENT_NEXT(ev, left)) {
			if (ev->vers != FANOTIFY_METADATA_VERSION) {
				vg_err("%s: fanotify metadata version %u, expected %u", who,
				       ev->vers, FANOTIFY_METADATA_VERSION);
				gate_deadline_begin(d, batch, count);
				gate_deadline_abandon(d);
				return;
			}
			/* fd < 0: a queue overflow; no permission event is ever dropped. */
			if (ev->fd >= 0)
				batch[count++] = *ev;
		}
		gate_deadline_begin(d, batch, count);
		left = len;
		count = 0;
		for (struct fanotify_event_metadata *ev = (void *)buf; FAN_EVENT_OK(ev, left);
		     ev = FAN_EVENT_NEXT(ev, left)) {
			if (ev->fd < 0)
				continue;
			decide(ctx, ev, count++);
			close(ev->fd);
		}
		gate_deadline_end(d);
	}
	gate_deadline_abandon(d);
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
