#include "act/snapshot.h"

#include <dirent.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "act/elf_core.h"
#include "act/process_memory.h"
#include "act/procfs.h"
#include "act/snapshot_meta.h"
#include "common/cleanup.h"
#include "common/file_hash.h"
#include "common/log.h"

#define SNAPSHOT_PAGE_SIZE 4096u
/* A stopped or frozen thread traps for ptrace at once; one that does not
 * within this time is stuck in the kernel (e.g. uninterruptible I/O). */
#define TRAP_TIMEOUT_NS (2 * 1000000000ll)
/* Threads cannot appear in a stopped process; the bound only ends the
 * seize loop if the process was resumed behind our back. */
#define MAX_SEIZE_ROUNDS 8
/* How long a killed thread gets to finish exiting: 50 x 2 ms. */
#define REAP_POLLS   50
#define REAP_POLL_NS 2000000
/* include/linux/sched.h: the task is a kernel thread. */
#define PF_KTHREAD 0x00200000ul

struct traced_thread {
	pid_t tid;
	int signal; /* a signal its ptrace stop intercepted, handed back at detach */
};

struct snapshot_work {
	pid_t pid;
	int proc_dirfd;
	struct procfs_stat stat;
	char *status;
	struct traced_thread *threads;
	size_t thread_count, thread_capacity;
	struct vg_core_thread *core_threads;
	struct procfs_mapping *maps;
	size_t map_count;
	struct snapshot_region *regions;
	struct vg_core_segment *segments;
	char **segment_files;
	size_t segment_count;
	char *auxv;
	size_t auxv_len;
	uint64_t memory_cap, memory_bytes;
	bool memory_capped;
	struct process_memory memory;
};

static int exited(const struct snapshot_work *w, char *err, size_t errlen)
{
	snprintf(err, errlen, "process %d exited during the snapshot", w->pid);
	return -1;
}

/* A failed read under /proc/PID: the process is gone, or something else. */
static int proc_failure(const struct snapshot_work *w, const char *what, char *err, size_t errlen)
{
	if (procfs_process_gone(errno))
		return exited(w, err, errlen);
	snprintf(err, errlen, "reading /proc/%d/%s: %s", w->pid, what, strerror(errno));
	return -1;
}

static int64_t monotonic_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ll + ts.tv_nsec;
}

/* ---- is the process there, and stopped? ---------------------------------- */

static bool valid_id(const char *id)
{
	return id && *id && id[0] != '.' && !strchr(id, '/') && strlen(id) < NAME_MAX - 8;
}

/* Thread ids under /proc/PID/task, the dead ones left out; *all_stopped
 * tells whether every one is in group-stop or a ptrace stop. */
static int list_threads(struct snapshot_work *w, pid_t **tids, size_t *count, bool *all_stopped,
			char *err, size_t errlen)
{
	_cleanup_free_ pid_t *list = NULL;
	size_t used = 0, capacity = 0;
	int fd = openat(w->proc_dirfd, "task", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct dirent *entry;
	DIR *dir;

	if (fd < 0)
		return proc_failure(w, "task", err, errlen);
	*all_stopped = true;
	dir = fdopendir(fd);
	if (!dir) {
		close(fd);
		return proc_failure(w, "task", err, errlen);
	}
	while ((entry = readdir(dir))) {
		char name[300];
		struct procfs_stat st;

		if (entry->d_name[0] == '.')
			continue;
		snprintf(name, sizeof(name), "task/%s/stat", entry->d_name);
		if (procfs_read_stat(w->proc_dirfd, name, &st)) {
			if (procfs_process_gone(errno))
				continue; /* that thread just ended */
			closedir(dir);
			return proc_failure(w, name, err, errlen);
		}
		if (st.state == 'Z' || st.state == 'X')
			continue;
		*all_stopped &= st.state == 'T' || st.state == 't';
		if (used == capacity) {
			size_t grown = capacity ? capacity * 2 : 16;
			pid_t *bigger = realloc(list, grown * sizeof(*list));

			if (!bigger) {
				closedir(dir);
				snprintf(err, errlen, "listing threads: out of memory");
				return -1;
			}
			list = bigger;
			capacity = grown;
		}
		list[used++] = atoi(entry->d_name);
	}
	closedir(dir);
	*tids = steal_pointer(&list);
	*count = used;
	return 0;
}

/* Mount point of the cgroup v2 hierarchy, from /proc/self/mountinfo (octal
 * escapes decoded). */
static char *cgroup2_mount(void)
{
	_cleanup_free_ char *text = NULL;
	size_t len;

	if (procfs_read(AT_FDCWD, "/proc/self/mountinfo", &text, &len))
		return NULL;
	for (char *line = text; *line;) {
		char *end = strchrnul(line, '\n');
		char *separator = strstr(line, " - ");

		if (separator && separator < end && !strncmp(separator, " - cgroup2 ", 11)) {
			char mount[PATH_MAX], *out = mount;
			char *field = line;

			for (int i = 0; i < 4 && field; i++)
				field = strchr(field + 1, ' ');
			for (field = field ? field + 1 : end;
			     field < end && *field != ' ' && out < mount + sizeof(mount) - 1;
			     field++) {
				unsigned code;

				if (*field == '\\' && sscanf(field + 1, "%3o", &code) == 1) {
					*out++ = (char)code;
					field += 3;
				} else {
					*out++ = *field;
				}
			}
			*out = '\0';
			return strdup(mount);
		}
		line = *end ? end + 1 : end;
	}
	return NULL;
}

/* Whether the process's cgroup v2 is frozen (cgroup.freeze): its tasks sit
 * in the freezer, which /proc shows as sleeping, not stopped. */
static bool cgroup_frozen(const struct snapshot_work *w)
{
	_cleanup_free_ char *cgroups = NULL, *mount = NULL, *events = NULL;
	char path[PATH_MAX * 2];
	size_t len;
	const char *line;

	if (procfs_read(w->proc_dirfd, "cgroup", &cgroups, &len))
		return false;
	line = !strncmp(cgroups, "0::", 3) ? cgroups : strstr(cgroups, "\n0::");
	mount = cgroup2_mount();
	if (!line || !mount)
		return false;
	line += line[0] == '\n' ? 4 : 3;
	snprintf(path, sizeof(path), "%s%.*s/cgroup.events", mount, (int)strcspn(line, "\n"), line);
	if (procfs_read(AT_FDCWD, path, &events, &len))
		return false;
	return !strncmp(events, "frozen 1", 8) || strstr(events, "\nfrozen 1");
}

static int check_target(struct snapshot_work *w, char *err, size_t errlen)
{
	_cleanup_free_ pid_t *tids = NULL;
	size_t len, count, tracer_len, tgid_len;
	const char *tracer, *tgid;
	bool all_stopped;

	if (procfs_read_stat(w->proc_dirfd, "stat", &w->stat)) {
		if (procfs_process_gone(errno)) {
			snprintf(err, errlen, "process %d does not exist", w->pid);
			return -1;
		}
		return proc_failure(w, "stat", err, errlen);
	}
	if (w->stat.state == 'Z' || w->stat.state == 'X') {
		snprintf(err, errlen, "process %d is a zombie: nothing to snapshot", w->pid);
		return -1;
	}
	if (w->stat.flags & PF_KTHREAD) {
		snprintf(err, errlen, "process %d is a kernel thread: nothing to snapshot", w->pid);
		return -1;
	}
	if (procfs_read(w->proc_dirfd, "status", &w->status, &len))
		return proc_failure(w, "status", err, errlen);
	tgid = procfs_status_field(w->status, "Tgid", &tgid_len);
	if (tgid && atoi(tgid) != w->pid) {
		snprintf(err, errlen, "%d is a thread of process %d; snapshot the process", w->pid,
			 atoi(tgid));
		return -1;
	}
	tracer = procfs_status_field(w->status, "TracerPid", &tracer_len);
	if (tracer && atoi(tracer) != 0) {
		snprintf(err, errlen, "process %d is already traced by process %d", w->pid,
			 atoi(tracer));
		return -1;
	}
	if (list_threads(w, &tids, &count, &all_stopped, err, errlen))
		return -1;
	if (!all_stopped && !cgroup_frozen(w)) {
		snprintf(err, errlen, "process %d is running; stop or freeze it first", w->pid);
		return -1;
	}
	return 0;
}

/* ---- ptrace: seize every thread, read registers, detach ------------------ */

/* Waits for tid's ptrace stop. The stop PTRACE_INTERRUPT asks for reports
 * PTRACE_EVENT_STOP; any other stop is a signal being delivered, which is
 * kept to hand back at detach so that nothing is lost. */
static int wait_trapped(struct snapshot_work *w, struct traced_thread *t, char *err, size_t errlen)
{
	int64_t deadline = monotonic_ns() + TRAP_TIMEOUT_NS;

	for (;;) {
		int status;
		pid_t r = waitpid(t->tid, &status, __WALL | WNOHANG);

		if (r == t->tid) {
			if (!WIFSTOPPED(status))
				return exited(w, err, errlen);
			t->signal = (status >> 16) == PTRACE_EVENT_STOP ? 0 : WSTOPSIG(status);
			return 0;
		}
		if (r < 0 && errno != EINTR) {
			if (errno == ECHILD)
				return exited(w, err, errlen);
			snprintf(err, errlen, "waiting for thread %d of process %d: %s", t->tid,
				 w->pid, strerror(errno));
			return -1;
		}
		if (monotonic_ns() > deadline) {
			snprintf(err, errlen,
				 "thread %d of process %d did not stop for ptrace within 2 s "
				 "(stuck in the kernel?)",
				 t->tid, w->pid);
			return -1;
		}
		nanosleep(&(struct timespec){.tv_nsec = 200000}, NULL);
	}
}

static int seize_thread(struct snapshot_work *w, pid_t tid, char *err, size_t errlen)
{
	struct traced_thread *t;

	if (w->thread_count == w->thread_capacity) {
		size_t grown = w->thread_capacity ? w->thread_capacity * 2 : 16;
		struct traced_thread *bigger = realloc(w->threads, grown * sizeof(*bigger));

		if (!bigger) {
			snprintf(err, errlen, "seizing threads: out of memory");
			return -1;
		}
		w->threads = bigger;
		w->thread_capacity = grown;
	}
	/* Without PTRACE_O_EXITKILL: if this daemon dies, the kernel detaches
	 * and a stopped process stays stopped. */
	if (ptrace(PTRACE_SEIZE, tid, 0, 0)) {
		if (errno == ESRCH)
			return exited(w, err, errlen);
		snprintf(err, errlen, "ptrace seize of thread %d of process %d: %s", tid, w->pid,
			 strerror(errno));
		return -1;
	}
	t = &w->threads[w->thread_count++];
	memset(t, 0, sizeof(*t));
	t->tid = tid;
	if (ptrace(PTRACE_INTERRUPT, tid, 0, 0)) {
		if (errno == ESRCH)
			return exited(w, err, errlen);
		snprintf(err, errlen, "ptrace interrupt of thread %d of process %d: %s", tid,
			 w->pid, strerror(errno));
		return -1;
	}
	return wait_trapped(w, t, err, errlen);
}

static bool seized(const struct snapshot_work *w, pid_t tid)
{
	for (size_t i = 0; i < w->thread_count; i++)
		if (w->threads[i].tid == tid)
			return true;
	return false;
}

static int compare_threads(const void *a, const void *b)
{
	const struct traced_thread *x = a, *y = b;

	return x->tid < y->tid ? -1 : x->tid > y->tid;
}

/* Seizes threads until a listing shows none new, then checks that the
 * process is still the one checked before (same start time: the pid was not
 * reused). The leader goes first, where debuggers look for the main thread. */
static int seize_all(struct snapshot_work *w, char *err, size_t errlen)
{
	struct procfs_stat now;

	for (int round = 0;; round++) {
		_cleanup_free_ pid_t *tids = NULL;
		size_t count;
		bool new_thread = false, all_stopped;

		if (list_threads(w, &tids, &count, &all_stopped, err, errlen))
			return -1;
		for (size_t i = 0; i < count; i++) {
			if (seized(w, tids[i]))
				continue;
			new_thread = true;
			if (seize_thread(w, tids[i], err, errlen))
				return -1;
		}
		if (!new_thread)
			break;
		if (round == MAX_SEIZE_ROUNDS) {
			snprintf(err, errlen, "process %d keeps creating threads; is it running?",
				 w->pid);
			return -1;
		}
	}
	if (w->thread_count == 0)
		return exited(w, err, errlen);
	if (procfs_read_stat(w->proc_dirfd, "stat", &now))
		return proc_failure(w, "stat", err, errlen);
	if (now.start_ticks != w->stat.start_ticks || now.state == 'Z' || now.state == 'X')
		return exited(w, err, errlen);
	qsort(w->threads, w->thread_count, sizeof(*w->threads), compare_threads);
	for (size_t i = 1; i < w->thread_count; i++) {
		if (w->threads[i].tid == w->pid) {
			struct traced_thread leader = w->threads[i];

			memmove(&w->threads[1], &w->threads[0], i * sizeof(*w->threads));
			w->threads[0] = leader;
		}
	}
	return 0;
}

static int get_regset(struct snapshot_work *w, pid_t tid, int type, const char *name, void *buf,
		      size_t len, char *err, size_t errlen)
{
	struct iovec iov = {.iov_base = buf, .iov_len = len};

	if (ptrace(PTRACE_GETREGSET, tid, (void *)(long)type, &iov)) {
		if (errno == ESRCH)
			return exited(w, err, errlen);
		snprintf(err, errlen, "reading %s of thread %d of process %d: %s", name, tid,
			 w->pid, strerror(errno));
		return -1;
	}
	/* A 32-bit process has 32-bit register sets; this core is ELF64. */
	if (iov.iov_len != len) {
		snprintf(err, errlen,
			 "process %d: %s of thread %d has %zu bytes, not %zu: "
			 "only 64-bit x86 processes are supported",
			 w->pid, name, tid, iov.iov_len, len);
		return -1;
	}
	return 0;
}

static struct timeval ticks_to_timeval(unsigned long ticks, long hz)
{
	return (struct timeval){.tv_sec = (time_t)(ticks / (unsigned long)hz),
				.tv_usec = (suseconds_t)(ticks % (unsigned long)hz * 1000000 / hz)};
}

static int read_registers(struct snapshot_work *w, char *err, size_t errlen)
{
	long hz = sysconf(_SC_CLK_TCK);

	w->core_threads = calloc(w->thread_count, sizeof(*w->core_threads));
	if (!w->core_threads) {
		snprintf(err, errlen, "reading registers: out of memory");
		return -1;
	}
	for (size_t i = 0; i < w->thread_count; i++) {
		struct vg_core_thread *c = &w->core_threads[i];
		struct traced_thread *t = &w->threads[i];
		struct procfs_stat st;
		char name[64];

		c->tid = t->tid;
		if (get_regset(w, t->tid, NT_PRSTATUS, "general registers", &c->regs,
			       sizeof(c->regs), err, errlen) ||
		    get_regset(w, t->tid, NT_PRFPREG, "floating-point registers", &c->fpregs,
			       sizeof(c->fpregs), err, errlen))
			return -1;
		snprintf(name, sizeof(name), "task/%d/stat", t->tid);
		if (procfs_read_stat(w->proc_dirfd, name, &st))
			return proc_failure(w, name, err, errlen);
		c->utime = ticks_to_timeval(st.utime_ticks, hz);
		c->stime = ticks_to_timeval(st.stime_ticks, hz);
	}
	return 0;
}

/* A traced thread that was killed stays a zombie until its tracer waits for
 * it; the wait also hands the process back to its real parent. Gives a
 * dying thread a moment to finish exiting. */
static bool reap_dead_thread(pid_t tid)
{
	for (int i = 0; i < REAP_POLLS; i++) {
		pid_t r = waitpid(tid, NULL, __WALL | WNOHANG);

		if (r == tid || (r < 0 && errno == ECHILD))
			return true;
		nanosleep(&(struct timespec){.tv_nsec = REAP_POLL_NS}, NULL);
	}
	return false;
}

/* Lets every seized thread go, as it was: a group-stopped thread goes back
 * to group-stop, a frozen one to the freezer. */
static void detach_all(struct snapshot_work *w)
{
	for (size_t i = 0; i < w->thread_count; i++) {
		struct traced_thread *t = &w->threads[i];
		int error;

		if (ptrace(PTRACE_DETACH, t->tid, 0, (void *)(long)t->signal) == 0)
			continue;
		error = errno;
		if (error == ESRCH && reap_dead_thread(t->tid))
			continue;
		vg_warn("snapshot: thread %d of process %d could not be detached (%s); it stays "
			"traced until it stops or this process exits",
			t->tid, w->pid, strerror(error));
	}
	w->thread_count = 0;
}

/* ---- what goes into the core --------------------------------------------- */

static const char *never_captured(const struct procfs_mapping *m)
{
	if (m->perms[0] != 'r')
		return "not readable";
	/* Kernel pages mapped into every process: clock data and the legacy
	 * syscall page, which the kernel's own dumps leave out too. */
	if (!strcmp(m->path, "[vvar]") || !strcmp(m->path, "[vvar_vclock]") ||
	    !strcmp(m->path, "[vsyscall]"))
		return "kernel page";
	return NULL;
}

static const char *not_read(const struct procfs_mapping *m)
{
	/* A read there waits for the process's own fault handler, which is
	 * stopped: the snapshot would hang. */
	if (m->userfaultfd)
		return "userfaultfd";
	if (m->device)
		return "device memory";
	return NULL;
}

/* Under the memory cap, what is worth most goes first: stacks (what the
 * threads were doing), then private and anonymous memory (heap, data,
 * anything injected), then file-backed read-only pages, which the files
 * themselves still hold. Smaller areas first within a rank, so one huge
 * reservation cannot crowd out everything else. */
static int capture_rank(const struct snapshot_work *w, const struct procfs_mapping *m)
{
	for (size_t i = 0; i < w->thread_count; i++) {
		uint64_t sp = w->core_threads[i].regs.rsp;

		if (sp >= m->start && sp < m->end)
			return 0;
	}
	if (!strcmp(m->path, "[stack]"))
		return 0;
	if (m->inode == 0 || m->perms[1] == 'w')
		return 1;
	return 2;
}

struct ranked_map {
	size_t index;
	int rank;
	uint64_t size, start;
};

static int compare_ranked(const void *a, const void *b)
{
	const struct ranked_map *x = a, *y = b;

	if (x->rank != y->rank)
		return x->rank < y->rank ? -1 : 1;
	if (x->size != y->size)
		return x->size < y->size ? -1 : 1;
	return x->start < y->start ? -1 : x->start > y->start;
}

static int plan_capture(struct snapshot_work *w, char *err, size_t errlen)
{
	_cleanup_free_ struct ranked_map *order = calloc(w->map_count + 1, sizeof(*order));
	uint64_t remaining = w->memory_cap;
	size_t n = 0;

	w->regions = calloc(w->map_count + 1, sizeof(*w->regions));
	if (!order || !w->regions) {
		snprintf(err, errlen, "planning the capture: out of memory");
		return -1;
	}
	for (size_t i = 0; i < w->map_count; i++) {
		const struct procfs_mapping *m = &w->maps[i];
		struct snapshot_region *r = &w->regions[i];

		r->left_out = never_captured(m);
		r->in_core = !r->left_out;
		if (!r->in_core)
			continue;
		r->left_out = not_read(m);
		if (r->left_out)
			continue;
		order[n++] = (struct ranked_map){.index = i,
						 .rank = capture_rank(w, m),
						 .size = m->end - m->start,
						 .start = m->start};
	}
	qsort(order, n, sizeof(*order), compare_ranked);
	for (size_t i = 0; i < n; i++) {
		struct snapshot_region *r = &w->regions[order[i].index];
		uint64_t take = order[i].size <= remaining
				    ? order[i].size
				    : remaining & ~(uint64_t)(SNAPSHOT_PAGE_SIZE - 1);

		r->captured = take;
		remaining -= take;
		w->memory_bytes += take;
		if (take < order[i].size) {
			r->left_out = "memory cap";
			w->memory_capped = true;
		}
	}
	return 0;
}

static uint32_t segment_flags(const char *perms)
{
	return (perms[0] == 'r' ? PF_R : 0) | (perms[1] == 'w' ? PF_W : 0) |
	       (perms[2] == 'x' ? PF_X : 0);
}

/* NT_FILE wants the exact file name: map_files/ gives it unescaped (maps
 * writes a newline in a name as \012); maps is the fallback. */
static int build_segments(struct snapshot_work *w, char *err, size_t errlen)
{
	w->segments = calloc(w->map_count + 1, sizeof(*w->segments));
	w->segment_files = calloc(w->map_count + 1, sizeof(*w->segment_files));
	if (!w->segments || !w->segment_files) {
		snprintf(err, errlen, "building the core layout: out of memory");
		return -1;
	}
	for (size_t i = 0; i < w->map_count; i++) {
		const struct procfs_mapping *m = &w->maps[i];
		struct vg_core_segment *s = &w->segments[w->segment_count];

		if (!w->regions[i].in_core)
			continue;
		s->start = m->start;
		s->end = m->end;
		s->file_offset = m->offset;
		s->captured = w->regions[i].captured;
		s->flags = segment_flags(m->perms);
		if (m->inode != 0 && m->path[0] && m->path[0] != '[') {
			char name[64];
			char **file = &w->segment_files[w->segment_count];

			snprintf(name, sizeof(name), "map_files/%llx-%llx",
				 (unsigned long long)m->start, (unsigned long long)m->end);
			if (procfs_readlink(w->proc_dirfd, name, file, &s->file_len)) {
				*file = strndup(m->path, m->path_len);
				s->file_len = m->path_len;
			}
			if (!*file) {
				snprintf(err, errlen, "building the core layout: out of memory");
				return -1;
			}
			s->file = *file;
		}
		w->segment_count++;
	}
	return 0;
}

/* pr_psargs: the start of the command line, arguments separated by spaces. */
static int fill_process_info(struct snapshot_work *w, struct vg_core_process *proc, char *err,
			     size_t errlen)
{
	_cleanup_free_ char *cmdline = NULL;
	size_t len, uid_len, gid_len;
	const char *uid = procfs_status_field(w->status, "Uid", &uid_len);
	const char *gid = procfs_status_field(w->status, "Gid", &gid_len);

	if (procfs_read(w->proc_dirfd, "cmdline", &cmdline, &len))
		return proc_failure(w, "cmdline", err, errlen);
	if (procfs_read(w->proc_dirfd, "auxv", &w->auxv, &w->auxv_len))
		return proc_failure(w, "auxv", err, errlen);
	memset(proc, 0, sizeof(*proc));
	proc->pid = w->pid;
	proc->ppid = w->stat.ppid;
	proc->pgrp = w->stat.pgrp;
	proc->sid = w->stat.sid;
	proc->uid = uid ? (uid_t)strtoul(uid, NULL, 10) : 0;
	proc->gid = gid ? (gid_t)strtoul(gid, NULL, 10) : 0;
	proc->state = w->stat.state;
	proc->nice = w->stat.nice;
	proc->flags = w->stat.flags;
	memcpy(proc->fname, w->stat.comm, sizeof(proc->fname));
	if (len >= sizeof(proc->psargs))
		len = sizeof(proc->psargs) - 1;
	for (size_t i = 0; i < len; i++)
		proc->psargs[i] = cmdline[i] ? cmdline[i] : ' ';
	while (len > 0 && proc->psargs[len - 1] == ' ')
		proc->psargs[--len] = '\0';
	proc->signal = SIGSTOP;
	proc->auxv = w->auxv;
	proc->auxv_len = w->auxv_len;
	proc->threads = w->core_threads;
	proc->thread_count = w->thread_count;
	proc->segments = w->segments;
	proc->segment_count = w->segment_count;
	return 0;
}

/* ---- files and the directory ---------------------------------------------- */

static int write_core(struct snapshot_work *w, int dirfd, unsigned char digest[VG_SHA256_LEN],
		      char *err, size_t errlen)
{
	struct vg_core_process proc;
	_cleanup_close_ int fd = -1;

	if (procfs_read_mappings(w->proc_dirfd, &w->maps, &w->map_count))
		return proc_failure(w, "smaps", err, errlen);
	if (plan_capture(w, err, errlen) || build_segments(w, err, errlen) ||
	    fill_process_info(w, &proc, err, errlen))
		return -1;
	fd = openat(dirfd, "core", O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		snprintf(err, errlen, "creating core: %s", strerror(errno));
		return -1;
	}
	if (elf_core_write(fd, &proc, process_memory_read, &w->memory, digest, err, errlen))
		return -1;
	if (fsync(fd)) {
		snprintf(err, errlen, "core: fsync: %s", strerror(errno));
		return -1;
	}
	return 0;
}

static int write_meta(struct json_object *meta, int dirfd, unsigned char digest[VG_SHA256_LEN],
		      char *err, size_t errlen)
{
	const char *text = json_object_to_json_string_ext(meta, JSON_C_TO_STRING_PRETTY |
								    JSON_C_TO_STRING_NOSLASHESCAPE);
	int fd = openat(dirfd, "meta.json", O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	FILE *f;

	if (fd < 0) {
		snprintf(err, errlen, "creating meta.json: %s", strerror(errno));
		return -1;
	}
	f = fdopen(fd, "w");
	if (!f) {
		snprintf(err, errlen, "meta.json: fdopen: %s", strerror(errno));
		close(fd);
		return -1;
	}
	if (!text || fputs(text, f) < 0 || fputc('\n', f) < 0 || fflush(f) || fsync(fd) ||
	    sha256_fd(fd, digest)) {
		snprintf(err, errlen, "writing meta.json: %s", text ? strerror(errno) : "no text");
		fclose(f);
		return -1;
	}
	if (fclose(f)) {
		snprintf(err, errlen, "closing meta.json: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/* Removes a snapshot directory this function created: only the two files
 * it writes, so a wrong name can never delete anything else. */
static void remove_snapshot_dir(int parentfd, const char *parent_dir, const char *name)
{
	_cleanup_close_ int fd = openat(parentfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd >= 0) {
		if (unlinkat(fd, "core", 0) && errno != ENOENT)
			vg_warn("snapshot: removing %s/%s/core: %s", parent_dir, name,
				strerror(errno));
		if (unlinkat(fd, "meta.json", 0) && errno != ENOENT)
			vg_warn("snapshot: removing %s/%s/meta.json: %s", parent_dir, name,
				strerror(errno));
	}
	if (unlinkat(parentfd, name, AT_REMOVEDIR) && errno != ENOENT)
		vg_warn("snapshot: removing %s/%s: %s", parent_dir, name, strerror(errno));
}

/* Everything done while the threads are held: registers, the core, the
 * metadata, and a last look that the process is still alive (a snapshot of
 * a process that died half-way is not a snapshot). */
static int capture(struct snapshot_work *w, int dirfd, const char *id, struct json_object *score,
		   struct timespec started, struct vg_snapshot_result *out, char *err,
		   size_t errlen)
{
	_cleanup_free_ pid_t *tids = NULL;
	struct snapshot_meta_input in;
	struct json_object *meta;
	struct procfs_stat now;
	int rc;

	if (seize_all(w, err, errlen) || read_registers(w, err, errlen) ||
	    write_core(w, dirfd, out->core_sha256, err, errlen))
		return -1;
	tids = calloc(w->thread_count, sizeof(*tids));
	if (!tids) {
		snprintf(err, errlen, "meta.json: out of memory");
		return -1;
	}
	for (size_t i = 0; i < w->thread_count; i++)
		tids[i] = w->threads[i].tid;
	in = (struct snapshot_meta_input){
	    .pid = w->pid,
	    .id = id,
	    .proc_dirfd = w->proc_dirfd,
	    .stat = &w->stat,
	    .status = w->status,
	    .maps = w->maps,
	    .regions = w->regions,
	    .map_count = w->map_count,
	    .tids = tids,
	    .thread_count = w->thread_count,
	    .started = started,
	    .memory_cap = w->memory_cap,
	    .memory_bytes = w->memory_bytes,
	    .unreadable_bytes = w->memory.unreadable_bytes,
	    .memory_capped = w->memory_capped,
	    .core_sha256 = out->core_sha256,
	    .score = score,
	};
	clock_gettime(CLOCK_REALTIME, &in.finished);
	meta = snapshot_meta_build(&in, err, errlen);
	if (!meta)
		return -1;
	if (procfs_read_stat(w->proc_dirfd, "stat", &now) || now.state == 'Z' || now.state == 'X') {
		json_object_put(meta);
		return exited(w, err, errlen);
	}
	out->threads = (unsigned)w->thread_count;
	detach_all(w);
	rc = write_meta(meta, dirfd, out->meta_sha256, err, errlen);
	json_object_put(meta);
	return rc;
}

static void work_free(struct snapshot_work *w)
{
	if (w->thread_count)
		detach_all(w);
	process_memory_close(&w->memory);
	if (w->proc_dirfd >= 0)
		close(w->proc_dirfd);
	free(w->status);
	free(w->threads);
	free(w->core_threads);
	procfs_free_mappings(w->maps, w->map_count);
	free(w->regions);
	for (size_t i = 0; i < w->segment_count; i++)
		free(w->segment_files[i]);
	free(w->segment_files);
	free(w->segments);
	free(w->auxv);
}

static int parse_score(const char *text, struct json_object **score, char *err, size_t errlen)
{
	enum json_tokener_error error;

	*score = NULL;
	if (!text)
		return 0;
	*score = json_tokener_parse_verbose(text, &error);
	if (!*score && error != json_tokener_success) {
		snprintf(err, errlen, "score_json is not valid JSON: %s",
			 json_tokener_error_desc(error));
		return -1;
	}
	return 0;
}

/* Creates the temporary directory, captures into it, and renames it into
 * place with RENAME_NOREPLACE, fsyncing files and both directories. */
static int snapshot_into(struct snapshot_work *w, const char *parent_dir, const char *id,
			 struct json_object *score, struct timespec started,
			 struct vg_snapshot_result *out, char *err, size_t errlen)
{
	_cleanup_close_ int parentfd = open(parent_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	_cleanup_close_ int dirfd = -1;
	char tmp_name[NAME_MAX + 1];
	struct stat st;

	if (parentfd < 0) {
		snprintf(err, errlen, "opening %s: %s", parent_dir, strerror(errno));
		return -1;
	}
	if (fstatat(parentfd, id, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		snprintf(err, errlen, "snapshot %s already exists", out->dir);
		return -1;
	}
	snprintf(tmp_name, sizeof(tmp_name), ".%s.tmp", id);
	if (mkdirat(parentfd, tmp_name, 0700)) {
		snprintf(err, errlen, "creating %s/%s: %s", parent_dir, tmp_name, strerror(errno));
		return -1;
	}
	dirfd = openat(parentfd, tmp_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0) {
		snprintf(err, errlen, "opening %s/%s: %s", parent_dir, tmp_name, strerror(errno));
		remove_snapshot_dir(parentfd, parent_dir, tmp_name);
		return -1;
	}
	if (capture(w, dirfd, id, score, started, out, err, errlen)) {
		remove_snapshot_dir(parentfd, parent_dir, tmp_name);
		return -1;
	}
	if (fsync(dirfd)) {
		snprintf(err, errlen, "fsync %s/%s: %s", parent_dir, tmp_name, strerror(errno));
		remove_snapshot_dir(parentfd, parent_dir, tmp_name);
		return -1;
	}
	if (renameat2(parentfd, tmp_name, parentfd, id, RENAME_NOREPLACE)) {
		snprintf(err, errlen, "renaming %s/%s to %s: %s", parent_dir, tmp_name, out->dir,
			 strerror(errno));
		remove_snapshot_dir(parentfd, parent_dir, tmp_name);
		return -1;
	}
	if (fsync(parentfd)) {
		snprintf(err, errlen, "fsync %s: %s", parent_dir, strerror(errno));
		remove_snapshot_dir(parentfd, parent_dir, id);
		return -1;
	}
	return 0;
}

int snapshot_process(pid_t pid, const char *parent_dir, const char *id,
		     const struct vg_snapshot_options *opts, struct vg_snapshot_result *out,
		     char *err, size_t errlen)
{
	struct snapshot_work w = {.pid = pid, .proc_dirfd = -1};
	struct json_object *score = NULL;
	struct timespec started;
	int64_t start_ns = monotonic_ns();
	char proc_path[32];
	int rc;

	memset(out, 0, sizeof(*out));
	clock_gettime(CLOCK_REALTIME, &started);
	if (pid <= 0) {
		snprintf(err, errlen, "invalid pid %d", pid);
		return -1;
	}
	if (pid == getpid()) {
		snprintf(err, errlen, "process %d is the caller: a process cannot snapshot itself",
			 pid);
		return -1;
	}
	if (!valid_id(id)) {
		snprintf(err, errlen,
			 "invalid snapshot id \"%s\": one path component, not "
			 "starting with '.'",
			 id ? id : "");
		return -1;
	}
	if ((size_t)snprintf(out->dir, sizeof(out->dir), "%s/%s", parent_dir, id) >=
	    sizeof(out->dir)) {
		snprintf(err, errlen, "snapshot path %s/%s is too long", parent_dir, id);
		return -1;
	}
	if (parse_score(opts ? opts->score_json : NULL, &score, err, errlen))
		return -1;
	w.memory_cap = opts && opts->memory_cap_bytes ? opts->memory_cap_bytes
						      : VG_SNAPSHOT_DEFAULT_MEMORY_CAP;
	snprintf(proc_path, sizeof(proc_path), "/proc/%d", pid);
	w.proc_dirfd = open(proc_path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (w.proc_dirfd < 0) {
		if (errno == ENOENT)
			snprintf(err, errlen, "process %d does not exist", pid);
		else
			snprintf(err, errlen, "opening %s: %s", proc_path, strerror(errno));
		json_object_put(score);
		return -1;
	}
	process_memory_init(&w.memory, pid, w.proc_dirfd);
	rc = check_target(&w, err, errlen);
	if (!rc)
		rc = snapshot_into(&w, parent_dir, id, score, started, out, err, errlen);
	if (!rc) {
		out->memory_bytes = w.memory_bytes;
		out->memory_capped = w.memory_capped;
		out->seconds = (double)(monotonic_ns() - start_ns) / 1e9;
	} else {
		memset(out, 0, sizeof(*out));
	}
	work_free(&w);
	json_object_put(score);
	return rc;
}
