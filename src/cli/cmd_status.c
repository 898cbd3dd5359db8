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
	fprintf(out, "Usage: vigilante status [--sample MS] [--json] [--socket PATH]\n"
		     "\n"
		     "Asks the running daemon what it has loaded and how it is doing: the\n"
		     "policy in force, the scope, the mode of every action, events seen (total,\n"
		     "per second over the last second, lost to a full ring buffer, malformed),\n"
		     "alerts raised, the forensic log's durable sequence number, the exec/open\n"
		     "gate's counters, the honeypot's (supervised workloads, calls answered,\n"
		     "decoys served, honeytokens touched, decoy service sessions, while it\n"
		     "runs), and each BPF program's run count and average run\n"
		     "time in nanoseconds over a sample window.\n"
		     "\n"
		     "The kernel's BPF run-time statistics cost a clock read around every\n"
		     "program run (about 100 ns per system call on these machines, more than\n"
		     "the sensor itself), so the daemon turns them on only for the sample\n"
		     "window this command asks for, and the reply comes after it.\n"
		     "\n"
		     "Options:\n"
		     "  --sample MS     sample BPF run-time stats for MS milliseconds, 0..10000\n"
		     "                  (default 1000; 0: answer at once with the last sample)\n"
		     "  --json          print the daemon's reply as one JSON object\n"
		     "  --socket PATH   control socket (default $VIGILANTE_SOCKET or\n"
		     "                  /run/vigilante/control.sock)\n"
		     "  -h, --help      this text\n"
		     "\n"
		     "Exit status: 0 ok, 2 usage, 3 daemon unreachable.\n");
}

static const char *str(struct json_object *obj, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(obj, key, &v) ? json_object_get_string(v) : "?";
}

static int64_t num(struct json_object *obj, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(obj, key, &v) ? json_object_get_int64(v) : 0;
}

static void print_human(struct json_object *r, void *ctx)
{
	struct json_object *scope, *modes, *wal, *programs, *gate, *honeytokens, *services,
	    *honeypot, *uptime;

	json_text_printable(r);
	printf("vigilanted %s, pid %lld, up %.1f s, since %s\n", str(r, "version"),
	       (long long)num(r, "pid"),
	       json_object_object_get_ex(r, "uptime_s", &uptime) ? json_object_get_double(uptime)
								 : 0.0,
	       str(r, "time"));
	printf("policy:    %s\n", str(r, "policy"));
	if (json_object_object_get_ex(r, "scope", &scope))
		printf("scope:     %s\n", json_text_line(scope));
	if (json_object_object_get_ex(r, "modes", &modes)) {
		printf("modes:    ");
		json_object_object_foreach(modes, name, mode)
		    printf(" %s=%s", name, json_object_get_string(mode));
		printf("\n");
	}
	printf("events:    %lld total, %lld/s, %lld lost, %lld malformed\n",
	       (long long)num(r, "events_total"), (long long)num(r, "events_per_s"),
	       (long long)num(r, "events_lost"), (long long)num(r, "events_invalid"));
	printf("alerts:    %lld\n", (long long)num(r, "alerts_total"));
	printf("processes: %lld in the table\n", (long long)num(r, "processes"));
	printf("quarantine: %lld frozen\n", (long long)num(r, "quarantines_frozen"));
	if (json_object_object_get_ex(r, "gate", &gate)) {
		struct json_object *ungated;
		const char *what = json_object_object_get_ex(gate, "ungated_exec", &ungated)
				       ? json_object_get_string(ungated)
				       : "off";

		printf("gate:      %lld permission events, %lld refused, %lld failed open, %lld "
		       "allowed past the deadline\n",
		       (long long)num(gate, "events"), (long long)num(gate, "refused"),
		       (long long)num(gate, "fail_open"), (long long)num(gate, "late"));
		printf("           a blocked process's exec from outside exec_gate, or of a "
		       "dynamic loader that passes the gate (%lld): %s\n",
		       (long long)num(gate, "loaders_passed"),
		       !strcmp(what, "kill")	 ? "killed at the exec"
		       : !strcmp(what, "report") ? "recorded (monitor)"
						 : "not checked");
	}
	if (json_object_object_get_ex(r, "honeypot", &honeypot))
		printf("honeypot:  %lld supervised workloads, %lld calls answered, %lld by flagged "
		       "processes, %lld decoys served\n",
		       (long long)num(honeypot, "workloads"),
		       (long long)num(honeypot, "notifications"),
		       (long long)num(honeypot, "flagged"), (long long)num(honeypot, "decoyed"));
	if (json_object_object_get_ex(r, "honeytokens", &honeytokens))
		printf("honeytokens: %lld touched\n", (long long)num(honeytokens, "touches"));
	if (json_object_object_get_ex(r, "decoy_services", &services))
		printf("decoy services: %lld sessions (%lld without a process found)\n",
		       (long long)num(services, "sessions"),
		       (long long)num(services, "unattributed"));
	if (json_object_object_get_ex(r, "wal", &wal))
		printf("wal:       %s, durable seq %lld (appended %lld)\n", str(wal, "dir"),
		       (long long)num(wal, "durable_seq"), (long long)num(wal, "appended_seq"));
	if (json_object_object_get_ex(r, "programs", &programs)) {
		struct json_object *first = json_object_array_length(programs)
						? json_object_array_get_idx(programs, 0)
						: NULL;

		printf("%-22s %14s %10s   (sampled over %lld ms)\n", "BPF program", "runs",
		       "avg ns", first ? (long long)num(first, "sample_ms") : 0LL);
		for (size_t i = 0; i < json_object_array_length(programs); i++) {
			struct json_object *p = json_object_array_get_idx(programs, i);

			printf("  %-20s %14lld %10lld\n", str(p, "name"),
			       (long long)num(p, "run_cnt"), (long long)num(p, "avg_ns"));
		}
	}
}

int cmd_status(int argc, char **argv)
{
	static const struct option options[] = {
	    {"json", no_argument, NULL, 'j'},
	    {"sample", required_argument, NULL, 'S'},
	    {"socket", required_argument, NULL, 's'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *socket_option = NULL;
	struct json_object *req;
	int opt, json = 0;
	long long sample_ms = 1000;

	while ((opt = getopt_long(argc, argv, ":h", options, NULL)) != -1) {
		switch (opt) {
		case 'j':
			json = 1;
			break;
		case 'S':
			if (cli_parse_number(optarg, 0, 10000, &sample_ms)) {
				vg_err("--sample: '%s' is not 0..10000 milliseconds", optarg);
				return VG_EXIT_USAGE;
			}
			break;
		case 's':
			socket_option = optarg;
			break;
		default:
			return cli_help_or_usage(opt, "status", argv, usage);
		}
	}
	if (optind != argc)
		return cli_usage_error("status", "unexpected argument '%s'", argv[optind]);
	req = json_object_new_object();
	json_object_object_add(req, "cmd", json_object_new_string("status"));
	json_object_object_add(req, "sample_ms", json_object_new_int64(sample_ms));
	return control_call(socket_option, req, json, print_human, NULL);
}
