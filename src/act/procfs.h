/* Reading what /proc says about one process, through a directory fd on
 * /proc/PID: a fd keeps naming the same process even if its pid is reused,
 * and every read through it after the process is gone fails with ESRCH or
 * ENOENT, which callers turn into "the process exited". */
#ifndef VG_ACT_PROCFS_H
#define VG_ACT_PROCFS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Reads the whole file name (relative to dirfd) into a NUL-terminated
 * malloc'd buffer; *len excludes the NUL. Returns 0, or -1 with errno. */
int procfs_read(int dirfd, const char *name, char **buf, size_t *len);
/* readlink of name (relative to dirfd) into a NUL-terminated malloc'd
 * buffer, whatever the target's length. Returns 0, or -1 with errno. */
int procfs_readlink(int dirfd, const char *name, char **target, size_t *len);
/* Whether errno, after a failed read under /proc/PID, means the process is
 * gone. */
bool procfs_process_gone(int error);

/* The fields of /proc/PID/stat (or task/TID/stat) the snapshot uses. */
struct procfs_stat {
	char comm[16];
	char state; /* R S D T t Z X I ... */
	pid_t ppid, pgrp, sid;
	unsigned long flags;
	unsigned long utime_ticks, stime_ticks;
	long nice;
	unsigned long long start_ticks; /* since boot; identifies the process with its pid */
};

/* Returns 0, or -1 with errno (EINVAL when the text does not parse). */
int procfs_read_stat(int dirfd, const char *name, struct procfs_stat *st);

/* The value of "key:" in /proc/PID/status text, without leading blanks;
 * *len is its length up to the end of the line. NULL if absent. */
const char *procfs_status_field(const char *status, const char *key, size_t *len);
/* The process (thread group) thread tid belongs to, from its status; -1
 * with errno (ENOENT/ESRCH: it is gone). */
pid_t procfs_tgid_of(pid_t tid);

/* One line of /proc/PID/smaps, with the flags the snapshot must respect. */
struct procfs_mapping {
	uint64_t start, end, offset;
	char perms[5];
	unsigned dev_major, dev_minor;
	uint64_t inode;
	char *path; /* as /proc shows it ("" for anonymous memory) */
	size_t path_len;
	bool userfaultfd; /* VmFlags um/uw/ui: a read could wait on the frozen process */
	bool device;	  /* VmFlags io/pf: device or PFN memory, not readable as pages */
};

/* Parses /proc/PID/smaps. Returns 0, or -1 with errno. */
int procfs_read_mappings(int dirfd, struct procfs_mapping **maps, size_t *count);
void procfs_free_mappings(struct procfs_mapping *maps, size_t count);

#endif
