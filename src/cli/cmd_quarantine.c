#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/control_client.h"
#include "common/cleanup.h"
#include "common/log.h"
#include "record/json_text.h"

static void usage(FILE *out)
{
	fprintf(out, "Usage: vigilante quarantine list [--json]\n"
		     "       vigilante quarantine show ID [--json]\n"
		     "       vigilante quarantine release ID\n"
		     "       vigilante quarantine kill ID\n"
		     "       vigilante quarantine freeze PID\n"
		     "       vigilante quarantine snapshot PID\n"
		     "       (each also takes --socket PATH)\n"
		     "\n"
		     "Quarantine stops a process the moment its precognition score reaches the\n"
		     "policy's quarantine threshold: the kernel stops it (SIGSTOP) in the very\n"
		     "syscall that crossed the line, the daemon moves its whole tree into a\n"
		     "frozen cgroup of its own (a SIGCONT cannot revive it: any syscall it makes\n"
		     "stops it again), writes a snapshot of each process (an ELF core that gdb\n"
		     "opens, and meta.json) under the policy's quarantine.dir, scans the\n"
		     "snapshots and executables with YARA, and applies quarantine.action.\n"
		     "\n"
		     "  list           every quarantine this daemon knows, with its state\n"
		     "  show ID        one quarantine\n"
		     "  release ID     thaw it and let it go (it stays flagged and watched)\n"
		     "  kill ID        kill its whole tree (cgroup.kill)\n"
		     "  freeze PID     quarantine a process now (an operator's decision)\n"
		     "  snapshot PID   snapshot a process without quarantining it: it is\n"
		     "                 stopped only while the snapshot is taken\n"
		     "\n"
		     "release, kill, freeze and snapshot need root or the policy's control group.\n"
		     "\n"
		     "Exit status: 0 done, 1 refused (the reason is printed: unknown ID, a PID\n"
		     "that does not exist, is a zombie or is outside the scope), 2 usage, 3\n"
		     "daemon unreachable, 4 permission denied.\n");
}

static void print_row(struct json_object *q)
{
	struct json_object *v;
	const char *keys[] = {"id", "state", "pid", "cause", "score", "processes", "yara_matches"};

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		printf("%s%s", i ? "  " : "",
		       json_object_object_get_ex(q, keys[i], &v) ? json_object_get_string(v) : "-");
	if (json_object_object_get_ex(q, "snapshots", &v))
		printf("  %s", json_object_get_string(v));
	printf("\n");
}

static void print_reply(struct json_object *reply, void *ctx)
{
	struct json_object *list;

	json_text_printable(reply);
	if (!json_object_object_get_ex(reply, "quarantines", &list)) {
		print_row(reply);
		return;
	}
	for (size_t i = 0; i < json_object_array_length(list); i++)
		print_row(json_object_array_get_idx(list, i));
}

int cmd_quarantine(int argc, char **argv)
{
	static const struct option options[] = {
	    {"json", no_argument, NULL, 'j'},
	    {"socket", required_argument, NULL, 's'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *socket_option = NULL, *op, *arg = NULL;
	struct json_object *req;
	int opt, json = 0;

	while ((opt = getopt_long(argc, argv, ":h", options, NULL)) != -1) {
		switch (opt) {
		case 'j':
			json = 1;
			break;
		case 's':
			socket_option = optarg;
			break;
		default:
			return cli_help_or_usage(opt, "quarantine", argv, usage);
		}
	}
	if (optind >= argc)
		return cli_usage_error(
		    "quarantine", "missing command: list, show, freeze, snapshot, release or kill");
	op = argv[optind];
	if (strcmp(op, "list")) {
		if (optind + 2 != argc) {
			vg_err("quarantine %s: one %s expected", op,
			       !strcmp(op, "freeze") || !strcmp(op, "snapshot") ? "PID" : "ID");
			return VG_EXIT_USAGE;
		}
		arg = argv[optind + 1];
	}
	req = json_object_new_object();
	json_object_object_add(req, "cmd", json_object_new_string("quarantine"));
	json_object_object_add(req, "op", json_object_new_string(op));
	if (arg && (!strcmp(op, "freeze") || !strcmp(op, "snapshot"))) {
		long long pid;

		if (cli_parse_number(arg, 1, CLI_PID_MAX, &pid)) {
			vg_err("quarantine %s: '%s' is not a process id", op, arg);
			json_object_put(req);
			return VG_EXIT_USAGE;
		}
		json_object_object_add(req, "pid", json_object_new_int64(pid));
	} else if (arg) {
		json_object_object_add(req, "id", json_object_new_string(arg));
	}
	return control_call(socket_option, req, json, print_reply, NULL);
}
