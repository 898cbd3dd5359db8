/* The daemon's hot path: each sensor event is checked, applied to the process
 * table, run through the rules, and published. Alerts are also written to the
 * forensic log, where group commit makes them durable. */
#include "daemon/daemon.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/clock.h"
#include "common/log.h"
#include "decide/exec_rules.h"
#include "record/event_json.h"
#include "record/json_text.h"
#include "sense/sensor.h"

static bool event_wanted(const struct daemon *d, uint32_t type)
{
	switch (type) {
	case VG_EVENT_EXEC:
		return d->policy.output.exec;
	case VG_EVENT_FORK:
		return d->policy.output.fork;
	case VG_EVENT_EXIT:
		return d->policy.output.exit;
	}
	return false;
}

uint64_t pipeline_record(struct daemon *d, enum wal_type type, struct json_object *obj)
{
	const char *text = json_text_line(obj);
	uint64_t seq = 0;

	if (!d->wal)
		return 0;
	if (wal_append(d->wal, type, text, (uint32_t)strlen(text), &seq)) {
		vg_err("forensic log: appending a %s record: %s", wal_type_name(type),
		       wal_error(d->wal));
		return 0;
	}
	return seq;
}

uint64_t pipeline_publish(struct daemon *d, struct json_object *obj, enum wal_type wal_type,
			  enum vg_sink_severity severity)
{
	const char *line;
	uint64_t slot, seq = 0;

	if (wal_type) {
		seq = pipeline_record(d, wal_type, obj);
		if (seq)
			json_object_object_add(obj, "wal_seq", json_object_new_uint64(seq));
	}
	line = json_text_line(obj);
	sinks_emit(&d->sinks, line, severity);
	slot = d->backlog_next++ % BACKLOG_LINES;
	free(d->backlog[slot]);
	d->backlog[slot] = strdup(line);
	control_broadcast(d, line);
	json_object_put(obj);
	return seq;
}

static void alert_exec_from_writable(struct daemon *d, const struct vg_exec_event *ev,
				     const char *dir)
{
	struct json_object *alert = json_object_new_object();

	json_object_object_add(alert, "type", json_object_new_string("alert"));
	event_json_add_time(alert, ev->hdr.ts_ns, d->boot_to_real_ns);
	json_object_object_add(alert, "rule", json_object_new_string("exec_from_writable"));
	json_object_object_add(alert, "severity", json_object_new_string("medium"));
	json_object_object_add(
	    alert, "mode",
	    json_object_new_string(policy_mode_name(d->policy.exec_from_writable.mode)));
	json_text_add(alert, "reason_dir", dir, strlen(dir));
	event_json_add_process(alert, d->procs, ev->hdr.tgid, ev->hdr.start_ns);
	d->alerts_total++;
	pipeline_publish(d, alert, WAL_ALERT, VG_SINK_ALERT);
}

/* What a threshold crossing sets going in the daemon: the exec gate for a
 * flagged process, the end of a blocked one's connections, a quarantine, a
 * vaccine. */
static void act_on_crossing(struct daemon *d, const struct vg_score_event *ev)
{
	precog_on_flagged(d);
	if (ev->level == VG_BLOCKED)
		precog_on_blocked(d, ev);
	else if (ev->level == VG_QUARANTINED)
		quarantine_on_crossing(d, ev);
	else if (ev->level == VG_VACCINATED)
		vaccine_on_crossing(d, ev);
}

int pipeline_on_event(void *ctx, const void *data, size_t size)
{
	struct daemon *d = ctx;
	const struct vg_event_header *hdr = data;
	char why[128];

	if (event_validate(data, size, why, sizeof(why))) {
		d->events_invalid++;
		vg_warn("dropping sensor record: %s", why);
		return 0;
	}
	d->events_total++;
	if (hdr->type == VG_EVENT_SCORE || hdr->type == VG_EVENT_CONNECT) {
		/* Precognition: a threshold crossed, or the connect of a flagged
		 * process or one a vaccine names.
		 * The record comes first: the actions below write records of their
		 * own that follow from it. */
		pipeline_publish(d, event_to_json(data, d->procs, d->boot_to_real_ns), WAL_DECISION,
				 VG_SINK_ALERT);
		if (hdr->type == VG_EVENT_SCORE)
			act_on_crossing(d, data);
		else if (((const struct vg_connect_event *)data)->decoy)
			honeypot_on_decoy_connect(d, data);
		return 0;
	}
	proctable_apply_event(d->procs, data);
	if (event_wanted(d, hdr->type))
		pipeline_publish(d, event_to_json(data, d->procs, d->boot_to_real_ns), 0,
				 VG_SINK_EVENT);
	if (hdr->type == VG_EVENT_EXEC) {
		const struct vg_exec_event *ev = data;
		const char *dir = exec_rule_writable_dir(&d->policy, ev->path);

		if (dir)
			alert_exec_from_writable(d, ev, dir);
		precog_on_exec(d, ev);
		vaccine_on_exec(d, ev);
	}
	if (hdr->type == VG_EVENT_EXIT)
		honeypot_on_exit(d, data);
	return 0;
}

/* Ring-buffer overflow is never silent: each increase of the kernel's lost
 * counter becomes an event line and a forensic record. */
void pipeline_check_lost(struct daemon *d)
{
	uint64_t lost = sensor_lost(d->sensor);
	struct json_object *obj;

	if (lost == d->lost_reported)
		return;
	obj = json_object_new_object();
	json_object_object_add(obj, "type", json_object_new_string("lost"));
	event_json_add_time(obj, clock_boot_ns(), d->boot_to_real_ns);
	json_object_object_add(obj, "lost", json_object_new_uint64(lost - d->lost_reported));
	json_object_object_add(obj, "lost_total", json_object_new_uint64(lost));
	vg_warn("the kernel dropped %llu events: ring buffer full",
		(unsigned long long)(lost - d->lost_reported));
	d->lost_reported = lost;
	pipeline_publish(d, obj, WAL_ALERT, VG_SINK_ALERT);
}
