#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/control_client.h"
#include "common/cleanup.h"
#include "record/json_text.h"

static void usage(FILE *out)
{
	fprintf(out, "Usage: vigilante ps [--all] [--json] [--socket PATH]\n"
		     "\n"
		     "Lists the processes the daemon watches with their precognition score, as\n"
		     "the kernel computes it on every system call: the current score (highest\n"
		     "among the process's threads), the highest since its last exec, and the\n"
		     "kernel's verdict once the score reached the policy's thresholds: flagged\n"
		     "(treated as an attacker) or blocked (exec, open of protected files,\n"
		     "connect (Unix sockets too), datagrams and new raw or ICMP sockets\n"
		     "refused when precognition enforces; a program exec'd from outside the\n"
		     "gated filesystems is killed at the exec). For a flagged process the\n"
		     "reason is the costliest syscall sequence (n-gram) the\n"
		     "model saw lately, what it cost and when (the process's syscall count at\n"
		     "its last call). Control characters and bytes that are not UTF-8 in names\n"
		     "are shown as \\n, \\t, \\r or \\xNN.\n"
		     "\n"
		     "Sorted by score, highest first. Without --all, only the 40 highest and\n"
		     "every flagged process.\n"
		     "\n"
		     "Options:\n"
		     "  -a, --all       every process with state\n"
		     "  --json          the daemon's reply as one JSON object\n"
		     "  --socket PATH   control socket (default $VIGILANTE_SOCKET or\n"
		     "                  /run/vigilante/control.sock)\n"
		     "  -h, --help      this text\n"
		     "\n"
		     "Columns: PID, SCORE (now), MAX (since exec), VERDICT, SYSCALLS, COMM, EXE.\n"
		     "\n"
		     "Needs root or the policy's control.group.\n"
		     "\n"
		     "Exit status: 0 ok, 1 the daemon could not read the kernel's state, 2 usage,\n"
		     "3 daemon unreachable, 4 permission denied.\n");
}

static int64_t num(struct json_object *obj, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(obj, key, &v) ? json_object_get_int64(v) : 0;
}

static const char *str(struct json_object *obj, const char *key, const char *missing)
{
	struct json_object *v;

	return json_object_object_get_ex(obj, key, &v) ? json_object_get_string(v) : missing;
}

static int by_score(const void *a, const void *b)
{
	int64_t x = num(*(struct json_object *const *)a, "score");
	int64_t y = num(*(struct json_object *const *)b, "score");

	return x < y ? 1 : x > y ? -1 : 0;
}

static void print_reason(struct json_object *proc)
{
	struct json_object *reason, *ngram;

	if (!json_object_object_get_ex(proc, "reason", &reason) ||
	    !json_object_object_get_ex(reason, "ngram", &ngram))
		return;
	printf("        reason: ");
	for (size_t i = 0; i < json_object_array_length(ngram); i++)
		printf("%s%s", i ? " -> " : "",
		       json_object_get_string(json_object_array_get_idx(ngram, i)));
	printf(" (costs %lld bits, its last call was syscall %lld of the process)\n",
	       (long long)num(reason, "cost_bits"), (long long)num(reason, "at_syscall"));
}

static void print_table(struct json_object *reply, void *ctx)
{
	bool all = *(bool *)ctx;
	struct json_object *list;
	size_t n;

	json_text_printable(reply);
	if (!json_object_object_get_ex(reply, "processes", &list))
		return;
	n = json_object_array_length(list);
	struct json_object **rows = calloc(n ? n : 1, sizeof(*rows));
	if (!rows)
		return;
	for (size_t i = 0; i < n; i++)
		rows[i] = json_object_array_get_idx(list, i);
	qsort(rows, n, sizeof(*rows), by_score);
	printf("thresholds: flag %lld, block %lld\n", (long long)num(reply, "flag_threshold"),
	       (long long)num(reply, "block_threshold"));
	printf("%7s %6s %6s %-8s %10s %-16s %s\n", "PID", "SCORE", "MAX", "VERDICT", "SYSCALLS",
	       "COMM", "EXE");
	for (size_t i = 0; i < n; i++) {
		const char *verdict = str(rows[i], "verdict", "-");

		if (!all && i >= 40 && !strcmp(verdict, "-"))
			continue;
		printf("%7lld %6lld %6lld %-8s %10lld %-16s %s\n", (long long)num(rows[i], "pid"),
		       (long long)num(rows[i], "score"), (long long)num(rows[i], "max_score"),
		       verdict, (long long)num(rows[i], "syscalls"), str(rows[i], "comm", "?"),
		       str(rows[i], "exe", "?"));
		if (strcmp(verdict, "-"))
			print_reason(rows[i]);
	}
	free(rows);
}

int cmd_ps(int argc, char **argv)
{
	static const struct option options[] = {
	    {"all", no_argument, NULL, 'a'},
	    {"json", no_argument, NULL, 'j'},
	    {"socket", required_argument, NULL, 's'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *socket_option = NULL;
	struct json_object *req;
	bool json = false, all = false;
	int opt;

	while ((opt = getopt_long(argc, argv, ":ah", options, NULL)) != -1) {
		switch (opt) {
		case 'a':
			all = true;
			break;
		case 'j':
			json = true;
			break;
		case 's':
			socket_option = optarg;
			break;
		default:
			return cli_help_or_usage(opt, "ps", argv, usage);
		}
	}
	if (optind != argc)
		return cli_usage_error("ps", "unexpected argument '%s'", argv[optind]);
	req = json_object_new_object();
	json_object_object_add(req, "cmd", json_object_new_string("ps"));
	return control_call(socket_option, req, json, print_table, &all);
}
