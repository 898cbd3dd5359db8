/* The `vigilante` command's subcommands. Each takes the arguments after its
 * own name (argv[0] is the subcommand name), prints its own --help, and
 * returns one of the exit codes below. */
#ifndef VG_CLI_COMMANDS_H
#define VG_CLI_COMMANDS_H

#include <stdio.h>

enum vg_exit {
	VG_EXIT_OK = 0,		/* done; for checks: everything is valid */
	VG_EXIT_FAIL = 1,	/* the operation failed or found a problem */
	VG_EXIT_USAGE = 2,	/* bad command line */
	VG_EXIT_NO_DAEMON = 3,	/* the control socket could not be reached */
	VG_EXIT_PERMISSION = 4, /* the daemon refused: not root nor in the control group */
};

/* The end of every command's getopt switch. Option strings start with ':'
 * (after a '+', if any) so that getopt_long() tells a missing value (':')
 * from an unknown option ('?'); main() turns getopt's own messages off.
 * cli_bad_option() says which word was wrong, in one line naming COMMAND
 * ("model eval") and its --help, and returns VG_EXIT_USAGE.
 * cli_help_or_usage() prints the usage on stdout for -h/--help and returns
 * VG_EXIT_OK, else does what cli_bad_option() does. */
int cli_bad_option(int opt, const char *command, char *const argv[]);
/* A bad command line beyond the options (a missing or extra operand): one
 * line, "COMMAND: what (see 'vigilante COMMAND --help')"; returns
 * VG_EXIT_USAGE. */
int cli_usage_error(const char *command, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
int cli_help_or_usage(int opt, const char *command, char *const argv[], void (*usage)(FILE *out));
/* A whole decimal number in min..max from a command-line word: 0, or -1
 * (nothing to it, other characters, out of range) for the caller to say
 * which option it was. */
int cli_parse_number(const char *text, long long min, long long max, long long *out);
/* The largest process id Linux hands out (PID_MAX_LIMIT on 64 bits). */
#define CLI_PID_MAX 4194304
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
