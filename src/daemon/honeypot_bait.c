/* Bait for every process on the host, whatever the scope: honeytokens
 * (act/honeytoken.c) and decoy services (act/decoy_service.c). Their threads
 * flag the process that took the bait in the kernel themselves, before it
 * gets an answer; here the main loop turns their reports into forensic
 * records: a "honeytoken" or "service_session" honeypot record, and the
 * "flag" record.
 *
 * Both run while the honeypot is on, in monitor mode as in enforce mode:
 * a flag enforces nothing by itself, and monitor mode is about what a
 * flagged process is served (the real files, under `vigilante run`), not
 * about whether it is flagged. Planted honeytokens are left in place when
 * the honeypot is turned off. */
#include "daemon/daemon.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/log.h"
#include "record/json_text.h"

#define MAX_HONEYTOKENS (VG_DECOY_KINDS * VG_POLICY_MAX_PATHS)

static void stop_honeytokens(struct daemon *d)
{
	if (!d->honeytokens)
		return;
	honeytoken_stop(d->honeytokens);
	honeypot_on_honeytoken(d); /* what was reported before the stop */
	honeytoken_free(d->honeytokens);
	d->honeytokens = NULL;
	d->honeytoken_report_fd = -1;
}

static void stop_decoy_services(struct daemon *d)
{
	if (!d->decoy_services)
		return;
	decoy_services_stop(d->decoy_services); /* reports the sessions it ends */
	honeypot_on_decoy_service(d);
	decoy_services_free(d->decoy_services);
	d->decoy_services = NULL;
	d->decoy_service_report_fd = -1;
}

/* Plants p's honeytokens where missing and watches them all. */
static int apply_honeytokens(struct daemon *d, const struct vg_policy *p, char *err, size_t errlen)
{
	struct vg_honeytoken tokens[MAX_HONEYTOKENS];
	size_t count = 0;

	for (unsigned k = 0; k < VG_DECOY_KINDS; k++)
		for (unsigned i = 0; i < p->honeypot.honeytokens[k].count; i++) {
			const char *path = p->honeypot.honeytokens[k].paths[i];
			int planted = decoy_plant(p->honeypot.decoy_dir, (enum vg_decoy_kind)k,
						  path, &honeypot_host_sources, err, errlen);

			if (planted < 0)
				return -1;
			if (planted)
				vg_info("honeytoken planted: %s (%s)", path,
					policy_decoy_kind_name((enum vg_decoy_kind)k));
			tokens[count++] = (struct vg_honeytoken){(enum vg_decoy_kind)k, path};
		}
	if (!count) {
		stop_honeytokens(d);
		return 0;
	}
	if (!d->honeytokens) {
		if (honeytoken_start(d->sensor, getpid(), p->precognition.gate_deadline_ms,
				     &d->honeytokens, &d->honeytoken_report_fd, err, errlen))
			return -1;
		if (daemon_add_fd(d, d->honeytoken_report_fd, TAG_HONEYTOKEN)) {
			snprintf(err, errlen, "honeytokens: watching their reports: %s",
				 strerror(errno));
			stop_honeytokens(d);
			return -1;
		}
	} else {
		honeytoken_set_deadline(d->honeytokens, p->precognition.gate_deadline_ms);
	}
	return honeytoken_watch(d->honeytokens, tokens, count, err, errlen);
}

static int apply_decoy_services(struct daemon *d, const struct vg_policy *p, char *err,
				size_t errlen)
{
	bool any = false;

	for (unsigned k = 0; k < VG_SERVICE_KINDS; k++)
		any |= p->honeypot.services[k].count > 0;
	if (d->decoy_services && decoy_services_serve(d->decoy_services, p->honeypot.services))
		return 0;
	stop_decoy_services(d);
	if (!any)
		return 0;
	if (decoy_services_start(d->sensor, getpid(), p->honeypot.services, &d->decoy_services,
				 &d->decoy_service_report_fd, err, errlen))
		return -1;
	if (daemon_add_fd(d, d->decoy_service_report_fd, TAG_DECOY_SERVICE)) {
		snprintf(err, errlen, "decoy services: watching their reports: %s",
			 strerror(errno));
		stop_decoy_services(d);
		return -1;
	}
	return 0;
}

/* The connect program flags whoever connects to these ports. */
static int apply_decoy_ports(struct daemon *d, const struct vg_policy *p, char *err, size_t errlen)
{
	uint16_t ports[VG_SERVICE_KINDS * VG_POLICY_MAX_PORTS];
	size_t count = 0;

	for (unsigned k = 0; k < VG_SERVICE_KINDS && p->honeypot.mode != VG_MODE_OFF; k++)
		for (unsigned i = 0; i < p->honeypot.services[k].count; i++)
			ports[count++] = p->honeypot.services[k].ports[i];
	if (sensor_set_decoy_ports(d->sensor, ports, count)) {
		snprintf(err, errlen, "decoy services: giving the ports to the connect program: %s",
			 strerror(errno));
		return -1;
	}
	return 0;
}

int honeypot_bait_apply(struct daemon *d, const struct vg_policy *p, char *err, size_t errlen)
{
	if (apply_decoy_ports(d, p, err, errlen))
		return -1;
	if (p->honeypot.mode == VG_MODE_OFF) {
		honeypot_bait_stop(d);
		return 0;
	}
	return apply_honeytokens(d, p, err, errlen) || apply_decoy_services(d, p, err, errlen);
}

void honeypot_bait_stop(struct daemon *d)
{
	stop_honeytokens(d);
	stop_decoy_services(d);
}

/* A decoy tripped is a confirmed incident: the process is flagged (a record
 * with the evidence), and, when vaccination is on, the narrowest vaccine
 * that would have stopped it is made (this program may not open that
 * honeytoken, or reach that decoy port). Consumes evidence. */
static void tripped(struct daemon *d, pid_t pid, const struct vg_exe_key *exe, const char *source,
		    const struct vg_vaccine *rule, struct json_object *evidence)
{
	struct json_object *copy = NULL;
	char why[512];
	uint32_t id;

	if (d->policy.vaccination.mode != VG_MODE_OFF &&
	    json_object_deep_copy(evidence, &copy, NULL))
		copy = NULL;
	honeypot_flag_record(d, pid, source, evidence);
	if (copy && vaccine_from_incident(d, pid, exe, rule, source, copy, &id, why, sizeof(why)))
		vg_warn("%s tripped by process %d: no vaccine: %s", source, pid, why);
}

static void publish_touch(struct daemon *d, const struct vg_honeytoken_report *r)
{
	struct json_object *obj = honeypot_record(d, "honeytoken", (pid_t)r->tgid, 0, r->ts_ns);
	const char *kind = policy_decoy_kind_name((enum vg_decoy_kind)r->kind);
	const char *access = honeytoken_access_name((enum vg_honeytoken_access)r->access);
	size_t path_len = strnlen(r->path, sizeof(r->path));
	struct vg_vaccine rule = {.kind = VG_VACCINE_FILE};
	struct vg_exe_key exe = {.ino = r->exe_ino, .dev = r->exe_dev};
	struct json_object *evidence;

	json_object_object_add(obj, "tid", json_object_new_int64(r->tid));
	json_text_add(obj, "path", r->path, path_len);
	json_object_object_add(obj, "kind", json_object_new_string(kind));
	json_object_object_add(obj, "access", json_object_new_string(access));
	if (r->syscall >= 0)
		json_object_object_add(obj, "syscall", json_object_new_int(r->syscall));
	json_object_object_add(obj, "flagged", json_object_new_boolean(!r->flag_error));
	if (r->flag_error)
		json_object_object_add(obj, "error",
				       json_object_new_string(strerror(r->flag_error)));
	d->alerts_total++;
	pipeline_publish(d, obj, WAL_DECOY, VG_SINK_ALERT);
	if (r->flag_error) {
		vg_warn("honeytoken %s opened by process %u, which could not be flagged: %s",
			r->path, r->tgid, strerror(r->flag_error));
		return;
	}
	evidence = json_object_new_object();
	json_text_add(evidence, "honeytoken", r->path, path_len);
	json_object_object_add(evidence, "kind", json_object_new_string(kind));
	json_object_object_add(evidence, "access", json_object_new_string(access));
	snprintf(rule.file, sizeof(rule.file), "%s", r->path);
	tripped(d, (pid_t)r->tgid, r->exe_ino ? &exe : NULL, "honeytoken", &rule, evidence);
}

void honeypot_on_honeytoken(struct daemon *d)
{
	struct vg_honeytoken_report r;
	ssize_t n;

	if (d->honeytoken_report_fd < 0)
		return;
	while ((n = recv(d->honeytoken_report_fd, &r, sizeof(r), MSG_DONTWAIT)) == sizeof(r))
		publish_touch(d, &r);
	/* 0: the watcher stopped and everything it sent is read. */
	if (n > 0)
		vg_warn("honeytokens: a short report (%zd bytes)", n);
}

static const char *service_name(const struct vg_decoy_service_report *r)
{
	return policy_service_kind_name((enum vg_service_kind)r->kind);
}

/* Decoy connects the connect program flagged lately: the service's own
 * report of the same connection adds nothing. */
static bool flagged_by_kernel(struct daemon *d, uint32_t tgid, uint16_t port)
{
	for (size_t i = 0; i < sizeof(d->decoy_connects) / sizeof(d->decoy_connects[0]); i++)
		if (d->decoy_connects[i].tgid == tgid && d->decoy_connects[i].port == port)
			return true;
	return false;
}

void honeypot_on_decoy_connect(struct daemon *d, const struct vg_connect_event *ev)
{
	struct vg_vaccine rule = {.kind = VG_VACCINE_CONNECT,
				  .family = AF_INET,
				  .port = ev->port,
				  .addr = {127, 0, 0, 1}};
	struct json_object *evidence = json_object_new_object();
	size_t slot =
	    d->decoy_connects_next++ % (sizeof(d->decoy_connects) / sizeof(d->decoy_connects[0]));
	const char *service = "";

	for (unsigned k = 0; k < VG_SERVICE_KINDS; k++)
		for (unsigned i = 0; i < d->policy.honeypot.services[k].count; i++)
			if (d->policy.honeypot.services[k].ports[i] == ev->port)
				service = policy_service_kind_name((enum vg_service_kind)k);
	d->decoy_connects[slot].tgid = ev->hdr.tgid;
	d->decoy_connects[slot].port = ev->port;
	json_object_object_add(evidence, "service", json_object_new_string(service));
	json_object_object_add(evidence, "port", json_object_new_int(ev->port));
	json_object_object_add(evidence, "via", json_object_new_string("connect program"));
	tripped(d, (pid_t)ev->hdr.tgid, &ev->exe, "decoy_service", &rule, evidence);
}

static void publish_connect(struct daemon *d, const struct vg_decoy_service_report *r)
{
	struct vg_vaccine rule = {
	    .kind = VG_VACCINE_CONNECT, .family = AF_INET, .port = r->port, .addr = {127, 0, 0, 1}};
	struct json_object *evidence;

	if (flagged_by_kernel(d, r->tgid, r->port))
		return;

	if (r->flag_error) {
		vg_warn("a connection to the decoy %s service on port %u (from port %u): its "
			"process could not be flagged: %s",
			service_name(r), r->port, r->peer_port, strerror(r->flag_error));
		return;
	}
	evidence = json_object_new_object();
	json_object_object_add(evidence, "service", json_object_new_string(service_name(r)));
	json_object_object_add(evidence, "port", json_object_new_int(r->port));
	json_object_object_add(evidence, "peer_port", json_object_new_int(r->peer_port));
	json_object_object_add(evidence, "session", json_object_new_int64(r->session));
	tripped(d, (pid_t)r->tgid, NULL, "decoy_service", &rule, evidence);
}

static void publish_session(struct daemon *d, const struct vg_decoy_service_report *r)
{
	struct json_object *obj =
	    honeypot_record(d, "service_session", (pid_t)r->tgid, 0, r->ts_ns);

	if (!r->tgid) {
		/* The client process was not found: no process fields. */
		json_object_object_del(obj, "start_ns");
		json_object_object_add(obj, "pid", NULL);
	}
	json_object_object_add(obj, "service", json_object_new_string(service_name(r)));
	json_object_object_add(obj, "port", json_object_new_int(r->port));
	json_object_object_add(obj, "peer_port", json_object_new_int(r->peer_port));
	json_object_object_add(obj, "session", json_object_new_int64(r->session));
	if (r->uid != UINT32_MAX)
		json_object_object_add(obj, "socket_uid", json_object_new_int64(r->uid));
	json_object_object_add(obj, "flagged", json_object_new_boolean(!r->flag_error));
	if (r->flag_error)
		json_object_object_add(obj, "error",
				       json_object_new_string(strerror(r->flag_error)));
	json_object_object_add(obj, "duration_ns", json_object_new_uint64(r->duration_ns));
	json_object_object_add(obj, "bytes_received", json_object_new_uint64(r->bytes_received));
	json_object_object_add(obj, "bytes_sent", json_object_new_uint64(r->bytes_sent));
	json_text_add(obj, "received", r->captured, r->captured_len);
	json_object_object_add(obj, "received_truncated",
			       json_object_new_boolean(r->bytes_received > r->captured_len));
	json_object_object_add(
	    obj, "end",
	    json_object_new_string(decoy_service_end_name((enum vg_decoy_service_end)r->end)));
	d->alerts_total++;
	pipeline_publish(d, obj, WAL_DECOY, VG_SINK_ALERT);
}

void honeypot_on_decoy_service(struct daemon *d)
{
	const size_t head = offsetof(struct vg_decoy_service_report, captured);
	struct vg_decoy_service_report r;
	ssize_t n;

	if (d->decoy_service_report_fd < 0)
		return;
	/* The connect program's report of a connection comes first. */
	if (sensor_consume(d->sensor) < 0)
		vg_warn("reading the ring buffer failed");
	while ((n = recv(d->decoy_service_report_fd, &r, sizeof(r), MSG_DONTWAIT)) > 0) {
		if ((size_t)n < head || (size_t)n != head + r.captured_len) {
			vg_warn("decoy services: a malformed report (%zd bytes)", n);
			continue;
		}
		if (r.event == VG_DECOY_SERVICE_CONNECT)
			publish_connect(d, &r);
		else
			publish_session(d, &r);
	}
}

void honeypot_bait_status(struct daemon *d, struct json_object *status)
{
	if (d->honeytokens) {
		struct json_object *obj = json_object_new_object();
		struct vg_honeytoken_stats h;

		honeytoken_stats(d->honeytokens, &h);
		json_object_object_add(obj, "events", json_object_new_uint64(h.events));
		json_object_object_add(obj, "touches", json_object_new_uint64(h.touches));
		json_object_object_add(obj, "reports_dropped",
				       json_object_new_uint64(h.reports_dropped));
		json_object_object_add(obj, "late", json_object_new_uint64(h.late));
		json_object_object_add(status, "honeytokens", obj);
	}
	if (d->decoy_services) {
		struct json_object *obj = json_object_new_object();
		struct vg_decoy_service_stats s;

		decoy_services_stats(d->decoy_services, &s);
		json_object_object_add(obj, "sessions", json_object_new_uint64(s.sessions));
		json_object_object_add(obj, "unattributed", json_object_new_uint64(s.unattributed));
		json_object_object_add(obj, "reports_dropped",
				       json_object_new_uint64(s.reports_dropped));
		json_object_object_add(status, "decoy_services", obj);
	}
}
