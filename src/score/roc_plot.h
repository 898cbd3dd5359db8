/* The ROC curve of an evaluation as a PNG image. */
#ifndef VG_SCORE_ROC_PLOT_H
#define VG_SCORE_ROC_PLOT_H

#include "score/eval.h"

/* Draws the curve (false-alarm rate on x, detection rate on y, the chance
 * diagonal, the AUC in the legend) into PATH. Returns 0, or -1 after
 * reporting the error. */
int vg_roc_plot_png(const char *path, const struct vg_roc_point *points, size_t n_points,
		    double auc);

#endif
