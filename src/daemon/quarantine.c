/* Quarantine in the daemon. The kernel has already stopped the process in
 * the syscall that crossed the threshold (sensor.bpf.c); here its tree goes
 * into a frozen cgroup of its own, each process is snapshotted (ELF core
 * and meta.json) and scanned (YARA), and the policy's action is applied.
 * Every step is a forensic record. The frozen cgroups outlive the daemon:
 * on start it takes back the quarantines it finds there. */
#include "daemon/daemon.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "act/freeze.h"
#include "act/snapshot.h"
#include "act/yara_scan.h"
#include "common/clock.h"
#include "common/file_hash.h"
#include "common/log.h"
#include "record/event_json.h"
#include "record/json_text.h"

#define FREEZE_TIMEOUT_MS 2000
#define YARA_TIMEOUT_S	  10
#define YARA_MAX_MATCHES  32

static const char *state_name(enum quarantine_state state)
{
	static const char *const names[] = {
	    [Q_FROZEN] = "frozen", [Q_RELEASED] = "released", [Q_KILLED] = "killed"};
	return names[state];
}

struct json_object *quarantine_json(const struct quarantine *q)
{
	struct json_object *obj = json_object_new_object();

	json_object_object_add(obj, "id", json_object_new_string(q->id));
	json_object_object_add(obj, "pid", json_object_new_int64(q->pid));
	json_object_object_add(obj, "state", json_object_new_string(state_name(q->state)));
	json_object_object_add(obj, "cause", json_object_new_string(q->cause));
	json_object_object_add(obj, "score", json_object_new_int64(q->score));
	json_text_add(obj, "cgroup", q->cgroup, strlen(q->cgroup));
	json_text_add(obj, "snapshots", q->snapshot_dir, strlen(q->snapshot_dir));
	json_object_object_add(obj, "processes", json_object_new_int(q->processes));
	json_object_object_add(obj, "yara_matches", json_object_new_int(q->yara_matches));
	return obj;
}

static void record(struct daemon *d, const struct quarantine *q, const char *step,
		   struct json_object *extra)
{
	struct json_object *obj = quarantine_json(q);

	json_object_object_add(obj, "type", json_object_new_string("quarantine"));
	json_object_object_add(obj, "step", json_object_new_string(step));
	event_json_add_time(obj, clock_boot_ns(), d->boot_to_real_ns);
	if (extra) {
		json_object_object_foreach(extra, key, value)
		{
			json_object_object_add(obj, key, json_object_get(value));
		}
		json_object_put(extra);
	}
	pipeline_publish(d, obj, WAL_QUARANTINE, VG_SINK_ALERT);
}

struct quarantine *quarantine_find(struct daemon *d, const char *id)
{
	for (int i = 0; i < d->quarantine_count; i++)
		if (!strcmp(d->quarantines[i].id, id))
			return &d->quarantines[i];
	return NULL;
}

static struct quarantine *find_pid(struct daemon *d, pid_t pid)
{
	for (int i = 0; i < d->quarantine_count; i++)
		if (d->quarantines[i].pid == pid && d->quarantines[i].state == Q_FROZEN)
			return &d->quarantines[i];
	return NULL;
}

void snapshot_result_json(struct json_object *obj, const struct vg_snapshot_result *res)
{
	char hex[2 * VG_SHA256_LEN + 1];

	json_text_add(obj, "dir", res->dir, strlen(res->dir));
	sha256_hex(res->core_sha256, hex);
	json_object_object_add(obj, "core_sha256", json_object_new_string(hex));
	sha256_hex(res->meta_sha256, hex);
	json_object_object_add(obj, "meta_sha256", json_object_new_string(hex));
	json_object_object_add(obj, "memory_bytes", json_object_new_uint64(res->memory_bytes));
	json_object_object_add(obj, "memory_capped", json_object_new_boolean(res->memory_capped));
	json_object_object_add(obj, "seconds", json_object_new_double(res->seconds));
}

static struct json_object *scan(struct daemon *d, struct quarantine *q, const char *path)
{
	struct vg_yara_match matches[YARA_MAX_MATCHES];
	struct json_object *list = json_object_new_array();
	char err[512];
	int n;

	if (!d->yara && yara_load(d->policy.quarantine.rules, &d->yara, err, sizeof(err))) {
		vg_err("quarantine %s: YARA rules: %s", q->id, err);
		return list;
	}
	n = yara_scan_file(d->yara, path, YARA_TIMEOUT_S, matches, YARA_MAX_MATCHES, err,
			   sizeof(err));
	if (n < 0) {
		vg_warn("quarantine %s: scanning %s: %s", q->id, path, err);
		return list;
	}
	for (int i = 0; i < n && i < YARA_MAX_MATCHES; i++) {
		struct json_object *m = json_object_new_object();

		json_object_object_add(m, "rule", json_object_new_string(matches[i].rule));
		json_object_object_add(m, "namespace", json_object_new_string(matches[i].ns));
		json_object_object_add(m, "tags", json_object_new_string(matches[i].tags));
		json_object_object_add(m, "description",
				       json_object_new_string(matches[i].meta_description));
		json_object_object_add(m, "offset", json_object_new_uint64(matches[i].offset));
		json_object_object_add(m, "excerpt", json_object_new_string(matches[i].excerpt));
		json_text_add(m, "file", path, strlen(path));
		json_object_array_add(list, m);
	}
	q->yara_matches += n;
	return list;
}

/* Snapshots and scans every process of a frozen quarantine. */
static void snapshot_all(struct daemon *d, struct quarantine *q, const pid_t *pids, int n)
{
	struct vg_snapshot_options opts = {.memory_cap_bytes =
					       (size_t)d->policy.quarantine.memory_cap_mb << 20};
	struct json_object *snaps = json_object_new_array(), *yara = json_object_new_array();
	struct json_object *extra = json_object_new_object();

	for (int i = 0; i < n; i++) {
		struct vg_snapshot_result res;
		char id[32], err[512], core[PATH_MAX + 8], exe[64];
		struct json_object *s = json_object_new_object(), *found;

		snprintf(id, sizeof(id), "%d", pids[i]);
		json_object_object_add(s, "pid", json_object_new_int64(pids[i]));
		if (snapshot_process(pids[i], q->snapshot_dir, id, &opts, &res, err, sizeof(err))) {
			json_object_object_add(s, "error", json_object_new_string(err));
			json_object_array_add(snaps, s);
			continue;
		}
		snapshot_result_json(s, &res);
		json_object_array_add(snaps, s);
		snprintf(core, sizeof(core), "%s/core", res.dir);
		snprintf(exe, sizeof(exe), "/proc/%d/exe", pids[i]);
		found = scan(d, q, core);
		for (size_t j = 0; j < json_object_array_length(found); j++)
			json_object_array_add(yara,
					      json_object_get(json_object_array_get_idx(found, j)));
		json_object_put(found);
		found = scan(d, q, exe);
		for (size_t j = 0; j < json_object_array_length(found); j++)
			json_object_array_add(yara,
					      json_object_get(json_object_array_get_idx(found, j)));
		json_object_put(found);
	}
	json_object_object_add(extra, "snapshot", snaps);
	json_object_object_add(extra, "yara", yara);
	record(d, q, "snapshotted", extra);
}

static void unmark(struct daemon *d, struct quarantine *q)
{
	pid_t pids[VG_FREEZE_MAX_PIDS];
	int n = cgroup_pids(q->cgroup, pids, VG_FREEZE_MAX_PIDS);

	for (int i = 0; i < n; i++)
		sensor_verdict_clear(d->sensor, (uint32_t)pids[i], VG_QUARANTINED);
	sensor_verdict_clear(d->sensor, (uint32_t)q->pid, VG_QUARANTINED);
	sensor_recount_quarantined(d->sensor);
}

int quarantine_release(struct daemon *d, struct quarantine *q, char *err, size_t errlen)
{
	pid_t pids[VG_FREEZE_MAX_PIDS];
	int n;

	if (q->state != Q_FROZEN) {
		snprintf(err, errlen, "quarantine %s is %s, not frozen", q->id,
			 state_name(q->state));
		return -1;
	}
	n = cgroup_pids(q->cgroup, pids, VG_FREEZE_MAX_PIDS);
	unmark(d, q);
	if (freeze_release(q->cgroup, q->origin, err, errlen))
		return -1;
	/* They stay flagged: the kernel keeps their verdict, minus the mark. */
	for (int i = 0; i < n; i++)
		kill(pids[i], SIGCONT);
	q->state = Q_RELEASED;
	record(d, q, "released", NULL);
	return 0;
}

int quarantine_kill(struct daemon *d, struct quarantine *q, char *err, size_t errlen)
{
	if (q->state != Q_FROZEN) {
		snprintf(err, errlen, "quarantine %s is %s, not frozen", q->id,
			 state_name(q->state));
		return -1;
	}
	/* A kill confirms the attack: vaccinate against its program first,
	 * while the frozen process still shows it in /proc/PID/exe. */
	if (d->policy.vaccination.mode != VG_MODE_OFF) {
		static const struct vg_vaccine exec_rule = {.kind = VG_VACCINE_EXEC};
		struct json_object *evidence = json_object_new_object();
		char why[512];
		uint32_t id;

		json_object_object_add(evidence, "quarantine", json_object_new_string(q->id));
		json_object_object_add(evidence, "pid", json_object_new_int64(q->pid));
		if (vaccine_from_incident(d, q->pid, NULL, &exec_rule, "quarantine", evidence, &id,
					  why, sizeof(why)))
			vg_warn("quarantine %s: no vaccine: %s", q->id, why);
	}
	if (freeze_kill(q->cgroup, FREEZE_TIMEOUT_MS, err, errlen))
		return -1;
	sensor_recount_quarantined(d->sensor);
	q->state = Q_KILLED;
	record(d, q, "killed", NULL);
	return 0;
}

static struct quarantine *add(struct daemon *d, pid_t pid, const char *cause, const char *id)
{
	struct quarantine *q;

	if (d->quarantine_count == MAX_QUARANTINES) {
		/* Forget the oldest finished one; frozen ones are never dropped. */
		for (int i = 0; i < d->quarantine_count; i++)
			if (d->quarantines[i].state != Q_FROZEN) {
				memmove(&d->quarantines[i], &d->quarantines[i + 1],
					(size_t)(d->quarantine_count - i - 1) * sizeof(*q));
				d->quarantine_count--;
				break;
			}
		if (d->quarantine_count == MAX_QUARANTINES)
			return NULL;
	}
	char name[sizeof(q->id)], dir[PATH_MAX];

	if (id)
		snprintf(name, sizeof(name), "%s", id);
	else
		snprintf(name, sizeof(name), "q-%d-%lld", pid, (long long)time(NULL));
	snprintf(dir, sizeof(dir), "%s/%s", d->policy.quarantine.dir, name);
	q = &d->quarantines[d->quarantine_count++];
	memset(q, 0, sizeof(*q));
	q->pid = pid;
	q->state = Q_FROZEN;
	snprintf(q->cause, sizeof(q->cause), "%s", cause);
	memcpy(q->id, name, sizeof(q->id));
	memcpy(q->snapshot_dir, dir, sizeof(q->snapshot_dir));
	return q;
}

static int make_dirs(const char *path)
{
	char buf[PATH_MAX];

	snprintf(buf, sizeof(buf), "%s", path);
	for (char *p = buf + 1; *p; p++)
		if (*p == '/') {
			*p = '\0';
			if (mkdir(buf, 0700) && errno != EEXIST)
				return -1;
			*p = '/';
		}
	return mkdir(buf, 0700) && errno != EEXIST ? -1 : 0;
}

int quarantine_begin(struct daemon *d, pid_t pid, uint32_t score, const char *cause,
		     uint64_t detected_ns, char *err, size_t errlen)
{
	pid_t pids[VG_FREEZE_MAX_PIDS];
	struct quarantine *q;
	struct json_object *extra, *list;
	int n;

	if (find_pid(d, pid)) {
		snprintf(err, errlen, "process %d is already quarantined", pid);
		return -1;
	}
	q = add(d, pid, cause, NULL);
	if (!q) {
		snprintf(err, errlen, "too many quarantines held (%d): release or kill some",
			 MAX_QUARANTINES);
		return -1;
	}
	q->score = score;
	if (cgroup_of(pid, q->origin) || freeze_create(q->id, q->cgroup, err, errlen)) {
		if (!err[0])
			snprintf(err, errlen, "process %d: %s", pid, strerror(errno));
		d->quarantine_count--;
		return -1;
	}
	n = freeze_tree(q->cgroup, pid, pids, VG_FREEZE_MAX_PIDS, FREEZE_TIMEOUT_MS, err, errlen);
	if (n <= 0) {
		if (n == 0)
			snprintf(err, errlen, "process %d exited before it could be frozen", pid);
		rmdir(q->cgroup);
		d->quarantine_count--;
		return -1;
	}
	q->processes = n;
	extra = json_object_new_object();
	list = json_object_new_array();
	for (int i = 0; i < n; i++)
		json_object_array_add(list, json_object_new_int64(pids[i]));
	json_object_object_add(extra, "pids", list);
	json_object_object_add(
	    extra, "detect_to_frozen_us",
	    json_object_new_double(detected_ns ? (double)(clock_boot_ns() - detected_ns) / 1000
					       : 0));
	record(d, q, "frozen", extra);
	if (make_dirs(q->snapshot_dir))
		vg_err("quarantine %s: creating %s: %s", q->id, q->snapshot_dir, strerror(errno));
	else
		snapshot_all(d, q, pids, n);
	if (d->policy.quarantine.action == VG_QUARANTINE_KILL)
		return quarantine_kill(d, q, err, errlen);
	if (d->policy.quarantine.action == VG_QUARANTINE_RELEASE)
		return quarantine_release(d, q, err, errlen);
	return 0;
}

void quarantine_on_crossing(struct daemon *d, const struct vg_score_event *ev)
{
	char err[512] = "";

	if (d->policy.quarantine.mode != VG_MODE_ENFORCE)
		return; /* monitor: the crossing itself is the record */
	if (quarantine_begin(d, (pid_t)ev->hdr.tgid, ev->verdict.score, "score", ev->hdr.ts_ns, err,
			     sizeof(err)))
		vg_err("quarantine of process %u: %s", ev->hdr.tgid, err);
}

/* Quarantines left frozen by an earlier run are taken back, and the kernel
 * marks them again. Only this daemon's own: those whose snapshot directory
 * is in its quarantine.dir (another instance, with another policy, keeps
 * its own). */
void quarantine_recover(struct daemon *d)
{
	char parent[PATH_MAX];
	struct dirent *ent;
	DIR *dir;

	snprintf(parent, sizeof(parent), "%s/vigilante-quarantine", cgroup2_root());
	dir = opendir(parent);
	if (!dir)
		return;
	while ((ent = readdir(dir))) {
		pid_t pids[VG_FREEZE_MAX_PIDS];
		struct quarantine *q;
		int n;

		char snapshots[PATH_MAX];
		struct stat st;

		if (ent->d_name[0] == '.' || ent->d_type != DT_DIR)
			continue;
		snprintf(snapshots, sizeof(snapshots), "%s/%s", d->policy.quarantine.dir,
			 ent->d_name);
		if (stat(snapshots, &st) || !S_ISDIR(st.st_mode))
			continue;
		q = add(d, 0, "recovered", ent->d_name);
		if (!q)
			break;
		snprintf(q->cgroup, sizeof(q->cgroup), "%s/%s", parent, ent->d_name);
		snprintf(q->origin, sizeof(q->origin), "%s", cgroup2_root());
		n = cgroup_pids(q->cgroup, pids, VG_FREEZE_MAX_PIDS);
		if (n <= 0) {
			rmdir(q->cgroup);
			d->quarantine_count--;
			continue;
		}
		q->pid = pids[0];
		q->processes = n;
		for (int i = 0; i < n; i++)
			sensor_mark_quarantined(d->sensor, (uint32_t)pids[i], 0);
		vg_info("quarantine %s recovered: %d processes still frozen", q->id, n);
		record(d, q, "recovered", NULL);
	}
	closedir(dir);
}
