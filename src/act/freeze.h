/* Quarantine's cgroup half: a cgroup v2 directory of its own per quarantine,
 * into which the process tree is moved and which is then frozen
 * (cgroup.freeze). A frozen cgroup is not thawed by SIGCONT, and a child
 * forked by a member is born inside it, frozen. cgroup.kill ends the tree. */
#ifndef VG_ACT_FREEZE_H
#define VG_ACT_FREEZE_H

#include <limits.h>
#include <stddef.h>
#include <sys/types.h>

#define VG_FREEZE_MAX_PIDS 1024

/* The root of the cgroup v2 hierarchy (hybrid or unified layout). */
const char *cgroup2_root(void);
/* Creates ROOT/vigilante-quarantine/<id>; its path into out. */
int freeze_create(const char *id, char out[PATH_MAX], char *err, size_t errlen);
/* Moves pid and every descendant into the cgroup, and freezes it; moves
 * again whoever was forked meanwhile. Fills pids (the tree, at most max)
 * and returns how many, or -1 with err. Waits up to timeout_ms for the
 * kernel to report the cgroup frozen. */
int freeze_tree(const char *cgroup, pid_t pid, pid_t *pids, int max, int timeout_ms, char *err,
		size_t errlen);
/* Thaws the cgroup and moves its processes to dest (a cgroup directory),
 * then removes it. */
int freeze_release(const char *cgroup, const char *dest, char *err, size_t errlen);
/* Kills every process in the cgroup, waits for it to empty, removes it. */
int freeze_kill(const char *cgroup, int timeout_ms, char *err, size_t errlen);
/* The cgroup v2 directory a process is in now. */
int cgroup_of(pid_t pid, char out[PATH_MAX]);
/* The pids in a cgroup; returns how many (at most max), or -1. */
int cgroup_pids(const char *cgroup, pid_t *pids, int max);

#endif
