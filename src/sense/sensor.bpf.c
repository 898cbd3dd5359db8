// SPDX-License-Identifier: GPL-2.0
/* Kernel sensors and the in-kernel half of precognition.
 *
 * Sensors: process exec/fork/exit events to the daemon through a ring
 * buffer, and per-task syscall state in task storage. The scope filter runs
 * here, so nothing outside the scope ever costs a ring-buffer slot.
 *
 * Precognition: on every syscall of a task in scope, the model of
 * score/model.h updates the task's score; a task that reaches the flag or
 * block threshold marks its process in the verdicts map in the same
 * syscall, before it executes another instruction. The gates read that map:
 * the connect programs here, in the kernel; the fanotify exec/open gates in
 * the daemon. Nothing here waits for userspace. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>

#include "sense/sensor.h"
#include "sense/file_key.bpf.h"

#define SIGNAL_GROUP_EXIT 0x00000004 /* include/linux/sched/signal.h */

char LICENSE[] SEC("license") = "GPL";

const volatile __u32 scope_mode = VG_SENSOR_SCOPE_SYSTEM;
const volatile __u32 daemon_tgid = 0; /* never watch the watcher */

/* Written by the daemon at start and on policy reload. */
struct vg_precog_config precog = {.mode = VG_PRECOG_OFF};

/* How many processes have a verdict: counted up before an entry is added to
 * the verdicts map, down when one is deleted (an LRU eviction leaves it
 * high). 0 means nobody is flagged: the honeypot's supervisor reads it from
 * memory and skips its map lookups. */
__u64 verdicts_live = 0;
struct vg_model model;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 8 << 20);
} events SEC(".maps");

/* Events the ring buffer had no room for, per CPU. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} lost_events SEC(".maps");

/* Processes at or above the flag threshold, by tgid. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, struct vg_verdict);
} verdicts SEC(".maps");

/* Per-program profiles (`vigilante learn`), by executable inode. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, struct vg_exe_key);
	__type(value, struct vg_profile);
} profiles SEC(".maps");

struct vg_profile empty_profile; /* what learning starts a new program's profile from */

/* Vaccinated program identities (see sensor.h). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, struct vg_exe_key);
	__type(value, struct vg_vaccine_entry);
} vaccines SEC(".maps");

/* Connect vaccines (see sensor.h). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, struct vg_connect_vaccine_key);
	__type(value, struct vg_vaccine_entry);
} connect_vaccines SEC(".maps");

/* The filesystems the exec gate watches (see sensor.h), by superblock
 * device; the value is unused. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, VG_EXEC_GATED_MAX);
	__type(key, __u32);
	__type(value, __u8);
} exec_gated_devs SEC(".maps");

/* The dynamic loaders the exec gate lets pass (see sensor.h). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, VG_EXEC_PASSED_MAX);
	__type(key, struct vg_exe_key);
	__type(value, __u8);
} exec_passed_files SEC(".maps");

/* The argv of each process between its execve entry and the exec (see
 * sensor.h); filled only while exec-by-argv vaccines are in force. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 8192);
	__type(key, __u32);
	__type(value, struct vg_exec_argv);
} exec_argvs SEC(".maps");

/* The capture is built here: bpf_probe_read_user_str() into argv at a
 * variable offset needs room for a whole capture past that offset. */
struct argv_scratch {
	struct vg_exec_argv value;
	char spill[VG_EXEC_ARGV_CAPTURE];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct argv_scratch);
} argv_scratch SEC(".maps");

/* Slot 0: the policy's scope cgroup (cgroup scope). Slot 1: the parent of
 * the supervised workloads' cgroups (`vigilante run`), always in scope. */
struct {
	__uint(type, BPF_MAP_TYPE_CGROUP_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u32);
} scope_cgroup SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct vg_task_state);
} task_states SEC(".maps");

/* Exec events are too large for the BPF stack: built here, then copied to
 * the ring buffer at their real length. */
#define PATH_SCRATCH 1024 /* >= VG_PATH_MAX, power of two */
struct exec_scratch {
	struct vg_exec_event event;
	char path[PATH_SCRATCH + 256];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct exec_scratch);
} scratch SEC(".maps");

/* Process events wake the daemon only once WAKEUP_BYTES are waiting (it
 * also drains the ring every 100 ms): one wakeup per event would cost the
 * daemon a context switch per exec on a busy host. Threshold crossings and
 * gate decisions wake it at once. */
#define WAKEUP_BYTES (64 * 1024)

static __always_inline __u64 batched_wakeup(void)
{
	return bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= WAKEUP_BYTES ? BPF_RB_FORCE_WAKEUP
									     : BPF_RB_NO_WAKEUP;
}

static __always_inline void count_lost(void)
{
	__u32 zero = 0;
	__u64 *lost = bpf_map_lookup_elem(&lost_events, &zero);

	if (lost)
		(*lost)++;
}

/* The task's state if the task is in scope, else NULL. Creates the state of
 * an in-scope task on first sight (tasks that predate the sensor). */
static __always_inline struct vg_task_state *scoped_state(struct task_struct *task)
{
	if (scope_mode == VG_SENSOR_SCOPE_PIDTREE)
		return bpf_task_storage_get(&task_states, task, 0, 0);
	if (scope_mode == VG_SENSOR_SCOPE_CGROUP &&
	    bpf_current_task_under_cgroup(&scope_cgroup, 0) != 1 &&
	    bpf_current_task_under_cgroup(&scope_cgroup, 1) != 1)
		return 0;
	return bpf_task_storage_get(&task_states, task, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
}

static __always_inline bool is_daemon(void)
{
	return (bpf_get_current_pid_tgid() >> 32) == daemon_tgid;
}

static __always_inline void fill_header(struct vg_event_header *hdr, __u32 type,
					struct task_struct *task)
{
	struct task_struct *parent = BPF_CORE_READ(task, real_parent);
	const struct cred *cred = BPF_CORE_READ(task, real_cred);

	hdr->type = type;
	hdr->tgid = BPF_CORE_READ(task, tgid);
	hdr->pid = BPF_CORE_READ(task, pid);
	hdr->ppid = BPF_CORE_READ(parent, tgid);
	hdr->ts_ns = bpf_ktime_get_boot_ns();
	hdr->start_ns = BPF_CORE_READ(task, group_leader, start_boottime);
	hdr->parent_start_ns = BPF_CORE_READ(parent, group_leader, start_boottime);
	hdr->cgroup_id = bpf_get_current_cgroup_id();
	hdr->uid = BPF_CORE_READ(cred, uid.val);
	hdr->gid = BPF_CORE_READ(cred, gid.val);
	hdr->euid = BPF_CORE_READ(cred, euid.val);
	hdr->egid = BPF_CORE_READ(cred, egid.val);
	BPF_CORE_READ_STR_INTO(&hdr->comm, task, comm);
}

/* Resolving a path the way d_path() does: walk dentries up to the root,
 * crossing mount points, writing components backwards into the scratch
 * buffer. One bpf_loop() step per component keeps the verifier's work
 * independent of the depth. */
struct path_walk {
	struct dentry *dentry;
	struct vfsmount *vfsmnt;
	struct mount *mnt;
	__u32 off; /* the path so far starts at scratch->path[off] */
	bool truncated;
};

static long path_walk_step(__u32 index, void *ctx)
{
	struct path_walk *w = ctx;
	struct dentry *dentry = w->dentry;
	struct vfsmount *vfsmnt = w->vfsmnt;
	struct mount *mnt = w->mnt;
	struct dentry *parent = BPF_CORE_READ(dentry, d_parent);
	struct dentry *mnt_root = BPF_CORE_READ(vfsmnt, mnt_root);
	struct exec_scratch *s;
	__u32 zero = 0, len, off;
	struct qstr name;

	if (dentry == mnt_root || dentry == parent) {
		struct mount *mnt_parent = BPF_CORE_READ(mnt, mnt_parent);

		if (dentry != mnt_root || mnt == mnt_parent)
			return 1; /* the root of the root mount, or a detached tree */
		w->dentry = BPF_CORE_READ(mnt, mnt_mountpoint);
		w->mnt = mnt_parent;
		w->vfsmnt = &mnt_parent->mnt;
		return 0;
	}
	s = bpf_map_lookup_elem(&scratch, &zero);
	if (!s)
		return 1;
	name = BPF_CORE_READ(dentry, d_name);
	len = name.len & 255;
	if (len + 1 > w->off) {
		w->truncated = true;
		return 1;
	}
	off = (w->off - len - 1) & (PATH_SCRATCH - 1);
	bpf_probe_read_kernel(&s->path[off + 1], len, name.name);
	s->path[off] = '/';
	w->off = off;
	w->dentry = parent;
	return 0;
}

/* Returns the offset in scratch->path where the NUL-terminated path starts. */
static __always_inline __u32 resolve_path(struct exec_scratch *s, const struct path *path,
					  bool *truncated)
{
	struct path_walk w = {
	    .dentry = BPF_CORE_READ(path, dentry),
	    .vfsmnt = BPF_CORE_READ(path, mnt),
	    .off = PATH_SCRATCH - 1,
	};

	w.mnt = container_of(w.vfsmnt, struct mount, mnt);
	s->path[PATH_SCRATCH - 1] = '\0';
	bpf_loop(64, path_walk_step, &w, 0);
	if (w.off == PATH_SCRATCH - 1) {
		w.off -= 1;
		s->path[PATH_SCRATCH - 2] = '/';
	}
	*truncated = w.truncated;
	return w.off & (PATH_SCRATCH - 1);
}

/* Sets tgid's verdict, counting a new entry in verdicts_live. */
static __always_inline void put_verdict(__u32 tgid, const struct vg_verdict *verdict)
{
	if (bpf_map_update_elem(&verdicts, &tgid, verdict, BPF_EXIST) == 0)
		return;
	__sync_fetch_and_add(&verdicts_live, 1);
	if (bpf_map_update_elem(&verdicts, &tgid, verdict, BPF_NOEXIST))
		__sync_fetch_and_sub(&verdicts_live, 1);
}

static __always_inline void inherit_verdict(struct task_struct *parent, struct task_struct *child)
{
	__u32 parent_tgid = BPF_CORE_READ(parent, tgid), child_tgid;
	struct vg_verdict *verdict = bpf_map_lookup_elem(&verdicts, &parent_tgid);
	struct vg_verdict copy;

	if (!verdict)
		return;
	/* A flagged process cannot shed its verdict by forking. */
	copy = *verdict;
	copy.start_ns = BPF_CORE_READ(child, start_boottime);
	child_tgid = BPF_CORE_READ(child, tgid);
	put_verdict(child_tgid, &copy);
}

/* The task's score reached a threshold: mark its process in the verdicts
 * map now, in this syscall, and tell the daemon. */
static __noinline void cross_threshold(struct vg_task_state *state, __u32 level, __u32 score)
{
	struct task_struct *task = bpf_get_current_task_btf();
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u32 tgid = pid_tgid >> 32;
	__u64 start_ns = BPF_CORE_READ(task, group_leader, start_boottime);
	struct vg_verdict *verdict = bpf_map_lookup_elem(&verdicts, &tgid);
	struct vg_score_event *ev;

	state->flags |= level;
	/* start_ns 0: a verdict the daemon wrote (an operator's or a
	 * honeytoken's flag), which does not know the start time this precisely. */
	if (verdict && (verdict->start_ns == start_ns || verdict->start_ns == 0)) {
		verdict->start_ns = start_ns;
		verdict->flags |= level;
		if (score > verdict->score) {
			verdict->score = score;
			verdict->reason = state->model.reason;
		}
	} else {
		struct vg_verdict fresh = {
		    .start_ns = start_ns,
		    .since_ns = bpf_ktime_get_boot_ns(),
		    .score = score,
		    .flags = level,
		    .tid = (__u32)pid_tgid,
		    .reason = state->model.reason,
		};

		put_verdict(tgid, &fresh);
		verdict = bpf_map_lookup_elem(&verdicts, &tgid);
	}
	/* The exec gate costs a round trip to the daemon on every exec, so it
	 * is armed only while someone is flagged. Until the daemon has armed
	 * it, the newly flagged process waits, stopped: it cannot reach the
	 * block threshold and exec before the gate is there. */
	/* An atomic read: a full barrier between the verdict written above and
	 * this read, as the daemon's disarming has between its two. */
	if (level == VG_VACCINATED) {
		/* The next exec of this program is refused from now on, before
		 * the daemon has even read the event. */
		struct vg_vaccine_entry entry = {
		    .expires_ns = bpf_ktime_get_boot_ns() + precog.vaccine_ttl_ns,
		};

		bpf_map_update_elem(&vaccines, &state->exe, &entry, BPF_NOEXIST);
	}
	if (level == VG_QUARANTINED && precog.quarantine_enforce) {
		/* Stopped before it returns to user mode from this syscall. */
		bpf_send_signal(19 /* SIGSTOP */);
		if (verdict)
			__sync_fetch_and_add(&precog.quarantined, 1);
	} else if (level == VG_QUARANTINED && verdict) {
		verdict->flags &= ~VG_QUARANTINED; /* monitor: reported, not enforced */
	}
	if (level == VG_FLAGGED && verdict && __sync_fetch_and_or(&precog.hold_flagged, 0)) {
		verdict->flags |= VG_HELD;
		bpf_send_signal(19 /* SIGSTOP */);
	}
	ev = bpf_ringbuf_reserve(&events, sizeof(*ev), 0);
	if (!ev) {
		count_lost();
		return;
	}
	fill_header(&ev->hdr, VG_EVENT_SCORE, task);
	if (verdict)
		ev->verdict = *verdict;
	ev->verdict.score = score;
	ev->verdict.reason = state->model.reason;
	ev->level = level;
	ev->pad = 0;
	ev->syscalls = state->syscalls;
	ev->exe = state->exe;
	bpf_ringbuf_submit(ev, 0);
}

/* Remembers which program the task now runs, and whether it has a profile
 * (creating an empty one while learning). */
static __always_inline void note_program(struct vg_task_state *state, struct linux_binprm *bprm)
{
	state->exe = file_key(BPF_CORE_READ(bprm, file));
	state->flags &= ~VG_TASK_PROFILED;
	if (precog.learning)
		bpf_map_update_elem(&profiles, &state->exe, &empty_profile, BPF_NOEXIST);
	if (bpf_map_lookup_elem(&profiles, &state->exe))
		state->flags |= VG_TASK_PROFILED;
}

/* The exec event carries the verdict as it is now: by the time the daemon
 * reads the event, the process may be gone and its verdict with it. */
static __always_inline void note_verdict(struct vg_exec_event *ev)
{
	struct vg_verdict *verdict = bpf_map_lookup_elem(&verdicts, &ev->hdr.tgid);

	ev->verdict_flags = verdict ? verdict->flags : 0;
	ev->verdict_score = verdict ? verdict->score : 0;
}

struct argv_compare {
	const char *seen;   /* captured at execve entry */
	const char *copied; /* the new image's argument area */
	__u32 len;
	bool differ;
};

static long argv_compare_step(__u32 index, void *ctx)
{
	struct argv_compare *c = ctx;
	__u32 off = (index * 8) & (VG_EXEC_ARGV_CAPTURE - 8);
	__u64 seen, copied, mask = ~0ull;

	if (off >= c->len)
		return 1;
	seen = *(const __u64 *)(c->seen + off);
	copied = *(const __u64 *)(c->copied + off);
	if (c->len - off < 8)
		mask = (1ull << ((c->len - off) * 8)) - 1;
	if ((seen ^ copied) & mask) {
		c->differ = true;
		return 1;
	}
	return 0;
}

/* The exec gate decided argv vaccines on the argv read at execve entry;
 * the kernel copied its own afterwards. Where they differ another thread
 * rewrote the argument memory in between, and the decision was made on
 * something else than what runs: the process dies here, before its first
 * instruction (vaccination enforcing), and the exec event says so. */
static __always_inline void check_argv_unchanged(struct vg_exec_event *ev)
{
	struct vg_exec_argv *seen = bpf_map_lookup_elem(&exec_argvs, &ev->hdr.tgid);
	struct argv_compare c = {.copied = ev->argv};

	/* Not captured, the gate failed closed already, or no gate read what
	 * the kernel could not. */
	if (!seen || (seen->flags & (VG_ARGV_CONTENDED | VG_ARGV_FAULTED)))
		return;
	c.seen = seen->argv;
	c.len = seen->len < ev->argv_len ? seen->len : ev->argv_len;
	c.differ = !(seen->flags & VG_ARGV_TRUNCATED) && seen->len != ev->argv_full_len;
	if (!c.differ)
		bpf_loop(VG_EXEC_ARGV_CAPTURE / 8, argv_compare_step, &c, 0);
	if (!c.differ)
		return;
	ev->flags |= VG_EXEC_ARGV_REWRITTEN;
	if (precog.vaccine_enforce)
		bpf_send_signal(9 /* SIGKILL */);
}

/* The exec gate refuses a blocked process's exec through fanotify marks on
 * the policy's filesystems; an exec from any other filesystem, or of a
 * dynamic loader the gate lets pass, produced no event to refuse. The new
 * program dies here instead, before its first instruction (enforce), or
 * the exec event says what would have happened. */
static __always_inline void check_gated_exec(struct vg_exec_event *ev, struct linux_binprm *bprm)
{
	struct vg_exe_key file = {.ino = ev->ino, .dev = ev->dev};
	__u32 sb_dev;

	if (!precog.ungated_exec || !(ev->verdict_flags & VG_BLOCKED))
		return;
	/* The gate marks superblocks: the filesystem's own device, not a
	 * subvolume's. Read only for a blocked process, not on every exec. */
	sb_dev = BPF_CORE_READ(bprm, file, f_inode, i_sb, s_dev);
	if (bpf_map_lookup_elem(&exec_gated_devs, &sb_dev) &&
	    !bpf_map_lookup_elem(&exec_passed_files, &file))
		return;
	ev->flags |= VG_EXEC_UNGATED;
	if (precog.ungated_exec == VG_UNGATED_EXEC_KILL)
		bpf_send_signal(9 /* SIGKILL */);
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(vg_exec, struct task_struct *task, pid_t old_pid, struct linux_binprm *bprm)
{
	struct vg_task_state *state;
	struct exec_scratch *s;
	struct vg_exec_event *ev;
	__u32 zero = 0, off, len;
	bool truncated = false;
	unsigned long arg_start, arg_end;
	long n;

	if (is_daemon())
		return 0;
	state = scoped_state(task);
	if (!state)
		return 0;
	/* The model scores each program image on its own: a new image starts
	 * a new sequence. A verdict already given stays (exec launders
	 * nothing). */
	vg_model_reset(&state->model);
	state->score = 0;
	state->max_score = 0;
	note_program(state, bprm);
	s = bpf_map_lookup_elem(&scratch, &zero);
	if (!s)
		return 0;
	ev = &s->event;
	fill_header(&ev->hdr, VG_EVENT_EXEC, task);
	ev->flags = 0;
	ev->ino = state->exe.ino;
	ev->dev = state->exe.dev;

	off = resolve_path(s, &bprm->file->f_path, &truncated);
	len = PATH_SCRATCH - 1 - off;
	if (len > VG_PATH_MAX - 1) {
		len = VG_PATH_MAX - 1;
		truncated = true;
	}
	if (truncated)
		ev->flags |= VG_EXEC_PATH_TRUNCATED;
	bpf_probe_read_kernel(ev->path, len & (VG_PATH_MAX - 1), &s->path[off]);
	ev->path[len & (VG_PATH_MAX - 1)] = '\0';
	ev->path_len = len;

	n = bpf_probe_read_kernel_str(ev->filename, sizeof(ev->filename),
				      BPF_CORE_READ(bprm, filename));
	ev->filename_len = n > 0 ? n - 1 : 0;
	if (ev->filename_len == VG_FILENAME_MAX - 1)
		ev->flags |= VG_EXEC_FILENAME_TRUNCATED;

	arg_start = BPF_CORE_READ(task, mm, arg_start);
	arg_end = BPF_CORE_READ(task, mm, arg_end);
	len = arg_end > arg_start ? arg_end - arg_start : 0;
	ev->argv_full_len = len;
	note_verdict(ev);
	check_gated_exec(ev, bprm);
	if (len > VG_ARGV_MAX - 1) {
		len = VG_ARGV_MAX - 1;
		ev->flags |= VG_EXEC_ARGV_TRUNCATED;
	}
	len &= VG_ARGV_MAX - 1;
	if (bpf_probe_read_user(ev->argv, len, (void *)arg_start) < 0)
		len = 0;
	ev->argv_len = len;
	/* A script's argv is the kernel's own rewrite (interpreter, its
	 * argument, the script): not comparable to what execve was given. */
	if (precog.capture_exec_argv) {
		if (BPF_CORE_READ(bprm, interp) == BPF_CORE_READ(bprm, filename))
			check_argv_unchanged(ev);
		bpf_map_delete_elem(&exec_argvs, &ev->hdr.tgid); /* the exec went through */
	}

	len += offsetof(struct vg_exec_event, argv);
	barrier_var(len);
	if (len > sizeof(*ev))
		return 0;
	if (bpf_ringbuf_output(&events, ev, len, batched_wakeup()))
		count_lost();
	return 0;
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(vg_fork, struct task_struct *parent, struct task_struct *child)
{
	struct vg_task_state *parent_state, *child_state;
	struct vg_fork_event *ev;

	if (is_daemon())
		return 0;
	parent_state = scoped_state(parent);
	if (!parent_state)
		return 0;
	/* The child runs its parent's program until it execs: same profile. */
	child_state = bpf_task_storage_get(&task_states, child, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (child_state) {
		if (scope_mode == VG_SENSOR_SCOPE_PIDTREE)
			child_state->flags |= VG_TASK_IN_SCOPE;
		child_state->flags |= parent_state->flags & VG_TASK_PROFILED;
		child_state->exe = parent_state->exe;
	}
	if (BPF_CORE_READ(child, pid) != BPF_CORE_READ(child, tgid))
		return 0; /* a new thread, not a new process */
	inherit_verdict(parent, child);

	ev = bpf_ringbuf_reserve(&events, sizeof(*ev), 0);
	if (!ev) {
		count_lost();
		return 0;
	}
	fill_header(&ev->hdr, VG_EVENT_FORK, parent);
	ev->child_tgid = BPF_CORE_READ(child, tgid);
	ev->pad = 0;
	ev->child_start_ns = BPF_CORE_READ(child, start_boottime);
	bpf_ringbuf_submit(ev, batched_wakeup());
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(vg_exit, struct task_struct *task)
{
	struct vg_task_state *state;
	struct vg_exit_event *ev;
	__u32 tgid;
	int code;

	if (is_daemon())
		return 0;
	state = scoped_state(task);
	if (!state)
		return 0;
	/* Report the process, not each thread: only the last thread out. */
	if (BPF_CORE_READ(task, signal, live.counter) != 0)
		return 0;
	tgid = BPF_CORE_READ(task, tgid);
	if (bpf_map_delete_elem(&verdicts, &tgid) == 0)
		__sync_fetch_and_sub(&verdicts_live, 1);
	bpf_map_delete_elem(&exec_argvs, &tgid);
	ev = bpf_ringbuf_reserve(&events, sizeof(*ev), 0);
	if (!ev) {
		count_lost();
		return 0;
	}
	fill_header(&ev->hdr, VG_EVENT_EXIT, task);
	ev->hdr.pid = ev->hdr.tgid;
	if (BPF_CORE_READ(task, signal, flags) & SIGNAL_GROUP_EXIT)
		code = BPF_CORE_READ(task, signal, group_exit_code);
	else
		code = BPF_CORE_READ(task, exit_code);
	ev->signal = code & 0x7f;
	ev->core_dumped = (code & 0x80) ? 1 : 0;
	ev->exit_status = ev->signal ? -1 : (code >> 8) & 0xff;
	ev->pad = 0;
	ev->syscalls = state->syscalls;
	ev->score = state->score;
	ev->max_score = state->max_score;
	bpf_ringbuf_submit(ev, batched_wakeup());
	return 0;
}

/* A quarantined process that something revived (a SIGCONT from a sibling)
 * is stopped again at its very next syscall. */
static __always_inline bool stay_stopped(void)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct vg_verdict *verdict = bpf_map_lookup_elem(&verdicts, &tgid);

	if (!verdict || !(verdict->flags & VG_QUARANTINED))
		return false;
	bpf_send_signal(19 /* SIGSTOP */);
	return true;
}

struct argv_walk {
	const char *const *argv; /* user memory */
	struct argv_scratch *scratch;
	__u32 off;
	bool ended;   /* the NULL that ends argv was reached */
	bool faulted; /* a page was not in memory */
};

static long argv_walk_step(__u32 index, void *ctx)
{
	struct argv_walk *w = ctx;
	struct vg_exec_argv *value = &w->scratch->value;
	__u32 off = w->off & (VG_EXEC_ARGV_CAPTURE - 1);
	const char *arg;
	long n;

	if (bpf_probe_read_user(&arg, sizeof(arg), &w->argv[index])) {
		w->faulted = true;
		return 1;
	}
	if (!arg) {
		w->ended = true;
		return 1;
	}
	if (w->off >= VG_EXEC_ARGV_CAPTURE)
		return 1;
	n = bpf_probe_read_user_str(&value->argv[off], VG_EXEC_ARGV_CAPTURE - off, arg);
	if (n < 0) {
		w->faulted = true;
		return 1;
	}
	if (off + n >= VG_EXEC_ARGV_CAPTURE) {
		w->off = VG_EXEC_ARGV_CAPTURE; /* the last one may be cut */
		return 1;
	}
	w->off = off + n;
	return 0;
}

/* execve/execveat entry: keep the argv for the exec gate (see sensor.h). */
static __noinline void capture_exec_argv(const char *filename, const char *const *argv)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid(), now = bpf_ktime_get_boot_ns();
	__u32 zero = 0, tgid = pid_tgid >> 32;
	struct argv_scratch *scratch = bpf_map_lookup_elem(&argv_scratch, &zero);
	struct vg_exec_argv *previous;
	struct argv_walk w = {.argv = argv};

	if (!scratch)
		return;
	w.scratch = scratch;
	bpf_loop(VG_EXEC_ARGS_MAX, argv_walk_step, &w, 0);
	scratch->value.ts_ns = now;
	scratch->value.tid = (__u32)pid_tgid;
	scratch->value.flags = w.faulted				 ? VG_ARGV_FAULTED
			       : w.ended && w.off < VG_EXEC_ARGV_CAPTURE ? 0
									 : VG_ARGV_TRUNCATED;
	scratch->value.argv_ptr = (__u64)argv;
	scratch->value.len = w.off < VG_EXEC_ARGV_CAPTURE ? w.off : VG_EXEC_ARGV_CAPTURE;
	scratch->value.pad = 0;
	if (bpf_probe_read_user_str(scratch->value.filename, sizeof(scratch->value.filename),
				    filename) < 0)
		scratch->value.filename[0] = '\0';
	previous = bpf_map_lookup_elem(&exec_argvs, &tgid);
	if (previous && previous->tid != (__u32)pid_tgid && now - previous->ts_ns < 1000000000)
		scratch->value.flags |= VG_ARGV_CONTENDED;
	bpf_map_update_elem(&exec_argvs, &tgid, &scratch->value, BPF_ANY);
}

#define NR_EXECVE   59	/* x86_64 */
#define NR_EXECVEAT 322 /* x86_64 */
#define NR_SOCKET   41	/* x86_64 */

static __noinline void check_socket_family(struct pt_regs *regs);

SEC("tp_btf/sys_enter")
int BPF_PROG(vg_sys_enter, struct pt_regs *regs, long id)
{
	struct vg_profile *profile = NULL;
	struct vg_task_state *state;
	__u32 score;
	__u16 sysid;

	if (is_daemon())
		return 0;
	state = scoped_state(bpf_get_current_task_btf());
	if (!state)
		return 0;
	if (precog.quarantined && stay_stopped())
		return 0;
	if (id == NR_SOCKET)
		check_socket_family(regs);
	if (precog.capture_exec_argv && (id == NR_EXECVE || id == NR_EXECVEAT))
		capture_exec_argv((const char *)(id == NR_EXECVE ? BPF_CORE_READ(regs, di)
								 : BPF_CORE_READ(regs, si)),
				  (const char *const *)(id == NR_EXECVE ? BPF_CORE_READ(regs, si)
									: BPF_CORE_READ(regs, dx)));
	sysid = vg_syscall_from_x86_64(id);
	state->syscalls++;
	state->history[state->history_pos & (VG_LAST_SYSCALLS - 1)] = sysid;
	state->history_pos++;
	if (precog.mode == VG_PRECOG_OFF)
		return 0;
	if (state->flags & VG_TASK_PROFILED)
		profile = bpf_map_lookup_elem(&profiles, &state->exe);
	if (precog.learning) {
		score = vg_model_step(&model, &state->model, sysid);
		if (profile) {
			__u32 bucket = state->model.last_bucket;

			__sync_fetch_and_or(&profile->seen[(bucket >> 6) & (VG_PROFILE_WORDS - 1)],
					    1ULL << (bucket & 63));
		}
	} else {
		score = vg_model_step_profiled(&model, profile, &state->model, sysid);
	}
	state->score = score;
	if (score > state->max_score)
		state->max_score = score;
	if (score >= precog.flag_threshold && !(state->flags & VG_FLAGGED))
		cross_threshold(state, VG_FLAGGED, score);
	if (score >= precog.block_threshold && !(state->flags & VG_BLOCKED))
		cross_threshold(state, VG_BLOCKED, score);
	if (precog.quarantine_threshold && score >= precog.quarantine_threshold &&
	    !(state->flags & VG_QUARANTINED))
		cross_threshold(state, VG_QUARANTINED, score);
	if (precog.vaccinate_threshold && score >= precog.vaccinate_threshold &&
	    !(state->flags & VG_VACCINATED))
		cross_threshold(state, VG_VACCINATED, score);
	return 0;
}

/* The connect vaccine that covers this connect, or 0: the program's identity
 * (its mm->exe_file, for tasks that predate the sensor too), the address,
 * and the port or every port. */
static __always_inline __u32 connect_vaccine(struct bpf_sock_addr *ctx, __u16 family)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct vg_connect_vaccine_key key = {};
	struct vg_vaccine_entry *entry;

	key.exe = file_key(BPF_CORE_READ(task, mm, exe_file));
	key.family = family;
	key.port = bpf_ntohs(ctx->user_port);
	if (family == 2) {
		__u32 ip4 = ctx->user_ip4;

		__builtin_memcpy(key.addr, &ip4, 4);
	} else {
		__u32 ip6[4] = {ctx->user_ip6[0], ctx->user_ip6[1], ctx->user_ip6[2],
				ctx->user_ip6[3]};

		__builtin_memcpy(key.addr, ip6, 16);
	}
	entry = bpf_map_lookup_elem(&connect_vaccines, &key);
	if (!entry) {
		key.port = 0;
		entry = bpf_map_lookup_elem(&connect_vaccines, &key);
	}
	if (!entry || entry->expires_ns <= bpf_ktime_get_boot_ns())
		return 0;
	return entry->vaccine_id ? entry->vaccine_id : 0xffffffff;
}

/* The honeypot's decoy services' ports (they listen on 127.0.0.1): a
 * connect to one flags the process in the connect itself. decoy_port_count
 * lets every other connect skip the lookup while there are none. */
__u32 decoy_port_count = 0;
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, __u16);
	__type(value, __u8);
} decoy_ports SEC(".maps");

/* Whether the connect goes to a decoy service: 127.0.0.0/8, or the same as
 * an IPv4-mapped IPv6 address, on one of decoy_ports. */
static __always_inline bool to_decoy(struct bpf_sock_addr *ctx, __u16 family)
{
	__u16 port = bpf_ntohs(ctx->user_port);

	if (!decoy_port_count || !bpf_map_lookup_elem(&decoy_ports, &port))
		return false;
	if (family == 2)
		return (bpf_ntohl(ctx->user_ip4) >> 24) == 127;
	return ctx->user_ip6[0] == 0 && ctx->user_ip6[1] == 0 &&
	       ctx->user_ip6[2] == bpf_htonl(0xffff) && (bpf_ntohl(ctx->user_ip6[3]) >> 24) == 127;
}

/* Flags the current process (the decoy service took the bait for it). */
static __always_inline struct vg_verdict *flag_current(__u32 tgid, __u32 tid)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct vg_verdict *verdict = bpf_map_lookup_elem(&verdicts, &tgid);
	struct vg_verdict fresh = {
	    .start_ns = BPF_CORE_READ(task, group_leader, start_boottime),
	    .since_ns = bpf_ktime_get_boot_ns(),
	    .flags = VG_FLAGGED,
	    .tid = tid,
	};

	if (verdict) {
		verdict->flags |= VG_FLAGGED; /* as cross_threshold() does */
		return verdict;
	}
	put_verdict(tgid, &fresh);
	return bpf_map_lookup_elem(&verdicts, &tgid);
}

/* The current process's verdict, or NULL. No lookup while nobody has one
 * (most of the time): the network hooks run for every socket of the host. */
static __always_inline struct vg_verdict *verdict_of(__u32 tgid)
{
	return *(volatile __u64 *)&verdicts_live ? bpf_map_lookup_elem(&verdicts, &tgid) : NULL;
}

/* The current process's verdict when precognition is on and it is blocked,
 * or NULL. */
static __always_inline struct vg_verdict *blocked_verdict(__u32 tgid)
{
	struct vg_verdict *verdict;

	if (precog.mode == VG_PRECOG_OFF)
		return NULL;
	verdict = verdict_of(tgid);
	return verdict && (verdict->flags & VG_BLOCKED) ? verdict : NULL;
}

/* A decision record of the network gate, reserved and filled but for what
 * the operation names (address, port, socket type); NULL when the ring is
 * full (counted). */
static __always_inline struct vg_connect_event *
network_decision(__u64 pid_tgid, const struct vg_verdict *verdict, bool refuse, __u16 family)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct vg_connect_event *ev = bpf_ringbuf_reserve(&events, sizeof(*ev), 0);

	if (!ev) {
		count_lost();
		return NULL;
	}
	__builtin_memset(ev, 0, sizeof(*ev));
	ev->hdr.type = VG_EVENT_CONNECT;
	ev->hdr.tgid = pid_tgid >> 32;
	ev->hdr.pid = (__u32)pid_tgid;
	ev->hdr.ts_ns = bpf_ktime_get_boot_ns();
	ev->hdr.start_ns = BPF_CORE_READ(task, group_leader, start_boottime);
	ev->hdr.cgroup_id = bpf_get_current_cgroup_id();
	ev->hdr.uid = (__u32)bpf_get_current_uid_gid();
	bpf_get_current_comm(ev->hdr.comm, sizeof(ev->hdr.comm));
	ev->score = verdict ? verdict->score : 0;
	ev->refused = refuse;
	ev->exe = file_key(BPF_CORE_READ(task, mm, exe_file));
	ev->family = family;
	return ev;
}

/* socket() by a blocked process, of a family neither the network gate
 * covers nor that stays on this host: AF_PACKET, AF_VSOCK, AF_XDP and the
 * like send without a connect or a sendmsg hook, and cgroup/sock_create
 * runs for inet sockets only. A tracepoint cannot refuse the call: in
 * enforce the process is killed before the call returns to it, in monitor
 * the socket is recorded. */
static __noinline void check_socket_family(struct pt_regs *regs)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid(), family;
	struct vg_verdict *verdict = blocked_verdict(pid_tgid >> 32);
	struct vg_connect_event *ev;
	bool refuse;

	/* Nobody blocked (the common case): nothing read. A 32-bit process's
	 * call 41 is dup(), not socket(). */
	if (!verdict || (bpf_get_current_task_btf()->thread_info.status & 0x0002 /* TS_COMPAT */))
		return;
	family = BPF_CORE_READ(regs, di);
	if (family == 1 /* AF_UNIX */ || family == 2 /* AF_INET */ || family == 10 /* AF_INET6 */ ||
	    family == 16 /* AF_NETLINK */ || family == 38 /* AF_ALG */)
		return;
	refuse = precog.mode == VG_PRECOG_ENFORCE;
	ev = network_decision(pid_tgid, verdict, refuse, (__u16)family);
	if (ev) {
		/* socket_type 0 would say "not a socket decision": an invalid
		 * type 0 is shown as 15. */
		ev->socket_type = (__u16)(BPF_CORE_READ(regs, si) & 0xf) ?: 0xf;
		ev->protocol = (__u16)BPF_CORE_READ(regs, dx);
		bpf_ringbuf_submit(ev, 0);
	}
	if (refuse)
		bpf_send_signal(9 /* SIGKILL */);
}

/* The network gate, in the kernel: a connect (or an unconnected datagram)
 * by a process whose verdict is "blocked" is refused when precognition
 * enforces, and one a vaccine names when vaccination enforces. Connects by
 * flagged processes and those a vaccine names are reported either way. */
static __always_inline int gate_connect(struct bpf_sock_addr *ctx, __u16 family, bool datagram)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u32 tgid = pid_tgid >> 32, vaccine_id = 0;
	struct vg_verdict *verdict;
	struct vg_connect_event *ev;
	bool refuse, decoy, blocked;

	if (precog.connect_vaccines)
		vaccine_id = connect_vaccine(ctx, family);
	decoy = !datagram && to_decoy(ctx, family);
	if (precog.mode == VG_PRECOG_OFF && !vaccine_id && !decoy)
		return 1;
	verdict = decoy ? flag_current(tgid, (__u32)pid_tgid) : verdict_of(tgid);
	if (!verdict && !vaccine_id)
		return 1;
	blocked = verdict && (verdict->flags & VG_BLOCKED) && precog.mode != VG_PRECOG_OFF;
	refuse =
	    (blocked && precog.mode == VG_PRECOG_ENFORCE) || (vaccine_id && precog.vaccine_enforce);
	/* A flagged process's every datagram would be a record: only those
	 * that are (or in monitor mode would be) refused are. */
	if (datagram && !blocked && !vaccine_id)
		return 1;
	ev = network_decision(pid_tgid, verdict, refuse, family);
	if (ev) {
		ev->vaccine_id = vaccine_id;
		ev->decoy = decoy;
		ev->datagram = datagram;
		ev->port = bpf_ntohs(ctx->user_port);
		if (family == 2) {
			__u32 ip4 = ctx->user_ip4;

			__builtin_memcpy(ev->addr, &ip4, 4);
		} else {
			__u32 ip6[4] = {ctx->user_ip6[0], ctx->user_ip6[1], ctx->user_ip6[2],
					ctx->user_ip6[3]};

			__builtin_memcpy(ev->addr, ip6, 16);
		}
		bpf_ringbuf_submit(ev, 0);
	}
	return refuse ? 0 : 1;
}

SEC("cgroup/connect4")
int vg_connect4(struct bpf_sock_addr *ctx)
{
	return gate_connect(ctx, 2, false);
}

SEC("cgroup/connect6")
int vg_connect6(struct bpf_sock_addr *ctx)
{
	return gate_connect(ctx, 10, false);
}

/* A datagram reaches an address without any connect (UDP sendto/sendmsg on
 * an unconnected socket): gated as a connect to it would be. */
SEC("cgroup/sendmsg4")
int vg_sendmsg4(struct bpf_sock_addr *ctx)
{
	return gate_connect(ctx, 2, true);
}

SEC("cgroup/sendmsg6")
int vg_sendmsg6(struct bpf_sock_addr *ctx)
{
	return gate_connect(ctx, 10, true);
}

/* A connect, or a datagram sent, to a Unix socket (kernel 6.7 and later)
 * by a blocked process is refused when precognition enforces, recorded
 * with the path either way: /run/docker.sock and the like hand out more
 * than any TCP port. Runs on every Unix connect in scope: while nobody has
 * a verdict it returns at once. */
extern void *bpf_cast_to_kern_ctx(void *obj) __ksym;

static __always_inline int gate_unix(struct bpf_sock_addr *ctx, bool datagram)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u32 tgid = pid_tgid >> 32, len;
	struct bpf_sock_addr_kern *kctx;
	struct vg_verdict *verdict;
	struct vg_connect_event *ev;
	bool refuse;

	verdict = blocked_verdict(tgid);
	if (!verdict)
		return 1;
	refuse = precog.mode == VG_PRECOG_ENFORCE;
	ev = network_decision(pid_tgid, verdict, refuse, 1 /* AF_UNIX */);
	if (!ev)
		return refuse ? 0 : 1;
	ev->datagram = datagram;
	kctx = bpf_cast_to_kern_ctx(ctx);
	len = kctx->uaddrlen;
	len = len > 2 ? len - 2 : 0; /* after sun_family */
	if (len > VG_UNIX_PATH_MAX)
		len = VG_UNIX_PATH_MAX;
	if (bpf_probe_read_kernel(ev->unix_path, len, (const char *)kctx->uaddr + 2))
		len = 0;
	ev->unix_path_len = len;
	bpf_ringbuf_submit(ev, 0);
	return refuse ? 0 : 1;
}

SEC("cgroup/connect_unix")
int vg_connect_unix(struct bpf_sock_addr *ctx)
{
	return gate_unix(ctx, false);
}

SEC("cgroup/sendmsg_unix")
int vg_sendmsg_unix(struct bpf_sock_addr *ctx)
{
	return gate_unix(ctx, true);
}

#define SOCK_DGRAM_TYPE 2
#define SOCK_RAW_TYPE	3
#define PROTO_ICMP	1
#define PROTO_ICMPV6	58

/* A raw socket, or an ICMP datagram ("ping") socket, sends without a
 * connect or a UDP sendmsg: the gate above never sees its traffic. A
 * blocked process may not create one (enforce); in monitor mode the
 * creation is recorded. Runs on every inet socket created in scope: while
 * nobody has a verdict it returns at once. */
SEC("cgroup/sock_create")
int vg_sock_create(struct bpf_sock *sk)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u32 tgid = pid_tgid >> 32, type, protocol;
	struct vg_verdict *verdict;
	struct vg_connect_event *ev;
	bool refuse;

	type = sk->type;
	protocol = sk->protocol;
	if (type != SOCK_RAW_TYPE &&
	    !(type == SOCK_DGRAM_TYPE && (protocol == PROTO_ICMP || protocol == PROTO_ICMPV6)))
		return 1;
	verdict = blocked_verdict(tgid);
	if (!verdict)
		return 1;
	refuse = precog.mode == VG_PRECOG_ENFORCE;
	ev = network_decision(pid_tgid, verdict, refuse, (__u16)sk->family);
	if (ev) {
		ev->socket_type = (__u16)type;
		ev->protocol = (__u16)protocol;
		bpf_ringbuf_submit(ev, 0);
	}
	return refuse ? 0 : 1;
}

/* `vigilante ps`: one record per task that has state. */
SEC("iter/task")
int vg_tasks(struct bpf_iter__task *ctx)
{
	struct task_struct *task = ctx->task;
	struct vg_task_state *state;
	struct vg_task_report report;

	if (!task)
		return 0;
	state = bpf_task_storage_get(&task_states, task, 0, 0);
	if (!state)
		return 0;
	report.tgid = task->tgid;
	report.pid = task->pid;
	report.start_ns = task->group_leader->start_boottime;
	report.syscalls = state->syscalls;
	report.score = state->score;
	report.max_score = state->max_score;
	report.flags = state->flags;
	__builtin_memcpy(report.comm, task->comm, sizeof(report.comm));
	bpf_seq_write(ctx->meta->seq, &report, sizeof(report));
	return 0;
}
