/* The deadline of Vigilante's fanotify permission listeners (the exec and
 * open gate, the honeytoken watcher), and the loop they share. A listener
 * thread answers each event as soon as it has decided, but some decisions
 * take time (hashing a large program the first time it runs, reading a
 * process's argv or /proc). A watchdog thread sees to it that no event
 * waits longer than the deadline:
 *   - the events the listener thread has read (a batch) are allowed once they
 *     have waited that long (fail open, counted as late); the decisions
 *     still complete, so what they learned (a program's hash) is kept;
 *   - while the listener thread is still held up past the deadline, the
 *     watchdog itself reads the events queued behind and allows them at
 *     once, undecided (counted as late too).
 * The listener thread resumes deciding as soon as it is done. */
#ifndef VG_ACT_GATE_DEADLINE_H
#define VG_ACT_GATE_DEADLINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/fanotify.h>

/* The most events one read of the gate's 8 KiB buffer returns. */
#define VG_GATE_BATCH_MAX (8192 / sizeof(struct fanotify_event_metadata))

struct vg_gate_deadline;

/* Starts the watchdog for events read from FANOTIFY_FD (non-blocking).
 * Returns 0, or -1 with err set. */
int gate_deadline_start(int fanotify_fd, uint32_t deadline_ms, struct vg_gate_deadline **out,
			char *err, size_t errlen);
void gate_deadline_set(struct vg_gate_deadline *d, uint32_t deadline_ms);
/* The gate thread has read these events (their fds, at most
 * VG_GATE_BATCH_MAX): their clock starts. */
void gate_deadline_begin(struct vg_gate_deadline *d, const int *fds, size_t count);
/* The gate thread has decided event INDEX of the batch: writes RESPONSE
 * (FAN_ALLOW or FAN_DENY) unless the watchdog has already allowed it.
 * Returns true if RESPONSE was the answer, false if the event was late.
 * After it returns, the watchdog no longer touches the event's fd. */
bool gate_deadline_answer(struct vg_gate_deadline *d, size_t index, uint32_t response);
/* The gate thread is done with the batch. */
void gate_deadline_end(struct vg_gate_deadline *d);
/* The gate thread is leaving on an error: from now on the watchdog allows
 * every event at once, so that nothing waits on a gate nobody answers. */
void gate_deadline_abandon(struct vg_gate_deadline *d);
/* Decides one permission event and answers it with
 * gate_deadline_answer(d, index, ...); the caller closes its fd. */
typedef void (*vg_permission_fn)(void *ctx, const struct fanotify_event_metadata *ev, size_t index);
/* A permission listener's loop, on D's fanotify fd: reads batches of events
 * until STOP_FD is readable, begins each batch, hands its events one by one
 * to DECIDE, closes their fds and ends the batch. On an error it reports it
 * (as WHO) and abandons the events to the watchdog (gate_deadline_abandon).
 * Returns when stopped or abandoned. */
void gate_deadline_serve(struct vg_gate_deadline *d, int stop_fd, const char *who,
			 vg_permission_fn decide, void *ctx);
/* Events allowed because the deadline passed: decided late, or not at all. */
uint64_t gate_deadline_late(const struct vg_gate_deadline *d);
void gate_deadline_stop(struct vg_gate_deadline *d);

#endif
