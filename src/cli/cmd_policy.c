/* `vigilante policy`: check a policy file, show the effective policy, print
 * the embedded default. Works on files only; it never talks to the daemon
 * and never loads anything into the kernel. */
#include "cli/commands.h"
#include "common/log.h"
#include "decide/policy.h"
#include "score/model_file.h"
#include "score/profile_file.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

static void usage(FILE *out)
{
	fprintf(out,
		"NAME\n"
		"    vigilante policy - check, show and print Vigilante's YAML policy\n"
		"\n"
		"SYNOPSIS\n"
		"    vigilante policy check FILE\n"
		"    vigilante policy show [FILE]\n"
		"    vigilante policy default\n"
		"    vigilante policy --help\n"
		"\n"
		"DESCRIPTION\n"
		"    The policy is one YAML file that sets Vigilante's scope (which processes\n"
		"    it watches), its outputs, its forensic log, its control socket, and a\n"
		"    mode for every capability: off, monitor (decide and log, never enforce)\n"
		"    or enforce. Every key is optional; a missing key takes the value of the\n"
		"    embedded default policy. These commands read files only: they neither\n"
		"    contact vigilanted nor change anything on the system.\n"
		"\n"
		"COMMANDS\n"
		"    check FILE\n"
		"        Validate FILE completely, as vigilanted would before using it. On\n"
		"        success print 'FILE: ok' and a one-line summary of its scope and\n"
		"        modes. On failure print 'FILE:LINE:COLUMN: message' on standard\n"
		"        error, naming the first problem found: a YAML syntax error, an\n"
		"        unknown or repeated key, a value of the wrong type or out of range,\n"
		"        a relative path, and so on. The precognition model and profiles\n"
		"        it names are loaded too: a missing, truncated, corrupted or\n"
		"        mismatched file fails the check.\n"
		"\n"
		"    show [FILE]\n"
		"        Print the effective policy as YAML: every key with the value that\n"
		"        applies, defaults filled in, paths normalised and group names\n"
		"        resolved to gids. Without FILE, show the embedded default. The\n"
		"        output is itself a valid policy file.\n"
		"\n"
		"    default\n"
		"        Print the embedded default policy as written, with its comments:\n"
		"        the reference for every key and a starting point for your own.\n"
		"\n"
		"OPTIONS\n"
		"    -h, --help\n"
		"        Print this help and exit.\n"
		"\n"
		"EXIT STATUS\n"
		"    0  success; for check, the policy is valid\n"
		"    1  the policy is invalid or could not be read (the reason is on stderr)\n"
		"    2  usage error\n"
		"\n"
		"EXAMPLES\n"
		"    vigilante policy default > /etc/vigilante/policy.yaml\n"
		"    vigilante policy check /etc/vigilante/policy.yaml\n"
		"    vigilante policy show /etc/vigilante/policy.yaml\n"
		"\n"
		"SEE ALSO\n"
		"    docs/policy.md, the reference of every key, type, range and default.\n");
}

/* Policy errors already read "FILE:LINE:COLUMN: message"; they are printed
 * bare so that editors and CI can jump to the position. */
static int report_invalid(const struct vg_policy_error *err)
{
	fprintf(stderr, "%s\n", err->message);
	return VG_EXIT_FAIL;
}

static void print_summary(const struct vg_policy *policy)
{
	printf("scope: %s", policy_scope_name(policy->scope.kind));
	if (policy->scope.kind == VG_SCOPE_CGROUP)
		printf(" %s", policy->scope.cgroup);
	else if (policy->scope.kind == VG_SCOPE_PIDTREE)
		printf(" %d", (int)policy->scope.pid);
	printf("; modes: exec_from_writable=%s precognition=%s quarantine=%s vaccination=%s "
	       "honeypot=%s cloning=%s\n",
	       policy_mode_name(policy->exec_from_writable.mode),
	       policy_mode_name(policy->precognition.mode),
	       policy_mode_name(policy->quarantine.mode),
	       policy_mode_name(policy->vaccination.mode), policy_mode_name(policy->honeypot.mode),
	       policy_mode_name(policy->cloning.mode));
}

/* The files the policy names must load as vigilanted would load them: the
 * precognition model (when precognition is on) and the profiles, which must
 * come from that model. */
static int check_named_files(const char *path, const struct vg_policy *policy)
{
	const char *model_path = policy->precognition.model;
	struct vg_profile_set profiles;
	struct vg_model model;
	char err[512];

	if (policy->precognition.mode == VG_MODE_OFF)
		return 0;
	if (vg_model_load_path(model_path, &model, NULL) != VG_MODEL_FILE_OK) {
		vg_err("%s: precognition.model: %s cannot be used (the reason is above)", path,
		       model_path ? model_path : "(embedded)");
		return -1;
	}
	if (!policy->precognition.profiles)
		return 0;
	if (vg_profiles_load_for_model(policy->precognition.profiles, model.hash_seed, &profiles,
				       err, sizeof(err))) {
		vg_err("%s: precognition.profiles: %s", path, err);
		return -1;
	}
	vg_profiles_free(&profiles);
	return 0;
}

static int policy_check(const char *path)
{
	struct vg_policy policy = {0};
	struct vg_policy_error err;

	if (policy_load_file(path, &policy, &err))
		return report_invalid(&err);
	if (check_named_files(path, &policy)) {
		policy_free(&policy);
		return VG_EXIT_FAIL;
	}
	printf("%s: ok\n", path);
	print_summary(&policy);
	policy_free(&policy);
	return cli_finish_stdout();
}

static int policy_show(const char *path)
{
	struct vg_policy policy = {0};
	struct vg_policy_error err;
	int rc;

	rc = path ? policy_load_file(path, &policy, &err) : policy_load_default(&policy, &err);
	if (rc)
		return report_invalid(&err);
	rc = policy_write_yaml(&policy, stdout, &err);
	policy_free(&policy);
	if (rc) {
		vg_err("%s", err.message);
		return VG_EXIT_FAIL;
	}
	return cli_finish_stdout();
}

static int policy_print_default(void)
{
	if (fwrite(policy_default_yaml, 1, policy_default_yaml_len, stdout) !=
	    policy_default_yaml_len) {
		vg_err("cannot write to standard output: %s", strerror(errno));
		return VG_EXIT_FAIL;
	}
	return cli_finish_stdout();
}

/* Refuses a wrong operand count for a subcommand, naming what was expected. */
static bool operands_fit(const char *command, int count, int min, int max, const char *synopsis)
{
	if (count >= min && count <= max)
		return true;
	vg_err("'policy %s' %s (usage: vigilante policy %s; see 'vigilante policy --help')",
	       command, count < min ? "needs a FILE" : "got too many arguments", synopsis);
	return false;
}

int cmd_policy(int argc, char **argv)
{
	static const struct option options[] = {
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *command;
	char **operands;
	int count, opt;

	optind = 1;
	while ((opt = getopt_long(argc, argv, ":h", options, NULL)) != -1) {
		switch (opt) {
		case 'h':
			usage(stdout);
			return cli_finish_stdout();
		default:
			return cli_bad_option(opt, "policy", argv);
		}
	}
	if (optind >= argc) {
		vg_err("policy: missing command: check, show or default (see 'vigilante policy "
		       "--help')");
		return VG_EXIT_USAGE;
	}
	command = argv[optind];
	operands = argv + optind + 1;
	count = argc - optind - 1;

	if (!strcmp(command, "check"))
		return operands_fit(command, count, 1, 1, "check FILE") ? policy_check(operands[0])
									: VG_EXIT_USAGE;
	if (!strcmp(command, "show"))
		return operands_fit(command, count, 0, 1, "show [FILE]")
			   ? policy_show(count ? operands[0] : NULL)
			   : VG_EXIT_USAGE;
	if (!strcmp(command, "default"))
		return operands_fit(command, count, 0, 0, "default") ? policy_print_default()
								     : VG_EXIT_USAGE;
	vg_err("policy: unknown command '%s' (expected check, show or default; see 'vigilante "
	       "policy --help')",
	       command);
	return VG_EXIT_USAGE;
}
