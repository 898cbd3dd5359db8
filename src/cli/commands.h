/* The `vigilante` command's subcommands. Each takes the arguments after its
 * own name (argv[0] is the subcommand name), prints its own --help, and
 * returns one of the exit codes below. */
#ifndef VG_CLI_COMMANDS_H
#define VG_CLI_COMMANDS_H

#include <stdio.h>

#include "common/cli_usage.h"

enum vg_exit {
	VG_EXIT_OK = 0,			/* done; for checks: everything is valid */
	VG_EXIT_FAIL = 1,		/* the operation failed or found a problem */
	VG_EXIT_USAGE = CLI_EXIT_USAGE, /* bad command line */
	VG_EXIT_NO_DAEMON = 3,		/* the control socket could not be reached */
	VG_EXIT_PERMISSION = 4,		/* the daemon refused: not root nor in the control group */
};

/* Flushes standard output: VG_EXIT_OK, or VG_EXIT_FAIL after saying why
 * (a full disk, a closed pipe). */
int cli_finish_stdout(void);

int cmd_status(int argc, char **argv);
int cmd_events(int argc, char **argv);
int cmd_ps(int argc, char **argv);
int cmd_note(int argc, char **argv);
int cmd_policy(int argc, char **argv);
int cmd_wal(int argc, char **argv);
int cmd_model(int argc, char **argv);
int cmd_record(int argc, char **argv);
int cmd_learn(int argc, char **argv);
int cmd_quarantine(int argc, char **argv);
int cmd_vaccine(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_flag(int argc, char **argv);
int cmd_honeypot(int argc, char **argv);

#endif
