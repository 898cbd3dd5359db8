/* Fitting the precognition model (score/model.h) to normal traces. */
#ifndef VG_SCORE_TRAIN_H
#define VG_SCORE_TRAIN_H

#include "score/model.h"
#include "score/trace.h"

/* Called as the work advances, for a progress display. */
typedef void (*vg_progress_fn)(const char *what, size_t done, size_t total, void *ctx);

/* Fits the cost table.
 *
 * With ATTACK traces (not NULL, not empty), each cell holds the evidence its
 * n-grams carry: VG_MODEL_COST_EVEN + round(log2(p_attack / p_normal)),
 * clamped to 0..VG_MODEL_COST_MAX, the two probabilities the cell's share of
 * each side's syscalls, add-one smoothed.
 *
 * With NORMAL traces alone, each n-gram's cell holds its surprise,
 * round(-log2 p), p its Witten-Bell estimate given the n-1 syscalls before
 * it (count / (context count + distinct followers of that context)); cells
 * no training n-gram reaches hold VG_MODEL_COST_MAX, and a cell two n-grams
 * share keeps the smaller surprise.
 *
 * Deterministic: the same traces and seed give the same bytes. The
 * thresholds are left at 0 (see vg_model_calibrate). Returns 0, or -1 after
 * reporting the error. */
int vg_model_train(const struct vg_trace_set *normal, const struct vg_trace_set *attack, __u32 seed,
		   struct vg_model *model, vg_progress_fn progress, void *progress_ctx);

/* Sets the recommended thresholds from normal traces (never attack ones):
 * flag at 1% and block at 0.1% false alarms. Returns 0, or -1 if NORMAL is
 * empty. */
int vg_model_calibrate(struct vg_model *model, const struct vg_trace_set *normal);

/* Cross-fitted calibration, for a model trained on all the normal traces
 * there are: the same thresholds, read from scores that no trace gets from a
 * model that saw it. NORMAL (the traces MODEL was trained on, in the same
 * order) is cut into VG_MODEL_CALIBRATION_FOLDS contiguous blocks; each
 * block is scored by a model trained with MODEL's seed on the other blocks
 * and ATTACK (NULL or empty: normal-only). Contiguous blocks, not every
 * k-th trace: traces are taken in directory and name order, so a block's
 * programs are about as new to its model as a later recording's would be.
 * Returns 0, or -1 after reporting the error. */
#define VG_MODEL_CALIBRATION_FOLDS 4
int vg_model_calibrate_cross(struct vg_model *model, const struct vg_trace_set *normal,
			     const struct vg_trace_set *attack, vg_progress_fn progress,
			     void *progress_ctx);

#endif
