/* vigilanted: loads the sensors, runs the event pipeline, serves the control
 * socket, and keeps the forensic log. One instance at a time (a lock file
 * beside the control socket). SIGTERM/SIGINT stop it cleanly, detaching every
 * BPF program; SIGHUP reloads the policy, keeping the old one if the new one
 * is invalid. */
#include "daemon/daemon.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/file.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "common/cli_usage.h"
#include "common/clock.h"
#include "common/cleanup.h"
#include "common/log.h"
#include "record/event_json.h"
#include "record/json_text.h"

#define EXPIRE_EXITED_NS  (60ull * 1000000000) /* keep exited processes a minute */
#define DRAIN_INTERVAL_MS 100

static void usage(FILE *out)
{
	fprintf(out, "Usage: vigilanted [--policy FILE] [--verbose]\n"
		     "\n"
		     "The Vigilante daemon. Loads the kernel sensors (eBPF), keeps a process\n"
		     "table, applies the policy, prints events and alerts as JSON lines, keeps\n"
		     "the hash-chained forensic log, and serves the control socket that the\n"
		     "`vigilante` command talks to. Runs in the foreground; under systemd use\n"
		     "Type=notify (dist/vigilanted.service).\n"
		     "\n"
		     "Options:\n"
		     "  -p, --policy FILE   the YAML policy (default: the embedded default;\n"
		     "                      `vigilante policy default` prints it)\n"
		     "  -v, --verbose       more diagnostics on stderr\n"
		     "  -h, --help          this text\n"
		     "  -V, --version       print the version\n"
		     "\n"
		     "Signals: SIGTERM or SIGINT stop cleanly (BPF programs detached, forensic\n"
		     "log committed); SIGHUP reloads the policy file (an invalid one is refused\n"
		     "and the one in force is kept; scope, wal.dir and control.socket changes\n"
		     "need a restart).\n"
		     "\n"
		     "Files: the forensic log in wal.dir (default /var/lib/vigilante/wal), the\n"
		     "control socket (default /run/vigilante/control.sock) and, beside it,\n"
		     "vigilanted.lock, which holds the running instance's pid.\n"
		     "\n"
		     "Exit status: 0 after a clean stop; 1 when it could not start (the reason\n"
		     "is on stderr); 2 on a usage error.\n"
		     "\n"
		     "Must run as root (loading BPF programs needs CAP_BPF and CAP_PERFMON).\n");
}

static struct json_object *record_object(struct daemon *d, const char *type)
{
	struct json_object *obj = json_object_new_object();

	json_object_object_add(obj, "type", json_object_new_string(type));
	event_json_add_time(obj, clock_boot_ns(), d->boot_to_real_ns);
	return obj;
}

static int load_policy(const char *path, struct vg_policy *out, char *err, size_t errlen)
{
	struct vg_policy_error perr;
	int rc = path ? policy_load_file(path, out, &perr) : policy_load_default(out, &perr);

	if (rc)
		snprintf(err, errlen, "%s", perr.message);
	return rc;
}

static int take_lock(struct daemon *d, char *err, size_t errlen)
{
	char path[PATH_MAX], dir[PATH_MAX], pid[32];
	int fd;

	snprintf(dir, sizeof(dir), "%s", d->policy.control.socket);
	snprintf(path, sizeof(path), "%s/vigilanted.lock", dirname(dir));
	if (mkdir(dir, 0755) && errno != EEXIST) {
		snprintf(err, errlen, "creating %s: %s", dir, strerror(errno));
		return -1;
	}
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0) {
		snprintf(err, errlen, "lock file %s: %s", path, strerror(errno));
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB)) {
		ssize_t n = pread(fd, pid, sizeof(pid) - 1, 0);

		pid[n > 0 ? n : 0] = '\0';
		pid[strcspn(pid, "\n")] = '\0';
		snprintf(err, errlen, "another vigilanted is running (pid %s, lock %s)",
			 pid[0] ? pid : "unknown", path);
		close(fd);
		return -1;
	}
	snprintf(pid, sizeof(pid), "%d\n", getpid());
	if (ftruncate(fd, 0) || pwrite(fd, pid, strlen(pid), 0) < 0)
		vg_warn("lock file %s: writing the pid: %s", path, strerror(errno));
	d->lock_fd = fd;
	return 0;
}

static int open_wal(struct daemon *d, char *err, size_t errlen)
{
	struct wal_options opts = {.segment_size = (uint64_t)d->policy.wal.segment_size_mb << 20};
	struct wal_recovery rec;
	struct json_object *obj;

	if (wal_open(d->policy.wal.dir, &opts, &d->wal, &rec, err, errlen))
		return -1;
	if (!rec.problem[0])
		return 0;
	if (rec.chain_broken)
		vg_err("forensic log %s: %s (left as found)", d->policy.wal.dir, rec.problem);
	else
		vg_warn("forensic log %s: %s", d->policy.wal.dir, rec.problem);
	obj = record_object(d, "recovery");
	json_object_object_add(obj, "records", json_object_new_uint64(rec.records));
	json_object_object_add(obj, "last_seq", json_object_new_uint64(rec.last_seq));
	json_object_object_add(obj, "truncated_bytes", json_object_new_uint64(rec.truncated_bytes));
	json_object_object_add(obj, "chain_broken", json_object_new_boolean(rec.chain_broken));
	json_object_object_add(obj, "problem", json_object_new_string(rec.problem));
	pipeline_publish(d, obj, WAL_RECOVERY, VG_SINK_ALERT);
	return 0;
}

static void record_policy_load(struct daemon *d, const char *status, const char *error)
{
	struct json_object *obj = record_object(d, "policy");

	json_object_object_add(obj, "status", json_object_new_string(status));
	json_text_add(obj, "source", d->policy_path ? d->policy_path : d->policy.source,
		      strlen(d->policy_path ? d->policy_path : d->policy.source));
	if (error)
		json_object_object_add(obj, "error", json_object_new_string(error));
	json_object_object_add(obj, "scope",
			       json_object_new_string(policy_scope_name(d->policy.scope.kind)));
	pipeline_publish(d, obj, WAL_POLICY_LOAD, error ? VG_SINK_ALERT : VG_SINK_EVENT);
}

static bool same_string(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

static const char *restart_only_change(const struct vg_policy *old, const struct vg_policy *new)
{
	if (old->scope.kind != new->scope.kind ||
	    !same_string(old->scope.cgroup, new->scope.cgroup) || old->scope.pid != new->scope.pid)
		return "scope";
	if (strcmp(old->wal.dir, new->wal.dir))
		return "wal.dir";
	if (old->sensor.ring_buffer_kb != new->sensor.ring_buffer_kb)
		return "sensor.ring_buffer_kb";
	if (strcmp(old->control.socket, new->control.socket))
		return "control.socket";
	return NULL;
}

static bool same_paths(const struct vg_path_list *a, const struct vg_path_list *b)
{
	if (a->count != b->count)
		return false;
	for (unsigned i = 0; i < a->count; i++)
		if (strcmp(a->paths[i], b->paths[i]))
			return false;
	return true;
}

/* The gates' fanotify marks and connect programs are set up at start. */
static bool changes_gates(const struct vg_policy *old, const struct vg_policy *new)
{
	return (old->precognition.mode == VG_MODE_OFF) != (new->precognition.mode == VG_MODE_OFF) ||
	       !same_paths(&old->precognition.exec_gate, &new->precognition.exec_gate) ||
	       !same_paths(&old->precognition.exec_gate_loaders,
			   &new->precognition.exec_gate_loaders) ||
	       !same_paths(&old->precognition.protected_paths,
			   &new->precognition.protected_paths) ||
	       !same_string(old->precognition.profiles, new->precognition.profiles);
}

int daemon_reload(struct daemon *d, char *err, size_t errlen)
{
	struct vg_policy fresh;
	struct vg_sinks sinks;
	const char *changed;

	if (load_policy(d->policy_path, &fresh, err, errlen))
		goto refused;
	changed = restart_only_change(&d->policy, &fresh);
	if (changed) {
		snprintf(err, errlen, "%s: changing %s needs a restart; policy not reloaded",
			 fresh.source, changed);
		policy_free(&fresh);
		goto refused;
	}
	if (sinks_open(&sinks, fresh.output.to_stdout, fresh.output.file, fresh.output.syslog, err,
		       errlen)) {
		policy_free(&fresh);
		goto refused;
	}
	if (changes_gates(&d->policy, &fresh)) {
		snprintf(err, errlen,
			 "%s: turning precognition on or off, or changing its gated paths or "
			 "profiles, needs a restart; policy not reloaded",
			 fresh.source);
		sinks_close(&sinks);
		policy_free(&fresh);
		goto refused;
	}
	if (honeypot_apply(d, &fresh, err, errlen) || precog_apply(d, &fresh, err, errlen)) {
		sinks_close(&sinks);
		policy_free(&fresh);
		goto refused;
	}
	sinks_close(&d->sinks);
	d->sinks = sinks;
	policy_free(&d->policy);
	d->policy = fresh;
	vaccine_push(d); /* vaccination.mode may have changed */
	vg_info("policy reloaded from %s", d->policy.source);
	record_policy_load(d, "loaded", NULL);
	return 0;
refused:
	vg_err("policy reload refused, keeping the policy in force: %s", err);
	record_policy_load(d, "rejected", err);
	return -1;
}

static int open_sensor(struct daemon *d, char *err, size_t errlen)
{
	static const enum vg_scope_mode modes[] = {[VG_SCOPE_SYSTEM] = VG_SENSOR_SCOPE_SYSTEM,
						   [VG_SCOPE_CGROUP] = VG_SENSOR_SCOPE_CGROUP,
						   [VG_SCOPE_PIDTREE] = VG_SENSOR_SCOPE_PIDTREE};
	struct vg_sensor_options opts = {
	    .scope = modes[d->policy.scope.kind],
	    .cgroup_path = d->policy.scope.cgroup,
	    .root_pid = d->policy.scope.pid,
	    .daemon_tgid = getpid(),
	    .ring_buffer_bytes = d->policy.sensor.ring_buffer_kb * 1024,
	};

	return sensor_open(&opts, pipeline_on_event, d, &d->sensor, err, errlen);
}

int daemon_add_fd(struct daemon *d, int fd, enum loop_tag tag)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.u64 = tag};

	return epoll_ctl(d->epoll_fd, EPOLL_CTL_ADD, fd, &ev);
}

static int arm_timer(int fd, uint64_t first_ns, uint64_t interval_ns)
{
	struct itimerspec spec = {
	    .it_value = {(time_t)(first_ns / 1000000000), (long)(first_ns % 1000000000)},
	    .it_interval = {(time_t)(interval_ns / 1000000000), (long)(interval_ns % 1000000000)},
	};

	return timerfd_settime(fd, 0, &spec, NULL);
}

static int setup_loop(struct daemon *d, char *err, size_t errlen)
{
	sigset_t mask;

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	signal(SIGPIPE, SIG_IGN);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) ||
	    (d->signal_fd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK)) < 0 ||
	    (d->epoll_fd = epoll_create1(EPOLL_CLOEXEC)) < 0 ||
	    (d->commit_timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK)) <
		0 ||
	    (d->tick_timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK)) < 0 ||
	    (d->stats_timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK)) < 0 ||
	    arm_timer(d->tick_timer_fd, 1000000000, 1000000000) ||
	    daemon_add_fd(d, d->signal_fd, TAG_SIGNAL) ||
	    daemon_add_fd(d, d->commit_timer_fd, TAG_COMMIT) ||
	    daemon_add_fd(d, d->tick_timer_fd, TAG_TICK) ||
	    daemon_add_fd(d, d->stats_timer_fd, TAG_STATS)) {
		snprintf(err, errlen, "setting up the event loop: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/* Group commit: the first record appended after a commit arms a one-shot
 * timer; when it fires, one fdatasync makes everything appended durable. */
static void schedule_commit(struct daemon *d)
{
	struct itimerspec current;

	if (wal_appended_seq(d->wal) == wal_durable_seq(d->wal))
		return;
	if (timerfd_gettime(d->commit_timer_fd, &current) == 0 &&
	    (current.it_value.tv_sec || current.it_value.tv_nsec))
		return;
	arm_timer(d->commit_timer_fd, (uint64_t)d->policy.wal.commit_interval_ms * 1000000, 0);
}

static void commit_now(struct daemon *d)
{
	if (wal_appended_seq(d->wal) != wal_durable_seq(d->wal) && wal_commit(d->wal))
		vg_err("forensic log: commit failed: %s", wal_error(d->wal));
	control_reply_durable(d);
}

static void drain(int fd)
{
	uint64_t buf[16];

	while (read(fd, buf, sizeof(buf)) > 0)
		;
}

static void on_signal(struct daemon *d)
{
	struct signalfd_siginfo si;
	char err[600];

	while (read(d->signal_fd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGHUP) {
			sd_notify(0, "RELOADING=1");
			daemon_reload(d, err, sizeof(err));
			sd_notify(0, "READY=1");
		} else {
			vg_info("signal %u: stopping", si.ssi_signo);
			d->stopping = true;
		}
	}
}

static void on_tick(struct daemon *d)
{
	drain(d->tick_timer_fd);
	d->events_per_s = d->events_total - d->events_last_tick;
	d->events_last_tick = d->events_total;
	pipeline_check_lost(d);
	proctable_expire(d->procs, clock_boot_ns(), EXPIRE_EXITED_NS);
	vaccine_expire(d, clock_boot_ns() + (uint64_t)d->boot_to_real_ns);
	precog_tick(d);
	honeypot_tick(d);
}

static int run_loop(struct daemon *d)
{
	struct epoll_event events[64];
	uint64_t drained_ns = clock_boot_ns();
	bool requests_waiting = false;

	while (!d->stopping) {
		/* Process events are batched in the ring (see sensor.bpf.c): drain
		 * it at least every DRAIN_INTERVAL_MS, also while other fds keep
		 * the loop busy. */
		int n =
		    epoll_wait(d->epoll_fd, events, 64, requests_waiting ? 0 : DRAIN_INTERVAL_MS);

		if (n < 0 && errno != EINTR) {
			vg_err("epoll_wait: %s", strerror(errno));
			return -1;
		}
		for (int i = 0; i < n; i++) {
			uint64_t tag = events[i].data.u64;

			switch (tag) {
			case TAG_SENSOR:
				if (sensor_consume(d->sensor) < 0)
					vg_warn("reading the ring buffer failed");
				break;
			case TAG_SIGNAL:
				on_signal(d);
				break;
			case TAG_COMMIT:
				drain(d->commit_timer_fd);
				commit_now(d);
				break;
			case TAG_TICK:
				on_tick(d);
				break;
			case TAG_CONTROL:
				control_accept(d);
				break;
			case TAG_GATE:
				precog_on_gate_report(d);
				break;
			case TAG_MARKED_PATHS:
				gate_recheck_marks(d->gate);
				break;
			case TAG_STATS:
				drain(d->stats_timer_fd);
				request_stats_sampled(d);
				break;
			case TAG_SUPERVISE:
				honeypot_on_report(d);
				break;
			case TAG_HONEYTOKEN:
				honeypot_on_honeytoken(d);
				break;
			case TAG_DECOY_SERVICE:
				honeypot_on_decoy_service(d);
				break;
			default:
				control_on_ready(d, events[i].data.ptr, events[i].events);
			}
		}
		uint64_t now_ns = clock_boot_ns();

		if (now_ns - drained_ns >= DRAIN_INTERVAL_MS * 1000000ull) {
			if (sensor_consume(d->sensor) < 0)
				vg_warn("reading the ring buffer failed");
			drained_ns = now_ns;
		}
		requests_waiting = control_serve_pending(d);
		schedule_commit(d);
		control_reap(d);
		sinks_flush(&d->sinks);
	}
	return 0;
}

static void shutdown_daemon(struct daemon *d, const char *reason)
{
	struct json_object *obj;

	sd_notify(0, "STOPPING=1");
	honeypot_stop(d);
	precog_stop(d);
	if (d->sensor) {
		sensor_consume(d->sensor);
		pipeline_check_lost(d);
		sensor_close(d->sensor);
	}
	if (d->wal) {
		obj = record_object(d, "daemon_stop");
		json_object_object_add(obj, "reason", json_object_new_string(reason));
		json_object_object_add(obj, "events_total",
				       json_object_new_uint64(d->events_total));
		json_object_object_add(obj, "events_lost",
				       json_object_new_uint64(d->lost_reported));
		pipeline_publish(d, obj, WAL_DAEMON_STOP, VG_SINK_EVENT);
		commit_now(d);
		wal_close(d->wal);
	}
	control_close_all(d);
	yara_free(d->yara);
	vaccine_set_free(&d->vaccines);
	sinks_close(&d->sinks);
	proctable_free(d->procs);
	for (size_t i = 0; i < BACKLOG_LINES; i++)
		free(d->backlog[i]);
	policy_free(&d->policy);
	if (d->lock_fd >= 0)
		close(d->lock_fd);
}

static int start(struct daemon *d, char *err, size_t errlen)
{
	struct json_object *obj;

	if (load_policy(d->policy_path, &d->policy, err, errlen) || take_lock(d, err, errlen) ||
	    sinks_open(&d->sinks, d->policy.output.to_stdout, d->policy.output.file,
		       d->policy.output.syslog, err, errlen) ||
	    setup_loop(d, err, errlen) || open_wal(d, err, errlen))
		return -1;
	vaccine_replay(d);
	obj = record_object(d, "daemon_start");
	json_object_object_add(obj, "pid", json_object_new_int64(getpid()));
	json_object_object_add(obj, "version", json_object_new_string(VG_VERSION));
	pipeline_publish(d, obj, WAL_DAEMON_START, VG_SINK_EVENT);
	record_policy_load(d, "loaded", NULL);
	commit_now(d);

	d->procs = proctable_new();
	if (!d->procs) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	proctable_seed(d->procs);
	if (open_sensor(d, err, errlen) ||
	    daemon_add_fd(d, sensor_epoll_fd(d->sensor), TAG_SENSOR) ||
	    precog_start(d, err, errlen) || honeypot_start(d, err, errlen) ||
	    control_open(d, err, errlen) || daemon_add_fd(d, d->control_fd, TAG_CONTROL))
		return -1;
	quarantine_recover(d);
	vg_info("watching (%s scope, policy %s)", policy_scope_name(d->policy.scope.kind),
		d->policy.source);
	sd_notify(0, "READY=1");
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
	    {"policy", required_argument, NULL, 'p'},
	    {"verbose", no_argument, NULL, 'v'},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},
	    {NULL, 0, NULL, 0},
	};
	struct daemon d = {
	    .epoll_fd = -1,
	    .signal_fd = -1,
	    .commit_timer_fd = -1,
	    .tick_timer_fd = -1,
	    .control_fd = -1,
	    .lock_fd = -1,
	    .gate_report_fd = -1,
	    .supervise_report_fd = -1,
	    .honeytoken_report_fd = -1,
	    .decoy_service_report_fd = -1,
	    .stats_timer_fd = -1,
	};
	enum vg_log_level level = VG_LOG_INFO;
	char err[1024];
	int opt, rc;

	vg_log_init("vigilanted", level);
	opterr = 0; /* a bad option is reported by cli_bad_option, in one line */
	while ((opt = getopt_long(argc, argv, ":p:vhV", options, NULL)) != -1) {
		switch (opt) {
		case 'p':
			d.policy_path = optarg;
			break;
		case 'v':
			level = VG_LOG_DEBUG;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("vigilanted %s\n", VG_VERSION);
			return 0;
		default:
			return cli_bad_option(opt, NULL, argv);
		}
	}
	if (optind != argc)
		return cli_usage_error(NULL, "unexpected argument '%s'", argv[optind]);
	vg_log_set_level(level);
	d.boot_to_real_ns = clock_boot_to_real_offset();
	d.started_ns = clock_boot_ns();
	if (start(&d, err, sizeof(err))) {
		vg_err("%s", err);
		shutdown_daemon(&d, "start failed");
		return 1;
	}
	rc = run_loop(&d);
	shutdown_daemon(&d, rc ? "error" : "signal");
	return rc ? 1 : 0;
}
