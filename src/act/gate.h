/* The exec and open gates: fanotify permission events answered from the
 * kernel's verdicts. The open gate (inode marks on the protected files) is
 * always on; it costs only when those files are opened. The exec gate
 * (filesystem marks) costs a round trip on every exec, so the daemon arms it
 * only while some process is flagged (see precog.c). A thread of its own reads the fanotify fd and
 * answers each event at once (one BPF map lookup), so a busy daemon never delays an exec; what it
 * decided for a flagged process is reported to the daemon's main loop through a pipe, as struct
 * vg_gate_decision records.
 *
 * Failing open: if the verdict cannot be read, the event is allowed and
 * counted; an event not decided within the deadline is allowed by a
 * watchdog and counted as late (act/gate_deadline.h). If the gate thread dies, the kernel closes
 * the fanotify fd and allows every waiting process: nothing can hang on the gate. */
#ifndef VG_ACT_GATE_H
#define VG_ACT_GATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "act/vaccine.h"
#include "decide/argv_rule.h"
#include "decide/policy.h"
#include "sense/sensor_loader.h"

enum vg_gate_kind { VG_GATE_EXEC = 1, VG_GATE_OPEN = 2 };

/* One decision about a flagged process; fits in a pipe write (atomic). */
struct vg_gate_decision {
	uint32_t kind; /* enum vg_gate_kind */
	uint32_t tgid;
	uint64_t start_ns;
	uint32_t score;
	uint32_t verdict_flags; /* VG_FLAGGED, VG_BLOCKED */
	uint32_t refused;
	uint32_t late;	     /* decided after the deadline: the event had been allowed */
	uint32_t vaccine_id; /* the vaccine that refused (or would refuse) this exec; 0: none */
	/* Not the gate's: an exec from a filesystem it does not watch, which
	 * the kernel killed (refused) or only reported (sensor.h,
	 * VG_EXEC_UNGATED). */
	uint32_t ungated;
	uint32_t path_len;
	char path[1024];
};

struct vg_gate_stats {
	uint64_t events;	  /* permission events answered */
	uint64_t refused;	  /* answered FAN_DENY */
	uint64_t fail_open;	  /* allowed because the verdict could not be read */
	uint64_t reports_dropped; /* decisions not reported: the pipe was full */
	uint64_t late;		  /* allowed because no decision came within the deadline */
};

struct vg_gate;

struct vg_gate_options {
	const struct vg_sensor *sensor;
	pid_t daemon_tgid;
	enum vg_precog_mode mode;
	const struct vg_path_list *exec_filesystems; /* gate exec on these paths' filesystems,
						      * once armed; must outlive the gate */
	const struct vg_path_list
	    *protected_paths; /* gate open of these files (dirs: their files) */
	uint32_t deadline_ms; /* an event not decided by then is allowed (fail open) */
};

/* Starts the gate thread. Returns 0, or -1 with err set. *report_fd is the
 * read end of the decision pipe, for the caller's event loop. */
int gate_start(const struct vg_gate_options *opts, struct vg_gate **out, int *report_fd, char *err,
	       size_t errlen);
void gate_set_mode(struct vg_gate *g, enum vg_precog_mode mode);
void gate_set_deadline(struct vg_gate *g, uint32_t deadline_ms);

/* A vaccine as the gate checks it (act/vaccine.h has the full form):
 *   VG_VACCINE_EXEC     the exec of a program with this content is refused;
 *   VG_VACCINE_ARGV     an exec whose argv matches argv_rules[argv_rule] is
 *                       refused, decided on the argv the kernel captured at
 *                       execve entry (sensor.h, struct vg_exec_argv; what
 *                       BPF could not read is read from the process and
 *                       written back), or for a script on the argv its #!
 *                       line makes;
 *   VG_VACCINE_FILE     the open of the file whose identity is file (marked
 *                       with gate_watch_file()) by a program with this
 *                       content is refused (the opener's program found
 *                       through /proc/PID/exe);
 *   VG_VACCINE_CONNECT  decided in the kernel; the gate puts each program
 *                       identity it hashes with this content in the
 *                       kernel's connect_vaccines map, so copies are covered
 *                       once they are exec'd while the exec gate is armed. */
struct vg_gate_vaccine {
	uint32_t id;
	uint32_t kind;	     /* enum vg_vaccine_kind */
	uint64_t expires_ns; /* CLOCK_BOOTTIME */
	unsigned char sha256[32];
	struct vg_exe_key file;		       /* FILE */
	struct vg_connect_vaccine_key connect; /* CONNECT: family, port, addr (exe unused) */
	uint32_t argv_rule;		       /* ARGV: index into argv_rules */
	uint32_t pad;
};
/* The vaccines the gates check, and whether they are enforced
 * (VG_MODE_ENFORCE) or only reported (VG_MODE_MONITOR). Copied. File marks
 * that no FILE vaccine needs any more are removed. */
void gate_set_vaccines(struct vg_gate *g, const struct vg_gate_vaccine *vaccines, size_t count,
		       const struct vg_argv_rule *argv_rules, size_t argv_rule_count,
		       enum vg_mode mode);
/* Marks a file for the open gate, for a FILE vaccine; *key receives its
 * identity. Returns 0, or -1 with err. */
int gate_watch_file(struct vg_gate *g, const char *path, struct vg_exe_key *key, char *err,
		    size_t errlen);

/* The real files the honeypot serves decoys for (honeypot.decoys), with
 * its mode. In enforce, each that exists is marked, and an open of it by a
 * flagged process is refused here, in the kernel's open path: a supervised
 * process that changes the path between the supervisor's reading and the
 * kernel's (another thread rewrites it) would otherwise open the real file,
 * and one outside `vigilante run` is served no decoy at all. Replaces the
 * set given before; a file that cannot be marked is a warning. */
void gate_set_decoyed(struct vg_gate *g, const char *const *paths, size_t count, enum vg_mode mode);

/* The device of the filesystem (superblock) an exec_gate path marks, in
 * the kernel's encoding (major << 20 | minor), as /proc/self/mountinfo
 * gives it for the path's mount: what the sensor compares an exec'd file's
 * superblock with. Returns 0, or -1 with err. */
int gate_filesystem_dev(const char *path, uint32_t *dev, char *err, size_t errlen);
/* The directories of the marked paths (protected paths, FILE vaccines'
 * files) are watched so that a file replaced by a new one (passwd renames
 * a new /etc/shadow over the old) or created after the start is marked
 * again, and the vaccines follow it: the fd to poll, and what to call when
 * it is readable. */
int gate_marks_watch_fd(const struct vg_gate *g);
void gate_recheck_marks(struct vg_gate *g);
/* The dynamic loaders that pass the exec gate without a permission event
 * (precognition.exec_gate_loaders): each dynamic program's exec opens its
 * loader as well, which would be a second round trip per exec.
 * gate_loaders_open() opens those of paths that exist (replacing any open
 * before) and gives their identities in keys (as stat() gives them, which
 * is how the sensor keys files); it returns how many. The
 * kernel must know them first: a blocked process that runs a loader
 * directly ("ld.so PROG") is killed at the exec there. Then
 * gate_loaders_pass() lets them through (0, or -1 with err and none
 * passed); gate_loaders_close() gates them again. */
size_t gate_loaders_open(struct vg_gate *g, const struct vg_path_list *paths,
			 struct vg_exe_key keys[VG_EXEC_PASSED_MAX]);
int gate_loaders_pass(struct vg_gate *g, char *err, size_t errlen);
void gate_loaders_close(struct vg_gate *g);
/* Adds the exec marks (0, or -1 with err and nothing armed) / removes them. */
int gate_arm_exec(struct vg_gate *g, char *err, size_t errlen);
void gate_disarm_exec(struct vg_gate *g);
void gate_stats(const struct vg_gate *g, struct vg_gate_stats *out);
/* Stops the thread and closes the fanotify fd (pending events are allowed). */
void gate_stop(struct vg_gate *g);

#endif
