#include "common/cli_usage.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>

#include "common/log.h"

int cli_usage_error(const char *command, const char *fmt, ...)
{
	char what[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (command)
		vg_err("%s: %s (see '%s %s --help')", command, what, vg_log_progname(), command);
	else
		vg_err("%s (see '%s --help')", what, vg_log_progname());
	return CLI_EXIT_USAGE;
}

int cli_bad_option(int opt, const char *command, char *const argv[])
{
	/* Past a long option or the last letter of a short one, optind has
	 * moved on: argv[optind - 1] is the word. optopt is the letter of an
	 * unknown short option, 0 for an unknown long one. */
	const char *word = optind > 0 ? argv[optind - 1] : "";

	if (opt == ':')
		return cli_usage_error(command, "option '%s' needs a value", word);
	if (optopt)
		return cli_usage_error(command, "unknown option '-%c'", optopt);
	return cli_usage_error(command, "unknown option '%s'", word);
}

int cli_help_or_usage(int opt, const char *command, char *const argv[],
		      void (*command_usage)(FILE *out))
{
	if (opt == 'h') {
		command_usage(stdout);
		return 0;
	}
	return cli_bad_option(opt, command, argv);
}

int cli_parse_number(const char *text, long long min, long long max, long long *out)
{
	char *end;
	long long value;

	errno = 0;
	value = strtoll(text, &end, 10);
	if (errno || end == text || *end || value < min || value > max)
		return -1;
	*out = value;
	return 0;
}
