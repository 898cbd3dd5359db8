/* Evaluation arithmetic on tiny hand-made score sets whose AUC, thresholds
 * and detection rates were worked out by hand. */
#include "score/eval.h"
#include "score/train.h"

#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static void test_auc_by_hand_with_ties(void **state)
{
	/* Attack 3 beats normals 1 and 2, ties 3 (1/2), loses to 4: 2.5.
	 * Attack 5 beats all four: 4. AUC = 6.5 / 8. */
	const __u32 normal[] = {4, 1, 3, 2};
	const __u32 attack[] = {5, 3};

	assert_float_equal(vg_roc_auc(normal, 4, attack, 2), 6.5 / 8, 1e-12);
}

static void test_auc_extremes(void **state)
{
	const __u32 low[] = {1, 2, 2};
	const __u32 high[] = {7, 9};
	const __u32 same[] = {2, 2};

	assert_float_equal(vg_roc_auc(low, 3, high, 2), 1.0, 1e-12);
	assert_float_equal(vg_roc_auc(high, 2, low, 3), 0.0, 1e-12);
	/* All tied: every pair counts one half. */
	assert_float_equal(vg_roc_auc(same, 2, same, 2), 0.5, 1e-12);
	/* Normal {1,2,2} vs attack {2}: beats 1, ties two 2s: (1 + 0.5 + 0.5) / 3. */
	assert_float_equal(vg_roc_auc(low, 3, same, 1), 2.0 / 3, 1e-12);
}

static void test_threshold_and_detection_at_fpr(void **state)
{
	__u32 normal[100];
	const __u32 attack[] = {50, 96, 97, 200};

	for (int i = 0; i < 100; i++)
		normal[i] = (__u32)(100 - i); /* 100..1, unsorted order on purpose */
	/* 5% of 100 normals may alarm: 96..100, so the threshold is 96. */
	__u32 t = vg_threshold_at_fpr(normal, 100, 0.05);
	assert_int_equal(t, 96);
	assert_float_equal(vg_alarm_rate(normal, 100, t), 0.05, 1e-12);
	assert_float_equal(vg_alarm_rate(attack, 4, t), 0.75, 1e-12);
	/* 1% -> only 100 alarms -> threshold 100; 0.1% -> none may: 101. */
	assert_int_equal(vg_threshold_at_fpr(normal, 100, 0.01), 100);
	assert_int_equal(vg_threshold_at_fpr(normal, 100, 0.001), 101);
	assert_float_equal(vg_alarm_rate(attack, 4, 101), 0.25, 1e-12);
}

static void test_threshold_with_ties(void **state)
{
	__u32 normal[100];
	const __u32 attack[] = {10, 11};

	for (int i = 0; i < 100; i++)
		normal[i] = i < 90 ? 0 : 10;
	/* Ten normals tie at 10: alarming on 10 would be 10%, above 5%, so the
	 * threshold must sit above the tie, and the attack at 10 is missed. */
	__u32 t = vg_threshold_at_fpr(normal, 100, 0.05);
	assert_int_equal(t, 11);
	assert_float_equal(vg_alarm_rate(normal, 100, t), 0.0, 1e-12);
	assert_float_equal(vg_alarm_rate(attack, 2, t), 0.5, 1e-12);
	/* 10% allows the whole tie: the lowest such threshold is just above the 0s. */
	assert_int_equal(vg_threshold_at_fpr(normal, 100, 0.1), 1);
}

static __u32 lcg(__u32 *seed)
{
	*seed = *seed * 1664525u + 1013904223u;
	return *seed >> 24;
}

static void test_roc_curve_area_matches_auc(void **state)
{
	__u32 normal[300], attack[120], seed = 42;
	struct vg_roc_point *points = NULL;

	for (int i = 0; i < 300; i++)
		normal[i] = lcg(&seed) % 50;
	for (int i = 0; i < 120; i++)
		attack[i] = 20 + lcg(&seed) % 50;
	size_t n = vg_roc_curve(normal, 300, attack, 120, &points);
	assert_true(n >= 2);
	assert_float_equal(points[0].fpr, 0, 1e-12);
	assert_float_equal(points[0].tpr, 0, 1e-12);
	assert_float_equal(points[n - 1].fpr, 1, 1e-12);
	assert_float_equal(points[n - 1].tpr, 1, 1e-12);
	double area = 0;
	for (size_t i = 1; i < n; i++) {
		assert_true(points[i].fpr >= points[i - 1].fpr);
		assert_true(points[i].tpr >= points[i - 1].tpr);
		assert_true(points[i].threshold < points[i - 1].threshold);
		area +=
		    (points[i].fpr - points[i - 1].fpr) * (points[i].tpr + points[i - 1].tpr) / 2;
	}
	double auc = vg_roc_auc(normal, 300, attack, 120);
	assert_true(auc > 0.6 && auc < 1.0);
	assert_float_equal(area, auc, 1e-9);
	free(points);
}

static struct vg_trace make_trace(const char *family, const __u16 *ids, size_t len)
{
	struct vg_trace t = {.path = strdup("mem"), .family = strdup(family), .len = len};

	t.ids = malloc(len * sizeof(*ids));
	assert_non_null(t.ids);
	memcpy(t.ids, ids, len * sizeof(*ids));
	return t;
}

static void add(struct vg_trace_set *set, struct vg_trace t)
{
	set->traces = realloc(set->traces, (set->count + 1) * sizeof(t));
	assert_non_null(set->traces);
	set->traces[set->count++] = t;
	set->syscalls += t.len;
}

static void test_evaluate_families_and_earliness(void **state)
{
	static const __u16 loop[] = {VG_SYS_open, VG_SYS_read, VG_SYS_write, VG_SYS_close};
	struct vg_trace_set normal = {0}, attack = {0};
	struct vg_eval_report report;
	struct vg_model model;
	__u16 ids[400];

	for (int t = 0; t < 20; t++) {
		for (int i = 0; i < 400; i++)
			ids[i] = loop[i % 4];
		add(&normal, make_trace("normal", ids, 100 + 10 * t));
	}
	assert_int_equal(vg_model_train(&normal, NULL, 7, &model, NULL, NULL), 0);
	/* Family "Odd": normal for 300 syscalls, then syscalls never seen. */
	for (int i = 0; i < 400; i++)
		ids[i] = i < 300 ? loop[i % 4] : (__u16)(VG_SYS_ptrace + i % 3);
	add(&attack, make_trace("Odd", ids, 400));
	add(&attack, make_trace("Odd", ids, 400));
	/* Family "Quiet": indistinguishable from normal. */
	for (int i = 0; i < 400; i++)
		ids[i] = loop[i % 4];
	add(&attack, make_trace("Quiet", ids, 400));

	assert_int_equal(vg_evaluate(&model, &normal, &attack, &report), 0);
	assert_int_equal(report.n_families, 2);
	assert_string_equal(report.families[0].name, "Odd");
	assert_int_equal(report.families[0].traces, 2);
	assert_int_equal(report.families[0].detected, 2);
	assert_string_equal(report.families[1].name, "Quiet");
	assert_int_equal(report.families[1].detected, 0);
	assert_int_equal(report.n_alarmed, 2);
	/* The alarm comes after the switch at 300 of 400 syscalls. */
	assert_true(report.median_earliness > 0.75 && report.median_earliness < 1.0);
	assert_true(report.auc > 0.6);
	assert_int_equal(report.timing.syscalls, normal.syscalls + attack.syscalls);
	vg_eval_report_free(&report);
	vg_trace_set_free(&normal);
	vg_trace_set_free(&attack);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_auc_by_hand_with_ties),
	    cmocka_unit_test(test_auc_extremes),
	    cmocka_unit_test(test_threshold_and_detection_at_fpr),
	    cmocka_unit_test(test_threshold_with_ties),
	    cmocka_unit_test(test_roc_curve_area_matches_auc),
	    cmocka_unit_test(test_evaluate_families_and_earliness),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
