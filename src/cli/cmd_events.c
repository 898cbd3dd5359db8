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
	fprintf(out,
		"Usage: vigilante events [--follow] [--json] [--limit N] [--socket PATH]\n"
		"\n"
		"Prints the daemon's recent events and alerts (up to the last 1024), and with\n"
		"--follow keeps streaming new ones until interrupted. Without --json, one\n"
		"line each: time, type, pid, comm, and what happened (exe and argv for\n"
		"exec, child for fork, status for exit, rule for alerts). Control\n"
		"characters and bytes that are not UTF-8 in names and arguments are shown\n"
		"as \\n, \\t, \\r or \\xNN, so no name can forge a line or drive the\n"
		"terminal; an argument that is empty or holds a blank, a quote or a\n"
		"backslash is shown in double quotes. With --json, the daemon's JSON lines\n"
		"as they are (field names: docs/events.md).\n"
		"\n"
		"Options:\n"
		"  -f, --follow    keep streaming new events\n"
		"  --json          one JSON object per line\n"
		"  -n, --limit N   at most N recent events first (default 1024; 0: none)\n"
		"  --socket PATH   control socket (default $VIGILANTE_SOCKET or\n"
		"                  /run/vigilante/control.sock)\n"
		"  -h, --help      this text\n"
		"\n"
		"If the daemon had to drop lines because this reader was too slow, a\n"
		"{\"type\":\"dropped\"} line says how many.\n"
		"\n"
		"Needs root or the policy's control.group.\n"
		"\n"
		"Exit status: 0 ok (also when the daemon stops during --follow), 2 usage,\n"
		"3 daemon unreachable, 4 permission denied.\n");
}

static const char *str(struct json_object *obj, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(obj, key, &v) ? json_object_get_string(v) : "";
}

/* Arguments are already escaped (json_text_printable): an argument that is
 * empty or holds a blank, a quote or an escape is shown in double quotes. */
static void print_argv(struct json_object *ev)
{
	struct json_object *argv;

	if (!json_object_object_get_ex(ev, "argv", &argv))
		return;
	for (size_t i = 0; i < json_object_array_length(argv); i++) {
		const char *text = json_object_get_string(json_object_array_get_idx(argv, i));

		if (text[0] && !strpbrk(text, " \"'\\"))
			printf(" %s", text);
		else
			printf(" \"%s\"", text);
	}
}

static void print_human(struct json_object *ev)
{
	const char *type = str(ev, "type");

	printf("%s %-6s %7s %-16s", str(ev, "time"), type, str(ev, "pid"), str(ev, "comm"));
	if (!strcmp(type, "exec")) {
		printf(" %s", str(ev, "exe"));
		print_argv(ev);
	} else if (!strcmp(type, "fork")) {
		printf(" child %s", str(ev, "child_pid"));
	} else if (!strcmp(type, "exit")) {
		if (strcmp(str(ev, "signal"), "0"))
			printf(" killed by signal %s", str(ev, "signal"));
		else
			printf(" exited %s", str(ev, "exit_status"));
	} else if (!strcmp(type, "alert")) {
		printf(" %s [%s] %s", str(ev, "rule"), str(ev, "mode"), str(ev, "exe"));
	} else {
		printf(" %s", json_text_line(ev));
	}
	printf("\n");
}

int cmd_events(int argc, char **argv)
{
	static const struct option options[] = {
	    {"follow", no_argument, NULL, 'f'},	     {"json", no_argument, NULL, 'j'},
	    {"limit", required_argument, NULL, 'n'}, {"socket", required_argument, NULL, 's'},
	    {"help", no_argument, NULL, 'h'},	     {NULL, 0, NULL, 0},
	};
	const char *socket_option = NULL;
	_cleanup_fclose_ FILE *stream = NULL;
	struct json_object *req, *ev;
	int opt, json = 0, follow = 0, rc;
	long long limit = 1024;

	while ((opt = getopt_long(argc, argv, ":fn:h", options, NULL)) != -1) {
		switch (opt) {
		case 'f':
			follow = 1;
			break;
		case 'j':
			json = 1;
			break;
		case 'n':
			if (cli_parse_number(optarg, 0, INT64_MAX, &limit)) {
				vg_err("--limit: '%s' is not a count", optarg);
				return VG_EXIT_USAGE;
			}
			break;
		case 's':
			socket_option = optarg;
			break;
		default:
			return cli_help_or_usage(opt, "events", argv, usage);
		}
	}
	if (optind != argc)
		return cli_usage_error("events", "unexpected argument '%s'", argv[optind]);
	req = json_object_new_object();
	json_object_object_add(req, "cmd", json_object_new_string("events"));
	json_object_object_add(req, "follow", json_object_new_boolean(follow));
	json_object_object_add(req, "limit", json_object_new_int64(limit));
	stream = control_request(control_socket_path(socket_option), req, &rc);
	if (!stream)
		return rc;
	setvbuf(stdout, NULL, _IOLBF, 0);
	while ((ev = control_read_reply(stream))) {
		/* Events have no "ok"; a refusal has, and is the only line. */
		if (json_object_object_get_ex(ev, "ok", NULL)) {
			rc = control_reply_status(ev);
			json_object_put(ev);
			return rc;
		}
		if (json)
			printf("%s\n", json_text_line(ev));
		else {
			json_text_printable(ev);
			print_human(ev);
		}
		json_object_put(ev);
	}
	return VG_EXIT_OK;
}
