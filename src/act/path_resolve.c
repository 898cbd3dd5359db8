/* See path_resolve.h. Component by component with O_PATH|O_NOFOLLOW opens,
 * so that every symbolic link passes through here: the kernel's own
 * RESOLVE_IN_ROOT refuses /proc's magic links outright, and without it an
 * absolute link target would be resolved in the daemon's mount namespace,
 * not in the process's. */
#include "act/path_resolve.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "common/cleanup.h"

#define MAX_SYMLINKS 40 /* the kernel's own limit (MAXSYMLINKS) */
#define PROC_MAGIC   0x9fa0

struct walk {
	pid_t tgid, tid;
	int root;		 /* the process's root directory */
	int cur;		 /* the directory reached so far */
	char rest[2 * PATH_MAX]; /* what is left to walk */
	size_t pos;		 /* next byte of rest */
	int links;
};

static void set_cur(struct walk *w, int fd)
{
	close(w->cur);
	w->cur = fd;
}

static int same_file(int a, int b)
{
	struct stat sa, sb;

	if (fstat(a, &sa) || fstat(b, &sb))
		return -errno;
	return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

/* Replaces what is left to walk with target + the rest (which is empty or
 * starts with '/'): no slash is added, so that a trailing one is always the
 * path's or the link's own. */
static int splice_target(struct walk *w, const char *target, size_t target_len)
{
	size_t left = strlen(w->rest + w->pos);
	char joined[sizeof(w->rest)];

	if (target_len + left + 1 > sizeof(joined))
		return -ENAMETOOLONG;
	memcpy(joined, target, target_len);
	memcpy(joined + target_len, w->rest + w->pos, left + 1);
	memcpy(w->rest, joined, target_len + left + 1);
	w->pos = 0;
	return 0;
}

/* The next component into name; false at the end. *dir_only: it is the last
 * and a slash follows it, so, as for the kernel, it must be a directory
 * (a symbolic link there is followed even by lstat). */
static bool next_component(struct walk *w, char name[NAME_MAX + 1], bool *last, bool *dir_only,
			   int *err)
{
	const char *p = w->rest + w->pos, *end;

	while (*p == '/')
		p++;
	if (!*p)
		return false;
	end = strchrnul(p, '/');
	if ((size_t)(end - p) > NAME_MAX) {
		*err = -ENAMETOOLONG;
		return false;
	}
	memcpy(name, p, (size_t)(end - p));
	name[end - p] = '\0';
	w->pos = (size_t)(end - w->rest);
	*dir_only = *end == '/';
	while (*end == '/')
		end++;
	*last = !*end;
	*dir_only &= *last;
	return true;
}

static bool in_procfs(int fd)
{
	struct statfs sfs;

	return fstatfs(fd, &sfs) == 0 && sfs.f_type == PROC_MAGIC;
}

/* /proc/self and /proc/thread-self name the resolver; for the process they
 * name the process. Rewritten before they are looked up. */
static int rewrite_self(struct walk *w, const char *name, bool *rewritten)
{
	char target[64];
	struct stat st;

	*rewritten = false;
	if (strcmp(name, "self") && strcmp(name, "thread-self"))
		return 0;
	if (!in_procfs(w->cur) || fstat(w->cur, &st) || st.st_ino != 1)
		return 0; /* not the root of a procfs */
	if (++w->links > MAX_SYMLINKS)
		return -ELOOP; /* the kernel counts them as the links they are */
	if (!strcmp(name, "self"))
		snprintf(target, sizeof(target), "%d", (int)w->tgid);
	else
		snprintf(target, sizeof(target), "%d/task/%d", (int)w->tgid, (int)w->tid);
	*rewritten = true;
	return splice_target(w, target, strlen(target));
}

/* At a symbolic link: splice its target in (absolute: from the root), or,
 * for a /proc magic link (root, cwd, exe, fd/N...), let the kernel follow it
 * where it points for the process it belongs to. */
static int follow_link(struct walk *w, int link_fd, const char *name)
{
	char target[PATH_MAX];
	ssize_t len;

	if (++w->links > MAX_SYMLINKS)
		return -ELOOP;
	len = readlinkat(link_fd, "", target, sizeof(target));
	if (len < 0)
		return -errno;
	if ((size_t)len == sizeof(target))
		return -ENAMETOOLONG;
	if (in_procfs(link_fd) && target[0] != '/' && strchr(target, ':') == NULL)
		return splice_target(w, target, (size_t)len); /* e.g. /proc/mounts -> self/mounts */
	if (in_procfs(link_fd)) {
		int fd = openat(w->cur, name, O_PATH | O_CLOEXEC);

		if (fd < 0)
			return -errno;
		set_cur(w, fd);
		return 0;
	}
	if (target[0] == '/') {
		int fd = dup(w->root);

		if (fd < 0)
			return -errno;
		set_cur(w, fd);
	}
	return splice_target(w, target, (size_t)len);
}

static int open_start(struct walk *w, int dirfd, const char *path)
{
	char proc[64];

	snprintf(proc, sizeof(proc), "/proc/%d/root", (int)w->tid);
	w->root = open(proc, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (w->root < 0)
		return errno == ENOENT ? -ESRCH : -errno;
	if (path[0] == '/')
		snprintf(proc, sizeof(proc), "/proc/%d/root", (int)w->tid);
	else if (dirfd == AT_FDCWD)
		snprintf(proc, sizeof(proc), "/proc/%d/cwd", (int)w->tid);
	else
		snprintf(proc, sizeof(proc), "/proc/%d/fd/%d", (int)w->tid, dirfd);
	w->cur = open(proc, O_PATH | O_CLOEXEC);
	if (w->cur < 0)
		return errno == ENOENT && dirfd != AT_FDCWD && path[0] != '/' ? -EBADF : -errno;
	return 0;
}

static int found_at(int fd, bool dir_only, struct resolved_path *out)
{
	struct stat st;

	if (fstat(fd, &st))
		return -errno;
	if (dir_only && !S_ISDIR(st.st_mode))
		return -ENOTDIR; /* a /proc magic link with a trailing slash */
	out->found = true;
	out->dev = st.st_dev;
	out->ino = st.st_ino;
	out->missing_name[0] = '\0';
	return 0;
}

static int walk(struct walk *w, bool follow_last, struct resolved_path *out)
{
	char name[NAME_MAX + 1];
	bool last = false, dir_only = false;
	int err = 0;

	while (next_component(w, name, &last, &dir_only, &err)) {
		struct stat st;
		bool rewritten;
		int fd;

		if (!strcmp(name, ".")) {
			/* Where a /proc magic link led need not be a directory. */
			if (fstat(w->cur, &st))
				return -errno;
			if (!S_ISDIR(st.st_mode))
				return -ENOTDIR;
			continue;
		}
		if (!strcmp(name, "..")) {
			int at_root = same_file(w->cur, w->root);

			if (at_root < 0)
				return at_root;
			if (at_root)
				continue; /* '..' at the root is the root */
		} else if (!last || follow_last || dir_only) {
			/* Not when the link itself is asked for (lstat of /proc/self). */
			err = rewrite_self(w, name, &rewritten);
			if (err)
				return err;
			if (rewritten)
				continue;
		}
		fd = openat(w->cur, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0 && errno == ENOENT && last) {
			struct stat dir;

			if (fstat(w->cur, &dir))
				return -errno;
			out->found = false;
			out->dev = dir.st_dev;
			out->ino = dir.st_ino;
			snprintf(out->missing_name, sizeof(out->missing_name), "%s", name);
			return 0;
		}
		if (fd < 0)
			return -errno;
		if (fstat(fd, &st)) {
			err = -errno;
			close(fd);
			return err;
		}
		if (S_ISLNK(st.st_mode) && (!last || follow_last || dir_only)) {
			err = follow_link(w, fd, name);
			close(fd);
			if (err)
				return err;
			continue;
		}
		if ((!last || dir_only) && !S_ISDIR(st.st_mode)) {
			close(fd);
			return -ENOTDIR;
		}
		set_cur(w, fd);
	}
	if (err)
		return err;
	return found_at(w->cur, dir_only, out);
}

int path_resolve(pid_t tgid, pid_t tid, int dirfd, const char *path, bool follow_last,
		 struct resolved_path *out)
{
	struct walk w = {.tgid = tgid, .tid = tid, .root = -1, .cur = -1};
	size_t len = strlen(path);
	int err;

	if (len == 0)
		return -ENOENT;
	if (len >= PATH_MAX)
		return -ENAMETOOLONG;
	memcpy(w.rest, path, len + 1);
	err = open_start(&w, dirfd, path);
	if (!err)
		err = walk(&w, follow_last, out);
	vg_closep(&w.root);
	vg_closep(&w.cur);
	return err;
}

bool resolved_path_equal(const struct resolved_path *a, const struct resolved_path *b)
{
	return a->found == b->found && a->dev == b->dev && a->ino == b->ino &&
	       (a->found || strcmp(a->missing_name, b->missing_name) == 0);
}
