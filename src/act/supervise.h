/* The honeypot's supervisor. A workload started with `vigilante run` carries
 * a seccomp filter (supervise_filter.c) that sends its open and stat calls
 * to this thread as user notifications. For a process the kernel has not
 * flagged, the answer is "continue" after one BPF map lookup. For a flagged
 * one, the path is resolved as the kernel would (path_resolve.h) and, if it
 * is a decoyed file, the process is handed a file descriptor to the decoy
 * (SECCOMP_IOCTL_NOTIF_ADDFD) or the decoy's stat: the real file is never
 * opened by it. What it served is reported to the daemon's main loop as
 * struct vg_supervise_report datagrams; a served open's report carries a
 * duplicate of the fd the process got (SCM_RIGHTS), which shares its file
 * offset: how far the process has read the decoy, without a kernel probe.
 *
 * Failing: `vigilante run` keeps a copy of the listener; while the daemon is
 * gone it answers "continue" to every call (unwatched, as the gates fail
 * open), and hands the workload back once the daemon is up again.
 *
 * Not covered: a multi-threaded flagged process that rewrites the path in
 * its memory between the check and the kernel's own read (the seccomp
 * user-notification race) can open a file that was not decoyed when checked;
 * io_uring is refused to supervised workloads for the same reason. */
#ifndef VG_ACT_SUPERVISE_H
#define VG_ACT_SUPERVISE_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "decide/policy.h"

enum vg_supervise_event {
	VG_SUPERVISE_DECOY_OPEN = 1, /* an open of a decoyed path */
	VG_SUPERVISE_DECOY_STAT = 2, /* a stat of a decoyed path */
};

struct vg_supervise_report {
	uint32_t event; /* enum vg_supervise_event */
	uint32_t tgid, tid;
	uint64_t start_ns; /* the process's start, from its verdict (0: unknown) */
	uint32_t ppid;
	char comm[16];
	uint32_t kind;		   /* enum vg_decoy_kind */
	uint32_t served;	   /* 1: the decoy was served; 0: monitor mode, the real file was */
	int32_t target_fd;	   /* DECOY_OPEN, served: the fd number the process got */
	int32_t error;		   /* errno when serving failed (the call failed with it) */
	uint32_t syscall;	   /* x86_64 number */
	uint64_t ts_ns;		   /* CLOCK_BOOTTIME */
	char asked[PATH_MAX];	   /* the path as the process gave it */
	char stands_for[PATH_MAX]; /* the decoyed path it resolved to */
	char decoy[PATH_MAX];	   /* the decoy file */
};

/* A decoyed path and its decoy, as the daemon prepared it. */
struct vg_supervise_decoy {
	enum vg_decoy_kind kind;
	char stands_for[PATH_MAX];
	char decoy[PATH_MAX];
};

struct vg_supervise_stats {
	uint64_t notifications; /* intercepted calls answered */
	uint64_t flagged;	/* ... of which by flagged processes */
	uint64_t decoyed;	/* ... of which served a decoy (or would, in monitor) */
	uint64_t failed;	/* answered with an error: unreadable path, gone process */
	uint64_t reports_dropped;
	uint64_t workloads; /* listeners being served now */
};

struct vg_supervisor;

/* Reads one report; *served_fd is the duplicate of a served decoy's fd
 * (-1 if none; the caller closes it). Returns 1, 0 when none waits, -1. */
int supervise_read_report(int report_fd, struct vg_supervise_report *r, int *served_fd);

/* Starts the thread. verdicts_fd: the sensor's verdicts map (tgid ->
 * struct vg_verdict), read on every notification unless *verdicts_live
 * (the kernel's count of entries in it, in shared memory) is 0. *report_fd: the read end
 * of the report socket (SOCK_SEQPACKET), for the caller's event loop. */
int supervise_start(int verdicts_fd, const uint64_t *verdicts_live, struct vg_supervisor **out,
		    int *report_fd, char *err, size_t errlen);
/* Replaces the decoy table and mode (copied). VG_MODE_OFF serves nothing. */
int supervise_set_decoys(struct vg_supervisor *s, const struct vg_supervise_decoy *decoys,
			 size_t count, enum vg_mode mode);
/* Takes a workload's seccomp listener fd (ownership passes). */
int supervise_add(struct vg_supervisor *s, int listener_fd, char *err, size_t errlen);
void supervise_stats(struct vg_supervisor *s, struct vg_supervise_stats *out);
/* Stops the thread. The listeners stay open until the process exits. */
void supervise_stop(struct vg_supervisor *s);

/* supervise_filter.c: installs, in the calling process, the filter that
 * sends open/stat calls to a supervisor, and returns its listener fd (the
 * caller hands it over and closes it before exec), or -1 with err. */
int supervise_filter_install(char *err, size_t errlen);
/* Receives one notification on the listener and lets the call go on
 * unchanged: what `vigilante run` does while the daemon is away. 0 or -1. */
int supervise_filter_continue(int listener);

#endif
