/* Command-line errors and numbers, the same in both programs (vigilante and
 * vigilanted): a bad command line is one line on stderr that says what is
 * wrong and where the help is, never the whole usage. */
#ifndef VG_COMMON_CLI_USAGE_H
#define VG_COMMON_CLI_USAGE_H

#include <stdio.h>

/* Exit status of a bad command line, in both programs. */
#define CLI_EXIT_USAGE 2

/* The end of every getopt switch. Option strings start with ':' (after a
 * '+', if any) so that getopt_long() tells a missing value (':') from an
 * unknown option ('?'), and main() sets opterr to 0. COMMAND is the
 * subcommand ("model eval"), or NULL for the program itself; the help named
 * is "PROGRAM [COMMAND] --help", PROGRAM as vg_log_init() was given it.
 * cli_bad_option() says which word was wrong and returns CLI_EXIT_USAGE.
 * cli_help_or_usage() prints the usage on stdout for -h/--help and returns
 * 0, else does what cli_bad_option() does. */
int cli_bad_option(int opt, const char *command, char *const argv[]);
int cli_help_or_usage(int opt, const char *command, char *const argv[], void (*usage)(FILE *out));
/* A bad command line beyond the options (a missing or extra operand): one
 * line, "COMMAND: what (see 'PROGRAM COMMAND --help')"; returns
 * CLI_EXIT_USAGE. */
int cli_usage_error(const char *command, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* A whole decimal number in min..max from a command-line word: 0, or -1
 * (nothing to it, other characters, out of range) for the caller to say
 * which option it was. */
int cli_parse_number(const char *text, long long min, long long max, long long *out);
/* The largest process id Linux hands out (PID_MAX_LIMIT on 64 bits). */
#define CLI_PID_MAX 4194304

#endif
