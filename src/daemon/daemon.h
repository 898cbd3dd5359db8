/* vigilanted's state, shared by its parts: main.c (setup, signals, the event
 * loop), pipeline.c (sensor event -> process table -> rules -> outputs and
 * forensic log), control.c (the control socket) and requests.c (what each
 * control request does). */
#ifndef VG_DAEMON_DAEMON_H
#define VG_DAEMON_DAEMON_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <json-c/json.h>

#include "act/decoy.h"
#include "act/decoy_service.h"
#include "act/gate.h"
#include "act/honeytoken.h"
#include "act/supervise.h"
#include "act/snapshot.h"
#include "act/vaccine.h"
#include "act/vaccine_set.h"
#include "act/yara_scan.h"
#include "decide/policy.h"
#include "record/sink.h"
#include "record/wal.h"
#include "sense/proctable.h"
#include "sense/sensor_loader.h"

#define VG_VERSION "0.1.0"

#define BACKLOG_LINES 1024 /* recent event lines kept for `vigilante events` */

/* What woke the event loop, for the fds that are not control clients. */
enum loop_tag {
	TAG_SENSOR = 1,
	TAG_SIGNAL,
	TAG_COMMIT,
	TAG_TICK,
	TAG_CONTROL,
	TAG_GATE,
	TAG_MARKED_PATHS, /* a directory of a path the open gate marks changed: precog.c */
	TAG_STATS,
	TAG_SUPERVISE,
	TAG_HONEYTOKEN,	   /* honeytoken touches: see honeypot_bait.c */
	TAG_DECOY_SERVICE, /* decoy service connections and sessions: honeypot_bait.c */
};

#define MAX_PROGRAMS 16

#define MAX_QUARANTINES 64

/* A decoy fd a process was given: the daemon's duplicate shares its file
 * offset, read at the process's exit as the bytes it read. */
struct served_decoy {
	uint32_t tgid;
	int fd;
	int pidfd;	    /* readable once the process has exited */
	uint64_t served_ns; /* CLOCK_BOOTTIME */
	char decoy[PATH_MAX];
};

enum quarantine_state { Q_FROZEN, Q_RELEASED, Q_KILLED };

struct quarantine {
	char id[64];
	pid_t pid; /* the process that was quarantined; its tree went with it */
	enum quarantine_state state;
	char cause[16]; /* "score", "operator", "recovered" */
	uint32_t score;
	int processes;
	int yara_matches;
	char cgroup[PATH_MAX];	     /* the frozen cgroup */
	char origin[PATH_MAX];	     /* where it came from: release moves it back */
	char snapshot_dir[PATH_MAX]; /* policy quarantine.dir/<id> */
};

struct control_client {
	int fd;
	uid_t uid;
	gid_t gid;
	pid_t pid;
	bool privileged;    /* root, or in the policy's control group */
	bool follow;	    /* streaming events */
	bool dead;	    /* gone or broken: closed by control_reap() */
	bool finished;	    /* closed by control_reap() once its output is sent */
	bool pending;	    /* complete request lines are waiting in in[] */
	uint64_t await_seq; /* reply once this WAL seq is durable; 0: none */
	bool await_stats;   /* reply to status once the BPF stats sample is done */
	char in[8192];
	size_t in_len;
	char *out;
	size_t out_len, out_cap;
	uint64_t dropped_lines; /* not sent because the client lagged */
	struct control_client *next;
};

struct daemon {
	struct vg_policy policy;
	const char *policy_path; /* NULL: embedded default */
	struct vg_sensor *sensor;
	struct vg_proctable *procs;
	struct vg_sinks sinks;
	struct wal *wal;
	struct vg_gate *gate;
	struct vg_yara *yara; /* loaded at the first quarantine */
	struct quarantine quarantines[MAX_QUARANTINES];
	int quarantine_count;
	struct vg_vaccine_set vaccines; /* in force */
	int gate_report_fd;
	struct vg_supervisor *supervisor; /* answers supervised workloads' open/stat */
	int supervise_report_fd;
	struct served_decoy *served; /* decoy fds given out, until their process exits */
	struct {
		uint32_t tgid;
		uint16_t port;
	} decoy_connects[16]; /* the last ones the connect program flagged */
	unsigned decoy_connects_next;
	int served_count, served_cap;
	struct vg_honeytokens *honeytokens; /* while some honeytoken is watched */
	int honeytoken_report_fd;
	struct vg_decoy_services *decoy_services; /* while some decoy service port is asked */
	int decoy_service_report_fd;
	bool exec_gate_armed; /* exec marks in place: some process is flagged */
	/* What the kernel does to a blocked process's exec from a filesystem
	 * outside the exec gate (enum vg_ungated_exec), as last set. */
	int ungated_exec;
	size_t loaders_passed; /* dynamic loaders the exec gate lets pass */
	int64_t boot_to_real_ns;

	int epoll_fd, signal_fd, commit_timer_fd, tick_timer_fd, control_fd, lock_fd;
	struct control_client *clients;

	char *backlog[BACKLOG_LINES];
	uint64_t backlog_next;

	uint64_t started_ns; /* CLOCK_BOOTTIME */
	uint64_t events_total, events_invalid, alerts_total;
	uint64_t events_last_tick, events_per_s;
	uint64_t lost_reported;

	/* BPF run-time stats, sampled on demand by `vigilante status`. */
	int stats_timer_fd;
	bool stats_sampling;
	uint32_t stats_sample_ms;
	int stats_count;
	struct vg_prog_stats stats_base[MAX_PROGRAMS];	 /* counters when the sample began */
	struct vg_prog_stats stats_window[MAX_PROGRAMS]; /* the last finished sample */
	bool stopping;
};

/* pipeline.c */
int pipeline_on_event(void *ctx, const void *data, size_t size);
/* Emits a JSON object to the sinks, the backlog and following clients, and,
 * when wal_type is non-zero, to the forensic log. Consumes obj. Returns the
 * forensic record's seq (0 when none was written). */
uint64_t pipeline_publish(struct daemon *d, struct json_object *obj, enum wal_type wal_type,
			  enum vg_sink_severity severity);
/* Appends a JSON record to the forensic log; returns its seq, 0 on failure. */
uint64_t pipeline_record(struct daemon *d, enum wal_type type, struct json_object *obj);
void pipeline_check_lost(struct daemon *d);

/* control.c */
int control_open(struct daemon *d, char *err, size_t errlen);
void control_accept(struct daemon *d);
void control_on_ready(struct daemon *d, struct control_client *c, uint32_t epoll_events);
/* Serves the next requests of clients that sent more than one turn's worth;
 * returns whether some are still waiting (the loop then does not sleep). */
bool control_serve_pending(struct daemon *d);
void control_send(struct daemon *d, struct control_client *c, const char *line);
void control_send_json(struct daemon *d, struct control_client *c, struct json_object *obj);
/* Replies {"ok":true,...obj} or, with error, {"ok":false,"error":error}
 * (obj may be NULL; consumed). */
void control_answer(struct daemon *d, struct control_client *c, struct json_object *obj,
		    const char *error);
void control_broadcast(struct daemon *d, const char *line);
void control_reply_durable(struct daemon *d);
void control_reap(struct daemon *d);
void control_close_all(struct daemon *d);

/* precog.c */
int precog_start(struct daemon *d, char *err, size_t errlen);
/* Installs p's model, thresholds and mode (at start and on reload). */
int precog_apply(struct daemon *d, const struct vg_policy *p, char *err, size_t errlen);
void precog_on_gate_report(struct daemon *d);
/* A process was flagged: arm the exec gate if it is wanted and not armed. */
void precog_on_flagged(struct daemon *d);
void precog_on_blocked(struct daemon *d, const struct vg_score_event *ev);
/* Once a second: disarm the exec gate when nobody is flagged any more. */
void precog_tick(struct daemon *d);
/* Arms the exec gate when vaccines are in force (vaccine.c calls it). */
void precog_update_exec_gate(struct daemon *d);
/* An exec by a flagged process that no gate saw (monitor mode, no exec
 * gate, or a filesystem outside the gate, where the kernel kills a blocked
 * process when enforcing): record the decision. */
void precog_on_exec(struct daemon *d, const struct vg_exec_event *ev);
void precog_stop(struct daemon *d);

/* quarantine.c */
int quarantine_begin(struct daemon *d, pid_t pid, uint32_t score, const char *cause,
		     uint64_t detected_ns, char *err, size_t errlen);
void quarantine_on_crossing(struct daemon *d, const struct vg_score_event *ev);
int quarantine_release(struct daemon *d, struct quarantine *q, char *err, size_t errlen);
int quarantine_kill(struct daemon *d, struct quarantine *q, char *err, size_t errlen);
struct quarantine *quarantine_find(struct daemon *d, const char *id);
struct json_object *quarantine_json(const struct quarantine *q);
void quarantine_recover(struct daemon *d);
/* Where a snapshot went and the SHA-256 of its files, for the forensic log. */
void snapshot_result_json(struct json_object *obj, const struct vg_snapshot_result *res);

/* honeypot.c */
/* The parent cgroup of supervised workloads: ROOT/vigilante-run. */
const char *honeypot_run_root(void);
int honeypot_start(struct daemon *d, char *err, size_t errlen);
/* Prepares the decoys of p and gives them to the supervisor (start, reload). */
int honeypot_apply(struct daemon *d, const struct vg_policy *p, char *err, size_t errlen);
void honeypot_on_report(struct daemon *d);
void honeypot_on_exit(struct daemon *d, const struct vg_exit_event *ev);
void honeypot_tick(struct daemon *d);
void honeypot_stop(struct daemon *d);
/* A "type":"honeypot" record about a process (start_ns 0: the live one;
 * ts_ns 0: now). */
struct json_object *honeypot_record(struct daemon *d, const char *event, pid_t tgid,
				    uint64_t start_ns, uint64_t ts_ns);
/* Flags a process (source: "operator", "honeytoken", "decoy_service"),
 * as a forensic record with evidence (consumed; may be NULL). */
int honeypot_flag(struct daemon *d, pid_t pid, const char *source, struct json_object *evidence,
		  char *err, size_t errlen);
/* The daemon's side of a flag the kernel's verdicts map already holds (the
 * honeytoken and decoy service threads set it themselves): arms the exec
 * gate and writes the "flag" record. Consumes evidence (may be NULL). */
void honeypot_flag_record(struct daemon *d, pid_t pid, const char *source,
			  struct json_object *evidence);
/* What decoys and honeytokens imitate on this host (honeypot.c). */
extern const struct decoy_sources honeypot_host_sources;
/* honeypot_bait.c: honeytokens and decoy services, for every process. */
/* Plants p's honeytokens and watches them, (re)starts the decoy services
 * when their ports changed; stops both when the honeypot is off. */
int honeypot_bait_apply(struct daemon *d, const struct vg_policy *p, char *err, size_t errlen);
void honeypot_on_honeytoken(struct daemon *d);
void honeypot_on_decoy_service(struct daemon *d);
/* The connect program flagged a process connecting to a decoy service. */
void honeypot_on_decoy_connect(struct daemon *d, const struct vg_connect_event *ev);
/* Adds "honeytokens" and "decoy_services" counters to a status reply. */
void honeypot_bait_status(struct daemon *d, struct json_object *status);
void honeypot_bait_stop(struct daemon *d);
/* honeypot_requests.c: {"cmd":"supervise",...} and {"cmd":"flag",...} */
void request_supervise(struct daemon *d, struct control_client *c, struct json_object *req);
void request_flag(struct daemon *d, struct control_client *c, struct json_object *req);

/* main.c */
/* Adds fd to the event loop under tag. 0 or -1 (errno). */
int daemon_add_fd(struct daemon *d, int fd, enum loop_tag tag);
/* Loads the policy again; on error keeps the one in force. 0 or -1. */
int daemon_reload(struct daemon *d, char *err, size_t errlen);

/* vaccine.c */
/* Puts a vaccine in force: proto holds its kind, rule and program (id,
 * times and evidence are set here), for ttl_s seconds, with evidence (a
 * JSON object, consumed; may be NULL). Answers once its forensic record is
 * durable; an identical rule already in force answers that one's id.
 * Returns 0 and *id_out, or -1 with err. */
int vaccine_add(struct daemon *d, const struct vg_vaccine *proto, uint64_t ttl_s,
		struct json_object *evidence, uint32_t *id_out, char *err, size_t errlen);
/* A vaccine against the program process pid runs (read through
 * /proc/PID/exe while it lives; when exe is given, only if that is still
 * the program the incident saw), with the policy's TTL, for an incident
 * confirmed elsewhere: rule gives the kind and its rule (exec by content for
 * a quarantine kill; the honeytoken's path or the decoy service's address
 * for a decoy tripped), the program is filled in here. origin names the
 * incident's kind ("quarantine", "honeytoken", at most 15 bytes); evidence
 * (consumed, may be NULL) is recorded with it. Refused when
 * vaccination.mode is off. Returns 0 and *id_out, or -1 with err. */
int vaccine_from_incident(struct daemon *d, pid_t pid, const struct vg_exe_key *exe,
			  const struct vg_vaccine *rule, const char *origin,
			  struct json_object *evidence, uint32_t *id_out, char *err, size_t errlen);
/* The SHA-256 of the program at path (an absolute path). 0, or -1 with err. */
int vaccine_hash_program(const char *path, unsigned char sha[32], char *err, size_t errlen);
int vaccine_revoke(struct daemon *d, uint32_t id, char *err, size_t errlen);
void vaccine_on_crossing(struct daemon *d, const struct vg_score_event *ev);
/* An exec whose argv was rewritten between execve entry and the kernel's
 * copy (sensor.h, VG_EXEC_ARGV_REWRITTEN): records the kernel's decision. */
void vaccine_on_exec(struct daemon *d, const struct vg_exec_event *ev);
/* Rebuilds the vaccines in force from the forensic log (at start). */
void vaccine_replay(struct daemon *d);
void vaccine_expire(struct daemon *d, uint64_t now_real_ns);
/* Gives the gates (fanotify and kernel) the vaccines in force, and arms the
 * exec gate if they need it. */
void vaccine_push(struct daemon *d);
void request_vaccine(struct daemon *d, struct control_client *c, struct json_object *req);

/* quarantine_requests.c */
void request_quarantine(struct daemon *d, struct control_client *c, struct json_object *req);

/* requests.c */
void request_handle(struct daemon *d, struct control_client *c, const char *line);
/* The stats sample timer fired: answer the status requests waiting on it. */
void request_stats_sampled(struct daemon *d);

#endif
