/* Userspace side of the kernel sensors: open, load, attach, poll, detach. */
#ifndef VG_SENSE_SENSOR_LOADER_H
#define VG_SENSE_SENSOR_LOADER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "sense/exe_key.h"
#include "sense/sensor.h"

struct vg_sensor;

struct vg_sensor_options {
	enum vg_scope_mode scope;
	const char *cgroup_path;    /* VG_SENSOR_SCOPE_CGROUP: a cgroup v2 directory */
	pid_t root_pid;		    /* VG_SENSOR_SCOPE_PIDTREE: the tree's root */
	pid_t daemon_tgid;	    /* excluded from everything; 0 for none */
	uint32_t ring_buffer_bytes; /* a power of two; 0 for the built-in 8 MiB */
};

/* Called for each ring-buffer record; a non-zero return stops consumption. */
typedef int (*vg_sensor_event_fn)(void *ctx, const void *data, size_t size);

struct vg_prog_stats {
	char name[32];
	uint64_t run_cnt;
	uint64_t run_time_ns;
};

int sensor_open(const struct vg_sensor_options *opts, vg_sensor_event_fn fn, void *ctx,
		struct vg_sensor **out, char *err, size_t errlen);
/* An fd that is readable when events wait; for epoll. */
int sensor_epoll_fd(const struct vg_sensor *s);
/* Hands every waiting event to fn. Returns the count, or -errno. */
int sensor_consume(struct vg_sensor *s);
/* Events the kernel could not queue because the ring buffer was full. */
uint64_t sensor_lost(const struct vg_sensor *s);
/* Run count and run time of each program, as counted while run-time stats
 * were on. Returns the number filled, at most max. */
int sensor_prog_stats(const struct vg_sensor *s, struct vg_prog_stats *out, int max);
void sensor_close(struct vg_sensor *s);

/* BPF run-time statistics cost a clock read around every program run: on
 * these machines about 100 ns per syscall, more than the sensor itself. So
 * they are on only while someone samples them: between these two calls. */
int sensor_stats_start(struct vg_sensor *s);
void sensor_stats_stop(struct vg_sensor *s);

/* Precognition: installs the model and thresholds the sys_enter program
 * scores with, then the mode (VG_PRECOG_OFF stops scoring). Takes effect
 * on the next syscall. */
void sensor_set_precog(struct vg_sensor *s, enum vg_precog_mode mode, uint32_t flag_threshold,
		       uint32_t block_threshold, const struct vg_model *model);
/* Learning (`vigilante learn`): each program exec'd from now on gets a
 * profile, and every n-gram its tasks make is recorded in it. */
void sensor_set_learning(struct vg_sensor *s, bool learning);
/* Calls fn for each profile in the kernel; stops when fn returns non-zero.
 * Returns the number visited, or -1 with errno. */
int sensor_profiles_foreach(const struct vg_sensor *s,
			    int (*fn)(const struct vg_exe_key *key,
				      const struct vg_profile *profile, void *ctx),
			    void *ctx);
/* Installs a program's profile: programs exec'd from now on use it. */
int sensor_add_profile(struct vg_sensor *s, const struct vg_exe_key *key,
		       const struct vg_profile *profile);

/* Attaches the connect gate (cgroup/connect4 and connect6, sendmsg4 and
 * sendmsg6 for datagrams sent without a connect, and sock_create for raw
 * and ICMP sockets) to a cgroup v2 directory: the scope's cgroup, or the
 * hierarchy's root for the system. */
int sensor_attach_connect_gate(struct vg_sensor *s, const char *cgroup_path, char *err,
			       size_t errlen);
/* The kernel's verdict on a process: 0 and *out filled if it is flagged,
 * -1 if it is not (or the pid is another process now). */
int sensor_verdict(const struct vg_sensor *s, uint32_t tgid, struct vg_verdict *out);
/* Calls fn for each flagged process; returns how many there were, or -1. */
int sensor_verdicts_foreach(const struct vg_sensor *s,
			    void (*fn)(uint32_t tgid, struct vg_verdict *verdict, void *ctx),
			    void *ctx);
/* Clears flags from a process's verdict (e.g. VG_HELD once released). */
int sensor_verdict_clear(const struct vg_sensor *s, uint32_t tgid, uint32_t flags);
/* Whether a process that is newly flagged is stopped until the exec gate is
 * armed (see sensor.h, vg_precog_config.hold_flagged). */
void sensor_set_hold_flagged(struct vg_sensor *s, bool hold);
/* Quarantine by score: threshold 0 turns it off; without enforce the
 * crossing is only reported. */
void sensor_set_quarantine(struct vg_sensor *s, uint32_t threshold, bool enforce);
/* Marks a process quarantined (an operator's `freeze`): from its next
 * syscall on, the kernel keeps it stopped. */
int sensor_mark_quarantined(struct vg_sensor *s, uint32_t tgid, uint64_t start_ns);
/* Flags a process (an operator's `vigilante flag`, a honeytoken, a decoy
 * service): the gates and the honeypot treat it as the kernel's own flag. */
int sensor_mark_flagged(struct vg_sensor *s, uint32_t tgid);
/* Puts the parent cgroup of supervised workloads (`vigilante run`) in the
 * sensor's scope, whatever the policy's scope. */
int sensor_set_supervised_root(struct vg_sensor *s, const char *cgroup_path, char *err,
			       size_t errlen);
/* The decoy services' ports: a connect to one on loopback flags the
 * process in the connect program. Replaces the set; count 0 clears it. */
int sensor_set_decoy_ports(struct vg_sensor *s, const uint16_t *ports, size_t count);
/* The filesystems the exec gate watches (superblock devices, kernel
 * encoding; at most VG_EXEC_GATED_MAX), the dynamic loaders it lets pass
 * (at most VG_EXEC_PASSED_MAX), and what an exec by a blocked process from
 * any other filesystem, or of one of those loaders, meets. Replaces both
 * sets. Returns 0, or -1 with errno, leaving the check off. */
int sensor_set_ungated_exec(struct vg_sensor *s, enum vg_ungated_exec what, const uint32_t *devs,
			    size_t dev_count, const struct vg_exe_key *passed, size_t passed_count);
/* The number of processes with a verdict (an upper bound; 0: nobody is
 * flagged), in the kernel's memory: read it with __atomic_load_n. */
const uint64_t *sensor_verdicts_live(const struct vg_sensor *s);
/* The verdicts map (tgid -> struct vg_verdict), for threads that read it
 * directly, such as the honeypot's supervisor. */
int sensor_verdicts_fd(const struct vg_sensor *s);
/* Auto-vaccination by score: threshold 0 turns it off. */
void sensor_set_vaccination(struct vg_sensor *s, uint32_t threshold, uint64_t ttl_ns);
/* The vaccines map (see sensor.h): 0 and *out filled if key is there. */
int sensor_vaccine_get(const struct vg_sensor *s, const struct vg_exe_key *key,
		       struct vg_vaccine_entry *out);
int sensor_vaccine_put(const struct vg_sensor *s, const struct vg_exe_key *key,
		       const struct vg_vaccine_entry *entry);
/* Removes every entry of that vaccine id, or, with id 0, every expired one
 * (expiry against now_ns, CLOCK_BOOTTIME), from the exec and the connect
 * vaccine maps. */
void sensor_vaccines_remove(const struct vg_sensor *s, uint32_t id, uint64_t now_ns);
/* Vaccination's switches in the kernel: whether connect vaccines refuse
 * (else they are reported), whether execve argv is captured for the exec
 * gate (exec-by-argv vaccines in force), whether the connect gate looks
 * connect vaccines up (some in force). */
void sensor_set_vaccine_kinds(struct vg_sensor *s, bool enforce, bool capture_exec_argv,
			      bool connect_vaccines);
/* The argv process tgid passed to execve, captured at its entry (see
 * sensor.h): 0 and *out filled, or -1 if none was captured. */
int sensor_exec_argv(const struct vg_sensor *s, uint32_t tgid, struct vg_exec_argv *out);
/* Replaces the captured argv of process tgid (the exec gate's own read of
 * what the kernel could not read, VG_ARGV_FAULTED); only while the entry is
 * there. 0, or -1 with errno. */
int sensor_exec_argv_put(const struct vg_sensor *s, uint32_t tgid, const struct vg_exec_argv *argv);
/* A program identity may not connect to key's address and port. */
int sensor_connect_vaccine_put(const struct vg_sensor *s, const struct vg_connect_vaccine_key *key,
			       const struct vg_vaccine_entry *entry);
/* Recounts the quarantined processes for the kernel's fast path, after
 * marks were cleared or processes died. */
void sensor_recount_quarantined(struct vg_sensor *s);
/* Every task with state, through the task iterator. Returns the count and
 * a malloc'd array in *out, or -1 with errno. */
int sensor_tasks(const struct vg_sensor *s, struct vg_task_report **out);

#endif
