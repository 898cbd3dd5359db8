/* Precognition in the daemon: installs the model and thresholds in the
 * kernel, attaches the connect gate, runs the fanotify exec/open gate, and
 * turns what the gates decided into forensic records. The decisions
 * themselves never wait for this code: the kernel flags in sys_enter and
 * refuses connects; the gate thread answers fanotify at once. */
#include "daemon/daemon.h"

#include <errno.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "record/event_json.h"
#include "record/json_text.h"
#include "score/model_file.h"

static enum vg_precog_mode kernel_mode(enum vg_mode mode)
{
	return mode == VG_MODE_ENFORCE	 ? VG_PRECOG_ENFORCE
	       : mode == VG_MODE_MONITOR ? VG_PRECOG_MONITOR
					 : VG_PRECOG_OFF;
}

static int load_model(const struct vg_policy *p, struct vg_model *out, char *err, size_t errlen)
{
	enum vg_model_file_status st = p->precognition.model
					   ? vg_model_load(p->precognition.model, out, NULL)
					   : vg_model_load_default(out, NULL);

	if (st != VG_MODEL_FILE_OK) {
		snprintf(err, errlen, "precognition model %s: %s",
			 p->precognition.model ? p->precognition.model : "(embedded)",
			 vg_model_file_strerror(st));
		return -1;
	}
	return 0;
}

/* The cgroup the connect gate hangs on: the scope's, else the root of the
 * cgroup v2 hierarchy. */
static const char *connect_gate_cgroup(const struct vg_policy *p)
{
	struct stat st;

	if (p->scope.kind == VG_SCOPE_CGROUP)
		return p->scope.cgroup;
	return stat("/sys/fs/cgroup/unified", &st) == 0 ? "/sys/fs/cgroup/unified"
							: "/sys/fs/cgroup";
}

static int start_gates(struct daemon *d, char *err, size_t errlen)
{
	struct vg_gate_options opts = {
	    .sensor = d->sensor,
	    .daemon_tgid = getpid(),
	    .mode = kernel_mode(d->policy.precognition.mode),
	    .exec_filesystems = &d->policy.precognition.exec_gate,
	    .protected_paths = &d->policy.precognition.protected_paths,
	};
	struct epoll_event ev = {.events = EPOLLIN, .data.u64 = TAG_GATE};

	if (sensor_attach_connect_gate(d->sensor, connect_gate_cgroup(&d->policy), err, errlen) ||
	    gate_start(&opts, &d->gate, &d->gate_report_fd, err, errlen))
		return -1;
	if (epoll_ctl(d->epoll_fd, EPOLL_CTL_ADD, d->gate_report_fd, &ev)) {
		snprintf(err, errlen, "gate: epoll: %s", strerror(errno));
		return -1;
	}
	return 0;
}

int precog_apply(struct daemon *d, const struct vg_policy *p, char *err, size_t errlen)
{
	enum vg_precog_mode mode = kernel_mode(p->precognition.mode);
	struct vg_model model;

	if (mode != VG_PRECOG_OFF && load_model(p, &model, err, errlen))
		return -1;
	if (mode == VG_PRECOG_OFF)
		memset(&model, 0, sizeof(model));
	sensor_set_precog(d->sensor, mode, p->precognition.flag_threshold,
			  p->precognition.block_threshold, &model);
	if (d->gate)
		gate_set_mode(d->gate, mode);
	return 0;
}

int precog_start(struct daemon *d, char *err, size_t errlen)
{
	if (precog_apply(d, &d->policy, err, errlen))
		return -1;
	if (d->policy.precognition.mode == VG_MODE_OFF)
		return 0;
	return start_gates(d, err, errlen);
}

void precog_stop(struct daemon *d)
{
	gate_stop(d->gate);
	d->gate = NULL;
	if (d->gate_report_fd >= 0) {
		close(d->gate_report_fd);
		d->gate_report_fd = -1;
	}
}

static void publish_decision(struct daemon *d, const struct vg_gate_decision *g)
{
	struct json_object *obj = json_object_new_object();
	struct vg_verdict verdict;
	struct timespec now;

	clock_gettime(CLOCK_BOOTTIME, &now);
	json_object_object_add(obj, "type", json_object_new_string("decision"));
	event_json_add_time(obj, (uint64_t)now.tv_sec * 1000000000 + (uint64_t)now.tv_nsec,
			    d->boot_to_real_ns);
	json_object_object_add(obj, "what",
			       json_object_new_string(g->kind == VG_GATE_EXEC ? "exec" : "open"));
	json_object_object_add(obj, "refused", json_object_new_boolean(g->refused));
	json_object_object_add(
	    obj, "mode", json_object_new_string(policy_mode_name(d->policy.precognition.mode)));
	json_text_add(obj, "path", g->path, g->path_len);
	json_object_object_add(obj, "score", json_object_new_int64(g->score));
	json_object_object_add(
	    obj, "level",
	    json_object_new_string((g->verdict_flags & VG_BLOCKED) ? "block" : "flag"));
	if (sensor_verdict(d->sensor, g->tgid, &verdict) == 0)
		json_object_object_add(obj, "reason", model_reason_json(&verdict.reason));
	event_json_add_process(obj, d->procs, g->tgid, g->start_ns);
	pipeline_publish(d, obj, WAL_DECISION, VG_SINK_ALERT);
}

void precog_on_gate_report(struct daemon *d)
{
	struct vg_gate_decision decision;

	while (read(d->gate_report_fd, &decision, sizeof(decision)) == sizeof(decision)) {
		if (decision.path_len >= sizeof(decision.path))
			decision.path_len = sizeof(decision.path) - 1;
		publish_decision(d, &decision);
	}
}
