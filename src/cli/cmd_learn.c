/* vigilante learn: per-program normal profiles, learned on the live host.
 * It loads the sensors with learning on, watches for a while, then writes
 * each program's profile, keyed by the SHA-256 of its content, to a file
 * that vigilanted loads (precognition.profiles in the policy). */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/commands.h"
#include "common/cleanup.h"
#include "common/file_hash.h"
#include "common/log.h"
#include "score/model_file.h"
#include "score/profile_file.h"
#include "sense/sensor_loader.h"

/* Where each program was seen: exec events give the path of an inode. */
struct seen_path {
	struct vg_exe_key key;
	char *path;
};

struct learning {
	struct seen_path *paths;
	size_t count, cap;
	struct vg_profile_set set;
	size_t skipped;
};

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static void usage(FILE *out)
{
	fprintf(out, "Usage: vigilante learn -o FILE [--duration SECONDS] [--cgroup PATH]\n"
		     "                       [--model FILE]\n"
		     "\n"
		     "Learns what each program normally does on this host. For the duration\n"
		     "(or until Ctrl-C), every program executed in scope gets a profile, and\n"
		     "every syscall n-gram its processes make is recorded in it, in the kernel.\n"
		     "At the end each profile is written to FILE, keyed by the SHA-256 of the\n"
		     "program's content (so it follows the program through renames and copies,\n"
		     "and is dropped when the program changes).\n"
		     "\n"
		     "vigilanted loads FILE when the policy names it (precognition.profiles):\n"
		     "then each process of a profiled program is scored against its own\n"
		     "program's normal behaviour as well as against the general model: an\n"
		     "n-gram its program was seen to make costs nothing, any other costs what\n"
		     "the general model says.\n"
		     "\n"
		     "Only programs executed while learning runs are learned: start it, then\n"
		     "run the workload. Profiles are tied to the model (its hash seed): learn\n"
		     "with the model the daemon uses.\n"
		     "\n"
		     "Options:\n"
		     "  -o, --output FILE     where to write the profiles (required)\n"
		     "  -d, --duration SECS   how long to learn, 1..86400 (default 60)\n"
		     "  -c, --cgroup PATH     learn only in this cgroup v2 subtree (default: all)\n"
		     "  -m, --model FILE      the model (default: the built-in one)\n"
		     "  -h, --help            this text\n"
		     "\n"
		     "Exit status: 0 written, 1 failed (named on stderr), 2 usage. Needs root.\n");
}

static int on_event(void *ctx, const void *data, size_t size)
{
	struct learning *l = ctx;
	const struct vg_exec_event *ev = data;
	struct seen_path *grown;

	if (size < offsetof(struct vg_exec_event, argv) || ev->hdr.type != VG_EVENT_EXEC ||
	    ev->path_len >= VG_PATH_MAX || (ev->flags & VG_EXEC_PATH_TRUNCATED))
		return 0;
	for (size_t i = 0; i < l->count; i++)
		if (l->paths[i].key.ino == ev->ino && l->paths[i].key.dev == ev->dev)
			return 0;
	if (l->count == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 64;
		grown = realloc(l->paths, l->cap * sizeof(*grown));
		if (!grown)
			return -1;
		l->paths = grown;
	}
	l->paths[l->count].key = (struct vg_exe_key){.ino = ev->ino, .dev = ev->dev};
	l->paths[l->count].path = strndup(ev->path, ev->path_len);
	if (l->paths[l->count].path)
		l->count++;
	return 0;
}

static const char *path_of(const struct learning *l, const struct vg_exe_key *key)
{
	for (size_t i = 0; i < l->count; i++)
		if (exe_key_equal(&l->paths[i].key, key))
			return l->paths[i].path;
	return NULL;
}

static int keep_profile(const struct vg_exe_key *key, const struct vg_profile *profile, void *ctx)
{
	struct learning *l = ctx;
	const char *path = path_of(l, key);
	unsigned char sha[VG_SHA256_LEN];
	struct stat st;

	/* The program must still be the file that was learned: same inode. */
	if (!path || exe_sha256(path, key, sha, &st)) {
		l->skipped++;
		return 0;
	}
	for (size_t i = 0; i < l->set.count; i++)
		if (!memcmp(l->set.entries[i].sha256, sha, VG_SHA256_LEN)) {
			/* The same program at two paths (a copy): one profile. */
			for (unsigned w = 0; w < VG_PROFILE_WORDS; w++)
				l->set.entries[i].profile.seen[w] |= profile->seen[w];
			return 0;
		}
	if (vg_profiles_add(&l->set, sha, path, profile))
		l->skipped++;
	return 0;
}

static size_t cells(const struct vg_profile *p)
{
	size_t n = 0;

	for (unsigned w = 0; w < VG_PROFILE_WORDS; w++)
		n += (size_t)__builtin_popcountll(p->seen[w]);
	return n;
}

static int learn(const char *out, long duration, const char *cgroup, const char *model_path)
{
	struct vg_sensor_options opts = {
	    .scope = cgroup ? VG_SENSOR_SCOPE_CGROUP : VG_SENSOR_SCOPE_SYSTEM,
	    .cgroup_path = cgroup,
	    .daemon_tgid = getpid(),
	};
	struct learning l = {0};
	struct vg_sensor *sensor = NULL;
	struct vg_model model;
	struct timespec start, now;
	char err[512];
	int rc = VG_EXIT_FAIL;

	if (vg_model_load_path(model_path, &model, NULL) != VG_MODEL_FILE_OK)
		return VG_EXIT_FAIL;
	if (sensor_open(&opts, on_event, &l, &sensor, err, sizeof(err))) {
		vg_err("learn: %s", err);
		return VG_EXIT_FAIL;
	}
	/* Monitor mode with thresholds no score reaches: learning flags nobody. */
	sensor_set_precog(sensor, VG_PRECOG_MONITOR, UINT32_MAX, UINT32_MAX, &model);
	sensor_set_learning(sensor, true);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	fprintf(stderr, "vigilante: learning for %ld s (Ctrl-C to stop early)\n", duration);
	clock_gettime(CLOCK_MONOTONIC, &start);
	do {
		if (sensor_consume(sensor) < 0)
			break;
		usleep(100000);
		clock_gettime(CLOCK_MONOTONIC, &now);
	} while (!stop_requested && now.tv_sec - start.tv_sec < duration);
	sensor_set_learning(sensor, false);
	sensor_consume(sensor);

	l.set.hash_seed = model.hash_seed;
	if (sensor_profiles_foreach(sensor, keep_profile, &l) < 0) {
		vg_err("learn: reading the profiles: %s", strerror(errno));
		goto out;
	}
	if (vg_profiles_save(out, &l.set, err, sizeof(err))) {
		vg_err("learn: %s", err);
		goto out;
	}
	for (size_t i = 0; i < l.set.count; i++)
		fprintf(stderr, "  %6zu n-gram cells  %s\n", cells(&l.set.entries[i].profile),
			l.set.entries[i].path);
	fprintf(stderr, "vigilante: %zu program profiles written to %s", l.set.count, out);
	if (l.skipped)
		fprintf(stderr, " (%zu skipped: path unknown, or the file changed)", l.skipped);
	fprintf(stderr, "\n");
	rc = VG_EXIT_OK;
out:
	sensor_close(sensor);
	vg_profiles_free(&l.set);
	for (size_t i = 0; i < l.count; i++)
		free(l.paths[i].path);
	free(l.paths);
	return rc;
}

int cmd_learn(int argc, char **argv)
{
	static const struct option options[] = {
	    {"output", required_argument, NULL, 'o'}, {"duration", required_argument, NULL, 'd'},
	    {"cgroup", required_argument, NULL, 'c'}, {"model", required_argument, NULL, 'm'},
	    {"help", no_argument, NULL, 'h'},	      {NULL, 0, NULL, 0},
	};
	const char *out = NULL, *cgroup = NULL, *model = NULL;
	long long duration = 60;
	int opt;

	while ((opt = getopt_long(argc, argv, ":o:d:c:m:h", options, NULL)) != -1) {
		switch (opt) {
		case 'o':
			out = optarg;
			break;
		case 'd':
			if (cli_parse_number(optarg, 1, 86400, &duration)) {
				vg_err("learn: --duration '%s' is not 1..86400 seconds", optarg);
				return VG_EXIT_USAGE;
			}
			break;
		case 'c':
			cgroup = optarg;
			break;
		case 'm':
			model = optarg;
			break;
		default:
			return cli_help_or_usage(opt, "learn", argv, usage);
		}
	}
	if (!out || optind != argc) {
		return out ? cli_usage_error("learn", "unexpected argument '%s'", argv[optind])
			   : cli_usage_error("learn", "-o FILE is required");
	}
	return learn(out, duration, cgroup, model);
}
