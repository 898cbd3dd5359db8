/* The gate's deadline. The gate thread answers each fanotify permission
 * event as soon as it has decided, but some decisions take time (hashing a
 * large program the first time it runs, reading a process's argv). A
 * watchdog thread allows the event the gate thread is working on once it
 * has waited longer than the deadline: the exec or open goes ahead (fail
 * open, counted as late), and the decision still completes, so what it
 * learned (a program's hash) is kept for the next event. One event at a
 * time, as the gate thread takes them. */
#ifndef VG_ACT_GATE_DEADLINE_H
#define VG_ACT_GATE_DEADLINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct vg_gate_deadline;

/* Starts the watchdog for events read from FANOTIFY_FD. Returns 0, or -1
 * with err set. */
int gate_deadline_start(int fanotify_fd, uint32_t deadline_ms, struct vg_gate_deadline **out,
			char *err, size_t errlen);
void gate_deadline_set(struct vg_gate_deadline *d, uint32_t deadline_ms);
/* The gate thread has read the event whose fd is FD: its clock starts. */
void gate_deadline_begin(struct vg_gate_deadline *d, int fd);
/* The gate thread has decided: writes RESPONSE (FAN_ALLOW or FAN_DENY) for
 * the event begun last, unless the watchdog has already allowed it. Returns
 * true if RESPONSE was the answer, false if the event was late. After it
 * returns, the watchdog no longer touches the event's fd. */
bool gate_deadline_answer(struct vg_gate_deadline *d, uint32_t response);
/* Events the watchdog allowed because the deadline passed. */
uint64_t gate_deadline_late(const struct vg_gate_deadline *d);
void gate_deadline_stop(struct vg_gate_deadline *d);

#endif
