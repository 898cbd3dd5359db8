/* vigilante: the command-line front end. Subcommands that talk to a running
 * daemon go through its control socket; the others (policy check, wal verify,
 * model train/eval) work on files and need no daemon. */
#include "cli/commands.h"
#include "common/log.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
};

static const struct command commands[] = {
    {"status", cmd_status, "what the daemon has loaded, its scope, rates and BPF run-time stats"},
    {"events", cmd_events, "print events and alerts from the running daemon (--follow to stream)"},
    {"ps", cmd_ps, "watched processes with their precognition score and verdict"},
    {"quarantine", cmd_quarantine,
     "list, show, release, kill quarantines; freeze or snapshot a PID"},
    {"vaccine", cmd_vaccine,
     "vaccines of every kind: list, show (--seccomp), add, revoke, export, import"},
    {"run", cmd_run, "run a workload under the honeypot's supervision: `run [--name N] -- CMD`"},
    {"flag", cmd_flag, "flag a process as an attacker (decoys, exec gate): `flag PID`"},
    {"honeypot", cmd_honeypot,
     "honeypot tools: `honeypot log` (an attacker's timeline), `honeypot whois SECRET`"},
    {"note", cmd_note, "append an operator note to the forensic log; returns once it is durable"},
    {"policy", cmd_policy, "policy tools: `policy check FILE`, `policy show`"},
    {"wal", cmd_wal, "forensic log tools: `wal verify [DIR]`, `wal dump [--json] [DIR]`"},
    {"model", cmd_model, "precognition model tools: `model train`, `model eval`, `model info`"},
    {"learn", cmd_learn, "learn per-program normal profiles on this host: `learn -o FILE`"},
    {"record", cmd_record,
     "record a command's syscall trace from the kernel: `record -o FILE -- CMD`"},
};

static void usage(FILE *out)
{
	fprintf(out, "Usage: vigilante COMMAND [ARGS...]\n"
		     "       vigilante COMMAND --help\n\n"
		     "Vigilante's command-line interface. Commands:\n\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(out, "  %-11s %s\n", commands[i].name, commands[i].summary);
	fprintf(out, "\nExit codes (every command):\n"
		     "  0  success; for checks, everything is valid\n"
		     "  1  the operation failed or found a problem (named on stderr)\n"
		     "  2  usage error\n"
		     "  3  the daemon's control socket could not be reached\n"
		     "  4  the daemon refused the request (not root nor in its control group)\n\n"
		     "Environment: VIGILANTE_SOCKET overrides the control socket path\n"
		     "(default /run/vigilante/control.sock).\n");
}

int cli_finish_stdout(void)
{
	if (fflush(stdout) != 0 || ferror(stdout)) {
		vg_err("cannot write to standard output: %s", strerror(errno));
		return VG_EXIT_FAIL;
	}
	return VG_EXIT_OK;
}

int main(int argc, char **argv)
{
	vg_log_init("vigilante", VG_LOG_INFO);
	opterr = 0; /* each command reports a bad option itself (cli_bad_option) */
	if (argc < 2) {
		usage(stderr);
		return VG_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return VG_EXIT_OK;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].run(argc - 1, argv + 1);
	vg_err("unknown command '%s' (see 'vigilante --help')", argv[1]);
	return VG_EXIT_USAGE;
}
