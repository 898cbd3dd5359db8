/* `vigilante honeypot`: operator tools for the decoys and honeytokens. Each
 * subcommand is a function of its own with its own options; `whois` reads
 * the decoy ledger and `log` the forensic log: neither needs the daemon. */
#include "act/decoy.h"
#include "cli/commands.h"
#include "common/cleanup.h"
#include "common/log.h"
#include "decide/policy.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>

#include <json-c/json.h>

#include "record/json_text.h"
#include "record/wal.h"
#include <stdio.h>
#include <string.h>

static void usage(FILE *out)
{
	fprintf(
	    out,
	    "NAME\n"
	    "    vigilante honeypot - tools for Vigilante's decoys and honeytokens\n"
	    "\n"
	    "SYNOPSIS\n"
	    "    vigilante honeypot log [--pid PID] [--json] [--wal DIR | --policy FILE]\n"
	    "    vigilante honeypot whois SECRET [--policy FILE]\n"
	    "    vigilante honeypot whois - [--policy FILE]\n"
	    "    vigilante honeypot --help\n"
	    "\n"
	    "DESCRIPTION\n"
	    "    With the honeypot enforced, a flagged process that opens a protected\n"
	    "    secret (/etc/shadow, an SSH key, cloud or git credentials) reads a decoy\n"
	    "    instead, and honeytokens are planted where nothing should read them.\n"
	    "    Every decoy is generated once per host from the host's own secret\n"
	    "    (DIR/host.key): real user names, but weak passwords of its own, a fresh\n"
	    "    Ed25519 key, fake access keys and tokens. Each of these secrets is\n"
	    "    written to the ledger (DIR/ledger.json, mode 0600), so that when one\n"
	    "    turns up later (a login attempt, a key offered to sshd, an API call in\n"
	    "    a cloud audit log) it names the decoy, and the host, it was stolen from.\n"
	    "    DIR is the policy's honeypot.decoy_dir.\n"
	    "\n"
	    "COMMANDS\n"
	    "    log\n"
	    "        Print the attacker's timeline from the forensic log, oldest first:\n"
	    "        workloads put under supervision, processes flagged (by their score,\n"
	    "        an operator, a honeytoken or a decoy service), what the gates decided\n"
	    "        about them, each decoy served (the path asked, the decoy), how many\n"
	    "        bytes of it were read, honeytokens touched and decoy-service\n"
	    "        sessions. With --pid, only that process and its descendants. Only\n"
	    "        records that verify are printed; at a bad one the log stops with an\n"
	    "        error, as `vigilante wal dump` does.\n"
	    "\n"
	    "    whois SECRET\n"
	    "        Look SECRET up in the ledger: a password, an AWS access key id or\n"
	    "        secret access key, a GitHub token, or an SSH key fingerprint as\n"
	    "        `ssh-keygen -l` prints it (\"SHA256:...\"). If it is a decoy's, print\n"
	    "        which one: the secret's kind and user, the decoy's kind, the path it\n"
	    "        stands for, its file and the host. SECRET \"-\" reads it from the first\n"
	    "        line of standard input, which keeps it out of the process list and\n"
	    "        the shell history.\n"
	    "\n"
	    "OPTIONS\n"
	    "    -p, --policy FILE\n"
	    "        Read honeypot.decoy_dir (whois) or wal.dir (log) from the policy FILE\n"
	    "        (default: the embedded default policy: /var/lib/vigilante/decoys,\n"
	    "        /var/lib/vigilante/wal).\n"
	    "\n"
	    "    --wal DIR\n"
	    "        log: read this forensic log directory.\n"
	    "\n"
	    "    --pid PID\n"
	    "        log: only PID and its descendants.\n"
	    "\n"
	    "    --json\n"
	    "        log: one JSON object per line (the record, with its \"seq\").\n"
	    "\n"
	    "    -h, --help\n"
	    "        Print this help and exit.\n"
	    "\n"
	    "EXIT STATUS\n"
	    "    log: 0 printed, 1 the log could not be read or has a bad record, 2 usage.\n"
	    "    whois:\n"
	    "    0  the secret is a decoy's (its description is on standard output)\n"
	    "    1  the secret is not in the ledger, or the ledger or policy could not be\n"
	    "       read (the reason is on standard error)\n"
	    "    2  usage error\n"
	    "\n"
	    "EXAMPLES\n"
	    "    vigilante honeypot whois 'SHA256:28I3OxA10yUbM7t5YPCsjvsH/tnudwjJSVG7/ICnbJ8'\n"
	    "    grep -o 'AKIA[A-Z2-7]\\{16\\}' cloudtrail.log | sort -u |\n"
	    "        while read -r id; do echo \"$id\" | vigilante honeypot whois -; done\n"
	    "\n"
	    "FILES\n"
	    "    DIR/ledger.json   the secrets of every decoy and honeytoken (mode 0600)\n"
	    "    DIR/host.key      the host secret the decoys are derived from (mode 0600)\n"
	    "\n"
	    "SEE ALSO\n"
	    "    docs/policy.md, the honeypot section.\n");
}

/* SECRET, or for "-" the first line of standard input without its newline. */
static char *read_secret(const char *arg)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;

	if (strcmp(arg, "-"))
		return strdup(arg);
	len = getline(&line, &cap, stdin);
	if (len < 0) {
		free(line);
		return NULL;
	}
	if (len > 0 && line[len - 1] == '\n')
		line[len - 1] = '\0';
	return line;
}

static int honeypot_whois(int argc, char **argv)
{
	static const struct option options[] = {
	    {"policy", required_argument, NULL, 'p'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *policy_path = NULL;
	struct vg_policy policy = {0};
	struct vg_policy_error perr;
	_cleanup_free_ char *secret = NULL;
	char out[1024], err[1024];
	int opt, found;

	optind = 0; /* getopt_long may have run on another argv before */
	while ((opt = getopt_long(argc, argv, ":p:h", options, NULL)) != -1) {
		switch (opt) {
		case 'p':
			policy_path = optarg;
			break;
		default:
			return cli_help_or_usage(opt, "honeypot whois", argv, usage);
		}
	}
	if (optind + 1 != argc) {
		vg_err("honeypot whois: one SECRET expected (see 'vigilante honeypot --help')");
		return VG_EXIT_USAGE;
	}
	secret = read_secret(argv[optind]);
	if (!secret) {
		vg_err("honeypot whois: reading the secret from standard input: %s",
		       ferror(stdin) ? strerror(errno) : "no input");
		return VG_EXIT_FAIL;
	}
	if (policy_path ? policy_load_file(policy_path, &policy, &perr)
			: policy_load_default(&policy, &perr)) {
		fprintf(stderr, "%s\n", perr.message);
		return VG_EXIT_FAIL;
	}
	found = decoy_whois(policy.honeypot.decoy_dir, secret, out, sizeof(out), err, sizeof(err));
	if (found < 0)
		vg_err("honeypot whois: %s", err);
	else if (found)
		printf("%s\n", out);
	else
		printf("not a decoy secret of %s\n", policy.honeypot.decoy_dir);
	policy_free(&policy);
	if (cli_finish_stdout() != VG_EXIT_OK)
		return VG_EXIT_FAIL;
	return found == 1 ? VG_EXIT_OK : VG_EXIT_FAIL;
}

struct timeline {
	struct json_object *records; /* array of the payloads, in log order */
	int64_t pid;		     /* --pid, or 0 */
};

/* The records of an attacker's timeline: the honeypot's own, and the
 * precognition decisions (score crossings, gate decisions). */
static int collect(const struct wal_record *rec, void *arg)
{
	struct timeline *t = arg;
	struct json_object *payload, *type;
	const char *name;

	if (rec->type != WAL_DECOY && rec->type != WAL_DECISION)
		return 0;
	payload = json_text_parse((const char *)rec->payload, rec->len);
	if (!payload)
		return 0;
	name =
	    json_object_object_get_ex(payload, "type", &type) ? json_object_get_string(type) : "";
	if (!json_object_is_type(payload, json_type_object) ||
	    (strcmp(name, "honeypot") && strcmp(name, "score") && strcmp(name, "decision"))) {
		json_object_put(payload);
		return 0;
	}
	json_object_object_add(payload, "seq", json_object_new_uint64(rec->seq));
	json_object_array_add(t->records, payload);
	return 0;
}

static int64_t field_int(struct json_object *obj, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(obj, key, &v) ? json_object_get_int64(v) : 0;
}

static const char *field_str(struct json_object *obj, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(obj, key, &v) ? json_object_get_string(v) : "";
}

static bool in_set(struct json_object *set, int64_t pid)
{
	for (size_t i = 0; i < json_object_array_length(set); i++)
		if (json_object_get_int64(json_object_array_get_idx(set, i)) == pid)
			return true;
	return false;
}

/* Whether the record's process is one of the tree's: itself, or its parent
 * or an ancestor in its lineage is. */
static bool of_tree(struct json_object *rec, struct json_object *tree)
{
	struct json_object *lineage;

	if (in_set(tree, field_int(rec, "pid")) || in_set(tree, field_int(rec, "ppid")))
		return true;
	if (json_object_object_get_ex(rec, "lineage", &lineage) &&
	    json_object_is_type(lineage, json_type_array))
		for (size_t i = 0; i < json_object_array_length(lineage); i++)
			if (in_set(tree, field_int(json_object_array_get_idx(lineage, i), "pid")))
				return true;
	return false;
}

static void print_line(struct json_object *rec)
{
	const char *type = field_str(rec, "type"), *event = field_str(rec, "event");

	printf("%s  %-7" PRId64 " %-15.15s ", field_str(rec, "time"), field_int(rec, "pid"),
	       field_str(rec, "comm"));
	if (!strcmp(type, "score"))
		printf("score crossed %s (%" PRId64 ")\n", field_str(rec, "level"),
		       field_int(rec, "score"));
	else if (!strcmp(type, "decision"))
		printf("%s %s %s (score %" PRId64 ")\n", field_str(rec, "what"),
		       json_object_get_boolean(json_object_object_get(rec, "refused")) ? "refused"
										       : "allowed",
		       field_str(rec, "path"), field_int(rec, "score"));
	else if (!strcmp(event, "supervise"))
		printf("workload %s started in %s\n", field_str(rec, "name"),
		       field_str(rec, "cgroup"));
	else if (!strcmp(event, "flag"))
		printf("flagged by %s\n", field_str(rec, "source"));
	else if (!strcmp(event, "decoy_open") || !strcmp(event, "decoy_stat"))
		printf("%s %s -> %s decoy %s%s\n", !strcmp(event, "decoy_open") ? "open" : "stat",
		       field_str(rec, "asked"), field_str(rec, "kind"), field_str(rec, "decoy"),
		       json_object_get_boolean(json_object_object_get(rec, "served"))
			   ? ""
			   : " (monitor: the real file was served)");
	else if (!strcmp(event, "decoy_read"))
		printf("read %" PRId64 " bytes of decoy %s\n", field_int(rec, "bytes"),
		       field_str(rec, "decoy"));
	else
		printf("%s %s\n", event,
		       json_object_to_json_string_ext(rec, JSON_C_TO_STRING_PLAIN |
							       JSON_C_TO_STRING_NOSLASHESCAPE));
}

static int honeypot_log(int argc, char **argv)
{
	static const struct option options[] = {
	    {"policy", required_argument, NULL, 'p'}, {"wal", required_argument, NULL, 'w'},
	    {"pid", required_argument, NULL, 'P'},    {"json", no_argument, NULL, 'j'},
	    {"help", no_argument, NULL, 'h'},	      {NULL, 0, NULL, 0},
	};
	const char *policy_path = NULL, *wal_dir = NULL;
	struct timeline t = {.records = json_object_new_array()};
	struct json_object *tree = json_object_new_array();
	struct vg_policy policy = {0};
	struct vg_policy_error perr;
	struct wal_verify_result res;
	bool json = false;
	char err[512];
	long long pid;
	int opt, rc = VG_EXIT_OK;

	optind = 0; /* getopt_long may have run on another argv before */
	while ((opt = getopt_long(argc, argv, ":p:h", options, NULL)) != -1) {
		switch (opt) {
		case 'p':
			policy_path = optarg;
			break;
		case 'w':
			wal_dir = optarg;
			break;
		case 'P':
			if (cli_parse_number(optarg, 1, CLI_PID_MAX, &pid)) {
				vg_err("honeypot log: --pid '%s' is not a process id", optarg);
				rc = VG_EXIT_USAGE;
				goto out;
			}
			t.pid = pid;
			break;
		case 'j':
			json = true;
			break;
		default:
			rc = cli_help_or_usage(opt, "honeypot log", argv, usage);
			goto out;
		}
	}
	if (optind != argc || (policy_path && wal_dir)) {
		vg_err("honeypot log: %s (see 'vigilante honeypot --help')",
		       optind != argc ? "unexpected argument" : "give --wal or --policy, not both");
		rc = VG_EXIT_USAGE;
		goto out;
	}
	if (!wal_dir && (policy_path ? policy_load_file(policy_path, &policy, &perr)
				     : policy_load_default(&policy, &perr))) {
		fprintf(stderr, "%s\n", perr.message);
		rc = VG_EXIT_FAIL;
		goto out;
	}
	if (wal_read(wal_dir ? wal_dir : policy.wal.dir, collect, &t, &res, err, sizeof(err)) < 0) {
		vg_err("honeypot log: %s", err);
		rc = VG_EXIT_FAIL;
		goto out;
	}
	json_object_array_add(tree, json_object_new_int64(t.pid));
	for (size_t i = 0; i < json_object_array_length(t.records); i++) {
		struct json_object *rec = json_object_array_get_idx(t.records, i);

		if (t.pid && !of_tree(rec, tree))
			continue;
		if (t.pid && !in_set(tree, field_int(rec, "pid")))
			json_object_array_add(tree, json_object_new_int64(field_int(rec, "pid")));
		if (json)
			printf("%s\n",
			       json_object_to_json_string_ext(
				   rec, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
		else {
			json_text_printable(rec);
			print_line(rec);
		}
	}
	if (!res.ok) {
		vg_err("honeypot log: %s: bad record in %s at offset %" PRIu64 ": %s",
		       wal_dir ? wal_dir : policy.wal.dir, res.segment, res.offset, res.problem);
		rc = VG_EXIT_FAIL;
	}
	if (cli_finish_stdout() != VG_EXIT_OK)
		rc = VG_EXIT_FAIL;
out:
	policy_free(&policy);
	json_object_put(t.records);
	json_object_put(tree);
	return rc;
}

struct subcommand {
	const char *name;
	int (*run)(int argc, char **argv);
};

static const struct subcommand subcommands[] = {
    {"log", honeypot_log},
    {"whois", honeypot_whois},
};

int cmd_honeypot(int argc, char **argv)
{
	if (argc < 2) {
		vg_err("honeypot: missing command: log or whois (see 'vigilante honeypot --help')");
		return VG_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(stdout);
		return VG_EXIT_OK;
	}
	for (size_t i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++)
		if (!strcmp(argv[1], subcommands[i].name))
			return subcommands[i].run(argc - 1, argv + 1);
	vg_err("honeypot: unknown command '%s' (expected log or whois; see 'vigilante honeypot "
	       "--help')",
	       argv[1]);
	return VG_EXIT_USAGE;
}
