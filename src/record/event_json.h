/* Sensor events as JSON objects: the stable, documented field names of
 * docs/events.md. One object per event; the sinks print one per line. */
#ifndef VG_RECORD_EVENT_JSON_H
#define VG_RECORD_EVENT_JSON_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "sense/proctable.h"
#include "sense/sensor.h"

/* CLOCK_BOOTTIME (kernel timestamps) to CLOCK_REALTIME. */
int64_t clock_boot_to_real_offset(void);
/* "2026-11-28T10:00:00.123456789Z" */
void format_time_ns(uint64_t realtime_ns, char *buf, size_t len);

/* Checks that a ring-buffer record is a well-formed event of a known type.
 * Returns 0, or -1 with a reason in err. */
int event_validate(const void *data, size_t size, char *err, size_t errlen);
/* The event as JSON; procs supplies exe paths and lineage. */
struct json_object *event_to_json(const void *data, struct vg_proctable *procs,
				  int64_t boot_to_real_ns);
/* Adds "time" and "ts_ns" for a CLOCK_BOOTTIME timestamp. */
void event_json_add_time(struct json_object *obj, uint64_t boot_ns, int64_t boot_to_real_ns);
/* Why the model scored as it did: the n-gram (syscall names) and its cost. */
struct json_object *model_reason_json(const struct vg_model_reason *reason);
/* Adds pid, comm, exe, uid and the lineage of the process (tgid, start_ns). */
void event_json_add_process(struct json_object *obj, struct vg_proctable *procs, uint32_t tgid,
			    uint64_t start_ns);

#endif
