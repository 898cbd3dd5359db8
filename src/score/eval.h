/* Measuring the precognition model: trace scores, ROC curve and AUC,
 * detection rate at fixed false-alarm rates, per-family detection and
 * earliness. A trace's score is the maximum of its running score; a trace
 * raises an alarm at threshold T when that score is >= T. */
#ifndef VG_SCORE_EVAL_H
#define VG_SCORE_EVAL_H

#include "score/model.h"
#include "score/trace.h"

#include <stddef.h>

/* The false-alarm rates every evaluation reports. */
#define VG_EVAL_FPR_COUNT 4
extern const double vg_eval_fprs[VG_EVAL_FPR_COUNT];
/* The false-alarm rate at which per-family detection and earliness are given. */
#define VG_EVAL_ALARM_FPR 0.05

struct vg_score_timing {
	size_t syscalls;
	double seconds;
};

/* The maximum running score over the trace. */
__u32 vg_trace_score(const struct vg_model *model, const struct vg_trace *trace);

/* How many syscalls of the trace the model consumed when its running score
 * first reached THRESHOLD (1..len), or 0 if it never did. */
size_t vg_trace_first_alarm(const struct vg_model *model, const struct vg_trace *trace,
			    __u32 threshold);

/* Scores every trace of SET (malloc'd array, SET->count entries; NULL after
 * reporting ENOMEM). TIMING, when given, receives the scoring time alone. */
__u32 *vg_score_traces(const struct vg_model *model, const struct vg_trace_set *set,
		       struct vg_score_timing *timing);

/* ROC AUC: the probability that an attack trace scores above a normal one,
 * ties counting one half (Mann-Whitney). Both sets must be non-empty. */
double vg_roc_auc(const __u32 *normal, size_t n_normal, const __u32 *attack, size_t n_attack);

/* The lowest threshold at which at most floor(FPR * n_normal) normal traces
 * raise an alarm. */
__u32 vg_threshold_at_fpr(const __u32 *normal, size_t n_normal, double fpr);

/* Fraction of SCORES at or above THRESHOLD. */
double vg_alarm_rate(const __u32 *scores, size_t n, __u32 threshold);

struct vg_roc_point {
	double fpr;
	double tpr;
	__u32 threshold;
};

/* The ROC curve, one point per distinct score plus the (0,0) end, from the
 * highest threshold to the lowest. Returns the number of points (malloc'd
 * in *POINTS), or 0 after reporting ENOMEM. */
size_t vg_roc_curve(const __u32 *normal, size_t n_normal, const __u32 *attack, size_t n_attack,
		    struct vg_roc_point **points);

struct vg_family_result {
	char *name;
	size_t traces;
	size_t detected; /* at the VG_EVAL_ALARM_FPR threshold */
};

struct vg_eval_report {
	size_t n_normal, n_attack;
	double auc;
	__u32 threshold_at_fpr[VG_EVAL_FPR_COUNT];
	double detection_at_fpr[VG_EVAL_FPR_COUNT];
	double actual_fpr[VG_EVAL_FPR_COUNT];
	__u32 alarm_threshold; /* the VG_EVAL_ALARM_FPR threshold */
	struct vg_family_result *families;
	size_t n_families;
	double median_earliness; /* fraction of an attack trace consumed at its first alarm */
	size_t n_alarmed;	 /* attack traces that crossed alarm_threshold */
	struct vg_roc_point *roc;
	size_t n_roc;
	struct vg_score_timing timing;
};

/* Scores both sets and fills REPORT. Returns 0, or -1 after reporting the
 * error (an empty set, ENOMEM). */
int vg_evaluate(const struct vg_model *model, const struct vg_trace_set *normal,
		const struct vg_trace_set *attack, struct vg_eval_report *report);
void vg_eval_report_free(struct vg_eval_report *report);

#endif
