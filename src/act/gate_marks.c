/* The open gate's marks that follow their paths (see gate_marks.h). */
#include "act/gate_marks.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fanotify.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "common/log.h"

/* Whether another marked path than p keeps a mark on the inode key (a hard
 * link, or the same file protected and named by a vaccine). */
static bool mark_shared(const struct vg_gate_marks *m, const struct vg_marked_file *p,
			const struct vg_exe_key *key)
{
	for (size_t i = 0; i < m->protected_count; i++)
		if (&m->protected[i] != p && m->protected[i].fd >= 0 &&
		    exe_key_equal(&m->protected[i].key, key))
			return true;
	for (size_t i = 0; i < m->watched_count; i++)
		if (&m->watched[i] != p && m->watched[i].fd >= 0 &&
		    exe_key_equal(&m->watched[i].key, key))
			return true;
	return false;
}

/* Marks the inode at p->path now, if it is not the one marked already, and
 * takes the marks off the one it replaces. Returns 0 (marked, unchanged, or
 * nothing there: p->fd < 0), or -1 with err. */
static int mark_file(struct vg_gate_marks *m, struct vg_marked_file *p, char *err, size_t errlen)
{
	struct vg_exe_key key;
	struct stat st;
	uint64_t mask;
	int fd;

	/* Unchanged, it is not opened: that open would wait on this gate. */
	if (stat(p->path, &st))
		return 0; /* nothing there to protect; the directory watch says when */
	key = exe_key_of(&st);
	if (p->fd >= 0 && exe_key_equal(&key, &p->key))
		return 0;
	/* Not O_PATH: fanotify_mark() refuses such an fd. Non-blocking: the
	 * path may name a FIFO. */
	fd = open(p->path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st)) {
		if (fd >= 0)
			close(fd);
		return 0; /* gone since the stat; the directory watch says when it is back */
	}
	key = exe_key_of(&st);
	if (p->fd >= 0 && exe_key_equal(&key, &p->key)) {
		close(fd);
		return 0;
	}
	/* The inode just looked at, not whatever the path names by now. */
	mask = FAN_OPEN_PERM | (S_ISDIR(st.st_mode) ? FAN_EVENT_ON_CHILD : 0);
	if (fanotify_mark(m->fanotify_fd, FAN_MARK_ADD, mask, fd, NULL)) {
		snprintf(err, errlen, "gate: fanotify mark on %s: %s", p->path, strerror(errno));
		close(fd);
		return -1;
	}
	if (p->fd >= 0) {
		/* ENOENT: the old inode is gone, and its marks with it. */
		if (!mark_shared(m, p, &p->key) &&
		    fanotify_mark(m->fanotify_fd, FAN_MARK_REMOVE, p->mask, p->fd, NULL) &&
		    errno != ENOENT)
			vg_warn("gate: removing the mark of the replaced %s: %s", p->path,
				strerror(errno));
		close(p->fd);
		vg_info("gate: %s is a new file; gated again", p->path);
	}
	pthread_mutex_lock(m->lock);
	p->key = key;
	pthread_mutex_unlock(m->lock);
	p->fd = fd;
	p->mask = mask;
	return 0;
}

/* Watches the directory holding path for a file created or renamed into it
 * (one watch a directory, however many marked paths it holds). While that
 * directory does not exist (not yet, or deleted to be made again), its
 * nearest existing ancestor is watched instead: the directory's creation
 * triggers the recheck, which watches it in turn. */
static void watch_directory_of(struct vg_gate_marks *m, const char *path, const char *marked)
{
	char dir[PATH_MAX], *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	for (;;) {
		slash = strrchr(dir, '/');
		if (!slash)
			return;
		slash[slash == dir] = '\0'; /* "/x" -> "/" */
		if (inotify_add_watch(m->inotify_fd, dir, IN_CREATE | IN_MOVED_TO | IN_ONLYDIR) >=
		    0)
			return;
		if ((errno != ENOENT && errno != ENOTDIR) || slash == dir)
			break;
	}
	vg_warn("gate: %s: watching %s: %s; a new file there is not gated", marked, dir,
		strerror(errno));
}

/* Watches p's directory and, when p goes through a symlink, the directory
 * of the file it resolves to now: a replaced target is marked again too. */
static void watch_parent(struct vg_gate_marks *m, const struct vg_marked_file *p)
{
	char resolved[PATH_MAX];

	watch_directory_of(m, p->path, p->path);
	if (realpath(p->path, resolved) && strcmp(resolved, p->path))
		watch_directory_of(m, resolved, p->path);
}

int gate_marks_init(struct vg_gate_marks *m, int fanotify_fd, pthread_mutex_t *lock,
		    const struct vg_path_list *protected_paths, char *err, size_t errlen)
{
	unsigned count = protected_paths ? protected_paths->count : 0;

	*m = (struct vg_gate_marks){.fanotify_fd = fanotify_fd, .lock = lock};
	m->inotify_fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
	if (m->inotify_fd < 0) {
		snprintf(err, errlen, "gate: inotify_init1: %s", strerror(errno));
		return -1;
	}
	m->protected = calloc(count + 1, sizeof(*m->protected));
	if (!m->protected) {
		snprintf(err, errlen, "gate: out of memory");
		return -1;
	}
	for (unsigned i = 0; i < count; i++) {
		struct vg_marked_file *p = &m->protected[m->protected_count];

		*p = (struct vg_marked_file){.fd = -1};
		p->path = strdup(protected_paths->paths[i]);
		if (!p->path) {
			snprintf(err, errlen, "gate: out of memory");
			return -1;
		}
		m->protected_count++;
		if (mark_file(m, p, err, errlen))
			return -1;
		if (p->fd < 0)
			vg_info("gate: protected path %s does not exist (yet); gated once it does",
				p->path);
		watch_parent(m, p);
	}
	return 0;
}

void gate_marks_unwatch(struct vg_gate_marks *m,
			bool (*needed)(const struct vg_exe_key *key, void *ctx), void *ctx)
{
	for (size_t i = 0; i < m->watched_count;) {
		struct vg_marked_file *w = &m->watched[i];

		if (needed(&w->key, ctx)) {
			i++;
			continue;
		}
		if (w->fd >= 0 && !mark_shared(m, w, &w->key) &&
		    fanotify_mark(m->fanotify_fd, FAN_MARK_REMOVE, w->mask, w->fd, NULL) &&
		    errno != ENOENT)
			vg_warn("gate: removing the mark on %s: %s", w->path, strerror(errno));
		if (w->fd >= 0)
			close(w->fd);
		free(w->path);
		*w = m->watched[--m->watched_count];
	}
}

int gate_marks_watch(struct vg_gate_marks *m, const char *path, struct vg_exe_key *key, char *err,
		     size_t errlen)
{
	struct vg_marked_file *grown, *w;
	struct stat st;

	if (stat(path, &st)) {
		snprintf(err, errlen, "gate: %s: %s", path, strerror(errno));
		return -1;
	}
	*key = exe_key_of(&st);
	for (size_t i = 0; i < m->watched_count; i++)
		if (exe_key_equal(&m->watched[i].key, key))
			return 0;
	grown = realloc(m->watched, (m->watched_count + 1) * sizeof(*grown));
	if (!grown) {
		snprintf(err, errlen, "gate: out of memory");
		return -1;
	}
	m->watched = grown;
	w = &grown[m->watched_count];
	*w = (struct vg_marked_file){.path = strdup(path), .fd = -1};
	if (!w->path) {
		snprintf(err, errlen, "gate: out of memory");
		return -1;
	}
	if (!mark_file(m, w, err, errlen) && w->fd < 0)
		snprintf(err, errlen, "gate: %s: gone before it was marked", path);
	if (w->fd < 0) {
		free(w->path);
		return -1;
	}
	*key = w->key;
	m->watched_count++;
	watch_parent(m, w);
	return 0;
}

void gate_marks_recheck(struct vg_gate_marks *m,
			void (*moved)(const struct vg_exe_key *old, const struct vg_exe_key *now,
				      void *ctx),
			void *ctx)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	bool changed = false;
	char err[512];
	ssize_t n;

	/* Which name changed matters little: every marked path is looked at
	 * again (a handful of stats), once per batch of events. */
	while ((n = read(m->inotify_fd, buf, sizeof(buf))) > 0)
		changed = true;
	if (n < 0 && errno != EAGAIN)
		vg_warn("gate: reading the marked paths' directory watch: %s", strerror(errno));
	for (size_t i = 0; changed && i < m->protected_count; i++) {
		if (mark_file(m, &m->protected[i], err, sizeof(err)))
			vg_warn("%s", err);
		watch_parent(m, &m->protected[i]); /* a symlink may point elsewhere now */
	}
	for (size_t i = 0; changed && i < m->watched_count; i++) {
		struct vg_marked_file *w = &m->watched[i];
		struct vg_exe_key old = w->key;

		if (mark_file(m, w, err, sizeof(err))) {
			vg_warn("%s", err);
			continue;
		}
		watch_parent(m, w);
		if (exe_key_equal(&old, &w->key))
			continue;
		pthread_mutex_lock(m->lock);
		moved(&old, &w->key, ctx);
		pthread_mutex_unlock(m->lock);
	}
}

bool gate_marks_protects(const struct vg_gate_marks *m, const struct vg_exe_key *key)
{
	for (size_t i = 0; i < m->protected_count; i++)
		if (m->protected[i].fd >= 0 && exe_key_equal(&m->protected[i].key, key))
			return true;
	return false;
}

void gate_marks_free(struct vg_gate_marks *m)
{
	for (size_t i = 0; i < m->protected_count; i++) {
		if (m->protected[i].fd >= 0)
			close(m->protected[i].fd);
		free(m->protected[i].path);
	}
	for (size_t i = 0; i < m->watched_count; i++) {
		if (m->watched[i].fd >= 0)
			close(m->watched[i].fd);
		free(m->watched[i].path);
	}
	free(m->protected);
	free(m->watched);
	if (m->inotify_fd >= 0)
		close(m->inotify_fd);
	*m = (struct vg_gate_marks){.inotify_fd = -1};
}
