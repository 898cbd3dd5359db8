/* The dynamic honeypot in the daemon: supervised workloads (`vigilante run`)
 * get a cgroup of their own under ROOT/vigilante-run and a seccomp listener
 * that the supervisor thread (act/supervise.c) answers; flagged processes
 * among them are served decoys (act/decoy.c). Every decoy served, every
 * flag given here and every bait touched is a WAL_DECOY record, the
 * attacker's timeline that `vigilante honeypot log` prints. */
#include "daemon/daemon.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "act/decoy.h"
#include "act/freeze.h"
#include "sense/decoy_reads_loader.h"
#include "common/cleanup.h"
#include "common/log.h"
#include "record/event_json.h"
#include "record/json_text.h"

const struct decoy_sources honeypot_host_sources = {.passwd = "/etc/passwd"};

const char *honeypot_run_root(void)
{
	static char root[PATH_MAX];

	if (!root[0])
		snprintf(root, sizeof(root), "%s/vigilante-run", cgroup2_root());
	return root;
}

/* A honeypot record: "type":"honeypot", the event, when, and who. */
struct json_object *honeypot_record(struct daemon *d, const char *event, pid_t tgid,
				    uint64_t start_ns, uint64_t ts_ns)
{
	struct json_object *obj = json_object_new_object();
	const struct vg_proc *alive = start_ns ? NULL : proctable_find_alive(d->procs, tgid);
	struct timespec now;

	if (!ts_ns && !clock_gettime(CLOCK_BOOTTIME, &now))
		ts_ns = (uint64_t)now.tv_sec * 1000000000 + (uint64_t)now.tv_nsec;

	json_object_object_add(obj, "type", json_object_new_string("honeypot"));
	json_object_object_add(obj, "event", json_object_new_string(event));
	event_json_add_time(obj, ts_ns, d->boot_to_real_ns);
	event_json_add_process(obj, d->procs, (uint32_t)tgid, alive ? alive->start_ns : start_ns);
	return obj;
}

/* The decoy table the supervisor serves from: every decoyed path of the
 * policy with its decoy, generated now if it is not there yet. */
static int prepare_decoys(struct daemon *d, const struct vg_policy *p, char *err, size_t errlen)
{
	struct vg_supervise_decoy *table = NULL;
	size_t count = 0, cap = 0;
	int rc = 0;

	for (unsigned k = 0; k < VG_DECOY_KINDS && p->honeypot.mode != VG_MODE_OFF; k++)
		for (unsigned i = 0; i < p->honeypot.decoys[k].count; i++) {
			struct vg_supervise_decoy *e;
			int fd;

			if (count == cap) {
				struct vg_supervise_decoy *grown;

				cap = cap ? 2 * cap : 8;
				grown = realloc(table, cap * sizeof(*table));
				if (!grown) {
					snprintf(err, errlen, "decoys: out of memory");
					rc = -1;
					goto out;
				}
				table = grown;
			}
			e = &table[count];
			memset(e, 0, sizeof(*e));
			e->kind = (enum vg_decoy_kind)k;
			snprintf(e->stands_for, sizeof(e->stands_for), "%s",
				 p->honeypot.decoys[k].paths[i]);
			fd = decoy_open(p->honeypot.decoy_dir, e->kind, e->stands_for,
					&honeypot_host_sources, e->decoy, err, errlen);
			if (fd < 0) {
				rc = -1;
				goto out;
			}
			close(fd);
			count++;
		}
	if (supervise_set_decoys(d->supervisor, table, count, p->honeypot.mode)) {
		snprintf(err, errlen, "decoys: out of memory");
		rc = -1;
	}
out:
	free(table);
	return rc;
}

int honeypot_apply(struct daemon *d, const struct vg_policy *p, char *err, size_t errlen)
{
	return prepare_decoys(d, p, err, errlen) || honeypot_bait_apply(d, p, err, errlen);
}

/* A decoy was served to tgid: count what it reads from it. The counting
 * program is loaded at the first decoy served (it runs after every read
 * on the host, so not before it is needed). */
static void track_read(struct daemon *d, uint32_t tgid, uint64_t dev, uint64_t ino)
{
	char err[256];

	if (!d->decoy_reads && decoy_reads_open(&d->decoy_reads, err, sizeof(err))) {
		vg_warn("honeypot: bytes read from decoys will not be counted: %s", err);
		return;
	}
	if (decoy_reads_watch(d->decoy_reads, dev, ino))
		vg_warn("honeypot: watching decoy inode %llu: %s", (unsigned long long)ino,
			strerror(errno));
}

struct read_ctx {
	struct daemon *d;
	const struct vg_exit_event *ev;
};

static void publish_bytes(uint64_t dev, uint64_t ino, uint64_t bytes, void *arg)
{
	struct read_ctx *ctx = arg;
	struct json_object *obj = honeypot_record(ctx->d, "decoy_read", (pid_t)ctx->ev->hdr.tgid,
						  ctx->ev->hdr.start_ns, ctx->ev->hdr.ts_ns);

	json_object_object_add(obj, "decoy_dev", json_object_new_uint64(dev));
	json_object_object_add(obj, "decoy_ino", json_object_new_uint64(ino));
	json_object_object_add(obj, "bytes", json_object_new_uint64(bytes));
	pipeline_publish(ctx->d, obj, WAL_DECOY, VG_SINK_ALERT);
}

/* A process exited: record what it read from decoys, after what it was
 * served (reports still queued go first). */
void honeypot_on_exit(struct daemon *d, const struct vg_exit_event *ev)
{
	struct read_ctx ctx = {d, ev};

	if (!d->decoy_reads)
		return;
	honeypot_on_report(d);
	decoy_reads_take(d->decoy_reads, ev->hdr.tgid, publish_bytes, &ctx);
}

int honeypot_start(struct daemon *d, char *err, size_t errlen)
{
	if (mkdir(honeypot_run_root(), 0755) && errno != EEXIST) {
		snprintf(err, errlen, "supervised workloads' cgroup %s: %s", honeypot_run_root(),
			 strerror(errno));
		return -1;
	}
	if (sensor_set_supervised_root(d->sensor, honeypot_run_root(), err, errlen) ||
	    supervise_start(sensor_verdicts_fd(d->sensor), &d->supervisor, &d->supervise_report_fd,
			    err, errlen) ||
	    daemon_add_fd(d, d->supervise_report_fd, TAG_SUPERVISE))
		return -1;
	return honeypot_apply(d, &d->policy, err, errlen);
}

static const char *supervise_event_name(uint32_t event)
{
	return event == VG_SUPERVISE_DECOY_OPEN ? "decoy_open" : "decoy_stat";
}

static void publish_report(struct daemon *d, const struct vg_supervise_report *r)
{
	struct json_object *obj =
	    honeypot_record(d, supervise_event_name(r->event), (pid_t)r->tgid, 0, r->ts_ns);

	json_object_object_add(obj, "tid", json_object_new_int64(r->tid));
	json_object_object_add(obj, "syscall", json_object_new_int64(r->syscall));
	json_object_object_add(obj, "kind",
			       json_object_new_string(policy_decoy_kind_name(r->kind)));
	json_text_add(obj, "asked", r->asked, strnlen(r->asked, sizeof(r->asked)));
	json_text_add(obj, "stands_for", r->stands_for,
		      strnlen(r->stands_for, sizeof(r->stands_for)));
	json_text_add(obj, "decoy", r->decoy, strnlen(r->decoy, sizeof(r->decoy)));
	json_object_object_add(obj, "served", json_object_new_boolean(r->served));
	if (r->target_fd >= 0)
		json_object_object_add(obj, "fd", json_object_new_int(r->target_fd));
	if (r->error)
		json_object_object_add(obj, "error", json_object_new_string(strerror(r->error)));
	if (r->served && r->event == VG_SUPERVISE_DECOY_OPEN)
		track_read(d, r->tgid, r->decoy_dev, r->decoy_ino);
	d->alerts_total++;
	pipeline_publish(d, obj, WAL_DECOY, VG_SINK_ALERT);
}

void honeypot_on_report(struct daemon *d)
{
	struct vg_supervise_report r;
	ssize_t n;

	while ((n = recv(d->supervise_report_fd, &r, sizeof(r), MSG_DONTWAIT)) == sizeof(r))
		publish_report(d, &r);
	if (n >= 0 && n != sizeof(r))
		vg_warn("honeypot: a short report from the supervisor (%zd bytes)", n);
}

/* Removes the cgroups of supervised workloads that have ended. */
void honeypot_tick(struct daemon *d)
{
	_cleanup_close_ int fd = open(honeypot_run_root(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *dir;
	struct dirent *ent;

	(void)d;
	if (fd < 0 || !(dir = fdopendir(fd)))
		return;
	steal_fd(&fd);
	while ((ent = readdir(dir)))
		if (ent->d_type == DT_DIR && ent->d_name[0] != '.')
			unlinkat(dirfd(dir), ent->d_name, AT_REMOVEDIR); /* EBUSY while in use */
	closedir(dir);
}

void honeypot_stop(struct daemon *d)
{
	honeypot_bait_stop(d);
	supervise_stop(d->supervisor);
	d->supervisor = NULL;
	decoy_reads_close(d->decoy_reads);
	d->decoy_reads = NULL;
	d->supervise_report_fd = -1; /* closed with the supervisor */
}
