/* The process table: every process seen in scope, keyed by
 * (tgid, start time) so that a reused pid is a new entry, never a rewrite of
 * an old one. Exited processes stay for a while, so that late events and
 * lineage queries about them still resolve. */
#ifndef VG_SENSE_PROCTABLE_H
#define VG_SENSE_PROCTABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct vg_proc {
	uint32_t tgid;
	uint64_t start_ns; /* CLOCK_BOOTTIME */
	uint32_t ppid;
	uint64_t parent_start_ns;
	uint64_t exit_ns;  /* 0 while alive */
	bool start_approx; /* seeded from /proc: start known to a clock tick only */
	uint32_t uid;
	char comm[16];
	char *exe;
	struct vg_proc *next; /* hash chain */
};

struct vg_proctable;

struct vg_proctable *proctable_new(void);
void proctable_free(struct vg_proctable *t);
/* Adds every process now in /proc (start times to a clock tick). */
int proctable_seed(struct vg_proctable *t);
struct vg_proc *proctable_find(struct vg_proctable *t, uint32_t tgid, uint64_t start_ns);
/* The entry of the process that has tgid now (not exited), or NULL. */
struct vg_proc *proctable_find_alive(struct vg_proctable *t, uint32_t tgid);
/* Finds or adds the entry; NULL only when out of memory. */
struct vg_proc *proctable_upsert(struct vg_proctable *t, uint32_t tgid, uint64_t start_ns);
int proctable_set_exe(struct vg_proc *p, const char *exe);
/* Forgets processes that exited more than retain_ns before now_ns. */
void proctable_expire(struct vg_proctable *t, uint64_t now_ns, uint64_t retain_ns);
/* Fills up to max ancestors of p, nearest first; returns how many. */
size_t proctable_lineage(struct vg_proctable *t, const struct vg_proc *p,
			 const struct vg_proc **out, size_t max);
size_t proctable_count(const struct vg_proctable *t);
/* Applies a validated sensor event (exec, fork or exit) to the table. */
void proctable_apply_event(struct vg_proctable *t, const void *event);

#endif
