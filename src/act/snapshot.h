/* Forensic snapshot of a stopped or frozen process (quarantine, DESIGN.md
 * capability 4): its registers and memory as an ELF core that gdb opens,
 * and what /proc knows about it (cmdline, environment, credentials, fds,
 * sockets, maps, lineage...) as meta.json. See docs/snapshot.md. */
#ifndef VG_ACT_SNAPSHOT_H
#define VG_ACT_SNAPSHOT_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define VG_SNAPSHOT_DEFAULT_MEMORY_CAP (256ull << 20)

struct vg_snapshot_options {
	size_t memory_cap_bytes; /* 0: VG_SNAPSHOT_DEFAULT_MEMORY_CAP */
	const char *score_json;	 /* optional JSON text (score and reason) embedded in meta.json */
};

struct vg_snapshot_result {
	char dir[PATH_MAX];    /* parent_dir/id */
	uint64_t memory_bytes; /* process memory written to the core */
	bool memory_capped;    /* some memory was left out because of the cap */
	unsigned threads;
	unsigned char core_sha256[32], meta_sha256[32];
	double seconds;
};

/* Snapshots process pid into parent_dir/<id>/ (files "core" and
 * "meta.json", directory mode 0700: they hold the process's secrets). The
 * process must already be stopped (every thread in group-stop) or frozen
 * (cgroup v2 freezer), and it is left as it was found: its threads are
 * seized with PTRACE_SEIZE + PTRACE_INTERRUPT, which inject no signal, and
 * detached at the end. Everything is written under parent_dir/.<id>.tmp/,
 * fsynced, and renamed to parent_dir/<id> only when complete; on failure
 * nothing is left at either name. Runs on the calling thread, which is the
 * tracer while it runs and waits for its tracees by thread id: no other
 * thread of the caller may reap children with waitpid(-1, ...) meanwhile,
 * or it would take their ptrace stops. Returns 0, or -1 with err naming
 * what failed. */
int snapshot_process(pid_t pid, const char *parent_dir, const char *id,
		     const struct vg_snapshot_options *opts, struct vg_snapshot_result *out,
		     char *err, size_t errlen);

#endif
