/* Precognition in the daemon: installs the model and thresholds in the
 * kernel, attaches the connect gate, runs the fanotify exec/open gate, and
 * turns what the gates decided into forensic records. The decisions
 * themselves never wait for this code: the kernel flags in sys_enter and
 * refuses connects; the gate thread answers fanotify at once. */
#include "daemon/daemon.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "act/socket_destroy.h"
#include "common/clock.h"
#include "common/cleanup.h"
#include "common/file_hash.h"
#include "common/log.h"
#include "record/event_json.h"
#include "record/json_text.h"
#include "score/model_file.h"
#include "score/profile_file.h"

static enum vg_precog_mode kernel_mode(enum vg_mode mode)
{
	return mode == VG_MODE_ENFORCE	 ? VG_PRECOG_ENFORCE
	       : mode == VG_MODE_MONITOR ? VG_PRECOG_MONITOR
					 : VG_PRECOG_OFF;
}

static bool exec_gate_wanted(const struct daemon *d, const struct vg_policy *p)
{
	return d->gate && p->precognition.mode == VG_MODE_ENFORCE &&
	       p->precognition.exec_gate.count > 0;
}

static int load_model(const struct vg_policy *p, struct vg_model *out, char *err, size_t errlen)
{
	enum vg_model_file_status st = vg_model_load_path(p->precognition.model, out, NULL);

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
	    .deadline_ms = d->policy.precognition.gate_deadline_ms,
	};
	struct epoll_event ev = {.events = EPOLLIN, .data.u64 = TAG_GATE};
	struct epoll_event marks = {.events = EPOLLIN, .data.u64 = TAG_MARKED_PATHS};

	if (sensor_attach_connect_gate(d->sensor, connect_gate_cgroup(&d->policy), err, errlen) ||
	    gate_start(&opts, &d->gate, &d->gate_report_fd, err, errlen))
		return -1;
	if (epoll_ctl(d->epoll_fd, EPOLL_CTL_ADD, d->gate_report_fd, &ev) ||
	    epoll_ctl(d->epoll_fd, EPOLL_CTL_ADD, gate_marks_watch_fd(d->gate), &marks)) {
		snprintf(err, errlen, "gate: epoll: %s", strerror(errno));
		return -1;
	}
	return 0;
}

_Static_assert(VG_POLICY_MAX_LOADERS == VG_EXEC_PASSED_MAX,
	       "the policy's loaders must fit the kernel's set");

/* Tells the kernel which filesystems the exec gate watches, so that an exec
 * by a blocked process from any other is killed (enforce) or reported
 * (monitor) there. Not knowing them all, it checks nothing: killing for a
 * filesystem that is gated after all would be worse than the gap. The
 * dynamic loaders pass the gate only while the kernel checks their direct
 * execs instead: they are gated again before the sets change, and let
 * pass after. */
static void set_ungated_exec(struct daemon *d, const struct vg_policy *p)
{
	enum vg_precog_mode mode = kernel_mode(p->precognition.mode);
	enum vg_ungated_exec what = mode == VG_PRECOG_ENFORCE	? VG_UNGATED_EXEC_KILL
				    : mode == VG_PRECOG_MONITOR ? VG_UNGATED_EXEC_REPORT
								: VG_UNGATED_EXEC_OFF;
	const struct vg_path_list *gated = &p->precognition.exec_gate;
	struct vg_exe_key loaders[VG_EXEC_PASSED_MAX];
	uint32_t devs[VG_EXEC_GATED_MAX];
	size_t count = 0, loader_count = 0;
	char err[512] = "";

	if (d->gate)
		gate_loaders_close(d->gate);
	if (!gated->count)
		what = VG_UNGATED_EXEC_OFF;
	if (gated->count > VG_EXEC_GATED_MAX)
		snprintf(err, sizeof(err), "more than %d exec_gate filesystems", VG_EXEC_GATED_MAX);
	for (; what != VG_UNGATED_EXEC_OFF && !err[0] && count < gated->count; count++)
		gate_filesystem_dev(gated->paths[count], &devs[count], err, sizeof(err));
	if (what != VG_UNGATED_EXEC_OFF && !err[0] && d->gate)
		loader_count =
		    gate_loaders_open(d->gate, &p->precognition.exec_gate_loaders, loaders);
	if (!err[0] &&
	    sensor_set_ungated_exec(d->sensor, what, devs, what ? count : 0, loaders, loader_count))
		snprintf(err, sizeof(err), "the kernel's set of gated filesystems: %s",
			 strerror(errno));
	if (err[0]) {
		vg_warn("precognition: %s; execs from filesystems outside the gate are not checked",
			err);
		what = VG_UNGATED_EXEC_OFF;
		sensor_set_ungated_exec(d->sensor, what, NULL, 0, NULL, 0);
		if (d->gate)
			gate_loaders_close(d->gate);
		loader_count = 0;
	} else if (loader_count && gate_loaders_pass(d->gate, err, sizeof(err))) {
		vg_warn("precognition: %s; each dynamic program's exec waits for two answers", err);
		loader_count = 0;
	} else if (loader_count) {
		vg_info("precognition: %zu dynamic loader(s) pass the exec gate without a round "
			"trip; a blocked process that runs one directly meets the kernel's check",
			loader_count);
	}
	d->loaders_passed = loader_count;
	d->ungated_exec = what;
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
	if (d->gate) {
		gate_set_mode(d->gate, mode);
		gate_set_deadline(d->gate, p->precognition.gate_deadline_ms);
	}
	sensor_set_hold_flagged(d->sensor, exec_gate_wanted(d, p) && !d->exec_gate_armed);
	set_ungated_exec(d, p);
	sensor_set_quarantine(d->sensor,
			      p->quarantine.mode == VG_MODE_OFF ? 0 : p->quarantine.threshold,
			      p->quarantine.mode == VG_MODE_ENFORCE);
	sensor_set_vaccination(d->sensor,
			       p->vaccination.mode == VG_MODE_OFF ? 0 : p->vaccination.threshold,
			       p->vaccination.ttl_seconds * 1000000000ull);
	return 0;
}

/* Lets a process go that the kernel stopped when it was flagged while the
 * exec gate was not armed. */
static void release_held(uint32_t tgid, struct vg_verdict *verdict, void *ctx)
{
	struct daemon *d = ctx;

	if (!(verdict->flags & VG_HELD))
		return;
	sensor_verdict_clear(d->sensor, tgid, VG_HELD);
	if (kill((pid_t)tgid, SIGCONT) && errno != ESRCH)
		vg_warn("precognition: releasing process %u: %s", tgid, strerror(errno));
}

/* Exec by content and by argv are decided at the exec gate; connect
 * vaccines need it too, to find the copies of their program as they are
 * exec'd. File and syscall vaccines do not. */
static bool vaccines_need_gate(const struct daemon *d)
{
	if (!d->gate || d->policy.precognition.exec_gate.count == 0 ||
	    d->policy.vaccination.mode == VG_MODE_OFF)
		return false;
	for (int i = 0; i < d->vaccines.count; i++)
		if (d->vaccines.items[i].kind == VG_VACCINE_EXEC ||
		    d->vaccines.items[i].kind == VG_VACCINE_ARGV ||
		    d->vaccines.items[i].kind == VG_VACCINE_CONNECT)
			return true;
	return false;
}

static void arm_exec_gate(struct daemon *d)
{
	char err[512];

	if (gate_arm_exec(d->gate, err, sizeof(err)))
		/* Failing open: the flagged process is released all the same. */
		vg_err("precognition: arming the exec gate: %s", err);
	else
		d->exec_gate_armed = true;
	sensor_set_hold_flagged(d->sensor, false);
	sensor_verdicts_foreach(d->sensor, release_held, d);
}

void precog_on_flagged(struct daemon *d)
{
	if (exec_gate_wanted(d, &d->policy) && !d->exec_gate_armed)
		arm_exec_gate(d);
}

void precog_update_exec_gate(struct daemon *d)
{
	if (vaccines_need_gate(d) && !d->exec_gate_armed)
		arm_exec_gate(d);
}

void precog_tick(struct daemon *d)
{
	if (!d->exec_gate_armed || vaccines_need_gate(d) ||
	    sensor_verdicts_foreach(d->sensor, NULL, NULL) != 0)
		return;
	/* Hold first, then look again: a process flagged in between is either
	 * seen here or held by the kernel until the gate is armed again. Only
	 * when precognition wants the gate: armed for vaccines alone, nothing
	 * would arm it again for a flagged process, which would stay stopped. */
	if (exec_gate_wanted(d, &d->policy)) {
		sensor_set_hold_flagged(d->sensor, true);
		if (sensor_verdicts_foreach(d->sensor, NULL, NULL) != 0) {
			sensor_set_hold_flagged(d->sensor, false);
			return;
		}
	}
	gate_disarm_exec(d->gate);
	d->exec_gate_armed = false;
}

/* A profile applies to the program it was learned on: the same bytes, now
 * at whatever inode its path names. */
static bool install_profile(struct daemon *d, const struct vg_profile_entry *e)
{
	_cleanup_close_ int fd = open(e->path, O_RDONLY | O_CLOEXEC);
	unsigned char sha[VG_SHA256_LEN];
	struct vg_exe_key key = {0};
	struct stat st;

	if (fd < 0 || fstat(fd, &st) || sha256_fd(fd, sha)) {
		vg_warn("profile for %s not used: %s", e->path, strerror(errno));
		return false;
	}
	if (memcmp(sha, e->sha256, VG_SHA256_LEN)) {
		vg_warn("profile for %s not used: the program changed since it was learned",
			e->path);
		return false;
	}
	key = exe_key_of(&st);
	if (sensor_add_profile(d->sensor, &key, &e->profile)) {
		vg_warn("profile for %s not used: %s", e->path, strerror(errno));
		return false;
	}
	return true;
}

static int load_profiles(struct daemon *d, __u32 model_seed, char *err, size_t errlen)
{
	const char *path = d->policy.precognition.profiles;
	struct vg_profile_set set;
	struct json_object *obj;
	size_t loaded = 0;

	if (vg_profiles_load_for_model(path, model_seed, &set, err, errlen))
		return -1;
	for (size_t i = 0; i < set.count; i++)
		loaded += install_profile(d, &set.entries[i]);
	vg_info("precognition: %zu of %zu program profiles in use (%s)", loaded, set.count, path);
	obj = json_object_new_object();
	json_object_object_add(obj, "type", json_object_new_string("profiles"));
	json_text_add(obj, "source", path, strlen(path));
	json_object_object_add(obj, "profiles", json_object_new_uint64(set.count));
	json_object_object_add(obj, "in_use", json_object_new_uint64(loaded));
	pipeline_publish(d, obj, WAL_POLICY_LOAD, VG_SINK_EVENT);
	vg_profiles_free(&set);
	return 0;
}

int precog_start(struct daemon *d, char *err, size_t errlen)
{
	struct vg_model model;

	if (precog_apply(d, &d->policy, err, errlen))
		return -1;
	if (d->policy.precognition.mode == VG_MODE_OFF)
		return 0;
	if (d->policy.precognition.profiles && (load_model(&d->policy, &model, err, errlen) ||
						load_profiles(d, model.hash_seed, err, errlen)))
		return -1;
	if (start_gates(d, err, errlen))
		return -1;
	set_ungated_exec(d, &d->policy); /* again, now that the gate can let loaders pass */
	/* The vaccines replayed from the log are in the gate before the
	 * daemon reads any event. */
	vaccine_push(d);
	sensor_set_hold_flagged(d->sensor, exec_gate_wanted(d, &d->policy));
	return 0;
}

void precog_stop(struct daemon *d)
{
	/* Nobody may stay stopped waiting for a gate that is going away. */
	if (d->sensor) {
		sensor_set_hold_flagged(d->sensor, false);
		sensor_verdicts_foreach(d->sensor, release_held, d);
	}
	gate_stop(d->gate);
	d->gate = NULL;
	if (d->gate_report_fd >= 0) {
		close(d->gate_report_fd);
		d->gate_report_fd = -1;
	}
}

/* A decision record's common part: what, whether it was refused, the
 * mode, the process's score and level. */
static struct json_object *decision_record(struct daemon *d, const char *what, bool refused,
					   uint32_t score, uint32_t verdict_flags)
{
	struct json_object *obj = json_object_new_object();

	json_object_object_add(obj, "type", json_object_new_string("decision"));
	event_json_add_time(obj, clock_boot_ns(), d->boot_to_real_ns);
	json_object_object_add(obj, "what", json_object_new_string(what));
	json_object_object_add(obj, "refused", json_object_new_boolean(refused));
	json_object_object_add(
	    obj, "mode", json_object_new_string(policy_mode_name(d->policy.precognition.mode)));
	json_object_object_add(obj, "score", json_object_new_int64(score));
	json_object_object_add(obj, "level",
			       json_object_new_string((verdict_flags & VG_BLOCKED)   ? "block"
						      : (verdict_flags & VG_FLAGGED) ? "flag"
										     : "none"));
	return obj;
}

static void publish_decision(struct daemon *d, const struct vg_gate_decision *g)
{
	struct json_object *obj = decision_record(d, g->kind == VG_GATE_EXEC ? "exec" : "open",
						  g->refused, g->score, g->verdict_flags);
	struct vg_verdict verdict;

	if (g->late)
		json_object_object_add(obj, "late", json_object_new_boolean(true));
	if (g->ungated)
		json_object_object_add(obj, "ungated", json_object_new_boolean(true));
	json_text_add(obj, "path", g->path, g->path_len);
	if (g->vaccine_id) {
		json_object_object_add(obj, "vaccine_id", json_object_new_int64(g->vaccine_id));
		json_object_object_add(
		    obj, "mode",
		    json_object_new_string(policy_mode_name(d->policy.vaccination.mode)));
	}
	if (sensor_verdict(d->sensor, g->tgid, &verdict) == 0)
		json_object_object_add(obj, "reason", model_reason_json(&verdict.reason));
	event_json_add_process(obj, d->procs, g->tgid, g->start_ns);
	pipeline_publish(d, obj, WAL_DECISION, VG_SINK_ALERT);
}

/* A process crossed block: while precognition enforces, the connections it
 * made before are closed (act/socket_destroy.h). A decision record says how
 * many, or what failed. */
void precog_on_blocked(struct daemon *d, const struct vg_score_event *ev)
{
	struct json_object *obj;
	unsigned closed = 0;
	char err[256] = "";
	int rc;

	if (d->policy.precognition.mode != VG_MODE_ENFORCE)
		return;
	rc = socket_destroy_process((pid_t)ev->hdr.tgid, &closed, err, sizeof(err));
	if (rc == 0 && closed == 0)
		return;
	obj = decision_record(d, "connections", true, ev->verdict.score, VG_BLOCKED);
	json_object_object_add(obj, "closed", json_object_new_int64(closed));
	if (rc)
		json_text_add(obj, "error", err, strlen(err));
	json_object_object_add(obj, "reason", model_reason_json(&ev->verdict.reason));
	event_json_add_process(obj, d->procs, ev->hdr.tgid, ev->hdr.start_ns);
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

void precog_on_exec(struct daemon *d, const struct vg_exec_event *ev)
{
	struct vg_gate_decision decision = {.kind = VG_GATE_EXEC};
	bool ungated = ev->flags & VG_EXEC_UNGATED;

	/* With the exec gate armed, the gate itself reported this exec, unless
	 * it came from a filesystem the gate does not watch. */
	if (d->policy.precognition.mode == VG_MODE_OFF || (d->exec_gate_armed && !ungated) ||
	    !(ev->verdict_flags & (VG_FLAGGED | VG_BLOCKED)))
		return;
	decision.ungated = ungated;
	decision.refused = ungated && d->policy.precognition.mode == VG_MODE_ENFORCE;
	decision.tgid = ev->hdr.tgid;
	decision.start_ns = ev->hdr.start_ns;
	decision.score = ev->verdict_score;
	decision.verdict_flags = ev->verdict_flags;
	decision.path_len = ev->path_len < sizeof(decision.path) ? ev->path_len : 0;
	memcpy(decision.path, ev->path, decision.path_len);
	publish_decision(d, &decision);
}
