/* Kernel sensor <-> daemon: the events sent through the ring buffer and the
 * per-task state kept in BPF task storage. Built by clang -target bpf (with
 * vmlinux.h) and by the host compiler, so only fixed-width types here. */
#ifndef VG_SENSE_SENSOR_H
#define VG_SENSE_SENSOR_H

#ifndef __bpf__
#include <linux/types.h>
#endif

#include "score/model.h"

#define VG_COMM_LEN	 16
#define VG_PATH_MAX	 512  /* exe path as resolved in the kernel; power of two */
#define VG_FILENAME_MAX	 256  /* the path given to execve(); power of two */
#define VG_ARGV_MAX	 4096 /* argv bytes (NUL-separated); power of two */
#define VG_LAST_SYSCALLS 16   /* syscall history kept per task; power of two */

enum vg_scope_mode {
	VG_SENSOR_SCOPE_SYSTEM = 0,
	VG_SENSOR_SCOPE_CGROUP = 1,  /* the cgroup v2 subtree in the scope_cgroup map */
	VG_SENSOR_SCOPE_PIDTREE = 2, /* tasks whose task state carries VG_TASK_IN_SCOPE */
};

enum vg_event_type {
	VG_EVENT_EXEC = 1,
	VG_EVENT_FORK = 2,
	VG_EVENT_EXIT = 3,
	VG_EVENT_SCORE = 4,   /* a task's score crossed the flag or block threshold */
	VG_EVENT_CONNECT = 5, /* a connect by a flagged or vaccinated process, refused or not */
};

/* Precognition modes, as in the policy. */
enum vg_precog_mode {
	VG_PRECOG_OFF = 0,     /* the model does not run */
	VG_PRECOG_MONITOR = 1, /* scores, flags and logs; refuses nothing */
	VG_PRECOG_ENFORCE = 2, /* gates refuse exec/open/connect at or above block */
};

struct vg_precog_config {
	__u32 mode; /* enum vg_precog_mode */
	__u32 flag_threshold;
	__u32 block_threshold;
	__u32 learning; /* 1: record each program's n-grams into its profile */
	/* 1 while the exec gate is wanted but not armed: a process that is
	 * flagged then is stopped (SIGSTOP) until the daemon has armed it. */
	__u64 hold_flagged;
	/* Quarantine (enforce only): a task reaching the threshold is stopped
	 * in the syscall that crossed it; while any process is quarantined,
	 * every syscall of one stops it again (a SIGCONT cannot revive it). */
	__u32 quarantine_threshold; /* 0: off */
	__u32 quarantine_enforce;   /* 0: monitor, the crossing is only reported */
	__u64 quarantined;	    /* processes marked VG_QUARANTINED in verdicts */
	/* Auto-vaccination: a task reaching the threshold has its program's
	 * identity put in the vaccines map, in the crossing syscall. */
	__u32 vaccinate_threshold; /* 0: off */
	/* 1 while exec-by-argv vaccines are in force: execve/execveat argv is
	 * captured into exec_argvs at sys_enter, for the exec gate. */
	__u32 capture_exec_argv;
	__u64 vaccine_ttl_ns;
	__u32 vaccine_enforce;	/* 1: connect vaccines refuse; 0: they are only reported */
	__u32 connect_vaccines; /* 1 while the connect_vaccines map holds entries */
	/* What an exec by a blocked process from a filesystem outside
	 * exec_gated_devs meets (enum vg_ungated_exec). */
	__u32 ungated_exec;
	__u32 pad;
};

/* The vaccines map: program identities whose exec is refused, until
 * expires_ns (CLOCK_BOOTTIME). The identity is an inode; ctime_ns, when
 * known, is the file's change time when it was vaccinated: a file changed
 * since is hashed again, not trusted by inode. */
struct vg_vaccine_entry {
	__u64 expires_ns;
	__u64 ctime_ns;	  /* 0: not known yet (set by the daemon) */
	__u32 vaccine_id; /* 0: made by the kernel, not yet recorded by the daemon */
	__u32 pad;
};

/* A program's identity in the kernel: its executable's inode and device,
 * the st_ino and st_dev stat() reports (a btrfs subvolume's own device, not
 * its superblock's; an overlay layer's: file_key.bpf.h). Profiles are stored by
 * content hash and mapped to this when the daemon loads them. */
struct vg_exe_key {
	__u64 ino;
	__u32 dev; /* kernel encoding of st_dev: major << 20 | minor */
	__u32 pad;
};

/* The connect_vaccines map: a program may not connect to an address and
 * port, until the entry's expires_ns (value: struct vg_vaccine_entry). The
 * program is the connecting task's mm->exe_file, the same identity as
 * vg_task_state.exe; the daemon maps a vaccine's content hash to each
 * identity it finds holding that content. */
struct vg_connect_vaccine_key {
	struct vg_exe_key exe;
	__u16 family; /* AF_INET or AF_INET6 */
	__u16 port;   /* host byte order; 0: every port */
	__u32 pad;
	__u8 addr[16]; /* IPv4 in the first 4 bytes, the rest zero */
};

#define VG_EXEC_ARGV_CAPTURE 4096 /* argv bytes captured at execve entry; power of two */
#define VG_EXEC_ARGS_MAX     256  /* arguments captured at execve entry */

/* vg_exec_argv.flags */
#define VG_ARGV_TRUNCATED (1u << 0) /* more arguments or bytes than were captured */
#define VG_ARGV_CONTENDED (1u << 1) /* another thread entered execve < 1 s before */
/* Some of argv was in pages not in memory at execve entry, which BPF cannot
 * fault in: the exec gate reads it from the process (argv_ptr) and writes
 * the entry back, so that the exec is checked against what it decided on. */
#define VG_ARGV_FAULTED (1u << 2)

/* The argv a process passed to execve/execveat, read at sys_enter: the
 * fanotify exec gate asks before the kernel has copied the new argv, when
 * /proc/PID/cmdline still shows the old one. Keyed by tgid, as fanotify
 * names the process, not the thread; a second thread entering execve within
 * a second marks the entry contended (the gate cannot tell whose argv it
 * sees). Deleted when the exec succeeds or the process exits. */
struct vg_exec_argv {
	__u64 ts_ns; /* CLOCK_BOOTTIME, at sys_enter */
	__u32 tid;   /* the thread that entered execve */
	__u32 flags; /* VG_ARGV_TRUNCATED, VG_ARGV_CONTENDED, VG_ARGV_FAULTED */
	__u32 len;   /* bytes in argv */
	__u32 pad;
	__u64 argv_ptr;			 /* the argv array's address in the process */
	char filename[VG_FILENAME_MAX];	 /* the path given to execve, as given (a script's, too) */
	char argv[VG_EXEC_ARGV_CAPTURE]; /* NUL-separated; last: the capture spills past it */
};

/* vg_verdict.flags and vg_task_state.flags */
#define VG_FLAGGED     (1u << 1) /* score reached the flag threshold */
#define VG_BLOCKED     (1u << 2) /* score reached the block threshold */
#define VG_HELD	       (1u << 4) /* verdict only: stopped until the exec gate is armed */
#define VG_QUARANTINED (1u << 5) /* stopped, and stopped again on every syscall */
#define VG_VACCINATED  (1u << 6) /* its program was vaccinated against (score event level) */

/* vg_exec_event.flags */
#define VG_EXEC_ARGV_TRUNCATED	   (1u << 0)
#define VG_EXEC_PATH_TRUNCATED	   (1u << 1)
#define VG_EXEC_FILENAME_TRUNCATED (1u << 2)
/* The argv the kernel copied is not the one read at execve entry (another
 * thread rewrote it in between): the exec gate decided on the wrong argv.
 * Killed in the kernel before its first instruction when vaccination
 * enforces. Checked only while exec-by-argv vaccines are in force, and not
 * for scripts (whose argv the kernel rewrites itself; the gate works that
 * rewrite out from the script's "#!" line). */
#define VG_EXEC_ARGV_REWRITTEN (1u << 3)
/* A blocked process exec'd a program from a filesystem the exec gate does
 * not watch (a tmpfs, a memfd, a filesystem mounted in a namespace of its
 * own), or a dynamic loader the gate lets pass without asking: no
 * permission event could refuse it. Killed in the kernel before its first
 * instruction when precognition enforces (see ungated_exec). */
#define VG_EXEC_UNGATED (1u << 4)

/* The filesystems the exec gate watches, by superblock device (kernel
 * encoding), in the exec_gated_devs map: at most this many. */
#define VG_EXEC_GATED_MAX 64
/* The dynamic loaders the exec gate lets pass without a permission event
 * (each dynamic program's exec opens its loader as well: one round trip
 * saved per exec), by identity in the exec_passed_files map: at most this
 * many. A blocked process that runs one of them directly meets ungated_exec
 * instead. */
#define VG_EXEC_PASSED_MAX 16

/* vg_precog_config.ungated_exec */
enum vg_ungated_exec {
	VG_UNGATED_EXEC_OFF = 0,    /* no exec gate, or not known which filesystems */
	VG_UNGATED_EXEC_REPORT = 1, /* monitor: the exec event says so */
	VG_UNGATED_EXEC_KILL = 2,   /* enforce: SIGKILL at the exec */
};

/* vg_task_state.flags */
#define VG_TASK_IN_SCOPE (1u << 0) /* pidtree scope: inherited at fork */
#define VG_TASK_PROFILED (1u << 3) /* its program has a profile in the profiles map */

/* A process is identified by (tgid, start_ns): a pid can be reused, a pid
 * together with its leader's start time cannot. */
struct vg_event_header {
	__u32 type;
	__u32 tgid;
	__u32 pid;
	__u32 ppid;	       /* tgid of the real parent */
	__u64 ts_ns;	       /* CLOCK_BOOTTIME */
	__u64 start_ns;	       /* thread-group leader's start, CLOCK_BOOTTIME */
	__u64 parent_start_ns; /* the parent's leader's start */
	__u64 cgroup_id;       /* cgroup v2 id */
	__u32 uid, gid, euid, egid;
	char comm[VG_COMM_LEN];
};

struct vg_exec_event {
	struct vg_event_header hdr;
	__u64 ino; /* the program's identity, as struct vg_exe_key */
	__u32 dev;
	__u32 flags;
	__u32 path_len;	     /* bytes in path, without the NUL */
	__u32 filename_len;  /* bytes in filename, without the NUL */
	__u32 argv_len;	     /* bytes in argv, NUL-separated arguments */
	__u32 argv_full_len; /* argument area size in the process, >= argv_len */
	__u32 verdict_flags; /* the process's verdict when it exec'd (VG_FLAGGED...) */
	__u32 verdict_score;
	char path[VG_PATH_MAX];
	char filename[VG_FILENAME_MAX];
	char argv[VG_ARGV_MAX]; /* last: only argv_len bytes of it are sent */
};

struct vg_fork_event {
	struct vg_event_header hdr; /* the parent */
	__u32 child_tgid;
	__u32 pad;
	__u64 child_start_ns;
};

struct vg_exit_event {
	struct vg_event_header hdr;
	__s32 exit_status; /* exit(3) status, or -1 when killed by a signal */
	__u32 signal;	   /* terminating signal, 0 if exited */
	__u32 core_dumped;
	__u32 pad;
	__u64 syscalls;	 /* syscalls made by the exiting (last) thread */
	__u32 score;	 /* its precognition score at exit */
	__u32 max_score; /* the highest score it reached since its last exec */
};

/* Why a process is flagged: kept per process (tgid) in the verdicts map by
 * the kernel, read by the gates and by `vigilante ps`. */
struct vg_verdict {
	__u64 start_ns; /* the process's start: a reused pid is not flagged */
	__u64 since_ns; /* when it was first flagged */
	__u32 score;	/* the score that crossed */
	__u32 flags;	/* VG_FLAGGED, VG_BLOCKED */
	__u32 tid;	/* the thread that crossed */
	__u32 pad;
	struct vg_model_reason reason;
};

struct vg_score_event {
	struct vg_event_header hdr;
	struct vg_verdict verdict;
	__u32 level; /* VG_FLAGGED, VG_BLOCKED or VG_QUARANTINED: which threshold was crossed */
	__u32 pad;
	__u64 syscalls;	       /* the task's syscalls so far, the crossing one included */
	struct vg_exe_key exe; /* the program the task runs */
};

#define VG_UNIX_PATH_MAX 108 /* sizeof(((struct sockaddr_un *)0)->sun_path) */

struct vg_connect_event {
	struct vg_event_header hdr;
	__u32 score;
	__u32 refused;	  /* 1: the connect failed with EPERM */
	__u16 family;	  /* AF_INET, AF_INET6 or AF_UNIX */
	__u16 port;	  /* host byte order */
	__u8 addr[16];	  /* IPv4 in the first 4 bytes */
	__u32 vaccine_id; /* the connect vaccine that refused (or would refuse) it; 0: none */
	__u16 decoy;	  /* 1: to a decoy service's port on loopback: flagged in this syscall */
	/* 1: not a connect but a datagram sent to the address on an unconnected
	 * socket (cgroup/sendmsg4/6), gated the same way; reported only when
	 * refused, would be refused in monitor mode, or a vaccine names it. */
	__u16 datagram;
	/* Not 0: not a connect but the creation of a socket of this type (raw,
	 * or an ICMP datagram socket: cgroup/sock_create), which sends without
	 * a connect or a UDP sendmsg; family is the socket's, no address. */
	__u16 socket_type;
	__u16 protocol;	       /* with socket_type: the socket's protocol */
	struct vg_exe_key exe; /* the program that connected */
	/* family AF_UNIX (cgroup/connect_unix, sendmsg_unix): the sun_path as
	 * given, unix_path_len bytes (an abstract name starts with a NUL). */
	__u32 unix_path_len;
	__u8 unix_path[VG_UNIX_PATH_MAX];
};

/* Per-task state in BPF task storage, updated on every syscall in scope. */
struct vg_task_state {
	__u64 syscalls;
	__u32 flags;
	__u32 history_pos;		 /* next slot in history */
	__u16 history[VG_LAST_SYSCALLS]; /* last canonical syscall ids, oldest at history_pos */
	__u32 score;			 /* the model's current score */
	__u32 max_score;		 /* highest since the last exec */
	struct vg_exe_key exe;		 /* the program it runs */
	struct vg_model_state model;
};

/* One task as the task iterator reports it to `vigilante ps`. */
struct vg_task_report {
	__u32 tgid, pid;
	__u64 start_ns;
	__u64 syscalls;
	__u32 score, max_score;
	__u32 flags;
	char comm[VG_COMM_LEN];
};

#endif
