#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/commands.h"
#include "cli/control_client.h"
#include "common/log.h"

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: vigilante vaccine list [--json]\n"
		"       vigilante vaccine add --exec FILE [--ttl SECONDS]\n"
		"       vigilante vaccine revoke ID\n"
		"       vigilante vaccine export [--out FILE]\n"
		"       vigilante vaccine import FILE\n"
		"       (each also takes --socket PATH)\n"
		"\n"
		"A vaccine is the narrowest rule that stops a confirmed attack from happening\n"
		"again. This build has the kind \"exec by content\": the SHA-256 of a program,\n"
		"whose exec is refused at the exec gate (precognition.exec_gate) whatever its\n"
		"name: a renamed copy, a hard link or a copy in another directory is refused\n"
		"too, a different program is not. The kernel makes one by itself when a\n"
		"process's score reaches vaccination.threshold, in the syscall that crossed\n"
		"it; the daemon records it in the forensic log and binds it to the program's\n"
		"content. Every vaccine has a TTL (vaccination.ttl, 24 h by default) and\n"
		"stops applying at expiry. Vaccines survive restarts: the daemon replays\n"
		"them from the forensic log before it gates any exec.\n"
		"\n"
		"  list               the vaccines in force, with origin and expiry\n"
		"  add --exec FILE    vaccinate against FILE's content (--ttl: seconds,\n"
		"                     1..31536000; default: the policy's vaccination.ttl)\n"
		"  revoke ID          stop applying a vaccine (recorded in the log)\n"
		"  export             the vaccines in force as a bundle signed with the\n"
		"                     host's Ed25519 key (vaccination.signing_key), on\n"
		"                     stdout or into --out FILE\n"
		"  import FILE        add the vaccines of a bundle signed by one of\n"
		"                     vaccination.trusted_keys; an unsigned, altered or\n"
		"                     unknown-key bundle is refused whole\n"
		"\n"
		"vaccination.mode: enforce refuses, monitor records what would be refused.\n"
		"add and revoke need root or the policy's control group and return once the\n"
		"record is durable.\n"
		"\n"
		"Exit status: 0 done, 1 refused (reason printed), 2 usage, 3 daemon\n"
		"unreachable, 4 permission denied.\n");
}

/* To stdout, or atomically to a file (temporary file, then rename). */
static void write_bundle(const char *out, const char *bundle)
{
	char tmp[PATH_MAX];
	FILE *f;

	if (!out) {
		printf("%s\n", bundle);
		return;
	}
	snprintf(tmp, sizeof(tmp), "%s.tmp", out);
	f = fopen(tmp, "we");
	if (!f || fprintf(f, "%s\n", bundle) < 0 || fclose(f) || rename(tmp, out)) {
		vg_err("vaccine export: writing %s: %s", out, strerror(errno));
		unlink(tmp);
	}
}

static char *read_file(const char *path)
{
	FILE *f = fopen(path, "re");
	char *text = NULL;
	size_t cap = 0;
	ssize_t n;

	if (!f)
		return NULL;
	n = getdelim(&text, &cap, '\0', f);
	fclose(f);
	if (n < 0) {
		free(text);
		return NULL;
	}
	return text;
}

static void print_reply(struct json_object *reply, void *ctx)
{
	const char *out = ctx;
	struct json_object *list, *v;

	if (json_object_object_get_ex(reply, "bundle", &v)) {
		write_bundle(out, json_object_get_string(v));
		return;
	}
	if (json_object_object_get_ex(reply, "imported", &v)) {
		printf("%s imported\n", json_object_get_string(v));
		return;
	}
	if (json_object_object_get_ex(reply, "id", &v)) {
		printf("%s\n", json_object_get_string(v));
		return;
	}
	if (!json_object_object_get_ex(reply, "vaccines", &list))
		return;
	for (size_t i = 0; i < json_object_array_length(list); i++) {
		struct json_object *vac = json_object_array_get_idx(list, i), *f;
		const char *keys[] = {"id", "kind", "sha256", "origin", "expires", "path"};

		for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
			printf("%s%s", k ? "  " : "",
			       json_object_object_get_ex(vac, keys[k], &f)
				   ? json_object_get_string(f)
				   : "-");
		printf("\n");
	}
}

int cmd_vaccine(int argc, char **argv)
{
	static const struct option options[] = {
	    {"exec", required_argument, NULL, 'e'},
	    {"ttl", required_argument, NULL, 't'},
	    {"json", no_argument, NULL, 'j'},
	    {"socket", required_argument, NULL, 's'},
	    {"out", required_argument, NULL, 'o'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *socket_option = NULL, *exec = NULL, *out = NULL, *op;
	char real[PATH_MAX], *end;
	long ttl = 0, id;
	struct json_object *req;
	int opt, json = 0;

	while ((opt = getopt_long(argc, argv, "h", options, NULL)) != -1) {
		switch (opt) {
		case 'e':
			exec = optarg;
			break;
		case 't':
			ttl = strtol(optarg, &end, 10);
			if (*end || ttl < 1 || ttl > 31536000) {
				vg_err("vaccine: --ttl '%s' is not 1..31536000 seconds", optarg);
				return VG_EXIT_USAGE;
			}
			break;
		case 'j':
			json = 1;
			break;
		case 'o':
			out = optarg;
			break;
		case 's':
			socket_option = optarg;
			break;
		default:
			return cli_help_or_usage(opt, usage);
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return VG_EXIT_USAGE;
	}
	op = argv[optind];
	req = json_object_new_object();
	json_object_object_add(req, "cmd", json_object_new_string("vaccine"));
	json_object_object_add(req, "op", json_object_new_string(op));
	if (!strcmp(op, "add")) {
		if (!exec || optind + 1 != argc || !realpath(exec, real)) {
			vg_err("vaccine add: --exec FILE (an existing file) is required");
			json_object_put(req);
			return exec && optind + 1 == argc ? VG_EXIT_FAIL : VG_EXIT_USAGE;
		}
		json_object_object_add(req, "path", json_object_new_string(real));
		if (ttl)
			json_object_object_add(req, "ttl", json_object_new_int64(ttl));
	} else if (!strcmp(op, "revoke")) {
		if (optind + 2 != argc || (id = strtol(argv[optind + 1], &end, 10)) <= 0 || *end) {
			vg_err("vaccine revoke: one vaccine ID (a number) expected");
			json_object_put(req);
			return VG_EXIT_USAGE;
		}
		json_object_object_add(req, "id", json_object_new_int64(id));
	} else if (!strcmp(op, "import")) {
		char *text = optind + 2 == argc ? read_file(argv[optind + 1]) : NULL;

		if (!text) {
			vg_err("vaccine import: %s",
			       optind + 2 == argc ? strerror(errno) : "one bundle FILE expected");
			json_object_put(req);
			return optind + 2 == argc ? VG_EXIT_FAIL : VG_EXIT_USAGE;
		}
		json_object_object_add(req, "bundle", json_object_new_string(text));
		free(text);
	} else if ((strcmp(op, "list") && strcmp(op, "export")) || optind + 1 != argc) {
		vg_err("vaccine: unknown subcommand or extra arguments (see vigilante vaccine "
		       "--help)");
		json_object_put(req);
		return VG_EXIT_USAGE;
	}
	return control_call(socket_option, req, json && strcmp(op, "export"), print_reply,
			    (void *)out);
}
