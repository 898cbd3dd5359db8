/* See supervise.h. One thread answers every workload's notifications, in the
 * order they come. While nobody on the host is flagged, a notification costs
 * a memory read; else an unflagged process costs one BPF map lookup and a
 * signal-0 probe (is the caller its process's leader?), and for a thread
 * that is not, a read of its /proc status. */
#include "act/supervise.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "act/path_resolve.h"
#include "act/procfs.h"
#include "common/clock.h"
#include "common/cleanup.h"
#include "common/fd_passing.h"
#include "sense/sensor.h"

#define REPORT_SOCKET_BYTES (4 << 20)
#define MAX_EPOLL_EVENTS    16

struct vg_supervisor {
	int verdicts_fd;
	const uint64_t *verdicts_live;
	int epoll_fd, wake_fd;
	int report_tx, report_rx;
	pthread_t thread;
	bool running;
	struct seccomp_notif_sizes sizes;

	pthread_mutex_t lock; /* guards the decoy table and mode */
	struct vg_supervise_decoy *decoys;
	size_t decoy_count;
	enum vg_mode mode;

	struct vg_supervise_stats stats; /* updated with __atomic builtins */
};

/* What an intercepted call asks for, decoded from its registers. */
struct call {
	bool is_open;
	int dirfd;
	uint64_t path_addr;
	uint64_t open_flags; /* is_open */
	uint64_t resolve;    /* openat2's RESOLVE_* flags */
	bool follow_last;    /* follows a symbolic link as the last component */
	uint64_t buf_addr;   /* stat: where the result goes */
	bool is_statx;
	uint32_t statx_flags; /* AT_STATX_SYNC_TYPE bits */
	uint32_t statx_mask;
};

static void count(uint64_t *counter)
{
	__atomic_add_fetch(counter, 1, __ATOMIC_RELAXED);
}

/* The process (thread group) a thread belongs to; 0 if it is gone. */
static pid_t tgid_of(pid_t tid)
{
	pid_t tgid;

	/* Signal 0 to thread tid of thread group tid: sent nothing, and it
	 * succeeds only if tid leads its thread group. */
	if (syscall(SYS_tgkill, tid, tid, 0) == 0)
		return tid;
	tgid = procfs_tgid_of(tid);
	return tgid > 0 ? tgid : 0;
}

/* Whether the kernel has flagged the thread's process (its verdict, set in
 * the syscall that crossed the threshold, or by the daemon). */
static bool flagged(const struct vg_supervisor *s, pid_t tid, pid_t *tgid, uint64_t *start_ns)
{
	const __u32 attacker = VG_FLAGGED | VG_BLOCKED | VG_QUARANTINED;
	struct vg_verdict verdict;
	__u32 key = (__u32)tid;

	/* The common case, nobody flagged: a memory read, no system call. A
	 * verdict is counted before it is added, so the count cannot be 0
	 * while the caller's is there. */
	if (__atomic_load_n(s->verdicts_live, __ATOMIC_ACQUIRE) == 0)
		return false;
	/* The verdicts map is keyed by tgid: a hit on the tid is its process. */
	if (bpf_map_lookup_elem(s->verdicts_fd, &key, &verdict) == 0) {
		*tgid = tid;
	} else {
		*tgid = tgid_of(tid);
		key = (__u32)*tgid;
		if (*tgid == 0 || *tgid == tid ||
		    bpf_map_lookup_elem(s->verdicts_fd, &key, &verdict))
			return false;
	}
	*start_ns = verdict.start_ns;
	return verdict.flags & attacker;
}

static bool decode(const struct seccomp_notif *req, struct call *c)
{
	const __u64 *a = req->data.args;

	memset(c, 0, sizeof(*c));
	c->dirfd = AT_FDCWD;
	c->follow_last = true;
	switch (req->data.nr) {
	case SYS_open:
		c->is_open = true;
		c->path_addr = a[0];
		c->open_flags = a[1];
		break;
	case SYS_creat:
		c->is_open = true;
		c->path_addr = a[0];
		c->open_flags = O_CREAT | O_WRONLY | O_TRUNC;
		break;
	case SYS_openat:
	case SYS_openat2: /* flags: read from struct open_how, below */
		c->is_open = true;
		c->dirfd = (int)a[0];
		c->path_addr = a[1];
		c->open_flags = req->data.nr == SYS_openat ? a[2] : 0;
		break;
	case SYS_stat:
	case SYS_lstat:
		c->path_addr = a[0];
		c->buf_addr = a[1];
		c->follow_last = req->data.nr == SYS_stat;
		break;
	case SYS_newfstatat:
		c->dirfd = (int)a[0];
		c->path_addr = a[1];
		c->buf_addr = a[2];
		c->follow_last = !(a[3] & AT_SYMLINK_NOFOLLOW);
		break;
	case SYS_statx:
		c->is_statx = true;
		c->dirfd = (int)a[0];
		c->path_addr = a[1];
		c->follow_last = !(a[2] & AT_SYMLINK_NOFOLLOW);
		c->statx_flags = (uint32_t)a[2] & AT_STATX_SYNC_TYPE;
		c->statx_mask = (uint32_t)a[3];
		c->buf_addr = a[4];
		break;
	default:
		return false;
	}
	if (c->is_open)
		c->follow_last = !(c->open_flags & O_NOFOLLOW);
	return true;
}

static int read_remote(pid_t tid, uint64_t addr, void *buf, size_t len)
{
	struct iovec local = {buf, len}, remote = {(void *)(uintptr_t)addr, len};
	ssize_t n = process_vm_readv(tid, &local, 1, &remote, 1, 0);

	if (n < 0)
		return errno == ESRCH ? -ESRCH : -EFAULT;
	return (size_t)n == len ? 0 : -EFAULT;
}

/* A NUL-terminated string from the process, read a page at a time so that
 * a string ending just before an unmapped page is still read. */
static int read_remote_path(pid_t tid, uint64_t addr, char *buf, size_t size)
{
	size_t got = 0;

	while (got < size) {
		size_t chunk = 4096 - ((addr + got) & 4095);
		int err;

		if (chunk > size - got)
			chunk = size - got;
		err = read_remote(tid, addr + got, buf + got, chunk);
		if (err)
			return err;
		if (memchr(buf + got, '\0', chunk))
			return 0;
		got += chunk;
	}
	return -ENAMETOOLONG;
}

static int write_remote(pid_t tid, uint64_t addr, const void *buf, size_t len)
{
	struct iovec local = {(void *)buf, len}, remote = {(void *)(uintptr_t)addr, len};
	ssize_t n = process_vm_writev(tid, &local, 1, &remote, 1, 0);

	return n == (ssize_t)len ? 0 : -EFAULT;
}

/* Where the call's path leads for the process. openat2's scoped lookups
 * (RESOLVE_IN_ROOT: "/" is the directory; RESOLVE_BENEATH) are made here by
 * the kernel itself, from the process's directory: they never leave that
 * directory's tree (absolute paths and links start at it or are refused,
 * magic links are refused), so they lead where they would for the process,
 * and path_resolve(), which starts absolute paths at the process's root,
 * would name another file. */
static int resolve_call(pid_t tgid, pid_t tid, const struct call *c, const char *path,
			struct resolved_path *out)
{
	struct open_how how = {
	    .flags = O_PATH | O_CLOEXEC | (c->follow_last ? 0 : O_NOFOLLOW),
	    .resolve = c->resolve & ~(uint64_t)RESOLVE_CACHED,
	};
	_cleanup_close_ int dirfd = -1, fd = -1;
	char dir[64];
	struct stat st;

	if (!(c->resolve & (RESOLVE_IN_ROOT | RESOLVE_BENEATH)))
		return path_resolve(tgid, tid, c->dirfd, path, c->follow_last, out);
	if (c->dirfd == AT_FDCWD)
		snprintf(dir, sizeof(dir), "/proc/%d/cwd", (int)tid);
	else
		snprintf(dir, sizeof(dir), "/proc/%d/fd/%d", (int)tid, c->dirfd);
	dirfd = open(dir, O_PATH | O_CLOEXEC);
	if (dirfd < 0)
		return -errno;
	fd = (int)syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
	if (fd < 0 || fstat(fd, &st))
		return -errno;
	memset(out, 0, sizeof(*out));
	out->found = true;
	out->dev = st.st_dev;
	out->ino = st.st_ino;
	return 0;
}

/* Which decoy, if any, the call's path is, resolved in the process. */
static bool find_decoy(struct vg_supervisor *s, pid_t tgid, pid_t tid, const struct call *c,
		       const char *path, struct vg_supervise_decoy *out, enum vg_mode *mode)
{
	struct resolved_path asked, decoyed;
	bool found = false;

	if (resolve_call(tgid, tid, c, path, &asked))
		return false; /* the kernel will fail it, or it is nothing we decoy */
	pthread_mutex_lock(&s->lock);
	*mode = s->mode;
	for (size_t i = 0; i < s->decoy_count && *mode != VG_MODE_OFF && !found; i++) {
		if (path_resolve(tgid, tid, AT_FDCWD, s->decoys[i].stands_for, true, &decoyed) ||
		    !resolved_path_equal(&asked, &decoyed))
			continue;
		*out = s->decoys[i];
		found = true;
	}
	pthread_mutex_unlock(&s->lock);
	return found;
}

/* A private, writable copy of the decoy, for a process opening it to write:
 * what it writes goes nowhere. */
static int decoy_copy(int decoy_fd)
{
	_cleanup_close_ int fd = memfd_create("decoy", MFD_CLOEXEC);
	struct stat st;
	off_t off = 0;

	if (fd < 0 || fstat(decoy_fd, &st))
		return -1;
	while (off < st.st_size)
		if (sendfile(fd, decoy_fd, &off, (size_t)(st.st_size - off)) <= 0)
			return -1;
	return steal_fd(&fd);
}

/* Answers the notification with a new fd in the process: the decoy.
 * Returns the fd number it got, or a negative errno. */
static int serve_open(int listener, const struct seccomp_notif *req, const struct call *c,
		      const char *decoy, int *served_fd)
{
	_cleanup_close_ int fd = -1;
	struct seccomp_notif_addfd addfd = {0};
	bool writing = (c->open_flags & O_ACCMODE) != O_RDONLY || (c->open_flags & O_TRUNC);
	int target;

	if (c->open_flags & O_DIRECTORY)
		return -ENOTDIR;
	fd = open(decoy, O_RDONLY | O_CLOEXEC);
	if (fd >= 0 && writing) {
		int copy = decoy_copy(fd);

		close(fd);
		fd = copy;
	}
	if (fd < 0)
		return -EIO;
	addfd.id = req->id;
	addfd.flags = SECCOMP_ADDFD_FLAG_SEND;
	addfd.srcfd = (__u32)fd;
	addfd.newfd_flags = c->open_flags & O_CLOEXEC;
	target = ioctl(listener, SECCOMP_IOCTL_NOTIF_ADDFD, &addfd);
	if (target < 0)
		return -errno;
	*served_fd = steal_fd(&fd);
	return target;
}

/* Writes the decoy's stat where the process asked for it. */
static int serve_stat(pid_t tid, const struct call *c, const char *decoy)
{
	_cleanup_close_ int fd = open(decoy, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -EIO;
	if (c->is_statx) {
		struct statx stx;

		if (statx(fd, "", AT_EMPTY_PATH | (int)c->statx_flags, c->statx_mask, &stx))
			return -EIO;
		return write_remote(tid, c->buf_addr, &stx, sizeof(stx));
	} else {
		struct stat st;

		if (fstat(fd, &st))
			return -EIO;
		return write_remote(tid, c->buf_addr, &st, sizeof(st));
	}
}

/* Sends a report, with fd (if >= 0) attached. */
static void report(struct vg_supervisor *s, const struct vg_supervise_report *r, int fd)
{
	if (fd_send(s->report_tx, r, sizeof(*r), fd, MSG_DONTWAIT) < 0)
		count(&s->stats.reports_dropped);
}

int supervise_read_report(int report_fd, struct vg_supervise_report *r, int *served_fd)
{
	ssize_t n = fd_recv(report_fd, r, sizeof(*r), served_fd, MSG_DONTWAIT);

	if (n < 0)
		return errno == EAGAIN ? 0 : -1;
	if (n != sizeof(*r)) {
		vg_closep(served_fd);
		*served_fd = -1;
		errno = EPROTO;
		return -1;
	}
	return 1;
}

static void fill_report(struct vg_supervise_report *r, const struct seccomp_notif *req, pid_t tgid,
			uint64_t start_ns, const struct call *c, const char *path,
			const struct vg_supervise_decoy *decoy)
{
	struct procfs_stat st;
	char stat_path[64];

	memset(r, 0, sizeof(*r));
	r->start_ns = start_ns;
	snprintf(stat_path, sizeof(stat_path), "/proc/%u/stat", req->pid);
	if (procfs_read_stat(AT_FDCWD, stat_path, &st) == 0) {
		memcpy(r->comm, st.comm, sizeof(r->comm));
		r->ppid = (uint32_t)st.ppid;
	}
	r->event = c->is_open ? VG_SUPERVISE_DECOY_OPEN : VG_SUPERVISE_DECOY_STAT;
	r->tgid = (uint32_t)tgid;
	r->tid = req->pid;
	r->kind = decoy->kind;
	r->syscall = (uint32_t)req->data.nr;
	r->ts_ns = clock_boot_ns();
	r->target_fd = -1;
	snprintf(r->asked, sizeof(r->asked), "%s", path);
	snprintf(r->stands_for, sizeof(r->stands_for), "%s", decoy->stands_for);
	snprintf(r->decoy, sizeof(r->decoy), "%s", decoy->decoy);
}

/* A flagged process's call. Returns true if it was answered here. */
static bool answer_flagged(struct vg_supervisor *s, int listener, const struct seccomp_notif *req,
			   pid_t tgid, uint64_t start_ns, struct seccomp_notif_resp *resp)
{
	pid_t tid = (pid_t)req->pid;
	struct vg_supervise_decoy decoy;
	struct vg_supervise_report r;
	enum vg_mode mode = VG_MODE_OFF;
	char path[PATH_MAX];
	struct call c;
	int err;

	if (!decode(req, &c))
		return false;
	err = read_remote_path(tid, c.path_addr, path, sizeof(path));
	if (!err && req->data.nr == SYS_openat2) {
		struct open_how how = {0};

		/* The kernel refuses a struct shorter than its first version. */
		err = req->data.args[3] < sizeof(how)
			  ? -EINVAL
			  : read_remote(tid, req->data.args[2], &how, sizeof(how));
		c.open_flags = how.flags;
		c.resolve = how.resolve;
		c.follow_last = !(how.flags & O_NOFOLLOW);
	}
	if (err) {
		/* The kernel would fail it the same way; answering here keeps the
		 * process from swapping in a readable path meanwhile. */
		count(&s->stats.failed);
		resp->flags = 0;
		resp->error = err == -ESRCH ? -EFAULT : err;
		return false;
	}
	if (path[0] == '\0' || !find_decoy(s, tgid, tid, &c, path, &decoy, &mode))
		return false;
	count(&s->stats.decoyed);
	fill_report(&r, req, tgid, start_ns, &c, path, &decoy);
	if (ioctl(listener, SECCOMP_IOCTL_NOTIF_ID_VALID, &req->id))
		return true; /* gone while we looked */
	if (mode != VG_MODE_ENFORCE) {
		report(s, &r, -1);
		return false;
	}
	r.served = 1;
	if (c.is_open) {
		_cleanup_close_ int served_fd = -1;

		err = serve_open(listener, req, &c, decoy.decoy, &served_fd);
		if (err >= 0) {
			r.target_fd = err;
			report(s, &r, served_fd);
			return true;
		}
	} else {
		err = serve_stat(tid, &c, decoy.decoy);
		if (!err) {
			resp->flags = 0;
			resp->val = 0;
			resp->error = 0;
			report(s, &r, -1);
			return false;
		}
	}
	r.error = -err;
	report(s, &r, -1);
	resp->flags = 0;
	resp->error = err;
	return err == -ENOENT; /* ENOENT from ADDFD: the process is gone */
}

static void serve(struct vg_supervisor *s, int listener, struct seccomp_notif *req,
		  struct seccomp_notif_resp *resp)
{
	uint64_t start_ns = 0;
	pid_t tgid = 0;

	memset(req, 0, s->sizes.seccomp_notif);
	if (ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, req))
		return; /* ENOENT: the caller died before we read it */
	memset(resp, 0, s->sizes.seccomp_notif_resp);
	resp->id = req->id;
	resp->flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
	count(&s->stats.notifications);
	if (flagged(s, (pid_t)req->pid, &tgid, &start_ns)) {
		count(&s->stats.flagged);
		if (answer_flagged(s, listener, req, tgid, start_ns, resp))
			return;
	}
	ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, resp); /* ENOENT: it died meanwhile */
}

static void drop_listener(struct vg_supervisor *s, int listener)
{
	epoll_ctl(s->epoll_fd, EPOLL_CTL_DEL, listener, NULL);
	close(listener);
	__atomic_sub_fetch(&s->stats.workloads, 1, __ATOMIC_RELAXED);
}

static void *supervise_thread(void *arg)
{
	struct vg_supervisor *s = arg;
	_cleanup_free_ struct seccomp_notif *req = calloc(1, s->sizes.seccomp_notif);
	_cleanup_free_ struct seccomp_notif_resp *resp = calloc(1, s->sizes.seccomp_notif_resp);
	struct epoll_event events[MAX_EPOLL_EVENTS];

	if (!req || !resp)
		return NULL;
	for (;;) {
		int n = epoll_wait(s->epoll_fd, events, MAX_EPOLL_EVENTS, -1);

		if (n < 0 && errno != EINTR)
			return NULL;
		for (int i = 0; i < n; i++) {
			int fd = events[i].data.fd;

			if (fd == s->wake_fd)
				return NULL;
			if (events[i].events & EPOLLIN)
				serve(s, fd, req, resp);
			else if (events[i].events & (EPOLLHUP | EPOLLERR))
				drop_listener(s, fd);
		}
	}
}

int supervise_start(int verdicts_fd, const uint64_t *verdicts_live, struct vg_supervisor **out,
		    int *report_fd, char *err, size_t errlen)
{
	struct vg_supervisor *s = calloc(1, sizeof(*s));
	struct epoll_event ev = {.events = EPOLLIN};
	int pair[2], bytes = REPORT_SOCKET_BYTES;

	if (!s) {
		snprintf(err, errlen, "supervisor: out of memory");
		return -1;
	}
	s->verdicts_fd = verdicts_fd;
	s->verdicts_live = verdicts_live;
	s->epoll_fd = s->wake_fd = s->report_tx = s->report_rx = -1;
	pthread_mutex_init(&s->lock, NULL);
	if (syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &s->sizes)) {
		snprintf(err, errlen, "supervisor: seccomp user notifications: %s",
			 strerror(errno));
		goto fail;
	}
	s->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	s->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (s->epoll_fd < 0 || s->wake_fd < 0 ||
	    socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair)) {
		snprintf(err, errlen, "supervisor: epoll/eventfd/socketpair: %s", strerror(errno));
		goto fail;
	}
	s->report_rx = pair[0];
	s->report_tx = pair[1];
	setsockopt(s->report_tx, SOL_SOCKET, SO_SNDBUF, &bytes, sizeof(bytes));
	ev.data.fd = s->wake_fd;
	if (epoll_ctl(s->epoll_fd, EPOLL_CTL_ADD, s->wake_fd, &ev)) {
		snprintf(err, errlen, "supervisor: epoll_ctl: %s", strerror(errno));
		goto fail;
	}
	errno = pthread_create(&s->thread, NULL, supervise_thread, s);
	if (errno) {
		snprintf(err, errlen, "supervisor: starting its thread: %s", strerror(errno));
		goto fail;
	}
	s->running = true;
	*report_fd = s->report_rx;
	*out = s;
	return 0;
fail:
	supervise_stop(s);
	return -1;
}

int supervise_set_decoys(struct vg_supervisor *s, const struct vg_supervise_decoy *decoys,
			 size_t count_, enum vg_mode mode)
{
	struct vg_supervise_decoy *copy = NULL, *old;

	if (count_) {
		copy = calloc(count_, sizeof(*copy));
		if (!copy)
			return -1;
		memcpy(copy, decoys, count_ * sizeof(*copy));
	}
	pthread_mutex_lock(&s->lock);
	old = s->decoys;
	s->decoys = copy;
	s->decoy_count = count_;
	s->mode = mode;
	pthread_mutex_unlock(&s->lock);
	free(old);
	return 0;
}

/* Linux 6.6: the supervisor is woken on the notifying task's CPU and the
 * task on the supervisor's, which halves a round trip (not in Debian 12's
 * headers). */
#ifndef SECCOMP_IOCTL_NOTIF_SET_FLAGS
#define SECCOMP_IOCTL_NOTIF_SET_FLAGS SECCOMP_IOW(4, __u64)
#endif
#ifndef SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP
#define SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP (1UL << 0)
#endif

int supervise_add(struct vg_supervisor *s, int listener_fd, char *err, size_t errlen)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.fd = listener_fd};

	/* Older kernels refuse it (EINVAL): the round trip is slower, no less
	 * correct. */
	ioctl(listener_fd, SECCOMP_IOCTL_NOTIF_SET_FLAGS, SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP);
	if (epoll_ctl(s->epoll_fd, EPOLL_CTL_ADD, listener_fd, &ev)) {
		snprintf(err, errlen, "supervisor: watching the listener: %s", strerror(errno));
		close(listener_fd);
		return -1;
	}
	__atomic_add_fetch(&s->stats.workloads, 1, __ATOMIC_RELAXED);
	return 0;
}

void supervise_stats(struct vg_supervisor *s, struct vg_supervise_stats *out)
{
	out->notifications = __atomic_load_n(&s->stats.notifications, __ATOMIC_RELAXED);
	out->flagged = __atomic_load_n(&s->stats.flagged, __ATOMIC_RELAXED);
	out->decoyed = __atomic_load_n(&s->stats.decoyed, __ATOMIC_RELAXED);
	out->failed = __atomic_load_n(&s->stats.failed, __ATOMIC_RELAXED);
	out->reports_dropped = __atomic_load_n(&s->stats.reports_dropped, __ATOMIC_RELAXED);
	out->workloads = __atomic_load_n(&s->stats.workloads, __ATOMIC_RELAXED);
}

void supervise_stop(struct vg_supervisor *s)
{
	if (!s)
		return;
	if (s->running) {
		uint64_t one = 1;

		if (write(s->wake_fd, &one, sizeof(one)) == sizeof(one))
			pthread_join(s->thread, NULL);
	}
	/* Closing the epoll set does not close the listeners: they are closed
	 * with the process, and the kernel fails the workload's waiting calls. */
	vg_closep(&s->epoll_fd);
	vg_closep(&s->wake_fd);
	vg_closep(&s->report_tx);
	vg_closep(&s->report_rx);
	pthread_mutex_destroy(&s->lock);
	free(s->decoys);
	free(s);
}
