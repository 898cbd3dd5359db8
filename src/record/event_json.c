#include "record/event_json.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "record/json_text.h"
#include "sense/sensor.h"

#define LINEAGE_MAX 8

int64_t clock_boot_to_real_offset(void)
{
	struct timespec real, boot;

	clock_gettime(CLOCK_REALTIME, &real);
	clock_gettime(CLOCK_BOOTTIME, &boot);
	return (int64_t)(real.tv_sec - boot.tv_sec) * 1000000000 + (real.tv_nsec - boot.tv_nsec);
}

void format_time_ns(uint64_t realtime_ns, char *buf, size_t len)
{
	time_t secs = (time_t)(realtime_ns / 1000000000);
	struct tm tm;
	char date[32];

	gmtime_r(&secs, &tm);
	strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, len, "%s.%09lluZ", date, (unsigned long long)(realtime_ns % 1000000000));
}

void event_json_add_time(struct json_object *obj, uint64_t boot_ns, int64_t boot_to_real_ns)
{
	char when[48];

	format_time_ns(boot_ns + boot_to_real_ns, when, sizeof(when));
	json_object_object_add(obj, "time", json_object_new_string(when));
	json_object_object_add(obj, "ts_ns", json_object_new_uint64(boot_ns));
}

int event_validate(const void *data, size_t size, char *err, size_t errlen)
{
	const struct vg_event_header *hdr = data;
	const struct vg_exec_event *exec = data;

	if (size < sizeof(*hdr)) {
		snprintf(err, errlen, "event of %zu bytes is shorter than a header", size);
		return -1;
	}
	switch (hdr->type) {
	case VG_EVENT_EXEC:
		if (size < offsetof(struct vg_exec_event, argv) ||
		    exec->argv_len > size - offsetof(struct vg_exec_event, argv) ||
		    exec->path_len >= VG_PATH_MAX || exec->filename_len >= VG_FILENAME_MAX) {
			snprintf(err, errlen, "malformed exec event (%zu bytes)", size);
			return -1;
		}
		return 0;
	case VG_EVENT_FORK:
		if (size < sizeof(struct vg_fork_event))
			break;
		return 0;
	case VG_EVENT_EXIT:
		if (size < sizeof(struct vg_exit_event))
			break;
		return 0;
	case VG_EVENT_SCORE:
		if (size < sizeof(struct vg_score_event))
			break;
		return 0;
	case VG_EVENT_CONNECT:
		if (size < sizeof(struct vg_connect_event))
			break;
		return 0;
	default:
		snprintf(err, errlen, "unknown event type %u", hdr->type);
		return -1;
	}
	snprintf(err, errlen, "event type %u of %zu bytes is too short", hdr->type, size);
	return -1;
}

static void add_identity(struct json_object *obj, const struct vg_event_header *hdr)
{
	json_object_object_add(obj, "pid", json_object_new_int64(hdr->tgid));
	json_object_object_add(obj, "tid", json_object_new_int64(hdr->pid));
	json_object_object_add(obj, "start_ns", json_object_new_uint64(hdr->start_ns));
	json_object_object_add(obj, "ppid", json_object_new_int64(hdr->ppid));
	json_object_object_add(obj, "uid", json_object_new_int64(hdr->uid));
	json_object_object_add(obj, "gid", json_object_new_int64(hdr->gid));
	json_object_object_add(obj, "euid", json_object_new_int64(hdr->euid));
	json_object_object_add(obj, "egid", json_object_new_int64(hdr->egid));
	json_object_object_add(obj, "cgroup_id", json_object_new_uint64(hdr->cgroup_id));
	json_text_add(obj, "comm", hdr->comm, strnlen(hdr->comm, sizeof(hdr->comm)));
}

static struct json_object *process_summary(const struct vg_proc *p)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "pid", json_object_new_int64(p->tgid));
	json_object_object_add(o, "start_ns", json_object_new_uint64(p->start_ns));
	json_text_add(o, "comm", p->comm, strnlen(p->comm, sizeof(p->comm)));
	if (p->exe)
		json_text_add(o, "exe", p->exe, strlen(p->exe));
	return o;
}

static void add_lineage(struct json_object *obj, struct vg_proctable *procs,
			const struct vg_proc *p)
{
	const struct vg_proc *ancestors[LINEAGE_MAX];
	size_t n = proctable_lineage(procs, p, ancestors, LINEAGE_MAX);
	struct json_object *list = json_object_new_array();

	for (size_t i = 0; i < n; i++)
		json_object_array_add(list, process_summary(ancestors[i]));
	json_object_object_add(obj, "lineage", list);
}

void event_json_add_process(struct json_object *obj, struct vg_proctable *procs, uint32_t tgid,
			    uint64_t start_ns)
{
	const struct vg_proc *p = proctable_find(procs, tgid, start_ns);

	json_object_object_add(obj, "pid", json_object_new_int64(tgid));
	json_object_object_add(obj, "start_ns", json_object_new_uint64(start_ns));
	if (!p)
		return;
	json_text_add(obj, "comm", p->comm, strnlen(p->comm, sizeof(p->comm)));
	if (p->exe)
		json_text_add(obj, "exe", p->exe, strlen(p->exe));
	json_object_object_add(obj, "uid", json_object_new_int64(p->uid));
	add_lineage(obj, procs, p);
}

static void add_argv(struct json_object *obj, const struct vg_exec_event *ev)
{
	struct json_object *argv = json_object_new_array();
	bool any_lossy = false;

	for (uint32_t i = 0; i < ev->argv_len;) {
		size_t len = strnlen(ev->argv + i, ev->argv_len - i);
		bool lossy;

		json_object_array_add(argv, json_text_string(ev->argv + i, len, &lossy));
		any_lossy |= lossy;
		i += len + 1;
	}
	json_object_object_add(obj, "argv", argv);
	if (any_lossy)
		json_object_object_add(obj, "argv_b64", json_text_base64(ev->argv, ev->argv_len));
	json_object_object_add(obj, "argv_truncated",
			       json_object_new_boolean(ev->flags & VG_EXEC_ARGV_TRUNCATED));
	json_object_object_add(obj, "argv_bytes", json_object_new_int64(ev->argv_full_len));
	if (ev->flags & VG_EXEC_ARGV_REWRITTEN)
		json_object_object_add(obj, "argv_rewritten", json_object_new_boolean(true));
}

static void add_exec(struct json_object *obj, const struct vg_exec_event *ev,
		     struct vg_proctable *procs)
{
	char dev[32];
	const struct vg_proc *p = proctable_find(procs, ev->hdr.tgid, ev->hdr.start_ns);

	json_text_add(obj, "exe", ev->path, ev->path_len);
	json_object_object_add(obj, "exe_truncated",
			       json_object_new_boolean(ev->flags & VG_EXEC_PATH_TRUNCATED));
	json_text_add(obj, "filename", ev->filename, ev->filename_len);
	add_argv(obj, ev);
	json_object_object_add(obj, "inode", json_object_new_uint64(ev->ino));
	snprintf(dev, sizeof(dev), "%u:%u", ev->dev >> 20, ev->dev & 0xfffff);
	json_object_object_add(obj, "dev", json_object_new_string(dev));
	if (p)
		add_lineage(obj, procs, p);
}

static void add_fork(struct json_object *obj, const struct vg_fork_event *ev)
{
	json_object_object_add(obj, "child_pid", json_object_new_int64(ev->child_tgid));
	json_object_object_add(obj, "child_start_ns", json_object_new_uint64(ev->child_start_ns));
}

static void add_exit(struct json_object *obj, const struct vg_exit_event *ev,
		     struct vg_proctable *procs)
{
	const struct vg_proc *p = proctable_find(procs, ev->hdr.tgid, ev->hdr.start_ns);

	if (p && p->exe)
		json_text_add(obj, "exe", p->exe, strlen(p->exe));
	json_object_object_add(obj, "exit_status", json_object_new_int(ev->exit_status));
	json_object_object_add(obj, "signal", json_object_new_int64(ev->signal));
	json_object_object_add(obj, "core_dumped", json_object_new_boolean(ev->core_dumped));
	json_object_object_add(obj, "syscalls", json_object_new_uint64(ev->syscalls));
	json_object_object_add(obj, "score", json_object_new_int64(ev->score));
	json_object_object_add(obj, "max_score", json_object_new_int64(ev->max_score));
}

struct json_object *model_reason_json(const struct vg_model_reason *reason)
{
	struct json_object *obj = json_object_new_object();
	struct json_object *ngram = json_object_new_array();

	for (int i = 0; i < VG_MODEL_ORDER; i++)
		json_object_array_add(ngram,
				      json_object_new_string(vg_syscall_name(reason->ngram[i])));
	json_object_object_add(obj, "ngram", ngram);
	json_object_object_add(obj, "cost_bits", json_object_new_int64(reason->cost));
	json_object_object_add(obj, "at_syscall", json_object_new_int64(reason->at));
	return obj;
}

static void add_score(struct json_object *obj, const struct vg_score_event *ev,
		      struct vg_proctable *procs)
{
	const struct vg_proc *p = proctable_find(procs, ev->hdr.tgid, ev->hdr.start_ns);

	if (p && p->exe)
		json_text_add(obj, "exe", p->exe, strlen(p->exe));
	json_object_object_add(obj, "level",
			       json_object_new_string(ev->level == VG_VACCINATED    ? "vaccinate"
						      : ev->level == VG_QUARANTINED ? "quarantine"
						      : ev->level == VG_BLOCKED	    ? "block"
										    : "flag"));
	json_object_object_add(obj, "score", json_object_new_int64(ev->verdict.score));
	json_object_object_add(obj, "syscalls", json_object_new_uint64(ev->syscalls));
	json_object_object_add(obj, "reason", model_reason_json(&ev->verdict.reason));
	if (p)
		add_lineage(obj, procs, p);
}

/* A Unix socket's address: family "unix", the path (an abstract name, which
 * starts with a NUL, as "@name"), exact bytes in base64 when they are not
 * text. No port. */
static void add_unix_address(struct json_object *obj, const struct vg_connect_event *ev)
{
	size_t len = ev->unix_path_len < VG_UNIX_PATH_MAX ? ev->unix_path_len : VG_UNIX_PATH_MAX;
	const char *path = (const char *)ev->unix_path;
	char shown[VG_UNIX_PATH_MAX];

	json_object_object_add(obj, "family", json_object_new_string("unix"));
	if (len && path[0] == '\0') {
		shown[0] = '@';
		memcpy(shown + 1, path + 1, len - 1);
		json_text_add(obj, "address", shown, len);
		return;
	}
	json_text_add(obj, "address", path, strnlen(path, len));
}

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* The socket families and types a decision names; others by number. */
static const char *const socket_families[] = {
    [AF_UNIX] = "unix",	      [AF_INET] = "inet",     [AF_INET6] = "inet6",
    [AF_NETLINK] = "netlink", [AF_PACKET] = "packet", [AF_RDS] = "rds",
    [AF_CAN] = "can",	      [AF_TIPC] = "tipc",     [AF_BLUETOOTH] = "bluetooth",
    [AF_ALG] = "alg",	      [AF_VSOCK] = "vsock",   [AF_XDP] = "xdp",
};
static const char *const socket_types[] = {
    [SOCK_STREAM] = "stream", [SOCK_DGRAM] = "dgram",	      [SOCK_RAW] = "raw",
    [SOCK_RDM] = "rdm",	      [SOCK_SEQPACKET] = "seqpacket",
};

static void add_name(struct json_object *obj, const char *key, const char *const *names,
		     size_t count, unsigned value)
{
	char number[16];

	if (value < count && names[value]) {
		json_object_object_add(obj, key, json_object_new_string(names[value]));
		return;
	}
	snprintf(number, sizeof(number), "%u", value);
	json_object_object_add(obj, key, json_object_new_string(number));
}

static void add_connect(struct json_object *obj, const struct vg_connect_event *ev,
			struct vg_proctable *procs)
{
	const struct vg_proc *p = proctable_find(procs, ev->hdr.tgid, ev->hdr.start_ns);
	char addr[INET6_ADDRSTRLEN] = "";

	json_object_object_add(obj, "what",
			       json_object_new_string(ev->socket_type ? "socket"
						      : ev->datagram  ? "send"
								      : "connect"));
	json_object_object_add(obj, "refused", json_object_new_boolean(ev->refused));
	json_object_object_add(obj, "score", json_object_new_int64(ev->score));
	if (ev->socket_type) {
		add_name(obj, "family", socket_families, ARRAY_LEN(socket_families), ev->family);
		add_name(obj, "socket_type", socket_types, ARRAY_LEN(socket_types),
			 ev->socket_type);
		json_object_object_add(obj, "protocol", json_object_new_int(ev->protocol));
	} else if (ev->family == AF_UNIX) {
		add_unix_address(obj, ev);
	} else {
		inet_ntop(ev->family == AF_INET ? AF_INET : AF_INET6, ev->addr, addr, sizeof(addr));
		json_object_object_add(obj, "address", json_object_new_string(addr));
		json_object_object_add(obj, "port", json_object_new_int(ev->port));
	}
	if (ev->vaccine_id)
		json_object_object_add(obj, "vaccine_id", json_object_new_int64(ev->vaccine_id));
	if (p && p->exe)
		json_text_add(obj, "exe", p->exe, strlen(p->exe));
}

struct json_object *event_to_json(const void *data, struct vg_proctable *procs,
				  int64_t boot_to_real_ns)
{
	static const char *const names[] = {[VG_EVENT_EXEC] = "exec",
					    [VG_EVENT_FORK] = "fork",
					    [VG_EVENT_EXIT] = "exit",
					    [VG_EVENT_SCORE] = "score",
					    [VG_EVENT_CONNECT] = "decision"};
	const struct vg_event_header *hdr = data;
	struct json_object *obj = json_object_new_object();

	json_object_object_add(obj, "type", json_object_new_string(names[hdr->type]));
	event_json_add_time(obj, hdr->ts_ns, boot_to_real_ns);
	add_identity(obj, hdr);
	switch (hdr->type) {
	case VG_EVENT_EXEC:
		add_exec(obj, data, procs);
		break;
	case VG_EVENT_FORK:
		add_fork(obj, data);
		break;
	case VG_EVENT_EXIT:
		add_exit(obj, data, procs);
		break;
	case VG_EVENT_SCORE:
		add_score(obj, data, procs);
		break;
	case VG_EVENT_CONNECT:
		add_connect(obj, data, procs);
		break;
	}
	return obj;
}
