#include "act/honeytoken.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/fanotify.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "act/gate_deadline.h"
#include "act/procfs.h"
#include "common/clock.h"
#include "common/cleanup.h"
#include "common/kernel_dev.h"
#include "common/log.h"

#define WATCH_MASK	    (FAN_OPEN_PERM | FAN_OPEN_EXEC_PERM)
#define REPORT_SOCKET_BYTES (256 * 1024)

struct watched {
	enum vg_decoy_kind kind;
	char path[PATH_MAX];
	int fd; /* keeps the inode, and its mark, addressable after a rename */
	dev_t dev;
	ino_t ino;
};

struct vg_honeytokens {
	struct vg_sensor *sensor;
	pid_t daemon_tgid;
	int fanotify_fd;
	struct vg_gate_deadline *deadline;
	int stop_fd;
	int report_tx, report_rx;
	pthread_t thread;
	bool running;
	pthread_mutex_t lock; /* guards watched and count */
	struct watched *watched;
	size_t count;
	struct vg_honeytoken_stats stats; /* atomics */
};

int honeytoken_parse_syscall(const char *text, long *nr, uint64_t args[6])
{
	uint64_t sp, pc;

	/* "running", or "-1 SP PC" outside a system call, do not match. */
	if (sscanf(text,
		   "%ld 0x%" SCNx64 " 0x%" SCNx64 " 0x%" SCNx64 " 0x%" SCNx64 " 0x%" SCNx64
		   " 0x%" SCNx64 " 0x%" SCNx64 " 0x%" SCNx64,
		   nr, &args[0], &args[1], &args[2], &args[3], &args[4], &args[5], &sp, &pc) != 9 ||
	    *nr < 0)
		return -1;
	return 0;
}

static enum vg_honeytoken_access access_of_flags(uint64_t flags)
{
	switch (flags & O_ACCMODE) {
	case O_RDONLY:
		return VG_HONEYTOKEN_ACCESS_READ;
	case O_WRONLY:
		return VG_HONEYTOKEN_ACCESS_WRITE;
	case O_RDWR:
		return VG_HONEYTOKEN_ACCESS_READ_WRITE;
	default:
		return VG_HONEYTOKEN_ACCESS_UNKNOWN;
	}
}

enum vg_honeytoken_access honeytoken_access_of(long nr, const uint64_t args[6])
{
	switch (nr) {
#ifdef SYS_open
	case SYS_open:
		return access_of_flags(args[1]);
#endif
#ifdef SYS_creat
	case SYS_creat:
		return VG_HONEYTOKEN_ACCESS_WRITE;
#endif
	case SYS_openat:
	case SYS_open_by_handle_at:
		return access_of_flags(args[2]);
	case SYS_execve:
	case SYS_execveat:
		return VG_HONEYTOKEN_ACCESS_EXEC;
	default:
		/* openat2 keeps its flags in the caller's memory. */
		return VG_HONEYTOKEN_ACCESS_UNKNOWN;
	}
}

const char *honeytoken_access_name(enum vg_honeytoken_access access)
{
	static const char *const names[] = {
	    [VG_HONEYTOKEN_ACCESS_UNKNOWN] = "unknown",
	    [VG_HONEYTOKEN_ACCESS_READ] = "read",
	    [VG_HONEYTOKEN_ACCESS_WRITE] = "write",
	    [VG_HONEYTOKEN_ACCESS_READ_WRITE] = "read-write",
	    [VG_HONEYTOKEN_ACCESS_EXEC] = "exec",
	};

	return (unsigned)access < sizeof(names) / sizeof(names[0]) ? names[access] : "unknown";
}

static void close_fd(int *fd)
{
	vg_closep(fd);
	*fd = -1;
}

static void count(uint64_t *counter)
{
	__atomic_add_fetch(counter, 1, __ATOMIC_RELAXED);
}

/* The open call tid is blocked in, waiting for our answer. */
static void read_open_call(pid_t tid, struct vg_honeytoken_report *r)
{
	_cleanup_free_ char *text = NULL;
	uint64_t args[6];
	char path[64];
	size_t len;
	long nr;

	snprintf(path, sizeof(path), "/proc/%d/syscall", (int)tid);
	if (procfs_read(AT_FDCWD, path, &text, &len) || honeytoken_parse_syscall(text, &nr, args))
		return;
	r->syscall = (int32_t)nr;
	r->access = honeytoken_access_of(nr, args);
}

/* Which token the event's file is; false if none (a mark being removed). */
static bool find_token(struct vg_honeytokens *h, int fd, struct vg_honeytoken_report *r)
{
	bool found = false;
	struct stat st;

	if (fstat(fd, &st))
		return false;
	pthread_mutex_lock(&h->lock);
	for (size_t i = 0; i < h->count && !found; i++)
		if (h->watched[i].dev == st.st_dev && h->watched[i].ino == st.st_ino) {
			r->kind = h->watched[i].kind;
			snprintf(r->path, sizeof(r->path), "%s", h->watched[i].path);
			found = true;
		}
	pthread_mutex_unlock(&h->lock);
	return found;
}

/* The opener's program now, while it waits on its open: by the time the
 * daemon reads the report, it may have exec'd another. */
static void read_program(pid_t tid, struct vg_honeytoken_report *r)
{
	char exe[64];
	struct stat st;

	snprintf(exe, sizeof(exe), "/proc/%d/exe", (int)tid);
	if (stat(exe, &st))
		return;
	r->exe_ino = st.st_ino;
	r->exe_dev = kernel_dev(st.st_dev);
}

/* vg_permission_fn: flags a toucher, then allows the open. */
static void answer(void *ctx, const struct fanotify_event_metadata *ev, size_t index)
{
	struct vg_honeytokens *h = ctx;
	struct vg_honeytoken_report r = {.tid = (uint32_t)ev->pid, .syscall = -1};
	pid_t tgid = procfs_tgid_of(ev->pid);
	int tgid_error = errno;
	bool touched;

	count(&h->stats.events);
	/* The daemon's own opens (planting, watching) are not touches. */
	touched = tgid != h->daemon_tgid && find_token(h, ev->fd, &r);
	if (touched) {
		r.ts_ns = clock_boot_ns();
		if (tgid < 0) {
			r.tgid = r.tid;
			r.flag_error = tgid_error;
		} else {
			r.tgid = (uint32_t)tgid;
			read_open_call(ev->pid, &r);
			read_program(ev->pid, &r);
			if (ev->mask & FAN_OPEN_EXEC_PERM)
				r.access = VG_HONEYTOKEN_ACCESS_EXEC;
			/* Flag before allowing: the opener is flagged by the time
			 * its open returns. */
			if (tgid <= 1)
				r.flag_error = EPERM;
			else if (sensor_mark_flagged(h->sensor, (uint32_t)tgid))
				r.flag_error = errno;
		}
	}
	gate_deadline_answer(h->deadline, index, FAN_ALLOW, NULL);
	if (!touched)
		return;
	count(&h->stats.touches);
	if (send(h->report_tx, &r, sizeof(r), MSG_DONTWAIT) != sizeof(r))
		count(&h->stats.reports_dropped);
}

static void *honeytoken_thread(void *arg)
{
	struct vg_honeytokens *h = arg;

	gate_deadline_serve(h->deadline, h->stop_fd, "honeytokens", answer, h);
	return NULL;
}

int honeytoken_start(struct vg_sensor *sensor, pid_t daemon_tgid, uint32_t deadline_ms,
		     struct vg_honeytokens **out, int *report_fd, char *err, size_t errlen)
{
	struct vg_honeytokens *h = calloc(1, sizeof(*h));
	int pair[2], bytes = REPORT_SOCKET_BYTES;

	if (!h) {
		snprintf(err, errlen, "honeytokens: out of memory");
		return -1;
	}
	h->sensor = sensor;
	h->daemon_tgid = daemon_tgid;
	h->fanotify_fd = h->stop_fd = h->report_tx = h->report_rx = -1;
	pthread_mutex_init(&h->lock, NULL);
	h->stop_fd = eventfd(0, EFD_CLOEXEC);
	if (h->stop_fd < 0) {
		snprintf(err, errlen, "honeytokens: eventfd: %s", strerror(errno));
		goto fail;
	}
	/* FAN_REPORT_TID: the opener's thread, whose open call we read. */
	h->fanotify_fd =
	    fanotify_init(FAN_CLASS_CONTENT | FAN_CLOEXEC | FAN_NONBLOCK | FAN_REPORT_TID,
			  O_RDONLY | O_LARGEFILE | O_CLOEXEC);
	if (h->fanotify_fd < 0) {
		snprintf(err, errlen, "honeytokens: fanotify_init: %s", strerror(errno));
		goto fail;
	}
	if (gate_deadline_start(h->fanotify_fd, deadline_ms, NULL, NULL, &h->deadline, err, errlen))
		goto fail;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair)) {
		snprintf(err, errlen, "honeytokens: socketpair: %s", strerror(errno));
		goto fail;
	}
	h->report_rx = pair[0];
	h->report_tx = pair[1];
	if (setsockopt(h->report_tx, SOL_SOCKET, SO_SNDBUF, &bytes, sizeof(bytes)))
		vg_warn("honeytokens: report socket buffer: %s", strerror(errno));
	errno = pthread_create(&h->thread, NULL, honeytoken_thread, h);
	if (errno) {
		snprintf(err, errlen, "honeytokens: starting its thread: %s", strerror(errno));
		goto fail;
	}
	h->running = true;
	*report_fd = h->report_rx;
	*out = h;
	return 0;
fail:
	honeytoken_stop(h);
	honeytoken_free(h);
	return -1;
}

static bool holds(const struct watched *list, size_t n, dev_t dev, ino_t ino)
{
	for (size_t i = 0; i < n; i++)
		if (list[i].dev == dev && list[i].ino == ino)
			return true;
	return false;
}

/* Removes the marks of entries that are not also in keep[0..kept). */
static void unwatch(struct vg_honeytokens *h, struct watched *list, size_t n,
		    const struct watched *keep, size_t kept)
{
	for (size_t i = 0; i < n; i++) {
		if (!holds(keep, kept, list[i].dev, list[i].ino) &&
		    fanotify_mark(h->fanotify_fd, FAN_MARK_REMOVE, WATCH_MASK, list[i].fd, NULL) &&
		    errno != ENOENT)
			vg_warn("honeytokens: unwatching %s: %s", list[i].path, strerror(errno));
		close(list[i].fd);
	}
}

static int watch_one(struct vg_honeytokens *h, const struct vg_honeytoken *token, struct watched *w,
		     char *err, size_t errlen)
{
	struct stat st;

	w->kind = token->kind;
	snprintf(w->path, sizeof(w->path), "%s", token->path);
	/* O_NONBLOCK: a canary replaced by a FIFO must not hang the daemon. */
	w->fd = open(token->path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (w->fd < 0) {
		snprintf(err, errlen, "honeytoken %s: %s", token->path, strerror(errno));
		return -1;
	}
	if (fstat(w->fd, &st) ||
	    fanotify_mark(h->fanotify_fd, FAN_MARK_ADD, WATCH_MASK, w->fd, NULL)) {
		snprintf(err, errlen, "honeytoken %s: fanotify mark: %s", token->path,
			 strerror(errno));
		close(w->fd);
		return -1;
	}
	w->dev = st.st_dev;
	w->ino = st.st_ino;
	return 0;
}

int honeytoken_watch(struct vg_honeytokens *h, const struct vg_honeytoken *tokens, size_t count_,
		     char *err, size_t errlen)
{
	struct watched *fresh = count_ ? calloc(count_, sizeof(*fresh)) : NULL, *old;
	size_t old_count, done;

	if (count_ && !fresh) {
		snprintf(err, errlen, "honeytokens: out of memory");
		return -1;
	}
	for (done = 0; done < count_; done++)
		if (watch_one(h, &tokens[done], &fresh[done], err, errlen)) {
			pthread_mutex_lock(&h->lock);
			unwatch(h, fresh, done, h->watched, h->count);
			pthread_mutex_unlock(&h->lock);
			free(fresh);
			return -1;
		}
	pthread_mutex_lock(&h->lock);
	old = h->watched;
	old_count = h->count;
	h->watched = fresh;
	h->count = count_;
	pthread_mutex_unlock(&h->lock);
	/* Only the main thread changes the set: old stays valid unlocked. */
	unwatch(h, old, old_count, fresh, count_);
	free(old);
	return 0;
}

void honeytoken_stats(struct vg_honeytokens *h, struct vg_honeytoken_stats *out)
{
	out->events = __atomic_load_n(&h->stats.events, __ATOMIC_RELAXED);
	out->touches = __atomic_load_n(&h->stats.touches, __ATOMIC_RELAXED);
	out->reports_dropped = __atomic_load_n(&h->stats.reports_dropped, __ATOMIC_RELAXED);
	out->late = h->deadline ? gate_deadline_late(h->deadline) : 0;
}

void honeytoken_set_deadline(struct vg_honeytokens *h, uint32_t deadline_ms)
{
	gate_deadline_set(h->deadline, deadline_ms);
}

void honeytoken_stop(struct vg_honeytokens *h)
{
	uint64_t one = 1;

	if (!h)
		return;
	if (h->running) {
		if (write(h->stop_fd, &one, sizeof(one)) != sizeof(one))
			vg_warn("honeytokens: signalling its thread: %s", strerror(errno));
		else
			pthread_join(h->thread, NULL);
		h->running = false;
	}
	gate_deadline_stop(h->deadline);
	h->deadline = NULL;
	/* Closing the group removes its marks and allows any open still
	 * waiting for an answer. */
	close_fd(&h->fanotify_fd);
	for (size_t i = 0; i < h->count; i++)
		close(h->watched[i].fd);
	free(h->watched);
	h->watched = NULL;
	h->count = 0;
	close_fd(&h->stop_fd);
	close_fd(&h->report_tx);
}

void honeytoken_free(struct vg_honeytokens *h)
{
	if (!h)
		return;
	close_fd(&h->report_rx);
	pthread_mutex_destroy(&h->lock);
	free(h);
}
