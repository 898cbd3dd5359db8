/* The precognition model: one scoring implementation for the kernel (BPF,
 * tp_btf/sys_enter) and for the userspace trainer and evaluator, so the two
 * always agree.
 *
 * The model is a hashed n-gram cost table. For each syscall it looks up what
 * that syscall costs after the previous VG_MODEL_ORDER - 1 ones, in whole
 * bits, 4-bit quantised. Trained on normal and attack traces, the cost is
 * the evidence the n-gram carries: VG_MODEL_COST_EVEN plus log2 of how much
 * likelier it is in attack traces than in normal ones. Trained on normal
 * traces alone, it is the n-gram's surprise (-log2 of its probability; never
 * seen costs VG_MODEL_COST_MAX). The running score is the recent average
 * cost: an exponential moving average over about the last
 * 2^VG_MODEL_AVERAGE_SHIFT syscalls that starts as a plain running mean, so
 * a process whose behaviour looks like attacks rather than normal programs
 * rises.
 *
 * Kernel constraints this file keeps: no libc, no floating point, no division
 * by variables, no unbounded loops, every array index masked to its
 * power-of-two size, state small enough for task storage. */
#ifndef VG_SCORE_MODEL_H
#define VG_SCORE_MODEL_H

#ifndef __bpf__
#include <linux/types.h>
#endif

#include "syscall_table.h"

/* Length of the n-gram: the current syscall and the ones before it. */
#define VG_MODEL_ORDER 4
/* Cost table: 2^VG_MODEL_BUCKET_BITS 4-bit cells, two per byte. */
#define VG_MODEL_BUCKET_BITS 13
#define VG_MODEL_BUCKETS     (1u << VG_MODEL_BUCKET_BITS)
#define VG_MODEL_TABLE_BYTES (VG_MODEL_BUCKETS / 2)
/* The highest cost: the cap of the evidence, and the surprise of an n-gram
 * normal-only training never saw. */
#define VG_MODEL_COST_MAX 15
/* Evidence training: the cost of an n-gram as likely in attack traces as in
 * normal ones. Each bit more or less is a factor of two either way. */
#define VG_MODEL_COST_EVEN 8
/* The average forgets with a time constant of 2^VG_MODEL_AVERAGE_SHIFT syscalls. */
#define VG_MODEL_AVERAGE_SHIFT 9
/* Fixed-point fraction bits of the average. */
#define VG_MODEL_AVERAGE_FRAC_BITS 10
/* The score is the average cost in 1/64 bit: 0 to VG_MODEL_SCORE_MAX. */
#define VG_MODEL_SCORE_FRAC_BITS 6
#define VG_MODEL_SCORE_MAX	 (VG_MODEL_COST_MAX << VG_MODEL_SCORE_FRAC_BITS)
/* Over a task's first VG_MODEL_WARMUP syscalls the average is scaled down
 * by count / VG_MODEL_WARMUP: a few syscalls are too few to trust as an
 * average, but enough to add up to an alarm if they are all unseen. */
#define VG_MODEL_WARMUP_SHIFT 5
#define VG_MODEL_WARMUP	      (1u << VG_MODEL_WARMUP_SHIFT)

struct vg_model {
	__u32 hash_seed;       /* salts the n-gram hash; chosen by training --seed */
	__u32 flag_threshold;  /* recommended: score at 1% false alarms on normal traces */
	__u32 block_threshold; /* recommended: score at 0.1% false alarms */
	__u8 cost[VG_MODEL_TABLE_BYTES];
};

/* Why the score is what it is: the costliest n-gram among about the last
 * 2^VG_MODEL_AVERAGE_SHIFT syscalls (canonical syscall ids, oldest first;
 * VG_SYS_other before the task's first syscalls). */
struct vg_model_reason {
	__u16 ngram[VG_MODEL_ORDER];
	__u32 at;     /* the task's syscall count when it was seen */
	__u16 bucket; /* table cell the n-gram hashed to */
	__u8 cost;    /* its cost in bits (see the table) */
	__u8 unused;  /* keeps the size a multiple of 4 */
};

struct vg_model_state {
	__u16 history[VG_MODEL_ORDER - 1]; /* previous syscall ids, oldest first */
	__u16 last_bucket;  /* table cell of the last n-gram: what `vigilante learn` records */
	__u32 count;	    /* syscalls seen since reset, saturating */
	__u32 average;	    /* cost average, VG_MODEL_AVERAGE_FRAC_BITS fixed point */
	__u8 average_shift; /* grows to VG_MODEL_AVERAGE_SHIFT: mean first, then EMA */
	__u8 unused[3];
	struct vg_model_reason reason;
};

/* A zeroed state is a fresh one (task storage starts zeroed): its history
 * reads as VG_SYS_other, which then also stands for "before the first
 * syscall". */
static __always_inline void vg_model_reset(struct vg_model_state *s)
{
	__builtin_memset(s, 0, sizeof(*s));
}

/* FNV-1a over the n-gram's classes, salted with the seed, then a
 * multiply-xorshift so that the low bits used as the bucket are well mixed. */
static __always_inline __u32 vg_model_bucket(__u32 seed, const __u16 *history, __u16 current)
{
	__u32 h = 0x811c9dc5u ^ seed;

	for (int i = 0; i < VG_MODEL_ORDER - 1; i++)
		h = (h ^ vg_syscall_class(history[i])) * 0x01000193u;
	h = (h ^ vg_syscall_class(current)) * 0x01000193u;
	h ^= h >> 15;
	h *= 0x2c1b3c6du;
	h ^= h >> 12;
	return h & (VG_MODEL_BUCKETS - 1);
}

/* Appends SYSID to the previous-syscalls window, dropping the oldest. */
static __always_inline void vg_model_push(__u16 *history, __u16 sysid)
{
	for (int i = 0; i < VG_MODEL_ORDER - 2; i++)
		history[i] = history[i + 1];
	history[VG_MODEL_ORDER - 2] = sysid;
}

static __always_inline __u32 vg_model_cell(const struct vg_model *m, __u32 bucket)
{
	__u8 packed = m->cost[(bucket >> 1) & (VG_MODEL_TABLE_BYTES - 1)];

	return (bucket & 1) ? packed >> 4 : packed & 0x0f;
}

static __always_inline __u32 vg_model_score(const struct vg_model_state *s)
{
	__u32 average = s->average;

	if (s->count < VG_MODEL_WARMUP)
		average = (average * s->count) >> VG_MODEL_WARMUP_SHIFT;
	return average >> (VG_MODEL_AVERAGE_FRAC_BITS - VG_MODEL_SCORE_FRAC_BITS);
}

/* A program's learned profile: the table cells (hashed n-grams) it made
 * while `vigilante learn` watched it on this host. Scored against its own
 * profile, an n-gram the program is known to make costs nothing, whatever
 * programs in general do; any other n-gram costs what the general model
 * says. So a profile removes the false alarms of a program whose normal is
 * unusual, and leaves it exactly as visible when it does something new. */
#define VG_PROFILE_WORDS (VG_MODEL_BUCKETS / 64)

struct vg_profile {
	__u64 seen[VG_PROFILE_WORDS];
};

static __always_inline int vg_profile_has(const struct vg_profile *p, __u32 bucket)
{
	return (p->seen[(bucket >> 6) & (VG_PROFILE_WORDS - 1)] >> (bucket & 63)) & 1;
}

/* Feeds one syscall (canonical id) to the task's state, scored against the
 * program's profile as well when there is one (NULL: none); returns the
 * score. */
static __always_inline __u32 vg_model_step_profiled(const struct vg_model *m,
						    const struct vg_profile *profile,
						    struct vg_model_state *s, __u16 sysid)
{
	__u32 bucket = vg_model_bucket(m->hash_seed, s->history, sysid);
	__u32 cost = vg_model_cell(m, bucket);
	__u32 shift = s->average_shift;

	if (profile && vg_profile_has(profile, bucket))
		cost = 0;
	s->last_bucket = (__u16)bucket;

	if (s->count != 0xffffffffu)
		s->count++;
	if (shift < VG_MODEL_AVERAGE_SHIFT && s->count == (2u << shift)) {
		shift++;
		s->average_shift = shift;
	}
	s->average =
	    s->average - (s->average >> shift) + ((cost << VG_MODEL_AVERAGE_FRAC_BITS) >> shift);

	if (cost >= s->reason.cost || s->count - s->reason.at >= (1u << VG_MODEL_AVERAGE_SHIFT)) {
		for (int i = 0; i < VG_MODEL_ORDER - 1; i++)
			s->reason.ngram[i] = s->history[i];
		s->reason.ngram[VG_MODEL_ORDER - 1] = sysid;
		s->reason.bucket = bucket;
		s->reason.at = s->count;
		s->reason.cost = (__u8)cost;
	}

	vg_model_push(s->history, sysid);
	return vg_model_score(s);
}

/* Feeds one syscall (canonical id) to the task's state; returns its score. */
static __always_inline __u32 vg_model_step(const struct vg_model *m, struct vg_model_state *s,
					   __u16 sysid)
{
	return vg_model_step_profiled(m, 0, s, sysid);
}

#endif
