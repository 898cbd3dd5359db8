/* Honeytokens: canary files planted where attackers look (decoy_plant()),
 * watched for every process on the host by a fanotify group of their own
 * (FAN_OPEN_PERM and FAN_OPEN_EXEC_PERM marks on each token's inode,
 * separate from the precognition gate's group). Nothing legitimate opens a
 * canary, so an open is a high-confidence sign of an intruder: a thread
 * reads the events and, before it allows the open, flags the opener in the
 * kernel's verdicts map (sensor_mark_flagged), so the opener is flagged by
 * the time its open returns. The open itself is allowed: the canary is fake.
 * Each touch is reported to the daemon's main loop as a struct
 * vg_honeytoken_report datagram.
 *
 * Failing open: every permission event is answered, whatever happens while
 * identifying the opener. If the daemon dies, the kernel closes the
 * fanotify fd and allows every waiting open.
 *
 * Not covered: an inode mark follows the file, not its name; a canary that
 * is deleted and made again is not watched until it is planted again (the
 * next policy load). */
#ifndef VG_ACT_HONEYTOKEN_H
#define VG_ACT_HONEYTOKEN_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "decide/policy.h"
#include "sense/sensor_loader.h"

/* What the opener asked for, from the open call it is blocked in. */
enum vg_honeytoken_access {
	VG_HONEYTOKEN_ACCESS_UNKNOWN = 0, /* openat2, io_uring, or the call was not readable */
	VG_HONEYTOKEN_ACCESS_READ,
	VG_HONEYTOKEN_ACCESS_WRITE,
	VG_HONEYTOKEN_ACCESS_READ_WRITE,
	VG_HONEYTOKEN_ACCESS_EXEC,
};

struct vg_honeytoken_report {
	uint32_t tgid, tid;
	uint32_t kind;	    /* enum vg_decoy_kind */
	uint32_t access;    /* enum vg_honeytoken_access */
	int32_t syscall;    /* the opener's system call number; -1: unknown */
	int32_t flag_error; /* errno when flagging the opener failed; 0: flagged */
	uint64_t ts_ns;	    /* CLOCK_BOOTTIME */
	uint64_t exe_ino;   /* the opener's program, while it opens (0: unknown) */
	uint32_t exe_dev;   /* kernel encoding: major << 20 | minor */
	uint32_t pad;
	char path[PATH_MAX]; /* the honeytoken as the policy names it */
};

/* A planted honeytoken to watch. */
struct vg_honeytoken {
	enum vg_decoy_kind kind;
	const char *path;
};

struct vg_honeytoken_stats {
	uint64_t events;	  /* permission events answered */
	uint64_t touches;	  /* ... by a process other than the daemon */
	uint64_t reports_dropped; /* touches not reported: the report socket was full */
	uint64_t late; /* opens allowed because the deadline passed (act/gate_deadline.h) */
};

struct vg_honeytokens;

/* Starts the watcher thread with nothing watched. The sensor must outlive
 * the watcher. An open not answered within DEADLINE_MS is allowed (the
 * gates' deadline, act/gate_deadline.h). *report_fd: the read end of the
 * report socket (SOCK_SEQPACKET), for the caller's event loop; it stays
 * open until honeytoken_free(). Returns 0, or -1 with err. */
int honeytoken_start(struct vg_sensor *sensor, pid_t daemon_tgid, uint32_t deadline_ms,
		     struct vg_honeytokens **out, int *report_fd, char *err, size_t errlen);
void honeytoken_set_deadline(struct vg_honeytokens *h, uint32_t deadline_ms);
/* Replaces the watched set with tokens (planted files; copied). Tokens
 * already watched stay watched throughout. Returns 0, or -1 with err and the
 * set in force unchanged. */
int honeytoken_watch(struct vg_honeytokens *h, const struct vg_honeytoken *tokens, size_t count,
		     char *err, size_t errlen);
void honeytoken_stats(struct vg_honeytokens *h, struct vg_honeytoken_stats *out);
/* Stops the thread and removes every mark; reports already sent can still
 * be read from the report fd. */
void honeytoken_stop(struct vg_honeytokens *h);
/* Frees what honeytoken_stop() left, the report fd included. */
void honeytoken_free(struct vg_honeytokens *h);

/* /proc/TID/syscall of a task blocked in a system call: "NR ARG1 ... ARG6
 * SP PC". Returns 0 and fills nr and args, or -1 (the task was running, or
 * not in a system call). */
int honeytoken_parse_syscall(const char *text, long *nr, uint64_t args[6]);
/* The access an open-family call asks for (from its flags argument). */
enum vg_honeytoken_access honeytoken_access_of(long nr, const uint64_t args[6]);
const char *honeytoken_access_name(enum vg_honeytoken_access access);

#endif
