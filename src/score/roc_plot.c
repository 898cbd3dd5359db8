/* Drawing the ROC curve with cairo. */
#include "score/roc_plot.h"

#include "common/log.h"

#include <cairo.h>
#include <stdio.h>

#define WIDTH	    640
#define HEIGHT	    560
#define LEFT	    80
#define RIGHT	    30
#define TOP	    50
#define BOTTOM	    70
#define PLOT_WIDTH  (WIDTH - LEFT - RIGHT)
#define PLOT_HEIGHT (HEIGHT - TOP - BOTTOM)

static double x_of(double fpr)
{
	return LEFT + fpr * PLOT_WIDTH;
}

static double y_of(double tpr)
{
	return TOP + (1 - tpr) * PLOT_HEIGHT;
}

static void centred_text(cairo_t *cr, double x, double y, const char *text)
{
	cairo_text_extents_t ext;

	cairo_text_extents(cr, text, &ext);
	cairo_move_to(cr, x - ext.width / 2 - ext.x_bearing, y);
	cairo_show_text(cr, text);
}

static void draw_axes(cairo_t *cr)
{
	char label[16];

	cairo_set_source_rgb(cr, 0, 0, 0);
	cairo_set_line_width(cr, 1);
	cairo_rectangle(cr, LEFT, TOP, PLOT_WIDTH, PLOT_HEIGHT);
	cairo_stroke(cr);
	cairo_set_font_size(cr, 12);
	for (int i = 0; i <= 10; i += 2) {
		double v = i / 10.0;
		cairo_move_to(cr, x_of(v), y_of(0));
		cairo_line_to(cr, x_of(v), y_of(0) + 5);
		cairo_move_to(cr, x_of(0), y_of(v));
		cairo_line_to(cr, x_of(0) - 5, y_of(v));
		cairo_stroke(cr);
		snprintf(label, sizeof(label), "%.1f", v);
		centred_text(cr, x_of(v), y_of(0) + 20, label);
		cairo_move_to(cr, x_of(0) - 32, y_of(v) + 4);
		cairo_show_text(cr, label);
	}
	cairo_set_font_size(cr, 14);
	centred_text(cr, LEFT + PLOT_WIDTH / 2.0, HEIGHT - 20, "False-alarm rate (normal traces)");
	cairo_save(cr);
	cairo_translate(cr, 24, TOP + PLOT_HEIGHT / 2.0);
	cairo_rotate(cr, -1.5707963267948966);
	centred_text(cr, 0, 0, "Detection rate (attack traces)");
	cairo_restore(cr);
	cairo_set_font_size(cr, 16);
	centred_text(cr, WIDTH / 2.0, 30, "Vigilante precognition model: ROC");
}

static void draw_legend(cairo_t *cr, double auc)
{
	char text[64];
	double x = x_of(0.45), y = y_of(0.12);

	cairo_set_font_size(cr, 13);
	cairo_set_source_rgb(cr, 0.85, 0.1, 0.1);
	cairo_set_line_width(cr, 2.5);
	cairo_move_to(cr, x, y);
	cairo_line_to(cr, x + 30, y);
	cairo_stroke(cr);
	cairo_set_source_rgb(cr, 0, 0, 0);
	snprintf(text, sizeof(text), "model (AUC = %.4f)", auc);
	cairo_move_to(cr, x + 38, y + 4);
	cairo_show_text(cr, text);

	y += 22;
	cairo_set_source_rgb(cr, 0.5, 0.5, 0.5);
	cairo_set_line_width(cr, 1);
	cairo_set_dash(cr, (const double[]){6, 4}, 2, 0);
	cairo_move_to(cr, x, y);
	cairo_line_to(cr, x + 30, y);
	cairo_stroke(cr);
	cairo_set_dash(cr, NULL, 0, 0);
	cairo_set_source_rgb(cr, 0, 0, 0);
	cairo_move_to(cr, x + 38, y + 4);
	cairo_show_text(cr, "chance (AUC = 0.5)");
}

int vg_roc_plot_png(const char *path, const struct vg_roc_point *points, size_t n_points,
		    double auc)
{
	cairo_surface_t *surface = cairo_image_surface_create(CAIRO_FORMAT_RGB24, WIDTH, HEIGHT);
	cairo_t *cr = cairo_create(surface);
	cairo_status_t status = cairo_status(cr);

	if (status != CAIRO_STATUS_SUCCESS) {
		vg_err("cannot draw the ROC plot %s: %s", path, cairo_status_to_string(status));
		cairo_destroy(cr);
		cairo_surface_destroy(surface);
		return -1;
	}
	cairo_set_source_rgb(cr, 1, 1, 1);
	cairo_paint(cr);
	cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);

	cairo_set_source_rgb(cr, 0.5, 0.5, 0.5);
	cairo_set_dash(cr, (const double[]){6, 4}, 2, 0);
	cairo_move_to(cr, x_of(0), y_of(0));
	cairo_line_to(cr, x_of(1), y_of(1));
	cairo_stroke(cr);
	cairo_set_dash(cr, NULL, 0, 0);

	cairo_set_source_rgb(cr, 0.85, 0.1, 0.1);
	cairo_set_line_width(cr, 2.5);
	cairo_move_to(cr, x_of(0), y_of(0));
	for (size_t i = 0; i < n_points; i++)
		cairo_line_to(cr, x_of(points[i].fpr), y_of(points[i].tpr));
	cairo_line_to(cr, x_of(1), y_of(1));
	cairo_stroke(cr);

	draw_axes(cr);
	draw_legend(cr, auc);

	status = cairo_status(cr);
	if (status == CAIRO_STATUS_SUCCESS)
		status = cairo_surface_write_to_png(surface, path);
	cairo_destroy(cr);
	cairo_surface_destroy(surface);
	if (status != CAIRO_STATUS_SUCCESS) {
		vg_err("cannot write the ROC plot %s: %s", path, cairo_status_to_string(status));
		return -1;
	}
	return 0;
}
