#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/control_client.h"
#include "common/cleanup.h"
#include "common/log.h"

static void usage(FILE *out)
{
	fprintf(out, "Usage: vigilante note [--socket PATH] TEXT\n"
		     "\n"
		     "Appends an operator note (who: your uid and pid, from the socket's peer\n"
		     "credentials) to the forensic log, and returns only once the record is\n"
		     "durable on disk. Prints the record's sequence number. Needs root or the\n"
		     "policy's control group.\n"
		     "\n"
		     "Options:\n"
		     "  --socket PATH   control socket (default $VIGILANTE_SOCKET or\n"
		     "                  /run/vigilante/control.sock)\n"
		     "  -h, --help      this text\n"
		     "\n"
		     "Exit status: 0 durable, 1 refused or not confirmed, 2 usage, 3 daemon\n"
		     "unreachable, 4 permission denied.\n");
}

static void print_seq(struct json_object *reply, void *ctx)
{
	struct json_object *seq;

	if (json_object_object_get_ex(reply, "seq", &seq))
		printf("%s\n", json_object_get_string(seq));
}

int cmd_note(int argc, char **argv)
{
	static const struct option options[] = {
	    {"socket", required_argument, NULL, 's'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *socket_option = NULL;
	struct json_object *req;
	int opt;

	while ((opt = getopt_long(argc, argv, ":h", options, NULL)) != -1) {
		switch (opt) {
		case 's':
			socket_option = optarg;
			break;
		default:
			return cli_help_or_usage(opt, "note", argv, usage);
		}
	}
	if (optind != argc - 1)
		return cli_usage_error("note", "one TEXT expected");
	req = json_object_new_object();
	json_object_object_add(req, "cmd", json_object_new_string("note"));
	json_object_object_add(req, "text", json_object_new_string(argv[optind]));
	return control_call(socket_option, req, false, print_seq, NULL);
}
