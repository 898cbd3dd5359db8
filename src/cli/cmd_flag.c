#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/control_client.h"
#include "common/log.h"

static void usage(FILE *out)
{
	fprintf(out, "Usage: vigilante flag [--reason TEXT] [--socket PATH] PID\n"
		     "\n"
		     "Flags process PID as an attacker, as its precognition score reaching\n"
		     "the flag threshold would: under `vigilante run` it is served decoys from\n"
		     "now on, the exec gate is armed, and its children inherit the flag. The\n"
		     "flag is a forensic record (with your uid and the reason) and ends with\n"
		     "the process.\n"
		     "\n"
		     "Options:\n"
		     "  --reason TEXT   why, for the forensic log\n"
		     "  --socket PATH   control socket (default $VIGILANTE_SOCKET or\n"
		     "                  /run/vigilante/control.sock)\n"
		     "  -h, --help      this text\n"
		     "\n"
		     "Needs root or the policy's control group.\n"
		     "\n"
		     "Exit status: 0 flagged, 1 refused (no such process...), 2 usage, 3 daemon\n"
		     "unreachable, 4 permission denied.\n");
}

int cmd_flag(int argc, char **argv)
{
	static const struct option options[] = {
	    {"reason", required_argument, NULL, 'r'},
	    {"socket", required_argument, NULL, 's'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *socket_option = NULL, *reason = NULL;
	struct json_object *req;
	long long pid;
	int opt;

	while ((opt = getopt_long(argc, argv, ":h", options, NULL)) != -1) {
		switch (opt) {
		case 'r':
			reason = optarg;
			break;
		case 's':
			socket_option = optarg;
			break;
		default:
			return cli_help_or_usage(opt, "flag", argv, usage);
		}
	}
	if (optind != argc - 1)
		return cli_usage_error("flag", "one PID expected");
	if (cli_parse_number(argv[optind], 1, CLI_PID_MAX, &pid)) {
		vg_err("flag: '%s' is not a process id", argv[optind]);
		return VG_EXIT_USAGE;
	}
	req = json_object_new_object();
	json_object_object_add(req, "cmd", json_object_new_string("flag"));
	json_object_object_add(req, "pid", json_object_new_int((int)pid));
	if (reason)
		json_object_object_add(req, "reason", json_object_new_string(reason));
	return control_call(socket_option, req, false, NULL, NULL);
}
