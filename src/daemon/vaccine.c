/* Auto-vaccination in the daemon: a vaccine is the narrowest rule that stops
 * a confirmed attack from happening again. This file handles the kind "exec
 * by content": the SHA-256 of a program, refused at the exec gate for a TTL
 * whatever its name, path or link. The kernel makes the first one itself
 * (sensor.bpf.c puts the program's inode in the vaccines map in the syscall
 * that crossed the threshold); here it is made durable in the forensic log
 * (before it is acknowledged), bound to the program's content, and replayed
 * at start before any exec is gated. */
#include "daemon/daemon.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/file_hash.h"
#include "common/log.h"
#include "record/event_json.h"
#include "record/json_text.h"

static uint64_t now_boot(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000 + (uint64_t)ts.tv_nsec;
}

static uint64_t to_boot(const struct daemon *d, uint64_t real_ns)
{
	return real_ns > (uint64_t)d->boot_to_real_ns ? real_ns - (uint64_t)d->boot_to_real_ns : 0;
}

/* The gate's copy of the vaccines in force. */
/* Room for one more vaccine; false when full or out of memory. */
static bool reserve_one(struct daemon *d)
{
	struct vaccine *grown;
	int cap;

	if (d->vaccine_count < d->vaccine_cap)
		return true;
	if (d->vaccine_cap >= MAX_VACCINES)
		return false;
	cap = d->vaccine_cap ? 2 * d->vaccine_cap : 64;
	grown = realloc(d->vaccines, (size_t)cap * sizeof(*grown));
	if (!grown)
		return false;
	d->vaccines = grown;
	d->vaccine_cap = cap;
	return true;
}

void vaccine_push(struct daemon *d)
{
	struct vg_gate_vaccine *list;
	size_t n = 0;

	if (!d->gate)
		return;
	list = malloc(((size_t)d->vaccine_count + 1) * sizeof(*list));
	if (!list) {
		vg_err("vaccines: out of memory updating the gate");
		return;
	}
	for (int i = 0; i < d->vaccine_count; i++) {
		memcpy(list[n].sha256, d->vaccines[i].sha256, VG_SHA256_LEN);
		list[n].id = d->vaccines[i].id;
		list[n].expires_ns = to_boot(d, d->vaccines[i].expires_real_ns);
		n++;
	}
	gate_set_vaccines(d->gate, list, n, d->policy.vaccination.mode);
	free(list);
	precog_update_exec_gate(d);
}

struct json_object *vaccine_json(const struct vaccine *v)
{
	struct json_object *obj = json_object_new_object();
	char hex[2 * VG_SHA256_LEN + 1], when[48];

	json_object_object_add(obj, "id", json_object_new_int64(v->id));
	json_object_object_add(obj, "kind", json_object_new_string("exec_sha256"));
	sha256_hex(v->sha256, hex);
	json_object_object_add(obj, "sha256", json_object_new_string(hex));
	json_text_add(obj, "path", v->path, strlen(v->path));
	json_object_object_add(obj, "origin", json_object_new_string(v->origin));
	json_object_object_add(obj, "created_ns", json_object_new_uint64(v->created_real_ns));
	json_object_object_add(obj, "expires_ns", json_object_new_uint64(v->expires_real_ns));
	format_time_ns(v->expires_real_ns, when, sizeof(when));
	json_object_object_add(obj, "expires", json_object_new_string(when));
	return obj;
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

int vaccine_add(struct daemon *d, const unsigned char sha256[VG_SHA256_LEN], const char *path,
		uint64_t ttl_s, const char *origin, struct json_object *evidence, uint32_t *id_out,
		char *err, size_t errlen)
{
	struct vaccine *v;
	struct json_object *obj;
	struct timespec real;

	for (int i = 0; i < d->vaccine_count; i++)
		if (!memcmp(d->vaccines[i].sha256, sha256, VG_SHA256_LEN)) {
			*id_out = d->vaccines[i].id; /* already vaccinated against */
			json_object_put(evidence);
			return 0;
		}
	if (!reserve_one(d)) {
		snprintf(err, errlen, "vaccine: no room for more than %d vaccines in force",
			 d->vaccine_count);
		json_object_put(evidence);
		return -1;
	}
	clock_gettime(CLOCK_REALTIME, &real);
	v = &d->vaccines[d->vaccine_count];
	memset(v, 0, sizeof(*v));
	v->id = ++d->vaccine_last_id;
	memcpy(v->sha256, sha256, VG_SHA256_LEN);
	snprintf(v->path, sizeof(v->path), "%s", path);
	snprintf(v->origin, sizeof(v->origin), "%s", origin);
	v->created_real_ns = (uint64_t)real.tv_sec * 1000000000 + (uint64_t)real.tv_nsec;
	v->expires_real_ns = v->created_real_ns + ttl_s * 1000000000;
	obj = vaccine_json(v);
	json_object_object_add(obj, "type", json_object_new_string("vaccine"));
	json_object_object_add(obj, "op", json_object_new_string("add"));
	if (evidence)
		json_object_object_add(obj, "evidence", evidence);
	if (record_durably(d, obj)) {
		snprintf(err, errlen, "vaccine: not durable, not applied");
		return -1;
	}
	d->vaccine_count++;
	*id_out = v->id;
	vaccine_push(d);
	return 0;
}

int vaccine_revoke(struct daemon *d, uint32_t id, char *err, size_t errlen)
{
	struct json_object *obj;

	for (int i = 0; i < d->vaccine_count; i++) {
		if (d->vaccines[i].id != id)
			continue;
		obj = json_object_new_object();
		json_object_object_add(obj, "type", json_object_new_string("vaccine"));
		json_object_object_add(obj, "op", json_object_new_string("revoke"));
		json_object_object_add(obj, "id", json_object_new_int64(id));
		if (record_durably(d, obj)) {
			snprintf(err, errlen, "vaccine %u: the revocation is not durable", id);
			return -1;
		}
		d->vaccines[i] = d->vaccines[--d->vaccine_count];
		sensor_vaccines_remove(d->sensor, id, 0);
		vaccine_push(d);
		return 0;
	}
	snprintf(err, errlen, "no vaccine %u in force (see vigilante vaccine list)", id);
	return -1;
}

/* The program's content, read through an fd whose identity is checked. */
static int hash_program(const char *path, const struct vg_exe_key *key,
			unsigned char sha[VG_SHA256_LEN], uint64_t *ctime_ns)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;

	if (fd < 0 || fstat(fd, &st))
		return -1;
	if (key &&
	    (st.st_ino != key->ino || ((major(st.st_dev) << 20) | minor(st.st_dev)) != key->dev)) {
		errno = ESTALE;
		return -1;
	}
	*ctime_ns = (uint64_t)st.st_ctim.tv_sec * 1000000000 + (uint64_t)st.st_ctim.tv_nsec;
	return sha256_fd(fd, sha);
}

int vaccine_add_file(struct daemon *d, const char *path, uint64_t ttl_s, uint32_t *id_out,
		     char *err, size_t errlen)
{
	unsigned char sha[VG_SHA256_LEN];
	uint64_t ctime_ns;

	if (hash_program(path, NULL, sha, &ctime_ns)) {
		snprintf(err, errlen, "vaccine: %s: %s", path, strerror(errno));
		return -1;
	}
	return vaccine_add(d, sha, path, ttl_s, "operator", NULL, id_out, err, errlen);
}

void vaccine_on_crossing(struct daemon *d, const struct vg_score_event *ev)
{
	const struct vg_proc *p = proctable_find(d->procs, ev->hdr.tgid, ev->hdr.start_ns);
	unsigned char sha[VG_SHA256_LEN];
	struct vg_vaccine_entry entry;
	struct json_object *evidence;
	char proc_exe[64], err[512];
	const char *path = p && p->exe ? p->exe : "";
	uint64_t ctime_ns;
	uint32_t id;

	/* /proc/PID/exe while the process lives; its path if it is gone. */
	snprintf(proc_exe, sizeof(proc_exe), "/proc/%u/exe", ev->hdr.tgid);
	if (hash_program(proc_exe, &ev->exe, sha, &ctime_ns) &&
	    (!*path || hash_program(path, &ev->exe, sha, &ctime_ns))) {
		vg_warn("vaccine for process %u: its program can no longer be read; the kernel's "
			"vaccine by inode stays until it expires",
			ev->hdr.tgid);
		return;
	}
	evidence = json_object_new_object();
	json_object_object_add(evidence, "pid", json_object_new_int64(ev->hdr.tgid));
	json_object_object_add(evidence, "score", json_object_new_int64(ev->verdict.score));
	json_object_object_add(evidence, "reason", model_reason_json(&ev->verdict.reason));
	if (vaccine_add(d, sha, path, d->policy.vaccination.ttl_seconds, "score", evidence, &id,
			err, sizeof(err))) {
		vg_err("%s", err);
		return;
	}
	/* Bind the kernel's entry to the recorded vaccine and the file's state. */
	if (sensor_vaccine_get(d->sensor, &ev->exe, &entry) == 0) {
		entry.vaccine_id = id;
		entry.ctime_ns = ctime_ns;
		sensor_vaccine_put(d->sensor, &ev->exe, &entry);
	}
}

static int replay_one(const struct wal_record *rec, void *ctx)
{
	struct daemon *d = ctx;
	struct json_object *obj, *v;
	const char *op, *hex;
	struct vaccine *vac;

	if (rec->type != WAL_VACCINE)
		return 0;
	obj = json_tokener_parse((const char *)rec->payload);
	if (!obj)
		return 0;
	op = json_object_object_get_ex(obj, "op", &v) ? json_object_get_string(v) : "";
	if (!strcmp(op, "revoke") && json_object_object_get_ex(obj, "id", &v)) {
		for (int i = 0; i < d->vaccine_count; i++)
			if (d->vaccines[i].id == (uint32_t)json_object_get_int64(v))
				d->vaccines[i] = d->vaccines[--d->vaccine_count];
	} else if (!strcmp(op, "add") && reserve_one(d) &&
		   json_object_object_get_ex(obj, "sha256", &v) &&
		   strlen(hex = json_object_get_string(v)) == 2 * VG_SHA256_LEN) {
		vac = &d->vaccines[d->vaccine_count];
		memset(vac, 0, sizeof(*vac));
		for (int i = 0; i < VG_SHA256_LEN; i++)
			sscanf(hex + 2 * i, "%2hhx", &vac->sha256[i]);
		vac->id = json_object_object_get_ex(obj, "id", &v)
			      ? (uint32_t)json_object_get_int64(v)
			      : 0;
		vac->created_real_ns = json_object_object_get_ex(obj, "created_ns", &v)
					   ? (uint64_t)json_object_get_uint64(v)
					   : 0;
		vac->expires_real_ns = json_object_object_get_ex(obj, "expires_ns", &v)
					   ? (uint64_t)json_object_get_uint64(v)
					   : 0;
		snprintf(vac->path, sizeof(vac->path), "%s",
			 json_object_object_get_ex(obj, "path", &v) ? json_object_get_string(v)
								    : "");
		snprintf(vac->origin, sizeof(vac->origin), "%s",
			 json_object_object_get_ex(obj, "origin", &v) ? json_object_get_string(v)
								      : "");
		if (vac->id > d->vaccine_last_id)
			d->vaccine_last_id = vac->id;
		d->vaccine_count++;
	}
	json_object_put(obj);
	return 0;
}

void vaccine_replay(struct daemon *d)
{
	struct wal_verify_result res;
	char err[512];
	uint64_t now_real = now_boot() + (uint64_t)d->boot_to_real_ns;

	if (wal_read(d->policy.wal.dir, replay_one, d, &res, err, sizeof(err)))
		vg_warn("vaccines: reading the forensic log: %s", err);
	vaccine_expire(d, now_real);
	if (d->vaccine_count)
		vg_info("vaccines: %d in force from the forensic log", d->vaccine_count);
}

void vaccine_expire(struct daemon *d, uint64_t now_real_ns)
{
	int before = d->vaccine_count;

	for (int i = 0; i < d->vaccine_count;)
		if (d->vaccines[i].expires_real_ns <= now_real_ns)
			d->vaccines[i] = d->vaccines[--d->vaccine_count];
		else
			i++;
	if (d->sensor)
		sensor_vaccines_remove(d->sensor, 0, now_boot());
	if (before != d->vaccine_count)
		vaccine_push(d);
}
