/* `vigilante honeypot`: operator tools for the decoys and honeytokens. Each
 * subcommand is a function of its own with its own options; `whois` reads
 * the decoy ledger and needs no daemon. */
#include "act/decoy.h"
#include "cli/commands.h"
#include "common/cleanup.h"
#include "common/log.h"
#include "decide/policy.h"

#include <errno.h>
#include <getopt.h>
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
	    "        Read honeypot.decoy_dir from the policy FILE (default: the embedded\n"
	    "        default policy, decoy_dir /var/lib/vigilante/decoys).\n"
	    "\n"
	    "    -h, --help\n"
	    "        Print this help and exit.\n"
	    "\n"
	    "EXIT STATUS\n"
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
	while ((opt = getopt_long(argc, argv, "p:h", options, NULL)) != -1) {
		switch (opt) {
		case 'p':
			policy_path = optarg;
			break;
		default:
			return cli_help_or_usage(opt, usage);
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
	if (fflush(stdout) != 0 || ferror(stdout)) {
		vg_err("cannot write to standard output: %s", strerror(errno));
		return VG_EXIT_FAIL;
	}
	return found == 1 ? VG_EXIT_OK : VG_EXIT_FAIL;
}

struct subcommand {
	const char *name;
	int (*run)(int argc, char **argv);
};

static const struct subcommand subcommands[] = {
    {"whois", honeypot_whois},
};

int cmd_honeypot(int argc, char **argv)
{
	if (argc < 2) {
		vg_err("honeypot: missing command: whois (see 'vigilante honeypot --help')");
		return VG_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))
		return cli_help_or_usage('h', usage);
	for (size_t i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++)
		if (!strcmp(argv[1], subcommands[i].name))
			return subcommands[i].run(argc - 1, argv + 1);
	vg_err("honeypot: unknown command '%s' (expected whois; see 'vigilante honeypot --help')",
	       argv[1]);
	return VG_EXIT_USAGE;
}
