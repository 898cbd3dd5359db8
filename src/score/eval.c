/* Evaluation of the precognition model on labelled trace sets. */
#include "score/eval.h"

#include "common/cleanup.h"
#include "common/log.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

const double vg_eval_fprs[VG_EVAL_FPR_COUNT] = {0.001, 0.01, 0.05, 0.1};

__u32 vg_trace_score(const struct vg_model *model, const struct vg_trace *trace)
{
	struct vg_model_state state;
	__u32 max = 0;

	vg_model_reset(&state);
	for (size_t i = 0; i < trace->len; i++) {
		__u32 score = vg_model_step(model, &state, trace->ids[i]);
		if (score > max)
			max = score;
	}
	return max;
}

size_t vg_trace_first_alarm(const struct vg_model *model, const struct vg_trace *trace,
			    __u32 threshold)
{
	struct vg_model_state state;

	vg_model_reset(&state);
	for (size_t i = 0; i < trace->len; i++)
		if (vg_model_step(model, &state, trace->ids[i]) >= threshold)
			return i + 1;
	return 0;
}

static double now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

__u32 *vg_score_traces(const struct vg_model *model, const struct vg_trace_set *set,
		       struct vg_score_timing *timing)
{
	__u32 *scores = calloc(set->count ? set->count : 1, sizeof(*scores));

	if (!scores) {
		vg_err("out of memory scoring %zu traces", set->count);
		return NULL;
	}
	double start = now_seconds();
	for (size_t i = 0; i < set->count; i++)
		scores[i] = vg_trace_score(model, &set->traces[i]);
	if (timing) {
		timing->seconds += now_seconds() - start;
		timing->syscalls += set->syscalls;
	}
	return scores;
}

static int compare_u32(const void *a, const void *b)
{
	__u32 x = *(const __u32 *)a, y = *(const __u32 *)b;

	return (x > y) - (x < y);
}

static __u32 *sorted_copy(const __u32 *scores, size_t n)
{
	__u32 *copy = malloc((n ? n : 1) * sizeof(*copy));

	if (!copy) {
		vg_err("out of memory sorting %zu scores", n);
		return NULL;
	}
	memcpy(copy, scores, n * sizeof(*copy));
	qsort(copy, n, sizeof(*copy), compare_u32);
	return copy;
}

/* Number of entries of the ascending array below VALUE. */
static size_t count_below(const __u32 *ascending, size_t n, __u32 value)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (ascending[mid] < value)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

double vg_roc_auc(const __u32 *normal, size_t n_normal, const __u32 *attack, size_t n_attack)
{
	_cleanup_free_ __u32 *sorted = sorted_copy(normal, n_normal);
	double wins = 0;

	if (!sorted || n_normal == 0 || n_attack == 0)
		return NAN;
	for (size_t i = 0; i < n_attack; i++) {
		size_t below = count_below(sorted, n_normal, attack[i]);
		size_t below_or_equal = attack[i] == UINT32_MAX
					    ? n_normal
					    : count_below(sorted, n_normal, attack[i] + 1);
		wins += (double)below + 0.5 * (double)(below_or_equal - below);
	}
	return wins / ((double)n_normal * (double)n_attack);
}

__u32 vg_threshold_at_fpr(const __u32 *normal, size_t n_normal, double fpr)
{
	_cleanup_free_ __u32 *sorted = sorted_copy(normal, n_normal);
	/* The small epsilon keeps 0.01 * 1000 from flooring to 9. */
	size_t allowed = (size_t)floor(fpr * (double)n_normal + 1e-9);

	if (!sorted || allowed >= n_normal)
		return 0;
	__u32 highest_quiet = sorted[n_normal - 1 - allowed];
	return highest_quiet == UINT32_MAX ? UINT32_MAX : highest_quiet + 1;
}

double vg_alarm_rate(const __u32 *scores, size_t n, __u32 threshold)
{
	size_t alarms = 0;

	if (n == 0)
		return NAN;
	for (size_t i = 0; i < n; i++)
		alarms += scores[i] >= threshold;
	return (double)alarms / (double)n;
}

size_t vg_roc_curve(const __u32 *normal, size_t n_normal, const __u32 *attack, size_t n_attack,
		    struct vg_roc_point **points)
{
	_cleanup_free_ __u32 *all = malloc((n_normal + n_attack + 1) * sizeof(*all));
	_cleanup_free_ __u32 *normal_sorted = sorted_copy(normal, n_normal);
	_cleanup_free_ __u32 *attack_sorted = sorted_copy(attack, n_attack);
	_cleanup_free_ struct vg_roc_point *curve = NULL;
	size_t n_all = n_normal + n_attack, n_points = 0;

	if (!all || !normal_sorted || !attack_sorted) {
		vg_err("out of memory computing the ROC curve");
		return 0;
	}
	memcpy(all, normal, n_normal * sizeof(*all));
	memcpy(all + n_normal, attack, n_attack * sizeof(*all));
	qsort(all, n_all, sizeof(*all), compare_u32);
	curve = malloc((n_all + 1) * sizeof(*curve));
	if (!curve) {
		vg_err("out of memory computing the ROC curve");
		return 0;
	}
	/* No alarm at all: above the highest score. */
	__u32 top = n_all ? all[n_all - 1] : 0;
	curve[n_points++] = (struct vg_roc_point){
	    .fpr = 0, .tpr = 0, .threshold = top == UINT32_MAX ? top : top + 1};
	for (size_t i = n_all; i-- > 0;) {
		if (i + 1 < n_all && all[i] == all[i + 1])
			continue;
		__u32 t = all[i];
		curve[n_points++] = (struct vg_roc_point){
		    .fpr = n_normal ? (double)(n_normal - count_below(normal_sorted, n_normal, t)) /
					  (double)n_normal
				    : 0,
		    .tpr = n_attack ? (double)(n_attack - count_below(attack_sorted, n_attack, t)) /
					  (double)n_attack
				    : 0,
		    .threshold = t,
		};
	}
	*points = steal_pointer(&curve);
	return n_points;
}

static struct vg_family_result *family_of(struct vg_eval_report *report, const char *name)
{
	for (size_t i = 0; i < report->n_families; i++)
		if (!strcmp(report->families[i].name, name))
			return &report->families[i];
	struct vg_family_result *grown =
	    reallocarray(report->families, report->n_families + 1, sizeof(*grown));
	if (!grown)
		return NULL;
	report->families = grown;
	struct vg_family_result *f = &report->families[report->n_families];
	*f = (struct vg_family_result){.name = strdup(name)};
	if (!f->name)
		return NULL;
	report->n_families++;
	return f;
}

static int compare_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(double *values, size_t n)
{
	if (n == 0)
		return NAN;
	qsort(values, n, sizeof(*values), compare_double);
	return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

int vg_evaluate(const struct vg_model *model, const struct vg_trace_set *normal,
		const struct vg_trace_set *attack, struct vg_eval_report *report)
{
	memset(report, 0, sizeof(*report));
	if (normal->count == 0 || attack->count == 0) {
		vg_err(
		    "evaluation needs both normal and attack traces (got %zu normal, %zu attack)",
		    normal->count, attack->count);
		return -1;
	}
	_cleanup_free_ __u32 *normal_scores = vg_score_traces(model, normal, &report->timing);
	_cleanup_free_ __u32 *attack_scores = vg_score_traces(model, attack, &report->timing);
	_cleanup_free_ double *earliness = calloc(attack->count, sizeof(*earliness));
	if (!normal_scores || !attack_scores || !earliness) {
		vg_err("out of memory evaluating %zu traces", normal->count + attack->count);
		return -1;
	}

	report->n_normal = normal->count;
	report->n_attack = attack->count;
	report->auc = vg_roc_auc(normal_scores, normal->count, attack_scores, attack->count);
	for (int i = 0; i < VG_EVAL_FPR_COUNT; i++) {
		__u32 t = vg_threshold_at_fpr(normal_scores, normal->count, vg_eval_fprs[i]);
		report->threshold_at_fpr[i] = t;
		report->detection_at_fpr[i] = vg_alarm_rate(attack_scores, attack->count, t);
		report->actual_fpr[i] = vg_alarm_rate(normal_scores, normal->count, t);
	}
	report->alarm_threshold =
	    vg_threshold_at_fpr(normal_scores, normal->count, VG_EVAL_ALARM_FPR);

	for (size_t i = 0; i < attack->count; i++) {
		const struct vg_trace *trace = &attack->traces[i];
		struct vg_family_result *family = family_of(report, trace->family);
		if (!family) {
			vg_err("out of memory grouping attack families");
			vg_eval_report_free(report);
			return -1;
		}
		family->traces++;
		if (attack_scores[i] < report->alarm_threshold)
			continue;
		family->detected++;
		if (trace->len == 0)
			continue;
		size_t consumed = vg_trace_first_alarm(model, trace, report->alarm_threshold);
		earliness[report->n_alarmed++] = (double)consumed / (double)trace->len;
	}
	report->median_earliness = median(earliness, report->n_alarmed);

	report->n_roc =
	    vg_roc_curve(normal_scores, normal->count, attack_scores, attack->count, &report->roc);
	if (report->n_roc == 0) {
		vg_eval_report_free(report);
		return -1;
	}
	return 0;
}

void vg_eval_report_free(struct vg_eval_report *report)
{
	for (size_t i = 0; i < report->n_families; i++)
		free(report->families[i].name);
	free(report->families);
	free(report->roc);
	memset(report, 0, sizeof(*report));
}
