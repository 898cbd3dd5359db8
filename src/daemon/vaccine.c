/* Auto-vaccination in the daemon: a vaccine is the narrowest rule that stops
 * a confirmed attack from happening again (kinds: act/vaccine.h). The kernel
 * makes the first exec-by-content one itself (sensor.bpf.c puts the
 * program's inode in the vaccines map in the syscall that crossed the
 * threshold); here every vaccine is made durable in the forensic log (before
 * it is acknowledged), handed to the gates that enforce it (the fanotify
 * gate for exec by content or argv and file access, the kernel's connect
 * map for connect), and replayed at start before any gate opens. Syscall
 * vaccines are kept and listed here and enforced by the seccomp filters of
 * supervised workloads (act/vaccine_seccomp.h). */
#include "daemon/daemon.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/cleanup.h"
#include "common/file_hash.h"
#include "common/log.h"
#include "record/event_json.h"

static uint64_t to_boot(const struct daemon *d, uint64_t real_ns)
{
	return real_ns > (uint64_t)d->boot_to_real_ns ? real_ns - (uint64_t)d->boot_to_real_ns : 0;
}

int vaccine_hash_program(const char *path, unsigned char sha[32], char *err, size_t errlen)
{
	struct stat st;

	if (path[0] != '/') {
		snprintf(err, errlen, "vaccine: the program '%s' must be an absolute path", path);
		return -1;
	}
	if (exe_sha256(path, NULL, sha, &st)) {
		snprintf(err, errlen, "vaccine: program %s: %s", path, strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "vaccine: program %s is not a regular file", path);
		return -1;
	}
	return 0;
}

/* A connect vaccine covers the program where it was vaccinated against, if
 * that file still holds the content; copies are found by the exec gate as
 * they are exec'd (gate.h). */
static void connect_identity_from_path(struct daemon *d, const struct vg_vaccine *v)
{
	struct vg_connect_vaccine_key key = {.family = v->family, .port = v->port};
	struct vg_vaccine_entry entry = {.expires_ns = to_boot(d, v->expires_real_ns),
					 .vaccine_id = v->id};
	unsigned char sha[VG_SHA256_LEN];
	struct stat st;

	if (exe_sha256(v->path, NULL, sha, &st) || memcmp(sha, v->sha256, sizeof(sha)))
		return; /* gone or changed: only copies found by hashing are covered */
	key.exe = exe_key_of(&st);
	memcpy(key.addr, v->addr, sizeof(key.addr));
	if (sensor_connect_vaccine_put(d->sensor, &key, &entry))
		vg_warn("vaccine %u: connect map: %s", v->id, strerror(errno));
}

void vaccine_push(struct daemon *d)
{
	_cleanup_free_ struct vg_gate_vaccine *list =
	    calloc((size_t)d->vaccines.count + 1, sizeof(*list));
	_cleanup_free_ struct vg_argv_rule *rules = NULL;
	size_t n = 0, argv_count = 0;
	bool argv = false, connect = false;
	char err[512];

	if (!d->sensor)
		return;
	if (!list) {
		vg_err("vaccines: out of memory updating the gates");
		return;
	}
	for (int i = 0; i < d->vaccines.count; i++)
		argv_count += d->vaccines.items[i].kind == VG_VACCINE_ARGV;
	rules = calloc(argv_count + 1, sizeof(*rules));
	if (!rules) {
		vg_err("vaccines: out of memory updating the gates");
		return;
	}
	argv_count = 0;
	for (int i = 0; i < d->vaccines.count; i++) {
		const struct vg_vaccine *v = &d->vaccines.items[i];
		struct vg_gate_vaccine *g = &list[n];

		g->id = v->id;
		g->kind = v->kind;
		g->expires_ns = to_boot(d, v->expires_real_ns);
		memcpy(g->sha256, v->sha256, sizeof(g->sha256));
		switch (v->kind) {
		case VG_VACCINE_ARGV:
			rules[argv_count] = v->argv;
			g->argv_rule = (uint32_t)argv_count++;
			argv = true;
			break;
		case VG_VACCINE_FILE:
			if (!d->gate ||
			    gate_watch_file(d->gate, v->file, &g->file, err, sizeof(err))) {
				if (d->gate)
					vg_warn("vaccine %u not enforced: %s", v->id, err);
				continue;
			}
			break;
		case VG_VACCINE_CONNECT:
			g->connect.family = v->family;
			g->connect.port = v->port;
			memcpy(g->connect.addr, v->addr, sizeof(g->connect.addr));
			connect_identity_from_path(d, v);
			connect = true;
			break;
		default:
			break;
		}
		n++;
	}
	sensor_set_vaccine_kinds(d->sensor, d->policy.vaccination.mode == VG_MODE_ENFORCE,
				 argv && d->policy.vaccination.mode != VG_MODE_OFF,
				 connect && d->policy.vaccination.mode != VG_MODE_OFF);
	if (!d->gate)
		return;
	gate_set_vaccines(d->gate, list, n, rules, argv_count, d->policy.vaccination.mode);
	precog_update_exec_gate(d);
}

/* Appends a vaccine record and waits until it is durable. */
static int record_durably(struct daemon *d, struct json_object *obj)
{
	uint64_t seq = pipeline_publish(d, obj, WAL_VACCINE, VG_SINK_ALERT);

	if (!seq || wal_commit(d->wal)) {
		vg_err("vaccine: the forensic log did not take the record: %s", wal_error(d->wal));
		return -1;
	}
	control_reply_durable(d);
	return 0;
}

int vaccine_add(struct daemon *d, const struct vg_vaccine *proto, uint64_t ttl_s,
		struct json_object *evidence, uint32_t *id_out, char *err, size_t errlen)
{
	struct vg_vaccine *v;
	struct json_object *obj;
	struct timespec real;
	const char *text;

	for (int i = 0; i < d->vaccines.count; i++)
		if (vaccine_same_rule(&d->vaccines.items[i], proto)) {
			*id_out = d->vaccines.items[i].id; /* already vaccinated against */
			json_object_put(evidence);
			return 0;
		}
	if (!vaccine_set_reserve(&d->vaccines)) {
		snprintf(err, errlen, "vaccine: no room for more than %d vaccines in force",
			 d->vaccines.count);
		json_object_put(evidence);
		return -1;
	}
	clock_gettime(CLOCK_REALTIME, &real);
	v = &d->vaccines.items[d->vaccines.count];
	*v = *proto;
	v->id = ++d->vaccines.last_id;
	v->created_real_ns = (uint64_t)real.tv_sec * 1000000000 + (uint64_t)real.tv_nsec;
	v->expires_real_ns = v->created_real_ns + ttl_s * 1000000000;
	v->evidence[0] = '\0';
	if (evidence) {
		text = json_object_to_json_string_ext(evidence, JSON_C_TO_STRING_PLAIN);
		/* Too long to keep in memory: the forensic record holds it whole. */
		snprintf(v->evidence, sizeof(v->evidence), "%s",
			 strlen(text) < sizeof(v->evidence) ? text : "{\"truncated\":true}");
	}
	obj = vaccine_to_json(v);
	json_object_object_add(obj, "type", json_object_new_string("vaccine"));
	json_object_object_add(obj, "op", json_object_new_string("add"));
	if (evidence)
		json_object_object_add(obj, "evidence", evidence);
	if (record_durably(d, obj)) {
		snprintf(err, errlen, "vaccine: not durable, not applied");
		return -1;
	}
	d->vaccines.count++;
	*id_out = v->id;
	vaccine_push(d);
	return 0;
}

int vaccine_from_incident(struct daemon *d, pid_t pid, const struct vg_exe_key *exe,
			  const struct vg_vaccine *rule, const char *origin,
			  struct json_object *evidence, uint32_t *id_out, char *err, size_t errlen)
{
	struct vg_vaccine proto = *rule;
	char exe_link[64];
	struct stat st;
	ssize_t n;
	uint32_t id;

	if (d->policy.vaccination.mode == VG_MODE_OFF) {
		snprintf(err, errlen, "vaccine for process %d: vaccination.mode is off", pid);
		json_object_put(evidence);
		return -1;
	}
	snprintf(exe_link, sizeof(exe_link), "/proc/%d/exe", pid);
	n = readlink(exe_link, proto.path, sizeof(proto.path) - 1);
	proto.path[n > 0 ? n : 0] = '\0';
	if (n <= 0 || exe_sha256(exe_link, exe, proto.sha256, &st)) {
		/* It exec'd another program, or exited, since the incident: the
		 * process table, which follows the events in order, still has the
		 * path of the program it ran then. */
		const struct vg_proc *p =
		    exe ? proctable_find_alive(d->procs, (uint32_t)pid) : NULL;

		if (!p || !p->exe || exe_sha256(p->exe, exe, proto.sha256, &st)) {
			snprintf(err, errlen,
				 "vaccine for process %d: its program cannot be read: %s", pid,
				 errno == ESTALE ? "it runs another program since"
						 : strerror(errno));
			json_object_put(evidence);
			return -1;
		}
		snprintf(proto.path, sizeof(proto.path), "%s", p->exe);
	}
	snprintf(proto.origin, sizeof(proto.origin), "%s", origin);
	if (vaccine_add(d, &proto, d->policy.vaccination.ttl_seconds, evidence, &id, err, errlen))
		return -1;
	if (id_out)
		*id_out = id;
	return 0;
}

int vaccine_revoke(struct daemon *d, uint32_t id, char *err, size_t errlen)
{
	struct json_object *obj;

	for (int i = 0; i < d->vaccines.count; i++) {
		if (d->vaccines.items[i].id != id)
			continue;
		obj = json_object_new_object();
		json_object_object_add(obj, "type", json_object_new_string("vaccine"));
		json_object_object_add(obj, "op", json_object_new_string("revoke"));
		json_object_object_add(obj, "id", json_object_new_int64(id));
		if (record_durably(d, obj)) {
			snprintf(err, errlen, "vaccine %u: the revocation is not durable", id);
			return -1;
		}
		vaccine_set_remove_at(&d->vaccines, i);
		sensor_vaccines_remove(d->sensor, id, 0);
		vaccine_push(d);
		return 0;
	}
	snprintf(err, errlen, "no vaccine %u in force (see vigilante vaccine list)", id);
	return -1;
}

void vaccine_on_crossing(struct daemon *d, const struct vg_score_event *ev)
{
	const struct vg_proc *p = proctable_find(d->procs, ev->hdr.tgid, ev->hdr.start_ns);
	struct vg_vaccine proto = {.kind = VG_VACCINE_EXEC, .origin = "score"};
	struct vg_vaccine_entry entry;
	struct json_object *evidence;
	char proc_exe[64], err[512];
	struct stat st;
	uint32_t id;

	snprintf(proto.path, sizeof(proto.path), "%s", p && p->exe ? p->exe : "");
	/* /proc/PID/exe while the process lives; its path if it is gone. */
	snprintf(proc_exe, sizeof(proc_exe), "/proc/%u/exe", ev->hdr.tgid);
	if (exe_sha256(proc_exe, &ev->exe, proto.sha256, &st) &&
	    (!proto.path[0] || exe_sha256(proto.path, &ev->exe, proto.sha256, &st))) {
		vg_warn("vaccine for process %u: its program can no longer be read; the kernel's "
			"vaccine by inode stays until it expires",
			ev->hdr.tgid);
		return;
	}
	evidence = json_object_new_object();
	json_object_object_add(evidence, "pid", json_object_new_int64(ev->hdr.tgid));
	json_object_object_add(evidence, "score", json_object_new_int64(ev->verdict.score));
	json_object_object_add(evidence, "reason", model_reason_json(&ev->verdict.reason));
	if (vaccine_add(d, &proto, d->policy.vaccination.ttl_seconds, evidence, &id, err,
			sizeof(err))) {
		vg_err("%s", err);
		return;
	}
	/* Bind the kernel's entry to the recorded vaccine and the file's state. */
	if (sensor_vaccine_get(d->sensor, &ev->exe, &entry) == 0) {
		entry.vaccine_id = id;
		entry.ctime_ns =
		    (uint64_t)st.st_ctim.tv_sec * 1000000000 + (uint64_t)st.st_ctim.tv_nsec;
		sensor_vaccine_put(d->sensor, &ev->exe, &entry);
	}
}

void vaccine_on_exec(struct daemon *d, const struct vg_exec_event *ev)
{
	struct json_object *obj;

	if (!(ev->flags & VG_EXEC_ARGV_REWRITTEN))
		return;
	obj = event_to_json(ev, d->procs, d->boot_to_real_ns);
	json_object_object_add(obj, "type", json_object_new_string("decision"));
	json_object_object_add(obj, "what", json_object_new_string("exec"));
	json_object_object_add(obj, "reason", json_object_new_string("argv_rewritten"));
	/* The kernel killed it before its first instruction when enforcing. */
	json_object_object_add(
	    obj, "refused", json_object_new_boolean(d->policy.vaccination.mode == VG_MODE_ENFORCE));
	json_object_object_add(
	    obj, "mode", json_object_new_string(policy_mode_name(d->policy.vaccination.mode)));
	pipeline_publish(d, obj, WAL_DECISION, VG_SINK_ALERT);
}

void vaccine_replay(struct daemon *d)
{
	char err[512];
	uint64_t now_real = clock_boot_ns() + (uint64_t)d->boot_to_real_ns;

	if (vaccine_set_replay(&d->vaccines, d->policy.wal.dir, err, sizeof(err)))
		vg_warn("vaccines: replaying the forensic log: %s", err);
	vaccine_expire(d, now_real);
	if (d->vaccines.count)
		vg_info("vaccines: %d in force from the forensic log", d->vaccines.count);
}

void vaccine_expire(struct daemon *d, uint64_t now_real_ns)
{
	int before = d->vaccines.count;

	for (int i = 0; i < d->vaccines.count;)
		if (d->vaccines.items[i].expires_real_ns <= now_real_ns)
			vaccine_set_remove_at(&d->vaccines, i);
		else
			i++;
	if (d->sensor)
		sensor_vaccines_remove(d->sensor, 0, clock_boot_ns());
	if (before != d->vaccines.count)
		vaccine_push(d);
}
