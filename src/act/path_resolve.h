/* Resolving a path the way the kernel would for another process: from that
 * process's root, working directory or directory fd, following '..' (never
 * above its root) and symbolic links (absolute targets restart at its root,
 * in its mount namespace), with /proc/self and /proc/thread-self meaning
 * that process, not the resolver. The honeypot uses it to decide whether
 * `cat /etc/../etc/shadow`, a symbolic link to it, a hard link or
 * /proc/self/root/etc/shadow is a decoyed file. */
#ifndef VG_ACT_PATH_RESOLVE_H
#define VG_ACT_PATH_RESOLVE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* Where a path led: the file it names (found), or, when its last component
 * does not exist, the directory it would be created in and its name. */
struct resolved_path {
	bool found;
	uint64_t dev, ino; /* the file, or the directory when !found */
	char missing_name[256];
};

/* Resolves path for thread tid of process tgid, relative to dirfd (a fd
 * number in that process, or AT_FDCWD). follow_last: whether a symbolic
 * link as the last component is followed (open without O_NOFOLLOW, stat
 * rather than lstat). Returns 0 and fills *out, or a negative errno: -ENOENT
 * for a missing directory on the way, -ELOOP, -ENAMETOOLONG, -ESRCH (the
 * process is gone), -EBADF (dirfd is not open there). */
int path_resolve(pid_t tgid, pid_t tid, int dirfd, const char *path, bool follow_last,
		 struct resolved_path *out);

/* Whether two resolutions name the same file (or the same missing entry). */
bool resolved_path_equal(const struct resolved_path *a, const struct resolved_path *b);

#endif
