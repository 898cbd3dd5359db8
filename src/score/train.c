/* Training: counting n-grams of syscall classes over normal (and attack)
 * traces and turning the counts into the model's 4-bit cost table. */
#include "score/train.h"

#include "common/cleanup.h"
#include "common/log.h"
#include "score/eval.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Open-addressing map from a packed n-gram (16 bits per class) to its count
 * and, for contexts, the number of distinct syscalls seen after it. */
struct count_entry {
	__u64 key;
	__u32 count;
	__u32 followers;
	int used;
};

struct count_map {
	struct count_entry *slots;
	size_t capacity; /* a power of two */
	size_t used;
};

static void count_map_free(struct count_map *map)
{
	free(map->slots);
}

static size_t slot_of(__u64 key, size_t capacity)
{
	key ^= key >> 33;
	key *= 0xff51afd7ed558ccdULL;
	key ^= key >> 33;
	return (size_t)key & (capacity - 1);
}

static int count_map_grow(struct count_map *map)
{
	size_t capacity = map->capacity ? map->capacity * 2 : 4096;
	struct count_entry *slots = calloc(capacity, sizeof(*slots));

	if (!slots) {
		vg_err("out of memory counting n-grams (%zu entries)", capacity);
		return -1;
	}
	for (size_t i = 0; i < map->capacity; i++) {
		if (!map->slots[i].used)
			continue;
		size_t s = slot_of(map->slots[i].key, capacity);
		while (slots[s].used)
			s = (s + 1) & (capacity - 1);
		slots[s] = map->slots[i];
	}
	free(map->slots);
	map->slots = slots;
	map->capacity = capacity;
	return 0;
}

/* The entry for KEY, created with zero counts if absent; NULL on ENOMEM. */
static struct count_entry *count_map_get(struct count_map *map, __u64 key, int *created)
{
	if ((map->used + 1) * 2 > map->capacity && count_map_grow(map) < 0)
		return NULL;
	size_t s = slot_of(key, map->capacity);
	while (map->slots[s].used && map->slots[s].key != key)
		s = (s + 1) & (map->capacity - 1);
	*created = !map->slots[s].used;
	if (*created) {
		map->slots[s].used = 1;
		map->slots[s].key = key;
		map->used++;
	}
	return &map->slots[s];
}

static __u64 pack_context(const __u16 *history)
{
	__u64 key = 0;

	for (int i = 0; i < VG_MODEL_ORDER - 1; i++)
		key = (key << 16) | vg_syscall_class(history[i]);
	return key;
}

/* round(log2(total / count)), capped below VG_MODEL_COST_MAX, in
 * integers so that training is bit-for-bit reproducible: the smallest q with
 * count * 2^q * sqrt(2) >= total (181/128 stands for sqrt(2)). */
static __u8 quantised_surprise(__u64 count, __u64 total)
{
	__u8 q = 0;

	while (q < VG_MODEL_COST_MAX - 1 && (count << q) * 181 < total * 128)
		q++;
	return q;
}

static void set_cell(struct vg_model *model, __u32 bucket, __u8 cost)
{
	__u8 *byte = &model->cost[bucket >> 1];

	if (bucket & 1)
		*byte = (__u8)((*byte & 0x0f) | (cost << 4));
	else
		*byte = (__u8)((*byte & 0xf0) | cost);
}

static int train_surprise(const struct vg_trace_set *normal, __u32 seed, struct vg_model *model,
			  vg_progress_fn progress, void *progress_ctx)
{
	struct count_map ngrams __attribute__((cleanup(count_map_free))) = {0};
	struct count_map contexts __attribute__((cleanup(count_map_free))) = {0};

	for (size_t t = 0; t < normal->count; t++) {
		const struct vg_trace *trace = &normal->traces[t];
		struct vg_model_state state;

		vg_model_reset(&state);
		for (size_t i = 0; i < trace->len; i++) {
			__u64 context = pack_context(state.history);
			__u64 ngram = (context << 16) | vg_syscall_class(trace->ids[i]);
			int new_ngram, new_context;
			struct count_entry *n = count_map_get(&ngrams, ngram, &new_ngram);
			struct count_entry *c = count_map_get(&contexts, context, &new_context);

			if (!n || !c)
				return -1;
			n->count++;
			c->count++;
			if (new_ngram)
				c->followers++;
			vg_model_push(state.history, trace->ids[i]);
		}
		if (progress)
			progress("counting n-grams", t + 1, normal->count, progress_ctx);
	}

	memset(model->cost, VG_MODEL_COST_MAX | (VG_MODEL_COST_MAX << 4), sizeof(model->cost));
	for (size_t i = 0; i < ngrams.capacity; i++) {
		const struct count_entry *n = &ngrams.slots[i];
		if (!n->used)
			continue;
		int created;
		const struct count_entry *c = count_map_get(&contexts, n->key >> 16, &created);
		if (!c)
			return -1;
		__u16 history[VG_MODEL_ORDER - 1];
		for (int h = 0; h < VG_MODEL_ORDER - 1; h++)
			history[h] = (__u16)(n->key >> (16 * (VG_MODEL_ORDER - 1 - h)));
		/* The packed key holds classes; a class is its own class, so the
		 * bucket is the one vg_model_step computes for any id of that class. */
		__u32 bucket = vg_model_bucket(seed, history, (__u16)n->key);
		__u8 surprise = quantised_surprise(n->count, (__u64)c->count + c->followers);
		if (surprise < vg_model_cell(model, bucket))
			set_cell(model, bucket, surprise);
	}
	return 0;
}

/* Adds each n-gram of SET to the count of the cell it hashes to. */
static void count_cells(const struct vg_trace_set *set, __u32 seed, __u64 *cells, const char *what,
			vg_progress_fn progress, void *progress_ctx)
{
	for (size_t t = 0; t < set->count; t++) {
		const struct vg_trace *trace = &set->traces[t];
		struct vg_model_state state;

		vg_model_reset(&state);
		for (size_t i = 0; i < trace->len; i++) {
			cells[vg_model_bucket(seed, state.history, trace->ids[i])]++;
			vg_model_push(state.history, trace->ids[i]);
		}
		if (progress)
			progress(what, t + 1, set->count, progress_ctx);
	}
}

/* Each cell's cost is VG_MODEL_COST_EVEN + round(log2(p_attack / p_normal)),
 * the probabilities add-one smoothed over the cells, so that a cell neither
 * side reached leans towards attack as much as the attack side is smaller.
 * Per cell rather than per n-gram, so that n-grams sharing a cell pool their
 * counts instead of one of them winning. */
static int train_evidence(const struct vg_trace_set *normal, const struct vg_trace_set *attack,
			  __u32 seed, struct vg_model *model, vg_progress_fn progress,
			  void *progress_ctx)
{
	_cleanup_free_ __u64 *normal_cells = calloc(VG_MODEL_BUCKETS, sizeof(__u64));
	_cleanup_free_ __u64 *attack_cells = calloc(VG_MODEL_BUCKETS, sizeof(__u64));

	if (!normal_cells || !attack_cells) {
		vg_err("out of memory counting n-grams");
		return -1;
	}
	count_cells(normal, seed, normal_cells, "normal n-grams", progress, progress_ctx);
	count_cells(attack, seed, attack_cells, "attack n-grams", progress, progress_ctx);
	double normal_total = (double)normal->syscalls + VG_MODEL_BUCKETS;
	double attack_total = (double)attack->syscalls + VG_MODEL_BUCKETS;
	for (__u32 b = 0; b < VG_MODEL_BUCKETS; b++) {
		double evidence = log2((attack_cells[b] + 1) / attack_total) -
				  log2((normal_cells[b] + 1) / normal_total);
		long cost = VG_MODEL_COST_EVEN + lround(evidence);
		set_cell(model, b,
			 (__u8)(cost < 0		   ? 0
				: cost > VG_MODEL_COST_MAX ? VG_MODEL_COST_MAX
							   : cost));
	}
	return 0;
}

int vg_model_train(const struct vg_trace_set *normal, const struct vg_trace_set *attack, __u32 seed,
		   struct vg_model *model, vg_progress_fn progress, void *progress_ctx)
{
	if (normal->count == 0 || normal->syscalls == 0) {
		vg_err("no normal syscalls to train on");
		return -1;
	}
	memset(model, 0, sizeof(*model));
	model->hash_seed = seed;
	if (attack && attack->syscalls)
		return train_evidence(normal, attack, seed, model, progress, progress_ctx);
	return train_surprise(normal, seed, model, progress, progress_ctx);
}

/* Flag at 1% and block at 0.1% false alarms on these normal traces' scores. */
static void set_thresholds(struct vg_model *model, const __u32 *scores, size_t count)
{
	model->flag_threshold = vg_threshold_at_fpr(scores, count, 0.01);
	model->block_threshold = vg_threshold_at_fpr(scores, count, 0.001);
}

int vg_model_calibrate(struct vg_model *model, const struct vg_trace_set *normal)
{
	_cleanup_free_ __u32 *scores = NULL;

	if (normal->count == 0) {
		vg_err("no normal traces to calibrate the thresholds on");
		return -1;
	}
	scores = vg_score_traces(model, normal, NULL);
	if (!scores)
		return -1;
	set_thresholds(model, scores, normal->count);
	return 0;
}

int vg_model_calibrate_cross(struct vg_model *model, const struct vg_trace_set *normal,
			     const struct vg_trace_set *attack, vg_progress_fn progress,
			     void *progress_ctx)
{
	const size_t n = normal->count;
	_cleanup_free_ __u32 *scores = NULL;
	_cleanup_free_ struct vg_trace *rest = NULL;

	if (n < VG_MODEL_CALIBRATION_FOLDS) {
		vg_err("cross-fitted calibration needs at least %d normal traces, got %zu",
		       VG_MODEL_CALIBRATION_FOLDS, n);
		return -1;
	}
	scores = malloc(n * sizeof(*scores));
	rest = malloc(n * sizeof(*rest));
	if (!scores || !rest) {
		vg_err("out of memory for cross-fitted calibration");
		return -1;
	}
	for (size_t fold = 0; fold < VG_MODEL_CALIBRATION_FOLDS; fold++) {
		const size_t begin = n * fold / VG_MODEL_CALIBRATION_FOLDS;
		const size_t end = n * (fold + 1) / VG_MODEL_CALIBRATION_FOLDS;
		/* Views on normal's traces: nothing here owns them. */
		struct vg_trace_set block = {.traces = normal->traces + begin,
					     .count = end - begin};
		struct vg_trace_set others = {.traces = rest};
		_cleanup_free_ __u32 *block_scores = NULL;
		struct vg_model fold_model;

		for (size_t i = 0; i < n; i++) {
			if (i >= begin && i < end) {
				block.syscalls += normal->traces[i].len;
				continue;
			}
			rest[others.count++] = normal->traces[i];
			others.syscalls += normal->traces[i].len;
		}
		if (vg_model_train(&others, attack, model->hash_seed, &fold_model, NULL, NULL) < 0)
			return -1;
		block_scores = vg_score_traces(&fold_model, &block, NULL);
		if (!block_scores)
			return -1;
		memcpy(scores + begin, block_scores, block.count * sizeof(*scores));
		if (progress)
			progress("calibrating", fold + 1, VG_MODEL_CALIBRATION_FOLDS, progress_ctx);
	}
	set_thresholds(model, scores, n);
	return 0;
}
