/* floor [--stats] [empty|map-touch|task-state]: attaches one of the floor programs
 * (floor.bpf.c; default: empty) until SIGTERM/SIGINT. Prints "ready" on
 * stdout once attached. With --stats, BPF run-time stats are on while it
 * runs, and it prints the program's "RUN_TIME_NS RUN_COUNT" on exit. */
#include <bpf/bpf.h>
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "floor.skel.h"

static int usage(void)
{
	fprintf(stderr, "usage: floor [--stats] [empty|map-touch|task-state]\n");
	return 2;
}

int main(int argc, char **argv)
{
	struct bpf_prog_info info = {0};
	__u32 info_len = sizeof(info);
	struct floor_bpf *skel;
	struct bpf_program *prog, *each;
	struct bpf_link *link = NULL;
	bool stats = false;
	const char *which = "empty";
	int stats_fd = -1, sig, i = 1;
	sigset_t set;

	if (i < argc && !strcmp(argv[i], "--stats")) {
		stats = true;
		i++;
	}
	if (i < argc)
		which = argv[i++];
	if (i != argc)
		return usage();
	skel = floor_bpf__open();
	if (!skel) {
		fprintf(stderr, "floor: opening the floor programs: %s\n", strerror(errno));
		return 1;
	}
	if (!strcmp(which, "empty"))
		prog = skel->progs.floor_sys_enter;
	else if (!strcmp(which, "map-touch"))
		prog = skel->progs.map_touch_sys_enter;
	else if (!strcmp(which, "task-state"))
		prog = skel->progs.task_state_sys_enter;
	else {
		floor_bpf__destroy(skel);
		return usage();
	}
	bpf_object__for_each_program(each, skel->obj) bpf_program__set_autoload(each, each == prog);
	if (floor_bpf__load(skel) || !(link = bpf_program__attach(prog))) {
		fprintf(stderr, "floor: loading the %s sys_enter program: %s\n", which,
			strerror(errno));
		floor_bpf__destroy(skel);
		return 1;
	}
	if (stats && (stats_fd = bpf_enable_stats(BPF_STATS_RUN_TIME)) < 0) {
		fprintf(stderr, "floor: enabling BPF run-time stats: %s\n", strerror(errno));
		floor_bpf__destroy(skel);
		return 1;
	}
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigprocmask(SIG_BLOCK, &set, NULL);
	printf("ready\n");
	fflush(stdout);
	sigwait(&set, &sig);
	if (stats) {
		if (bpf_obj_get_info_by_fd(bpf_program__fd(prog), &info, &info_len)) {
			fprintf(stderr, "floor: reading the program's stats: %s\n",
				strerror(errno));
			bpf_link__destroy(link);
			floor_bpf__destroy(skel);
			return 1;
		}
		printf("%llu %llu\n", (unsigned long long)info.run_time_ns,
		       (unsigned long long)info.run_cnt);
		close(stats_fd);
	}
	bpf_link__destroy(link);
	floor_bpf__destroy(skel);
	return 0;
}
