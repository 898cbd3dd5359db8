/* The control socket's honeypot requests:
 *   {"cmd":"supervise","pid":N,"fd":N,"name":S,"resume":B}
 *       adopts a workload `vigilante run` is starting: pid is its process,
 *       waiting before exec, and fd the number of its seccomp listener in
 *       the requester (`vigilante run` itself); the daemon takes a copy
 *       (pidfd_getfd), moves the process into ROOT/vigilante-run/NAME-PID,
 *       and answers {"cgroup":S}. resume: the same workload again, after a
 *       daemon restart (its cgroup exists). Only the process's parent may ask.
 *   {"cmd":"flag","pid":N,"reason":S}
 *       flags a process as an attacker, as the kernel's score would.
 * Both need root or the control group. */
#include "daemon/daemon.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "act/freeze.h"
#include "act/procfs.h"
#include "common/cleanup.h"
#include "record/json_text.h"

#define MAX_NAME 64

static bool get_int(struct json_object *req, const char *key, int64_t min, int64_t max,
		    int64_t *out)
{
	struct json_object *v;

	if (!json_object_object_get_ex(req, key, &v) || !json_object_is_type(v, json_type_int))
		return false;
	*out = json_object_get_int64(v);
	return *out >= min && *out <= max;
}

/* Workload names become cgroup names: letters, digits, '.', '_', '-'. */
static bool valid_name(const char *name)
{
	size_t len = strlen(name);

	if (len == 0 || len > MAX_NAME || name[0] == '.')
		return false;
	return strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") ==
	       len;
}

static pid_t parent_of(pid_t pid)
{
	struct procfs_stat st;
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	return procfs_read_stat(AT_FDCWD, path, &st) == 0 ? st.ppid : 0;
}

/* The workload's listener, taken from it; -1 with err. */
static int take_listener(pid_t pid, int fd, char *err, size_t errlen)
{
	_cleanup_close_ int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	int listener;

	if (pidfd < 0) {
		snprintf(err, errlen, "process %d: %s", (int)pid, strerror(errno));
		return -1;
	}
	listener = (int)syscall(SYS_pidfd_getfd, pidfd, fd, 0);
	if (listener < 0)
		snprintf(err, errlen, "taking fd %d of process %d: %s", fd, (int)pid,
			 strerror(errno));
	return listener;
}

static int join_cgroup(const char *cgroup, pid_t pid, bool resume, char *err, size_t errlen)
{
	char procs[PATH_MAX], text[32];
	_cleanup_close_ int fd = -1;
	int len = snprintf(text, sizeof(text), "%d\n", (int)pid);

	if (mkdir(cgroup, 0755) && !(resume && errno == EEXIST)) {
		snprintf(err, errlen, "%s: mkdir: %s", cgroup, strerror(errno));
		return -1;
	}
	snprintf(procs, sizeof(procs), "%s/cgroup.procs", cgroup);
	fd = open(procs, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, text, (size_t)len) != len) {
		snprintf(err, errlen, "%s: moving process %d in: %s", procs, (int)pid,
			 strerror(errno));
		rmdir(cgroup);
		return -1;
	}
	return 0;
}

void request_supervise(struct daemon *d, struct control_client *c, struct json_object *req)
{
	struct json_object *name_obj, *resume_obj, *rec, *reply;
	bool resume;
	char err[512], cgroup[PATH_MAX];
	const char *name;
	int64_t pid, fd;
	int listener;

	if (!get_int(req, "pid", 2, INT32_MAX, &pid) || !get_int(req, "fd", 0, INT32_MAX, &fd) ||
	    !json_object_object_get_ex(req, "name", &name_obj) ||
	    !json_object_is_type(name_obj, json_type_string)) {
		control_answer(d, c, NULL, "supervise needs \"pid\", \"fd\" and \"name\"");
		return;
	}
	name = json_object_get_string(name_obj);
	resume = json_object_object_get_ex(req, "resume", &resume_obj) &&
		 json_object_get_boolean(resume_obj);
	if (!valid_name(name)) {
		control_answer(d, c, NULL,
			       "a workload name is 1 to 64 letters, digits, '.', '_' or '-', not "
			       "starting with '.'");
		return;
	}
	if (parent_of((pid_t)pid) != c->pid) {
		control_answer(d, c, NULL,
			       "only the parent of a process may put it under supervision");
		return;
	}
	snprintf(cgroup, sizeof(cgroup), "%s/%s-%d", honeypot_run_root(), name, (int)pid);
	listener = take_listener(c->pid, (int)fd, err, sizeof(err));
	if (listener >= 0 && join_cgroup(cgroup, (pid_t)pid, resume, err, sizeof(err))) {
		close(listener);
		listener = -1;
	}
	/* supervise_add closes the listener if it fails. */
	if (listener < 0 || supervise_add(d->supervisor, listener, err, sizeof(err))) {
		control_answer(d, c, NULL, err);
		return;
	}
	rec = honeypot_record(d, "supervise", (pid_t)pid, 0, 0);
	json_text_add(rec, "name", name, strlen(name));
	json_text_add(rec, "cgroup", cgroup, strlen(cgroup));
	json_object_object_add(rec, "by_uid", json_object_new_int64(c->uid));
	json_object_object_add(rec, "resumed", json_object_new_boolean(resume));
	pipeline_publish(d, rec, WAL_DECOY, VG_SINK_EVENT);
	reply = json_object_new_object();
	json_text_add(reply, "cgroup", cgroup, strlen(cgroup));
	control_answer(d, c, reply, NULL);
}

void honeypot_flag_record(struct daemon *d, pid_t pid, const char *source,
			  struct json_object *evidence)
{
	struct json_object *rec;

	precog_on_flagged(d);
	rec = honeypot_record(d, "flag", pid, 0, 0);
	json_object_object_add(rec, "source", json_object_new_string(source));
	if (evidence)
		json_object_object_add(rec, "evidence", evidence);
	d->alerts_total++;
	pipeline_publish(d, rec, WAL_DECOY, VG_SINK_ALERT);
}

int honeypot_flag(struct daemon *d, pid_t pid, const char *source, struct json_object *evidence,
		  char *err, size_t errlen)
{
	if (pid <= 1 || pid == getpid()) {
		snprintf(err, errlen, "process %d may not be flagged", (int)pid);
		json_object_put(evidence);
		return -1;
	}
	if (sensor_mark_flagged(d->sensor, (uint32_t)pid)) {
		snprintf(err, errlen, "flagging process %d: %s", (int)pid, strerror(errno));
		json_object_put(evidence);
		return -1;
	}
	honeypot_flag_record(d, pid, source, evidence);
	return 0;
}

void request_flag(struct daemon *d, struct control_client *c, struct json_object *req)
{
	struct json_object *reason, *evidence;
	char err[256], path[64];
	int64_t pid;

	if (!get_int(req, "pid", 1, INT32_MAX, &pid)) {
		control_answer(d, c, NULL, "flag needs a \"pid\"");
		return;
	}
	snprintf(path, sizeof(path), "/proc/%d", (int)pid);
	if (access(path, F_OK)) {
		control_answer(d, c, NULL, "no such process");
		return;
	}
	evidence = json_object_new_object();
	json_object_object_add(evidence, "by_uid", json_object_new_int64(c->uid));
	json_object_object_add(evidence, "by_pid", json_object_new_int64(c->pid));
	if (json_object_object_get_ex(req, "reason", &reason) &&
	    json_object_is_type(reason, json_type_string))
		json_text_add(evidence, "reason", json_object_get_string(reason),
			      (size_t)json_object_get_string_len(reason));
	if (honeypot_flag(d, (pid_t)pid, "operator", evidence, err, sizeof(err)))
		control_answer(d, c, NULL, err);
	else
		control_answer(d, c, NULL, NULL);
}
