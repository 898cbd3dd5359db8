#include "act/gate.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/fanotify.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/file_hash.h"
#include "common/log.h"

/* Files already hashed and found clean, by identity and change time, so
 * that a program is hashed once, not at every exec. */
#define CLEAN_CACHE 4096 /* power of two */

struct clean_file {
	struct vg_exe_key key;
	uint64_t ctime_ns;
};

struct vg_gate {
	const struct vg_sensor *sensor;
	pthread_mutex_t lock; /* guards vaccines and clean */
	struct vg_gate_vaccine *vaccines;
	size_t vaccine_count;
	enum vg_mode vaccine_mode;
	struct clean_file clean[CLEAN_CACHE];
	const struct vg_path_list *exec_filesystems;
	pid_t daemon_tgid;
	int fanotify_fd;
	int stop_fd;
	int report_write_fd;
	pthread_t thread;
	bool running;
	enum vg_precog_mode mode;   /* atomic */
	struct vg_gate_stats stats; /* atomics */
};

static int mark(int fd, unsigned int flags, uint64_t mask, const char *path, char *err,
		size_t errlen)
{
	if (fanotify_mark(fd, flags, mask, AT_FDCWD, path) == 0)
		return 0;
	snprintf(err, errlen, "gate: fanotify mark on %s: %s", path, strerror(errno));
	return -1;
}

static int add_marks(int fd, const struct vg_gate_options *opts, char *err, size_t errlen)
{
	for (unsigned i = 0; opts->protected_paths && i < opts->protected_paths->count; i++) {
		const char *path = opts->protected_paths->paths[i];
		struct stat st;

		if (stat(path, &st)) {
			/* A protected path that does not exist here has nothing to protect. */
			vg_info("gate: protected path %s: %s; not gated", path, strerror(errno));
			continue;
		}
		if (mark(fd, FAN_MARK_ADD,
			 FAN_OPEN_PERM | (S_ISDIR(st.st_mode) ? FAN_EVENT_ON_CHILD : 0), path, err,
			 errlen))
			return -1;
	}
	return 0;
}

static uint64_t boot_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000 + (uint64_t)ts.tv_nsec;
}

void gate_set_vaccines(struct vg_gate *g, const struct vg_gate_vaccine *vaccines, size_t count,
		       enum vg_mode mode)
{
	struct vg_gate_vaccine *copy = count ? malloc(count * sizeof(*copy)) : NULL;

	if (count && !copy)
		return;
	if (count)
		memcpy(copy, vaccines, count * sizeof(*copy));
	pthread_mutex_lock(&g->lock);
	free(g->vaccines);
	g->vaccines = copy;
	g->vaccine_count = count;
	g->vaccine_mode = mode;
	/* A new vaccine may name a file the cache calls clean. */
	memset(g->clean, 0, sizeof(g->clean));
	pthread_mutex_unlock(&g->lock);
}

static uint32_t clean_slot(const struct vg_exe_key *key)
{
	return (uint32_t)((key->ino * 0x9e3779b97f4a7c15ull) >> 40 ^ key->dev) & (CLEAN_CACHE - 1);
}

/* The vaccine that covers the file being executed, or 0. The common case is
 * a map lookup by identity; a file not seen before is hashed once. */
static uint32_t vaccine_for(struct vg_gate *g, int fd)
{
	struct vg_vaccine_entry entry;
	struct vg_exe_key key = {0};
	unsigned char sha[VG_SHA256_LEN];
	uint64_t now = boot_ns(), ctime_ns;
	struct clean_file *slot;
	uint32_t id = 0;
	struct stat st;

	if (fstat(fd, &st))
		return 0;
	key.ino = st.st_ino;
	key.dev = (major(st.st_dev) << 20) | minor(st.st_dev);
	ctime_ns = (uint64_t)st.st_ctim.tv_sec * 1000000000 + (uint64_t)st.st_ctim.tv_nsec;
	if (sensor_vaccine_get(g->sensor, &key, &entry) == 0 && entry.expires_ns > now &&
	    (!entry.ctime_ns || entry.ctime_ns == ctime_ns))
		return entry.vaccine_id ? entry.vaccine_id : UINT32_MAX;
	pthread_mutex_lock(&g->lock);
	slot = &g->clean[clean_slot(&key)];
	if (!g->vaccine_count ||
	    (!memcmp(&slot->key, &key, sizeof(key)) && slot->ctime_ns == ctime_ns)) {
		pthread_mutex_unlock(&g->lock);
		return 0;
	}
	pthread_mutex_unlock(&g->lock);
	if (sha256_fd(fd, sha))
		return 0;
	pthread_mutex_lock(&g->lock);
	for (size_t i = 0; i < g->vaccine_count && !id; i++)
		if (g->vaccines[i].expires_ns > now &&
		    !memcmp(g->vaccines[i].sha256, sha, sizeof(sha))) {
			id = g->vaccines[i].id;
			entry = (struct vg_vaccine_entry){.expires_ns = g->vaccines[i].expires_ns,
							  .ctime_ns = ctime_ns,
							  .vaccine_id = id};
		}
	if (!id) {
		slot->key = key;
		slot->ctime_ns = ctime_ns;
	}
	pthread_mutex_unlock(&g->lock);
	if (id)
		sensor_vaccine_put(g->sensor, &key, &entry);
	return id;
}

static void report(struct vg_gate *g, enum vg_gate_kind kind,
		   const struct fanotify_event_metadata *ev, const struct vg_verdict *verdict,
		   uint32_t vaccine_id, bool refused)
{
	struct vg_gate_decision d = {
	    .kind = kind,
	    .tgid = (uint32_t)ev->pid,
	    .start_ns = verdict ? verdict->start_ns : 0,
	    .score = verdict ? verdict->score : 0,
	    .verdict_flags = verdict ? verdict->flags : 0,
	    .refused = refused,
	    .vaccine_id = vaccine_id,
	};
	char link[64];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", ev->fd);
	n = readlink(link, d.path, sizeof(d.path) - 1);
	d.path_len = n > 0 ? (uint32_t)n : 0;
	if (write(g->report_write_fd, &d, sizeof(d)) != sizeof(d))
		__atomic_add_fetch(&g->stats.reports_dropped, 1, __ATOMIC_RELAXED);
}

static void answer(struct vg_gate *g, const struct fanotify_event_metadata *ev)
{
	struct fanotify_response response = {.fd = ev->fd, .response = FAN_ALLOW};
	enum vg_precog_mode mode = __atomic_load_n(&g->mode, __ATOMIC_RELAXED);
	enum vg_gate_kind kind = (ev->mask & FAN_OPEN_EXEC_PERM) ? VG_GATE_EXEC : VG_GATE_OPEN;
	struct vg_verdict verdict;
	bool flagged = false, refuse;
	uint32_t vaccine = 0;

	__atomic_add_fetch(&g->stats.events, 1, __ATOMIC_RELAXED);
	if (ev->pid != g->daemon_tgid) {
		flagged = sensor_verdict(g->sensor, (uint32_t)ev->pid, &verdict) == 0;
		if (!flagged && errno != ENOENT)
			__atomic_add_fetch(&g->stats.fail_open, 1, __ATOMIC_RELAXED);
		if (kind == VG_GATE_EXEC)
			vaccine = vaccine_for(g, ev->fd);
	}
	refuse =
	    (flagged && (verdict.flags & VG_BLOCKED) && mode == VG_PRECOG_ENFORCE) ||
	    (vaccine && __atomic_load_n(&g->vaccine_mode, __ATOMIC_RELAXED) == VG_MODE_ENFORCE);
	if (refuse)
		response.response = FAN_DENY;
	/* Answer first: the process is waiting in the kernel. */
	if (write(g->fanotify_fd, &response, sizeof(response)) != sizeof(response))
		vg_warn("gate: answering a permission event: %s", strerror(errno));
	if (refuse)
		__atomic_add_fetch(&g->stats.refused, 1, __ATOMIC_RELAXED);
	if (flagged || vaccine)
		report(g, kind, ev, flagged ? &verdict : NULL, vaccine, refuse);
}

static void *gate_thread(void *arg)
{
	struct vg_gate *g = arg;
	char buf[8192] __attribute__((aligned(__alignof__(struct fanotify_event_metadata))));
	struct pollfd fds[2] = {{.fd = g->fanotify_fd, .events = POLLIN},
				{.fd = g->stop_fd, .events = POLLIN}};

	for (;;) {
		ssize_t len;

		if (poll(fds, 2, -1) < 0 && errno != EINTR)
			break;
		if (fds[1].revents)
			break;
		len = read(g->fanotify_fd, buf, sizeof(buf));
		if (len < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (len <= 0) {
			vg_err("gate: reading fanotify events: %s", strerror(errno));
			break;
		}
		for (struct fanotify_event_metadata *ev = (void *)buf; FAN_EVENT_OK(ev, len);
		     ev = FAN_EVENT_NEXT(ev, len)) {
			if (ev->vers != FANOTIFY_METADATA_VERSION) {
				vg_err("gate: fanotify metadata version %u, expected %u", ev->vers,
				       FANOTIFY_METADATA_VERSION);
				return NULL;
			}
			if (ev->fd < 0)
				continue; /* queue overflow: no permission event is ever dropped */
			answer(g, ev);
			close(ev->fd);
		}
	}
	return NULL;
}

int gate_start(const struct vg_gate_options *opts, struct vg_gate **out, int *report_fd, char *err,
	       size_t errlen)
{
	struct vg_gate *g = calloc(1, sizeof(*g));
	int pipe_fds[2] = {-1, -1};

	if (!g) {
		snprintf(err, errlen, "gate: out of memory");
		return -1;
	}
	g->sensor = opts->sensor;
	pthread_mutex_init(&g->lock, NULL);
	g->exec_filesystems = opts->exec_filesystems;
	g->daemon_tgid = opts->daemon_tgid;
	g->mode = opts->mode;
	g->report_write_fd = -1;
	g->stop_fd = eventfd(0, EFD_CLOEXEC);
	g->fanotify_fd = fanotify_init(FAN_CLASS_CONTENT | FAN_CLOEXEC | FAN_NONBLOCK,
				       O_RDONLY | O_LARGEFILE | O_CLOEXEC);
	if (g->fanotify_fd < 0 || g->stop_fd < 0) {
		snprintf(err, errlen, "gate: fanotify_init: %s", strerror(errno));
		goto fail;
	}
	if (add_marks(g->fanotify_fd, opts, err, errlen))
		goto fail;
	if (pipe2(pipe_fds, O_CLOEXEC | O_NONBLOCK)) {
		snprintf(err, errlen, "gate: pipe: %s", strerror(errno));
		goto fail;
	}
	g->report_write_fd = pipe_fds[1];
	errno = pthread_create(&g->thread, NULL, gate_thread, g);
	if (errno) {
		snprintf(err, errlen, "gate: starting its thread: %s", strerror(errno));
		close(pipe_fds[0]);
		goto fail;
	}
	g->running = true;
	*report_fd = pipe_fds[0];
	*out = g;
	return 0;
fail:
	gate_stop(g);
	return -1;
}

int gate_arm_exec(struct vg_gate *g, char *err, size_t errlen)
{
	for (unsigned i = 0; g->exec_filesystems && i < g->exec_filesystems->count; i++)
		if (mark(g->fanotify_fd, FAN_MARK_ADD | FAN_MARK_FILESYSTEM, FAN_OPEN_EXEC_PERM,
			 g->exec_filesystems->paths[i], err, errlen)) {
			gate_disarm_exec(g);
			return -1;
		}
	return 0;
}

void gate_disarm_exec(struct vg_gate *g)
{
	char err[256];

	for (unsigned i = 0; g->exec_filesystems && i < g->exec_filesystems->count; i++)
		if (mark(g->fanotify_fd, FAN_MARK_REMOVE | FAN_MARK_FILESYSTEM, FAN_OPEN_EXEC_PERM,
			 g->exec_filesystems->paths[i], err, sizeof(err)) &&
		    errno != ENOENT)
			vg_warn("%s", err);
}

void gate_set_mode(struct vg_gate *g, enum vg_precog_mode mode)
{
	__atomic_store_n(&g->mode, mode, __ATOMIC_RELAXED);
}

void gate_stats(const struct vg_gate *g, struct vg_gate_stats *out)
{
	out->events = __atomic_load_n(&g->stats.events, __ATOMIC_RELAXED);
	out->refused = __atomic_load_n(&g->stats.refused, __ATOMIC_RELAXED);
	out->fail_open = __atomic_load_n(&g->stats.fail_open, __ATOMIC_RELAXED);
	out->reports_dropped = __atomic_load_n(&g->stats.reports_dropped, __ATOMIC_RELAXED);
}

void gate_stop(struct vg_gate *g)
{
	uint64_t one = 1;

	if (!g)
		return;
	if (g->running) {
		if (write(g->stop_fd, &one, sizeof(one)) != sizeof(one))
			vg_warn("gate: signalling its thread: %s", strerror(errno));
		pthread_join(g->thread, NULL);
	}
	if (g->fanotify_fd >= 0)
		close(g->fanotify_fd);
	if (g->stop_fd >= 0)
		close(g->stop_fd);
	if (g->report_write_fd >= 0)
		close(g->report_write_fd);
	pthread_mutex_destroy(&g->lock);
	free(g->vaccines);
	free(g);
}
