/* The deadline of Vigilante's fanotify permission listeners (the exec and
 * open gate, the honeytoken watcher), and the loop they share. A listener
 * thread answers each event as soon as it has decided, but some decisions
 * take time (hashing a large program the first time it runs, reading a
 * process's argv or /proc). A watchdog thread sees to it that no event
 * waits longer than the deadline:
 *   - the events the listener thread has read (a batch) are answered once
 *     they have waited that long (counted as late); the decisions still
 *     complete, so what they learned (a program's hash) is kept;
 *   - while the listener thread is still held up past the deadline, the
 *     watchdog itself reads the events queued behind and answers them at
 *     once (counted as late too).
 * A late event gets the listener's quick answer (vg_late_fn: what can be
 * decided at once, as refusing a blocked process, which must not become a
 * way around the gate for whoever can hold the listener up), or is allowed
 * (fail open). The listener thread resumes deciding as soon as it is done. */
#ifndef VG_ACT_GATE_DEADLINE_H
#define VG_ACT_GATE_DEADLINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/fanotify.h>

/* The most events one read of the gate's 8 KiB buffer returns. */
#define VG_GATE_BATCH_MAX (8192 / sizeof(struct fanotify_event_metadata))

struct vg_gate_deadline;

/* The answer (FAN_ALLOW or FAN_DENY) to an event not decided in time,
 * decided at once: called by the watchdog, with the event's fd still open,
 * while the listener thread may be deciding other events. */
typedef uint32_t (*vg_late_fn)(void *ctx, const struct fanotify_event_metadata *ev);

/* Starts the watchdog for events read from FANOTIFY_FD (non-blocking).
 * LATE (may be NULL: allow) answers the late events. Returns 0, or -1
 * with err set. */
int gate_deadline_start(int fanotify_fd, uint32_t deadline_ms, vg_late_fn late, void *late_ctx,
			struct vg_gate_deadline **out, char *err, size_t errlen);
void gate_deadline_set(struct vg_gate_deadline *d, uint32_t deadline_ms);
/* The gate thread has read these events (at most VG_GATE_BATCH_MAX, each
 * with its fd): their clock starts. */
void gate_deadline_begin(struct vg_gate_deadline *d, const struct fanotify_event_metadata *evs,
			 size_t count);
/* The gate thread has decided event INDEX of the batch: writes RESPONSE
 * (FAN_ALLOW or FAN_DENY) unless the watchdog has already answered it.
 * Returns true if RESPONSE was the answer, false if the event was late;
 * *given (may be NULL) gets the answer it had. After it returns, the
 * watchdog no longer touches the event's fd. */
bool gate_deadline_answer(struct vg_gate_deadline *d, size_t index, uint32_t response,
			  uint32_t *given);
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
/* Events answered by the watchdog because the deadline passed. */
uint64_t gate_deadline_late(const struct vg_gate_deadline *d);
void gate_deadline_stop(struct vg_gate_deadline *d);

#endif
