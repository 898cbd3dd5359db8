/* meta.json of a snapshot: what /proc says about the process (cmdline,
 * environment, exe and its hash, credentials, capabilities, cgroup,
 * namespaces, lineage, threads, fds, sockets resolved to addresses, maps)
 * next to what the snapshot itself did (times, memory cap, core hash).
 * Strings from the process go through json_text_add: valid UTF-8, with the
 * exact bytes in a _b64 sibling when they were not. An item /proc refuses is
 * recorded as "<item>_error" rather than silently missing. */
#ifndef VG_ACT_SNAPSHOT_META_H
#define VG_ACT_SNAPSHOT_META_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include <json-c/json.h>

#include "act/procfs.h"

/* What the core holds of one mapping. */
struct snapshot_region {
	bool in_core;	      /* the mapping has a PT_LOAD */
	uint64_t captured;    /* bytes of it written, from its start */
	const char *left_out; /* why bytes are missing ("memory cap", ...), NULL if none */
};

struct snapshot_meta_input {
	pid_t pid;
	const char *id;
	int proc_dirfd; /* /proc/PID */
	const struct procfs_stat *stat;
	const char *status; /* /proc/PID/status text */
	const struct procfs_mapping *maps;
	const struct snapshot_region *regions; /* one per map */
	size_t map_count;
	const pid_t *tids;
	size_t thread_count;
	struct timespec started, finished;
	uint64_t memory_cap, memory_bytes, unreadable_bytes;
	bool memory_capped;
	const unsigned char *core_sha256;
	struct json_object *score; /* borrowed; may be NULL */
};

/* Returns a new object, or NULL with err set. */
struct json_object *snapshot_meta_build(const struct snapshot_meta_input *in, char *err,
					size_t errlen);

#endif
