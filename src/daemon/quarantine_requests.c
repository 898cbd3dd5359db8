/* The control socket's quarantine requests:
 *   {"cmd":"quarantine","op":"list"}
 *   {"cmd":"quarantine","op":"show"|"release"|"kill","id":S}
 *   {"cmd":"quarantine","op":"freeze"|"snapshot","pid":N}
 * All but list and show need root or the control group. */
#include "daemon/daemon.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "act/freeze.h"
#include "act/snapshot.h"
#include "record/json_text.h"

static void reply(struct daemon *d, struct control_client *c, struct json_object *obj)
{
	json_object_object_add(obj, "ok", json_object_new_boolean(1));
	control_send_json(d, c, obj);
}

static void refuse(struct daemon *d, struct control_client *c, const char *message)
{
	struct json_object *obj = json_object_new_object();

	json_object_object_add(obj, "ok", json_object_new_boolean(0));
	json_object_object_add(obj, "error", json_object_new_string(message));
	control_send_json(d, c, obj);
}

/* One character of /proc/PID/stat: R, S, T (stopped), Z (zombie)... */
static char process_state(pid_t pid)
{
	char path[64], buf[512], *close_paren;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	close_paren = strrchr(buf, ')');
	return close_paren && close_paren[1] ? close_paren[2] : 0;
}

/* Whether the daemon watches pid: the scope, never itself or init. */
static const char *out_of_scope(struct daemon *d, pid_t pid)
{
	char cgroup[PATH_MAX];
	size_t len;

	if (pid <= 1 || pid == getpid())
		return "is not a process Vigilante may stop";
	if (d->policy.scope.kind == VG_SCOPE_CGROUP) {
		len = strlen(d->policy.scope.cgroup);
		if (cgroup_of(pid, cgroup) || strncmp(cgroup, d->policy.scope.cgroup, len) ||
		    (cgroup[len] != '/' && cgroup[len] != '\0'))
			return "is outside the scope (not in the scope's cgroup)";
	}
	return NULL;
}

static const char *check_target(struct daemon *d, pid_t pid)
{
	char state = process_state(pid);

	if (!state)
		return "does not exist";
	if (state == 'Z')
		return "is a zombie: nothing to stop or snapshot";
	return out_of_scope(d, pid);
}

static void freeze(struct daemon *d, struct control_client *c, pid_t pid)
{
	const char *why = check_target(d, pid);
	char err[600];

	if (why) {
		snprintf(err, sizeof(err), "process %d %s", pid, why);
		refuse(d, c, err);
		return;
	}
	/* The kernel keeps it stopped from its next syscall on. */
	sensor_mark_quarantined(d->sensor, (uint32_t)pid, 0);
	kill(pid, SIGSTOP);
	if (quarantine_begin(d, pid, 0, "operator", 0, err, sizeof(err))) {
		sensor_verdict_clear(d->sensor, (uint32_t)pid, VG_QUARANTINED);
		sensor_recount_quarantined(d->sensor);
		kill(pid, SIGCONT);
		refuse(d, c, err);
		return;
	}
	reply(d, c, quarantine_json(&d->quarantines[d->quarantine_count - 1]));
}

/* A snapshot without quarantine: stopped only while it is taken. */
static void snapshot(struct daemon *d, struct control_client *c, pid_t pid)
{
	const char *why = check_target(d, pid);
	struct vg_snapshot_options opts = {.memory_cap_bytes =
					       (size_t)d->policy.quarantine.memory_cap_mb << 20};
	struct vg_snapshot_result res;
	struct json_object *obj;
	char err[600], id[64];
	bool was_stopped;
	int rc;

	if (why) {
		snprintf(err, sizeof(err), "process %d %s", pid, why);
		refuse(d, c, err);
		return;
	}
	was_stopped = process_state(pid) == 'T';
	if (!was_stopped)
		kill(pid, SIGSTOP);
	for (int i = 0; i < 500 && process_state(pid) != 'T' && process_state(pid); i++)
		usleep(1000);
	if (mkdir(d->policy.quarantine.dir, 0700) && errno != EEXIST) {
		snprintf(err, sizeof(err), "%s: %s", d->policy.quarantine.dir, strerror(errno));
		rc = -1;
	} else {
		snprintf(id, sizeof(id), "s-%d-%lld", pid, (long long)time(NULL));
		rc = snapshot_process(pid, d->policy.quarantine.dir, id, &opts, &res, err,
				      sizeof(err));
	}
	if (!was_stopped)
		kill(pid, SIGCONT);
	if (rc) {
		refuse(d, c, err);
		return;
	}
	obj = json_object_new_object();
	json_object_object_add(obj, "type", json_object_new_string("snapshot"));
	json_object_object_add(obj, "pid", json_object_new_int64(pid));
	snapshot_result_json(obj, &res);
	pipeline_publish(d, json_object_get(obj), WAL_QUARANTINE, VG_SINK_ALERT);
	reply(d, c, obj);
}

void request_quarantine(struct daemon *d, struct control_client *c, struct json_object *req)
{
	struct json_object *v, *list;
	const char *op = json_object_object_get_ex(req, "op", &v) ? json_object_get_string(v) : "";
	const char *id = json_object_object_get_ex(req, "id", &v) ? json_object_get_string(v) : "";
	pid_t pid = json_object_object_get_ex(req, "pid", &v) ? (pid_t)json_object_get_int(v) : 0;
	struct quarantine *q = quarantine_find(d, id);
	char err[600];

	if (!strcmp(op, "list")) {
		list = json_object_new_array();
		for (int i = 0; i < d->quarantine_count; i++)
			json_object_array_add(list, quarantine_json(&d->quarantines[i]));
		v = json_object_new_object();
		json_object_object_add(v, "quarantines", list);
		reply(d, c, v);
		return;
	}
	if (!strcmp(op, "show") || !strcmp(op, "release") || !strcmp(op, "kill")) {
		if (!q) {
			snprintf(err, sizeof(err),
				 "no quarantine '%s' (see vigilante quarantine list)", id);
			refuse(d, c, err);
			return;
		}
		if (!strcmp(op, "show")) {
			reply(d, c, quarantine_json(q));
			return;
		}
	}
	if (!strcmp(op, "release") || !strcmp(op, "kill")) {
		if ((!strcmp(op, "release") ? quarantine_release : quarantine_kill)(d, q, err,
										    sizeof(err)))
			refuse(d, c, err);
		else
			reply(d, c, quarantine_json(q));
	} else if (!strcmp(op, "freeze") && pid > 0) {
		freeze(d, c, pid);
	} else if (!strcmp(op, "snapshot") && pid > 0) {
		snapshot(d, c, pid);
	} else {
		refuse(d, c,
		       "quarantine: op is list, show ID, release ID, kill ID, freeze PID or "
		       "snapshot PID");
	}
}
