/* What each control request does. Requests are JSON objects with a "cmd":
 *   {"cmd":"status","sample_ms":N}         one reply object (after sampling
 *                                          BPF run-time stats for N ms)
 *   {"cmd":"events","follow":B,"limit":N}  recent event lines, then (follow)
 *                                          every new one until disconnect
 *   {"cmd":"note","text":S}                appends an operator note to the
 *                                          forensic log; the reply comes once
 *                                          it is durable
 *   {"cmd":"reload"}                       reloads the policy (as SIGHUP)
 *   {"cmd":"ps"}                           every watched process with its
 *                                          precognition score and verdict
 * and quarantine, vaccine, supervise and flag (their own files). Errors are
 * {"ok":false,"error":S}. Everything but status needs root or the policy's
 * control group. */
#include "daemon/daemon.h"

#include <stdlib.h>
#include <string.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "record/event_json.h"
#include "record/json_text.h"
#include "common/clock.h"
#include "common/log.h"

static void reply_error(struct daemon *d, struct control_client *c, const char *message)
{
	struct json_object *reply = json_object_new_object();

	json_object_object_add(reply, "ok", json_object_new_boolean(0));
	json_object_object_add(reply, "error", json_object_new_string(message));
	control_send_json(d, c, reply);
}

static struct json_object *modes_json(const struct vg_policy *p)
{
	struct json_object *modes = json_object_new_object();

	json_object_object_add(
	    modes, "exec_from_writable",
	    json_object_new_string(policy_mode_name(p->exec_from_writable.mode)));
	json_object_object_add(modes, "precognition",
			       json_object_new_string(policy_mode_name(p->precognition.mode)));
	json_object_object_add(modes, "quarantine",
			       json_object_new_string(policy_mode_name(p->quarantine.mode)));
	json_object_object_add(modes, "vaccination",
			       json_object_new_string(policy_mode_name(p->vaccination.mode)));
	json_object_object_add(modes, "honeypot",
			       json_object_new_string(policy_mode_name(p->honeypot.mode)));
	json_object_object_add(modes, "cloning",
			       json_object_new_string(policy_mode_name(p->cloning.mode)));
	return modes;
}

static struct json_object *scope_json(const struct vg_policy *p)
{
	struct json_object *scope = json_object_new_object();

	json_object_object_add(scope, "kind",
			       json_object_new_string(policy_scope_name(p->scope.kind)));
	if (p->scope.kind == VG_SCOPE_CGROUP)
		json_text_add(scope, "cgroup", p->scope.cgroup, strlen(p->scope.cgroup));
	if (p->scope.kind == VG_SCOPE_PIDTREE)
		json_object_object_add(scope, "pid", json_object_new_int64(p->scope.pid));
	return scope;
}

/* The last finished sample: each program's runs in the window and the
 * average run time. */
static struct json_object *programs_json(const struct daemon *d)
{
	struct json_object *list = json_object_new_array();

	for (int i = 0; i < d->stats_count; i++) {
		const struct vg_prog_stats *w = &d->stats_window[i];
		struct json_object *prog = json_object_new_object();

		json_object_object_add(prog, "name", json_object_new_string(w->name));
		json_object_object_add(prog, "run_cnt", json_object_new_uint64(w->run_cnt));
		json_object_object_add(prog, "run_time_ns", json_object_new_uint64(w->run_time_ns));
		json_object_object_add(
		    prog, "avg_ns",
		    json_object_new_uint64(w->run_cnt ? w->run_time_ns / w->run_cnt : 0));
		json_object_object_add(prog, "sample_ms",
				       json_object_new_int64(d->stats_sample_ms));
		json_object_array_add(list, prog);
	}
	return list;
}

static int frozen_quarantines(const struct daemon *d)
{
	int n = 0;

	for (int i = 0; i < d->quarantine_count; i++)
		n += d->quarantines[i].state == Q_FROZEN;
	return n;
}

static void send_status(struct daemon *d, struct control_client *c)
{
	struct json_object *r = json_object_new_object();
	struct json_object *wal = json_object_new_object();
	uint64_t now = clock_boot_ns();

	json_object_object_add(r, "ok", json_object_new_boolean(1));
	json_object_object_add(r, "version", json_object_new_string(VG_VERSION));
	json_object_object_add(r, "pid", json_object_new_int64(getpid()));
	event_json_add_time(r, d->started_ns, d->boot_to_real_ns);
	json_object_object_add(r, "uptime_s",
			       json_object_new_double((double)(now - d->started_ns) / 1e9));
	json_text_add(r, "policy", d->policy.source, strlen(d->policy.source));
	json_object_object_add(r, "scope", scope_json(&d->policy));
	json_object_object_add(r, "modes", modes_json(&d->policy));
	json_object_object_add(r, "events_total", json_object_new_uint64(d->events_total));
	json_object_object_add(r, "events_per_s", json_object_new_uint64(d->events_per_s));
	json_object_object_add(r, "events_lost", json_object_new_uint64(sensor_lost(d->sensor)));
	json_object_object_add(r, "events_invalid", json_object_new_uint64(d->events_invalid));
	json_object_object_add(r, "alerts_total", json_object_new_uint64(d->alerts_total));
	json_object_object_add(r, "processes", json_object_new_uint64(proctable_count(d->procs)));
	json_object_object_add(r, "quarantines_frozen", json_object_new_int(frozen_quarantines(d)));
	json_object_object_add(r, "output_write_errors",
			       json_object_new_uint64(d->sinks.write_errors));
	json_text_add(wal, "dir", d->policy.wal.dir, strlen(d->policy.wal.dir));
	json_object_object_add(wal, "appended_seq",
			       json_object_new_uint64(wal_appended_seq(d->wal)));
	json_object_object_add(wal, "durable_seq", json_object_new_uint64(wal_durable_seq(d->wal)));
	json_object_object_add(r, "wal", wal);
	if (d->gate) {
		struct vg_gate_stats g;
		struct json_object *gate = json_object_new_object();

		gate_stats(d->gate, &g);
		json_object_object_add(gate, "events", json_object_new_uint64(g.events));
		json_object_object_add(gate, "refused", json_object_new_uint64(g.refused));
		json_object_object_add(gate, "fail_open", json_object_new_uint64(g.fail_open));
		json_object_object_add(gate, "late", json_object_new_uint64(g.late));
		json_object_object_add(gate, "reports_dropped",
				       json_object_new_uint64(g.reports_dropped));
		json_object_object_add(
		    gate, "ungated_exec",
		    json_object_new_string(d->ungated_exec == VG_UNGATED_EXEC_KILL     ? "kill"
					   : d->ungated_exec == VG_UNGATED_EXEC_REPORT ? "report"
										       : "off"));
		json_object_object_add(gate, "loaders_passed",
				       json_object_new_uint64(d->loaders_passed));
		json_object_object_add(r, "gate", gate);
	}
	if (d->supervisor) {
		struct vg_supervise_stats s;
		struct json_object *honeypot = json_object_new_object();

		supervise_stats(d->supervisor, &s);
		json_object_object_add(honeypot, "workloads", json_object_new_uint64(s.workloads));
		json_object_object_add(honeypot, "notifications",
				       json_object_new_uint64(s.notifications));
		json_object_object_add(honeypot, "flagged", json_object_new_uint64(s.flagged));
		json_object_object_add(honeypot, "decoyed", json_object_new_uint64(s.decoyed));
		json_object_object_add(honeypot, "failed", json_object_new_uint64(s.failed));
		json_object_object_add(honeypot, "reports_dropped",
				       json_object_new_uint64(s.reports_dropped));
		json_object_object_add(honeypot, "decoys_open",
				       json_object_new_int(d->served_count));
		json_object_object_add(r, "honeypot", honeypot);
	}
	honeypot_bait_status(d, r);
	json_object_object_add(r, "programs", programs_json(d));
	control_send_json(d, c, r);
}

#define MAX_SAMPLE_MS 10000

/* {"cmd":"status","sample_ms":N}: with N > 0, BPF run-time stats are turned
 * on for N ms (shared with any status request already sampling) and the
 * reply waits for the sample; with 0, the last sample is reported. */
static void handle_status(struct daemon *d, struct control_client *c, struct json_object *req)
{
	struct json_object *v;
	int64_t sample_ms = 0;
	struct itimerspec when = {0};

	if (json_object_object_get_ex(req, "sample_ms", &v))
		sample_ms = json_object_get_int64(v);
	if (sample_ms < 0 || sample_ms > MAX_SAMPLE_MS) {
		reply_error(d, c, "status: sample_ms must be 0..10000");
		return;
	}
	if (sample_ms == 0) {
		send_status(d, c);
		return;
	}
	c->await_stats = true;
	if (d->stats_sampling)
		return;
	if (sensor_stats_start(d->sensor)) {
		c->await_stats = false;
		reply_error(d, c, "status: BPF run-time stats could not be enabled");
		return;
	}
	d->stats_count = sensor_prog_stats(d->sensor, d->stats_base, MAX_PROGRAMS);
	d->stats_sample_ms = (uint32_t)sample_ms;
	when.it_value.tv_sec = sample_ms / 1000;
	when.it_value.tv_nsec = (sample_ms % 1000) * 1000000;
	timerfd_settime(d->stats_timer_fd, 0, &when, NULL);
	d->stats_sampling = true;
}

void request_stats_sampled(struct daemon *d)
{
	struct vg_prog_stats now[MAX_PROGRAMS];
	int n = sensor_prog_stats(d->sensor, now, MAX_PROGRAMS);

	sensor_stats_stop(d->sensor);
	d->stats_sampling = false;
	for (int i = 0; i < n && i < d->stats_count; i++) {
		d->stats_window[i] = now[i];
		d->stats_window[i].run_cnt -= d->stats_base[i].run_cnt;
		d->stats_window[i].run_time_ns -= d->stats_base[i].run_time_ns;
	}
	for (struct control_client *c = d->clients; c; c = c->next)
		if (c->await_stats) {
			c->await_stats = false;
			send_status(d, c);
		}
}

static void handle_events(struct daemon *d, struct control_client *c, struct json_object *req)
{
	struct json_object *v;
	bool follow = json_object_object_get_ex(req, "follow", &v) && json_object_get_boolean(v);
	uint64_t limit = BACKLOG_LINES, first;

	if (json_object_object_get_ex(req, "limit", &v))
		limit = (uint64_t)json_object_get_int64(v);
	if (limit > BACKLOG_LINES)
		limit = BACKLOG_LINES;
	first = d->backlog_next > limit ? d->backlog_next - limit : 0;
	for (uint64_t i = first; i < d->backlog_next; i++)
		if (d->backlog[i % BACKLOG_LINES])
			control_send(d, c, d->backlog[i % BACKLOG_LINES]);
	if (follow)
		c->follow = true;
	else
		c->finished = true;
}

static void handle_note(struct daemon *d, struct control_client *c, struct json_object *req)
{
	struct json_object *text, *note;
	uint64_t seq;

	if (!json_object_object_get_ex(req, "text", &text) ||
	    !json_object_is_type(text, json_type_string)) {
		reply_error(d, c, "note: \"text\" (a string) is required");
		return;
	}
	note = json_object_new_object();
	json_object_object_add(note, "type", json_object_new_string("note"));
	event_json_add_time(note, clock_boot_ns(), d->boot_to_real_ns);
	json_object_object_add(note, "text", json_object_get(text));
	json_object_object_add(note, "by_uid", json_object_new_int64(c->uid));
	json_object_object_add(note, "by_pid", json_object_new_int64(c->pid));
	seq = pipeline_publish(d, note, WAL_NOTE, VG_SINK_EVENT);
	if (!seq) {
		reply_error(d, c, "note: the forensic log refused the record");
		return;
	}
	c->await_seq = seq;
}

static void handle_reload(struct daemon *d, struct control_client *c)
{
	char err[600];
	struct json_object *reply;

	if (daemon_reload(d, err, sizeof(err))) {
		reply_error(d, c, err);
		return;
	}
	reply = json_object_new_object();
	json_object_object_add(reply, "ok", json_object_new_boolean(1));
	json_text_add(reply, "policy", d->policy.source, strlen(d->policy.source));
	control_send_json(d, c, reply);
}

static int by_tgid(const void *a, const void *b)
{
	const struct vg_task_report *x = a, *y = b;

	return x->tgid < y->tgid ? -1 : x->tgid > y->tgid;
}

/* One object per process: the highest score among its threads, and the
 * kernel's verdict on it. */
static struct json_object *process_json(struct daemon *d, const struct vg_task_report *first,
					size_t threads)
{
	struct json_object *obj = json_object_new_object();
	uint32_t score = 0, max_score = 0, flags = 0;
	uint64_t syscalls = 0;
	struct vg_verdict verdict;

	for (size_t i = 0; i < threads; i++) {
		score = first[i].score > score ? first[i].score : score;
		max_score = first[i].max_score > max_score ? first[i].max_score : max_score;
		flags |= first[i].flags;
		syscalls += first[i].syscalls;
	}
	event_json_add_process(obj, d->procs, first->tgid, first->start_ns);
	if (!json_object_object_get_ex(obj, "comm", NULL))
		json_text_add(obj, "comm", first->comm, strnlen(first->comm, sizeof(first->comm)));
	json_object_object_del(obj, "lineage");
	json_object_object_add(obj, "threads", json_object_new_int64((int64_t)threads));
	json_object_object_add(obj, "syscalls", json_object_new_uint64(syscalls));
	json_object_object_add(obj, "score", json_object_new_int64(score));
	json_object_object_add(obj, "max_score", json_object_new_int64(max_score));
	if (sensor_verdict(d->sensor, first->tgid, &verdict) == 0) {
		json_object_object_add(
		    obj, "verdict",
		    json_object_new_string((verdict.flags & VG_BLOCKED) ? "blocked" : "flagged"));
		json_object_object_add(obj, "verdict_score", json_object_new_int64(verdict.score));
		json_object_object_add(obj, "reason", model_reason_json(&verdict.reason));
	}
	return obj;
}

static void handle_ps(struct daemon *d, struct control_client *c)
{
	struct vg_task_report *tasks = NULL;
	struct json_object *reply, *list;
	int n;

	/* The process table learns names and programs from the batched ring:
	 * drain it first, or processes started in the last moments show none. */
	if (sensor_consume(d->sensor) < 0)
		vg_warn("reading the ring buffer failed");
	n = sensor_tasks(d->sensor, &tasks);
	if (n < 0) {
		reply_error(d, c, "ps: reading the kernel's task states failed");
		return;
	}
	qsort(tasks, (size_t)n, sizeof(*tasks), by_tgid);
	list = json_object_new_array();
	for (int i = 0; i < n;) {
		int j = i;

		while (j < n && tasks[j].tgid == tasks[i].tgid)
			j++;
		json_object_array_add(list, process_json(d, &tasks[i], (size_t)(j - i)));
		i = j;
	}
	free(tasks);
	reply = json_object_new_object();
	json_object_object_add(reply, "ok", json_object_new_boolean(1));
	json_object_object_add(reply, "flag_threshold",
			       json_object_new_int64(d->policy.precognition.flag_threshold));
	json_object_object_add(reply, "block_threshold",
			       json_object_new_int64(d->policy.precognition.block_threshold));
	json_object_object_add(reply, "processes", list);
	control_send_json(d, c, reply);
}

/* Whether name is a request the daemon knows. */
static bool known_request(const char *name)
{
	static const char *const known[] = {"status",	 "events", "ps",   "quarantine", "vaccine",
					    "supervise", "flag",   "note", "reload"};

	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (!strcmp(name, known[i]))
			return true;
	return false;
}

void request_handle(struct daemon *d, struct control_client *c, const char *line)
{
	struct json_object *req = json_tokener_parse(line);
	struct json_object *cmd;
	const char *name;

	if (!req || !json_object_is_type(req, json_type_object) ||
	    !json_object_object_get_ex(req, "cmd", &cmd) ||
	    !json_object_is_type(cmd, json_type_string)) {
		reply_error(d, c, "a request is a JSON object with a string \"cmd\"");
		json_object_put(req);
		return;
	}
	name = json_object_get_string(cmd);
	if (!known_request(name)) {
		reply_error(
		    d, c,
		    "unknown cmd (known: status, events, ps, quarantine, vaccine, supervise, flag, "
		    "note, reload)");
	} else if (strcmp(name, "status") && !c->privileged) {
		/* Anyone may ask for the status. Per-process scores, events,
		 * detections and changes need root or the control group: shown
		 * to the processes being scored, they would tell an intruder how
		 * to stay under the thresholds. */
		reply_error(d, c, "permission denied: needs root or the control group");
	} else if (!strcmp(name, "status")) {
		handle_status(d, c, req);
	} else if (!strcmp(name, "events")) {
		handle_events(d, c, req);
	} else if (!strcmp(name, "ps")) {
		handle_ps(d, c);
	} else if (!strcmp(name, "quarantine")) {
		request_quarantine(d, c, req);
	} else if (!strcmp(name, "vaccine")) {
		request_vaccine(d, c, req);
	} else if (!strcmp(name, "supervise")) {
		request_supervise(d, c, req);
	} else if (!strcmp(name, "flag")) {
		request_flag(d, c, req);
	} else if (!strcmp(name, "note")) {
		handle_note(d, c, req);
	} else {
		handle_reload(d, c);
	}
	json_object_put(req);
}
