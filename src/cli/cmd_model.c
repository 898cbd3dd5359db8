/* `vigilante model`: train, evaluate and inspect the precognition model. */
#include "cli/commands.h"
#include "common/cleanup.h"
#include "common/log.h"
#include "score/eval.h"
#include "score/model_file.h"
#include "score/roc_plot.h"
#include "score/train.h"

#include <errno.h>
#include <getopt.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void usage_model(FILE *out)
{
	fprintf(
	    out,
	    "Usage: vigilante model train --normal DIR... [--calibrate DIR...] [--attack DIR...]\n"
	    "                             [--seed N] [--abi i386|x86_64] -o FILE\n"
	    "       vigilante model eval [--model FILE] --normal DIR... --attack DIR...\n"
	    "                            [--abi i386|x86_64] [--json] [--roc FILE.csv] [--plot "
	    "FILE.png]\n"
	    "       vigilante model info [FILE]\n"
	    "       vigilante model score [--model FILE] [--abi i386|x86_64] TRACE...\n"
	    "       vigilante model SUBCOMMAND --help\n\n"
	    "The precognition model scores each process's system-call sequence in the kernel.\n"
	    "It is trained offline on normal traces and, for the built-in model, attack\n"
	    "traces: each syscall n-gram costs the evidence it carries for one side or the\n"
	    "other, and the score is the recent average cost. Traces are in the ADFA-LD format:\n"
	    "one file per process, its syscall numbers as whitespace-separated decimals.\n\n"
	    "Subcommands:\n"
	    "  train  fit a model to normal (and attack) traces and write it to a model file\n"
	    "  eval   measure a model on normal and attack traces (ROC AUC, detection rate\n"
	    "         at fixed false-alarm rates, per-family detection, earliness)\n"
	    "  info   describe a model file, or the built-in default model\n"
	    "  score  score single traces as the kernel would (final and highest score)\n\n"
	    "Exit codes: 0 success, 1 failure (named on stderr), 2 usage error.\n"
	    "See docs/model.md for the model and its evaluation.\n");
}

static void usage_train(FILE *out)
{
	fprintf(
	    out,
	    "Usage: vigilante model train --normal DIR... [--calibrate DIR...] [--attack DIR...]\n"
	    "                             [--seed N] [--abi i386|x86_64] -o FILE\n\n"
	    "Fits the precognition model and writes it to FILE. With --attack, each\n"
	    "n-gram costs the evidence it carries: 8 + log2 of how much likelier it is in\n"
	    "the attack traces than in the normal ones (0..15 bits). With normal traces\n"
	    "alone, it costs its surprise under them (-log2 p; never seen: 15), which\n"
	    "flags novelty but also every unfamiliar normal program. Training is\n"
	    "deterministic: the same traces, seed and build give a bit-identical file.\n\n"
	    "Options:\n"
	    "  -n, --normal DIR     normal traces to learn from (repeatable). DIR holds trace\n"
	    "                       files, or subdirectories of trace files.\n"
	    "  -c, --calibrate DIR  normal traces to set the recommended thresholds on\n"
	    "                       (repeatable): flag at the score of 1%% false alarms, block\n"
	    "                       at 0.1%%. Default: cross-fitted on the --normal traces:\n"
	    "                       they are cut into 4 blocks in directory and name order,\n"
	    "                       and each block is scored by a model trained without it\n"
	    "                       (so no trace is scored by a model that saw it).\n"
	    "  -a, --attack DIR     attack traces to learn from (repeatable); never used for\n"
	    "                       the thresholds. Evaluate on attack traces that were not\n"
	    "                       among them (scripts/model-cv.sh holds families out).\n"
	    "  -s, --seed N         salt of the n-gram hash (default 1); a different seed\n"
	    "                       changes which n-grams share a table cell\n"
	    "  -A, --abi ABI        syscall numbering of the traces: i386 (default, ADFA-LD)\n"
	    "                       or x86_64\n"
	    "  -o, --output FILE    the model file to write (required)\n"
	    "  -h, --help           this help\n\n"
	    "A progress bar is drawn on stderr when it is a terminal.\n"
	    "Exit codes: 0 written, 1 failure (bad trace file, I/O), 2 usage error.\n");
}

static void usage_eval(FILE *out)
{
	fprintf(
	    out,
	    "Usage: vigilante model eval [--model FILE] --normal DIR... --attack DIR...\n"
	    "                            [--abi i386|x86_64] [--json] [--roc FILE.csv]\n"
	    "                            [--plot FILE.png]\n\n"
	    "Scores every trace with the model (a trace's score is the highest running score\n"
	    "the model reached over it) and reports:\n"
	    "  - the ROC AUC (ties count one half);\n"
	    "  - the detection rate at 0.1%%, 1%%, 5%% and 10%% false alarms, each with the\n"
	    "    threshold that gives it on these normal traces (alarm: score >= threshold);\n"
	    "  - the detection rate of each attack family at the 5%% false-alarm threshold\n"
	    "    (the family is a subdirectory's name without its _N suffix);\n"
	    "  - earliness: the median fraction of a detected attack trace consumed when its\n"
	    "    running score first reached the 5%% false-alarm threshold;\n"
	    "  - the scoring speed in syscalls per second (scoring alone, single thread).\n\n"
	    "Options:\n"
	    "  -m, --model FILE   the model file (default: the built-in model)\n"
	    "  -n, --normal DIR   normal traces (repeatable)\n"
	    "  -a, --attack DIR   attack traces (repeatable)\n"
	    "  -A, --abi ABI      syscall numbering of the traces: i386 (default) or x86_64\n"
	    "  -j, --json         print one JSON object instead of the text report\n"
	    "  -r, --roc FILE     write the ROC curve as CSV (fpr,tpr,threshold)\n"
	    "  -p, --plot FILE    draw the ROC curve into a PNG image\n"
	    "  -h, --help         this help\n\n"
	    "Exit codes: 0 evaluated, 1 failure (bad model or trace file, I/O), 2 usage error.\n");
}

static void usage_info(FILE *out)
{
	fprintf(out, "Usage: vigilante model info [FILE]\n\n"
		     "Checks a model file (magic, format version, SHA-256, syscall table) and\n"
		     "prints its format version, syscall-table hash, parameter size, geometry,\n"
		     "recommended thresholds and checksum. Without FILE, describes the model\n"
		     "built into this binary.\n\n"
		     "Options:\n"
		     "  -h, --help   this help\n\n"
		     "Exit codes: 0 valid, 1 refused or unreadable (the reason on stderr),\n"
		     "2 usage error.\n");
}

struct dir_list {
	const char **dirs;
	size_t count;
};

static void dir_list_free(struct dir_list *list)
{
	free(list->dirs);
}

static int dir_list_add(struct dir_list *list, const char *dir)
{
	const char **grown = reallocarray(list->dirs, list->count + 1, sizeof(*grown));

	if (!grown) {
		vg_err("out of memory");
		return -1;
	}
	list->dirs = grown;
	list->dirs[list->count++] = dir;
	return 0;
}

static int load_traces(const struct dir_list *dirs, enum vg_abi abi, struct vg_trace_set *set)
{
	for (size_t i = 0; i < dirs->count; i++) {
		size_t before = set->count;
		if (vg_trace_set_add_dir(set, dirs->dirs[i], abi) < 0)
			return -1;
		if (set->count == before) {
			vg_err("no trace files in %s", dirs->dirs[i]);
			return -1;
		}
	}
	return 0;
}

static void draw_progress(const char *what, size_t done, size_t total, void *ctx)
{
	const int width = 40;
	int filled = total ? (int)(done * (size_t)width / total) : width;

	fprintf(stderr, "\r%-18s [%.*s%*s] %3zu%%", what, filled,
		"########################################", width - filled, "",
		total ? done * 100 / total : 100);
	if (done == total)
		fputc('\n', stderr);
}

static int parse_seed(const char *text, __u32 *seed)
{
	char *end;

	errno = 0;
	unsigned long long v = strtoull(text, &end, 0);
	if (errno || end == text || *end || v > UINT32_MAX || text[0] == '-') {
		vg_err("--seed: '%s' is not a number between 0 and %u", text, UINT32_MAX);
		return -1;
	}
	*seed = (__u32)v;
	return 0;
}

static void print_cost_histogram(const struct vg_model *model)
{
	size_t cells[VG_MODEL_COST_MAX + 1] = {0};

	for (__u32 b = 0; b < VG_MODEL_BUCKETS; b++)
		cells[vg_model_cell(model, b)]++;
	for (int cost = 0; cost <= VG_MODEL_COST_MAX; cost++)
		printf("%s%d:%zu", cost ? " " : "", cost, cells[cost]);
	printf("\n");
}

static int model_train(int argc, char **argv)
{
	static const struct option options[] = {
	    {"normal", required_argument, NULL, 'n'}, {"calibrate", required_argument, NULL, 'c'},
	    {"attack", required_argument, NULL, 'a'}, {"seed", required_argument, NULL, 's'},
	    {"abi", required_argument, NULL, 'A'},    {"output", required_argument, NULL, 'o'},
	    {"help", no_argument, NULL, 'h'},	      {0},
	};
	struct dir_list normal_dirs __attribute__((cleanup(dir_list_free))) = {0};
	struct dir_list calibrate_dirs __attribute__((cleanup(dir_list_free))) = {0};
	struct dir_list attack_dirs __attribute__((cleanup(dir_list_free))) = {0};
	struct vg_trace_set normal __attribute__((cleanup(vg_trace_set_free))) = {0};
	struct vg_trace_set calibrate __attribute__((cleanup(vg_trace_set_free))) = {0};
	struct vg_trace_set attack __attribute__((cleanup(vg_trace_set_free))) = {0};
	enum vg_abi abi = VG_ABI_I386;
	const char *output = NULL;
	__u32 seed = 1;
	int opt;

	while ((opt = getopt_long(argc, argv, ":n:c:a:s:A:o:h", options, NULL)) != -1) {
		switch (opt) {
		case 'n':
		case 'c':
		case 'a':
			if (dir_list_add(opt == 'n'   ? &normal_dirs
					 : opt == 'c' ? &calibrate_dirs
						      : &attack_dirs,
					 optarg) < 0)
				return VG_EXIT_FAIL;
			break;
		case 's':
			if (parse_seed(optarg, &seed) < 0)
				return VG_EXIT_USAGE;
			break;
		case 'A':
			if (vg_abi_parse(optarg, &abi) < 0) {
				vg_err("--abi: '%s' is neither i386 nor x86_64", optarg);
				return VG_EXIT_USAGE;
			}
			break;
		case 'o':
			output = optarg;
			break;
		case 'h':
			usage_train(stdout);
			return VG_EXIT_OK;
		default:
			return cli_bad_option(opt, "model train", argv);
		}
	}
	if (optind < argc || normal_dirs.count == 0 || !output) {
		if (optind < argc)
			return cli_usage_error("model train", "unexpected argument '%s'",
					       argv[optind]);
		return cli_usage_error("model train", "%s is required",
				       output ? "--normal" : "--output");
	}

	if (load_traces(&normal_dirs, abi, &normal) < 0 ||
	    load_traces(&calibrate_dirs, abi, &calibrate) < 0 ||
	    load_traces(&attack_dirs, abi, &attack) < 0)
		return VG_EXIT_FAIL;

	struct vg_model model;
	bool tty = isatty(STDERR_FILENO);
	if (vg_model_train(&normal, &attack, seed, &model, tty ? draw_progress : NULL, NULL) < 0)
		return VG_EXIT_FAIL;
	if (calibrate.count ? vg_model_calibrate(&model, &calibrate) < 0
			    : vg_model_calibrate_cross(&model, &normal, &attack,
						       tty ? draw_progress : NULL, NULL) < 0)
		return VG_EXIT_FAIL;
	if (vg_model_save(output, &model) < 0)
		return VG_EXIT_FAIL;

	printf("model %s: trained on %zu normal traces (%zu syscalls)", output, normal.count,
	       normal.syscalls);
	if (attack.count)
		printf(" and %zu attack traces (%zu syscalls)", attack.count, attack.syscalls);
	printf(", seed %u\n  cells by cost (bits:cells): ", seed);
	print_cost_histogram(&model);
	if (calibrate.count)
		printf("  thresholds (on %zu calibration traces)", calibrate.count);
	else
		printf("  thresholds (cross-fitted: %zu training traces, each scored by a model "
		       "trained without its block of %d)",
		       normal.count, VG_MODEL_CALIBRATION_FOLDS);
	printf(": flag %u (1%% false alarms), block %u (0.1%%)\n", model.flag_threshold,
	       model.block_threshold);
	return VG_EXIT_OK;
}

static int write_roc_csv(const char *path, const struct vg_eval_report *report)
{
	_cleanup_fclose_ FILE *f = fopen(path, "we");

	if (!f) {
		vg_err("cannot create %s: %s", path, strerror(errno));
		return -1;
	}
	fprintf(f, "fpr,tpr,threshold\n");
	for (size_t i = 0; i < report->n_roc; i++)
		fprintf(f, "%.6f,%.6f,%u\n", report->roc[i].fpr, report->roc[i].tpr,
			report->roc[i].threshold);
	if (fflush(f) != 0 || ferror(f)) {
		vg_err("cannot write %s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

static const char *fpr_key(int i)
{
	static const char *const keys[VG_EVAL_FPR_COUNT] = {"0.001", "0.01", "0.05", "0.1"};

	return keys[i];
}

static double syscalls_per_second(const struct vg_eval_report *r)
{
	return r->timing.seconds > 0 ? (double)r->timing.syscalls / r->timing.seconds : 0;
}

static int print_json(const struct vg_eval_report *r, const char *model_name)
{
	struct json_object *root = json_object_new_object();
	struct json_object *dr = json_object_new_object();
	struct json_object *thresholds = json_object_new_object();
	struct json_object *families = json_object_new_object();
	struct json_object *earliness = json_object_new_object();

	if (!root || !dr || !thresholds || !families || !earliness) {
		vg_err("out of memory building the JSON report");
		json_object_put(root);
		json_object_put(dr);
		json_object_put(thresholds);
		json_object_put(families);
		json_object_put(earliness);
		return -1;
	}
	/* Ten significant digits: 0.05 prints as 0.05, not 0.050000000000000003. */
	json_c_set_serialization_double_format("%.10g", JSON_C_OPTION_GLOBAL);
	json_object_object_add(root, "model", json_object_new_string(model_name));
	json_object_object_add(root, "normal_traces", json_object_new_int64((int64_t)r->n_normal));
	json_object_object_add(root, "attack_traces", json_object_new_int64((int64_t)r->n_attack));
	json_object_object_add(root, "auc", json_object_new_double(r->auc));
	for (int i = 0; i < VG_EVAL_FPR_COUNT; i++) {
		json_object_object_add(dr, fpr_key(i),
				       json_object_new_double(r->detection_at_fpr[i]));
		json_object_object_add(thresholds, fpr_key(i),
				       json_object_new_int64(r->threshold_at_fpr[i]));
	}
	json_object_object_add(root, "dr_at_fpr", dr);
	json_object_object_add(root, "threshold_at_fpr", thresholds);
	for (size_t i = 0; i < r->n_families; i++) {
		struct json_object *f = json_object_new_object();
		json_object_object_add(f, "traces",
				       json_object_new_int64((int64_t)r->families[i].traces));
		json_object_object_add(f, "detected",
				       json_object_new_int64((int64_t)r->families[i].detected));
		json_object_object_add(f, "detection_rate",
				       json_object_new_double((double)r->families[i].detected /
							      (double)r->families[i].traces));
		json_object_object_add(families, r->families[i].name, f);
	}
	json_object_object_add(root, "families_at_fpr", json_object_new_double(VG_EVAL_ALARM_FPR));
	json_object_object_add(root, "families", families);
	/* No alarm, no median: null, as NaN is not JSON. */
	json_object_object_add(earliness, "median_fraction",
			       r->n_alarmed ? json_object_new_double(r->median_earliness) : NULL);
	json_object_object_add(earliness, "alarmed_traces",
			       json_object_new_int64((int64_t)r->n_alarmed));
	json_object_object_add(earliness, "threshold", json_object_new_int64(r->alarm_threshold));
	json_object_object_add(root, "earliness", earliness);
	json_object_object_add(root, "syscalls_scored",
			       json_object_new_int64((int64_t)r->timing.syscalls));
	json_object_object_add(root, "syscalls_per_second",
			       json_object_new_double(syscalls_per_second(r)));
	printf("%s\n", json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY |
								JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(root);
	return 0;
}

static void print_text(const struct vg_eval_report *r, const char *model_name)
{
	printf("model %s: %zu normal traces, %zu attack traces\n", model_name, r->n_normal,
	       r->n_attack);
	printf("ROC AUC: %.4f\n", r->auc);
	printf("detection rate at false-alarm rate (threshold; false alarms actually raised):\n");
	for (int i = 0; i < VG_EVAL_FPR_COUNT; i++)
		printf("  %5.1f%%: %5.1f%%  (score >= %u; %.2f%%)\n", 100 * vg_eval_fprs[i],
		       100 * r->detection_at_fpr[i], r->threshold_at_fpr[i],
		       100 * r->actual_fpr[i]);
	printf("per attack family, at the %.0f%% false-alarm threshold (score >= %u):\n",
	       100 * VG_EVAL_ALARM_FPR, r->alarm_threshold);
	for (size_t i = 0; i < r->n_families; i++)
		printf("  %-20s %4zu/%-4zu %5.1f%%\n", r->families[i].name, r->families[i].detected,
		       r->families[i].traces,
		       100 * (double)r->families[i].detected / (double)r->families[i].traces);
	if (r->n_alarmed)
		printf("earliness: median %.1f%% of a detected attack trace consumed at the first "
		       "alarm (%zu traces)\n",
		       100 * r->median_earliness, r->n_alarmed);
	else
		printf("earliness: no attack trace reached the threshold\n");
	printf("scoring speed: %zu syscalls in %.3f s, %.1f million syscalls/s (one thread)\n",
	       r->timing.syscalls, r->timing.seconds, syscalls_per_second(r) / 1e6);
}

static int model_eval(int argc, char **argv)
{
	static const struct option options[] = {
	    {"model", required_argument, NULL, 'm'},
	    {"normal", required_argument, NULL, 'n'},
	    {"attack", required_argument, NULL, 'a'},
	    {"abi", required_argument, NULL, 'A'},
	    {"json", no_argument, NULL, 'j'},
	    {"roc", required_argument, NULL, 'r'},
	    {"plot", required_argument, NULL, 'p'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	struct dir_list normal_dirs __attribute__((cleanup(dir_list_free))) = {0};
	struct dir_list attack_dirs __attribute__((cleanup(dir_list_free))) = {0};
	struct vg_trace_set normal __attribute__((cleanup(vg_trace_set_free))) = {0};
	struct vg_trace_set attack __attribute__((cleanup(vg_trace_set_free))) = {0};
	struct vg_eval_report report __attribute__((cleanup(vg_eval_report_free))) = {0};
	const char *model_path = NULL, *roc_path = NULL, *plot_path = NULL;
	enum vg_abi abi = VG_ABI_I386;
	bool json = false;
	int opt;

	while ((opt = getopt_long(argc, argv, ":m:n:a:A:jr:p:h", options, NULL)) != -1) {
		switch (opt) {
		case 'm':
			model_path = optarg;
			break;
		case 'n':
		case 'a':
			if (dir_list_add(opt == 'n' ? &normal_dirs : &attack_dirs, optarg) < 0)
				return VG_EXIT_FAIL;
			break;
		case 'A':
			if (vg_abi_parse(optarg, &abi) < 0) {
				vg_err("--abi: '%s' is neither i386 nor x86_64", optarg);
				return VG_EXIT_USAGE;
			}
			break;
		case 'j':
			json = true;
			break;
		case 'r':
			roc_path = optarg;
			break;
		case 'p':
			plot_path = optarg;
			break;
		case 'h':
			usage_eval(stdout);
			return VG_EXIT_OK;
		default:
			return cli_bad_option(opt, "model eval", argv);
		}
	}
	if (optind < argc || normal_dirs.count == 0 || attack_dirs.count == 0) {
		if (optind < argc)
			return cli_usage_error("model eval", "unexpected argument '%s'",
					       argv[optind]);
		return cli_usage_error("model eval", "both --normal and --attack are required");
	}

	struct vg_model model;
	if (vg_model_load_path(model_path, &model, NULL) != VG_MODEL_FILE_OK)
		return VG_EXIT_FAIL;
	if (load_traces(&normal_dirs, abi, &normal) < 0 ||
	    load_traces(&attack_dirs, abi, &attack) < 0)
		return VG_EXIT_FAIL;
	if (vg_evaluate(&model, &normal, &attack, &report) < 0)
		return VG_EXIT_FAIL;

	const char *model_name = model_path ? model_path : "(built-in default)";
	if (json) {
		if (print_json(&report, model_name) < 0)
			return VG_EXIT_FAIL;
	} else {
		print_text(&report, model_name);
	}
	if (roc_path && write_roc_csv(roc_path, &report) < 0)
		return VG_EXIT_FAIL;
	if (plot_path && vg_roc_plot_png(plot_path, report.roc, report.n_roc, report.auc) < 0)
		return VG_EXIT_FAIL;
	if (fflush(stdout) != 0) {
		vg_err("cannot write the report: %s", strerror(errno));
		return VG_EXIT_FAIL;
	}
	return VG_EXIT_OK;
}

static int model_info(int argc, char **argv)
{
	static const struct option options[] = {{"help", no_argument, NULL, 'h'}, {0}};
	struct vg_model_file_info info;
	struct vg_model model;
	int opt;

	while ((opt = getopt_long(argc, argv, ":h", options, NULL)) != -1)
		return cli_help_or_usage(opt, "model info", argv, usage_info);
	if (argc - optind > 1)
		return cli_usage_error("model info", "at most one FILE");
	const char *path = optind < argc ? argv[optind] : NULL;
	if (vg_model_load_path(path, &model, &info) != VG_MODEL_FILE_OK)
		return VG_EXIT_FAIL;

	printf("model:            %s\n", path ? path : "(built-in default)");
	printf("format version:   %u\n", info.version);
	printf("syscall table:    %016llx (matches this build)\n",
	       (unsigned long long)info.table_hash);
	printf("parameters:       %u bytes\n", info.param_bytes);
	printf("geometry:         %d-grams, %u cells of 4 bits, average over ~%u syscalls, "
	       "warm-up %d\n",
	       VG_MODEL_ORDER, VG_MODEL_BUCKETS, 1u << VG_MODEL_AVERAGE_SHIFT, VG_MODEL_WARMUP);
	printf("cells by cost:    ");
	print_cost_histogram(&model);
	printf("hash seed:        %u\n", model.hash_seed);
	printf("thresholds:       flag %u, block %u (score scale 0..%d, 1/64 bit)\n",
	       model.flag_threshold, model.block_threshold, VG_MODEL_SCORE_MAX);
	printf("sha256:           ");
	for (size_t i = 0; i < sizeof(info.sha256); i++)
		printf("%02x", info.sha256[i]);
	printf("\n");
	return VG_EXIT_OK;
}

static void usage_score(FILE *out)
{
	fprintf(out, "Usage: vigilante model score [--model FILE] [--abi i386|x86_64] TRACE...\n\n"
		     "Feeds each trace file, syscall by syscall, to the same scoring code the\n"
		     "kernel runs (score/model.h) and prints, per trace: the number of syscalls,\n"
		     "the score after the last one, and the highest score along the way. The\n"
		     "kernel reports the same two figures for a process in its exit event\n"
		     "(`score`, `max_score`), counted from its last exec: compare them with a\n"
		     "trace from `vigilante record`, whose traces use --abi x86_64.\n\n"
		     "Options:\n"
		     "  -m, --model FILE  model file (default: the built-in model)\n"
		     "  -A, --abi ABI     i386 (default, ADFA-LD) or x86_64 (`vigilante record`)\n"
		     "  -h, --help        this text\n\n"
		     "Output: one line per trace, \"FILE syscalls=N score=S max_score=M\".\n"
		     "Exit codes: 0 scored, 1 bad model or trace file, 2 usage error.\n");
}

static int model_score(int argc, char **argv)
{
	static const struct option options[] = {
	    {"model", required_argument, NULL, 'm'},
	    {"abi", required_argument, NULL, 'A'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	const char *model_path = NULL;
	enum vg_abi abi = VG_ABI_I386;
	struct vg_model model;
	int opt;

	while ((opt = getopt_long(argc, argv, ":m:A:h", options, NULL)) != -1) {
		switch (opt) {
		case 'm':
			model_path = optarg;
			break;
		case 'A':
			if (vg_abi_parse(optarg, &abi)) {
				vg_err("model score: --abi must be i386 or x86_64, not '%s'",
				       optarg);
				return VG_EXIT_USAGE;
			}
			break;
		case 'h':
			usage_score(stdout);
			return VG_EXIT_OK;
		default:
			return cli_bad_option(opt, "model score", argv);
		}
	}
	if (optind >= argc)
		return cli_usage_error("model score", "no trace file given");
	if (vg_model_load_path(model_path, &model, NULL) != VG_MODEL_FILE_OK)
		return VG_EXIT_FAIL;
	for (int i = optind; i < argc; i++) {
		struct vg_model_state state;
		struct vg_trace trace;
		__u32 score = 0, max_score = 0;

		if (vg_trace_read(argv[i], abi, &trace))
			return VG_EXIT_FAIL;
		vg_model_reset(&state);
		for (size_t j = 0; j < trace.len; j++) {
			score = vg_model_step(&model, &state, trace.ids[j]);
			if (score > max_score)
				max_score = score;
		}
		printf("%s syscalls=%zu score=%u max_score=%u\n", argv[i], trace.len, score,
		       max_score);
		vg_trace_free(&trace);
	}
	return VG_EXIT_OK;
}

int cmd_model(int argc, char **argv)
{
	if (argc < 2)
		return cli_usage_error("model", "missing command: train, eval, info or score");
	const char *sub = argv[1];
	if (!strcmp(sub, "--help") || !strcmp(sub, "-h") || !strcmp(sub, "help")) {
		usage_model(stdout);
		return VG_EXIT_OK;
	}
	/* Each subcommand parses its own options from its own name on. */
	optind = 0;
	if (!strcmp(sub, "train"))
		return model_train(argc - 1, argv + 1);
	if (!strcmp(sub, "eval"))
		return model_eval(argc - 1, argv + 1);
	if (!strcmp(sub, "info"))
		return model_info(argc - 1, argv + 1);
	if (!strcmp(sub, "score"))
		return model_score(argc - 1, argv + 1);
	vg_err("model: unknown subcommand '%s' (see 'vigilante model --help')", sub);
	return VG_EXIT_USAGE;
}
