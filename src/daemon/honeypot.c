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
#include <poll.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "act/decoy.h"
#include "act/freeze.h"
#include "common/cleanup.h"
#include "common/clock.h"
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

	json_object_object_add(obj, "type", json_object_new_string("honeypot"));
	json_object_object_add(obj, "event", json_object_new_string(event));
	event_json_add_time(obj, ts_ns ? ts_ns : clock_boot_ns(), d->boot_to_real_ns);
	event_json_add_process(obj, d->procs, (uint32_t)tgid, alive ? alive->start_ns : start_ns);
	return obj;
}

/* The open gate keeps flagged processes from the real files (gate.h). */
static void guard_decoyed(struct daemon *d, const struct vg_supervise_decoy *table, size_t count,
			  enum vg_mode mode)
{
	_cleanup_free_ const char **paths = calloc(count ? count : 1, sizeof(*paths));

	if (!paths) {
		vg_err("decoys: out of memory guarding the real files");
		return;
	}
	for (size_t i = 0; i < count; i++)
		paths[i] = table[i].stands_for;
	gate_set_decoyed(d->gate, paths, count, mode);
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
		goto out;
	}
	if (d->gate)
		guard_decoyed(d, table, count, p->honeypot.mode);
out:
	free(table);
	return rc;
}

int honeypot_apply(struct daemon *d, const struct vg_policy *p, char *err, size_t errlen)
{
	return prepare_decoys(d, p, err, errlen) || honeypot_bait_apply(d, p, err, errlen);
}

#define MAX_SERVED 4096

/* What the process read of a decoy (its offset in it), as a record; then
 * the duplicate is closed. */
static void publish_read(struct daemon *d, struct served_decoy *sd, uint64_t start_ns,
			 uint64_t ts_ns)
{
	off_t offset = lseek(sd->fd, 0, SEEK_CUR);
	struct json_object *obj =
	    honeypot_record(d, "decoy_read", (pid_t)sd->tgid, start_ns, ts_ns);

	json_text_add(obj, "decoy", sd->decoy, strlen(sd->decoy));
	json_object_object_add(obj, "bytes", json_object_new_int64(offset < 0 ? 0 : offset));
	pipeline_publish(d, obj, WAL_DECOY, VG_SINK_ALERT);
	close(sd->fd);
	close(sd->pidfd);
}

static bool has_exited(int pidfd)
{
	struct pollfd pfd = {.fd = pidfd, .events = POLLIN};

	return poll(&pfd, 1, 0) == 1;
}

/* Records what the processes that have exited read of their decoys. */
static void reap_served(struct daemon *d, uint64_t start_ns, uint64_t ts_ns)
{
	int kept = 0;

	for (int i = 0; i < d->served_count; i++) {
		if (has_exited(d->served[i].pidfd))
			publish_read(d, &d->served[i], start_ns, ts_ns);
		else
			d->served[kept++] = d->served[i];
	}
	d->served_count = kept;
}

/* Keeps the duplicate of a served decoy fd until its process exits. */
static void keep_served(struct daemon *d, const struct vg_supervise_report *r, int fd)
{
	struct served_decoy *sd;
	int pidfd = (int)syscall(SYS_pidfd_open, r->tgid, 0);

	if (pidfd < 0) { /* gone already: what it read is final */
		struct served_decoy gone = {.tgid = r->tgid, .fd = fd, .pidfd = -1};

		snprintf(gone.decoy, sizeof(gone.decoy), "%s", r->decoy);
		publish_read(d, &gone, r->start_ns, 0);
		return;
	}
	if (d->served_count == MAX_SERVED) {
		/* Full: the oldest is recorded as read so far. */
		publish_read(d, &d->served[0], 0, r->ts_ns);
		memmove(d->served, d->served + 1, (size_t)(MAX_SERVED - 1) * sizeof(*d->served));
		d->served_count--;
	}
	if (d->served_count == d->served_cap) {
		int cap = d->served_cap ? 2 * d->served_cap : 16;
		struct served_decoy *grown = realloc(d->served, (size_t)cap * sizeof(*grown));

		if (!grown) {
			vg_warn("honeypot: out of memory: bytes read from a decoy by %u are not "
				"recorded",
				r->tgid);
			close(fd);
			close(pidfd);
			return;
		}
		d->served = grown;
		d->served_cap = cap;
	}
	sd = &d->served[d->served_count++];
	sd->tgid = r->tgid;
	sd->fd = fd;
	sd->pidfd = pidfd;
	sd->served_ns = r->ts_ns;
	snprintf(sd->decoy, sizeof(sd->decoy), "%s", r->decoy);
}

int honeypot_start(struct daemon *d, char *err, size_t errlen)
{
	if (mkdir(honeypot_run_root(), 0755) && errno != EEXIST) {
		snprintf(err, errlen, "supervised workloads' cgroup %s: %s", honeypot_run_root(),
			 strerror(errno));
		return -1;
	}
	if (sensor_set_supervised_root(d->sensor, honeypot_run_root(), err, errlen) ||
	    supervise_start(sensor_verdicts_fd(d->sensor), sensor_verdicts_live(d->sensor),
			    &d->supervisor, &d->supervise_report_fd, err, errlen) ||
	    daemon_add_fd(d, d->supervise_report_fd, TAG_SUPERVISE))
		return -1;
	return honeypot_apply(d, &d->policy, err, errlen);
}

static const char *supervise_event_name(uint32_t event)
{
	return event == VG_SUPERVISE_DECOY_OPEN ? "decoy_open" : "decoy_stat";
}

static void publish_report(struct daemon *d, const struct vg_supervise_report *r, int served_fd)
{
	struct json_object *obj = honeypot_record(d, supervise_event_name(r->event), (pid_t)r->tgid,
						  r->start_ns, r->ts_ns);

	if (!json_object_object_get_ex(obj, "comm", NULL))
		json_text_add(obj, "comm", r->comm, strnlen(r->comm, sizeof(r->comm)));

	json_object_object_add(obj, "tid", json_object_new_int64(r->tid));
	json_object_object_add(obj, "ppid", json_object_new_int64(r->ppid));
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
	d->alerts_total++;
	pipeline_publish(d, obj, WAL_DECOY, VG_SINK_ALERT);
	if (served_fd >= 0)
		keep_served(d, r, served_fd);
}

static void drain_reports(struct daemon *d)
{
	struct vg_supervise_report r;
	int rc, served_fd;

	while ((rc = supervise_read_report(d->supervise_report_fd, &r, &served_fd)) == 1)
		publish_report(d, &r, served_fd);
	if (rc < 0)
		vg_warn("honeypot: reading the supervisor's reports: %s", strerror(errno));
}

void honeypot_on_report(struct daemon *d)
{
	/* What the kernel queued came first (the score that flagged the
	 * process, its exec): recorded before what it was served since. */
	if (sensor_consume(d->sensor) < 0)
		vg_warn("reading the ring buffer failed");
	drain_reports(d);
}

/* A process exited: record how much of each decoy it read. (A decoy whose
 * report is still queued is recorded when the report is read.) */
void honeypot_on_exit(struct daemon *d, const struct vg_exit_event *ev)
{
	for (int i = 0; i < d->served_count; i++)
		if (d->served[i].tgid == ev->hdr.tgid) {
			reap_served(d, ev->hdr.start_ns, ev->hdr.ts_ns);
			return;
		}
}

/* Removes the cgroups of supervised workloads that have ended. */
void honeypot_tick(struct daemon *d)
{
	_cleanup_close_ int fd = open(honeypot_run_root(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *dir;
	struct dirent *ent;

	reap_served(d, 0, 0);
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
	for (int i = 0; i < d->served_count; i++)
		publish_read(d, &d->served[i], 0, 0);
	free(d->served);
	d->served = NULL;
	d->served_count = d->served_cap = 0;
	d->supervise_report_fd = -1; /* closed with the supervisor */
}
