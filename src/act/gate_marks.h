/* The open gate's marks that must follow a path: the policy's
 * protected_paths and the files FILE vaccines name. fanotify marks inodes,
 * and tools that change such a file (passwd, useradd, an editor) write a new
 * one and rename it over the old: the mark would stay on the old inode. So
 * each path's directory, and a symlink's target's, is watched (inotify), or
 * its nearest existing ancestor while it is missing; on a change the new
 * inode is marked, through the very file opened, and the old one unmarked. Changed by the gate's
 * main thread only; the keys are read by the gate thread under the gate's lock. */
#ifndef VG_ACT_GATE_MARKS_H
#define VG_ACT_GATE_MARKS_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include "decide/policy.h"
#include "sense/sensor_loader.h"

struct vg_marked_file {
	char *path;
	struct vg_exe_key key; /* the inode marked (under the lock); ino 0: none */
	uint64_t mask;	       /* the marks on it */
	int fd;		       /* open on it, to take the marks off; -1: none */
};

struct vg_gate_marks {
	int fanotify_fd;       /* the gate's */
	pthread_mutex_t *lock; /* the gate's: guards the keys */
	int inotify_fd;	       /* the marked paths' directories */
	struct vg_marked_file *protected;
	size_t protected_count;
	struct vg_marked_file *watched; /* FILE vaccines' files */
	size_t watched_count;
};

/* Marks the protected paths that exist (the others once they do) and
 * watches their directories. Returns 0, or -1 with err; call
 * gate_marks_free() either way. */
int gate_marks_init(struct vg_gate_marks *m, int fanotify_fd, pthread_mutex_t *lock,
		    const struct vg_path_list *protected_paths, char *err, size_t errlen);
/* Marks path for a FILE vaccine (once however many name it); *key receives
 * its identity. Returns 0, or -1 with err. */
int gate_marks_watch(struct vg_gate_marks *m, const char *path, struct vg_exe_key *key, char *err,
		     size_t errlen);
/* Takes the marks off the watched files that needed(key, ctx) says no FILE
 * vaccine names any more, unless another marked path shares the inode. */
void gate_marks_unwatch(struct vg_gate_marks *m,
			bool (*needed)(const struct vg_exe_key *key, void *ctx), void *ctx);
/* Whether key is a protected path's inode. The caller holds the lock. */
bool gate_marks_protects(const struct vg_gate_marks *m, const struct vg_exe_key *key);
/* Reads the directory watch (m->inotify_fd is readable) and marks again the
 * paths that name another inode now; for a watched file that moved,
 * moved(old, new, ctx) is called with the lock held, for the vaccines that
 * named the old inode to name the new one. */
void gate_marks_recheck(struct vg_gate_marks *m,
			void (*moved)(const struct vg_exe_key *old, const struct vg_exe_key *now,
				      void *ctx),
			void *ctx);
/* Closes the fds (the marks go with the fanotify fd) and frees. */
void gate_marks_free(struct vg_gate_marks *m);

#endif
