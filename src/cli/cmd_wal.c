/* `vigilante wal`: offline tools for the forensic log. They read the segment
 * files directly, need no daemon, and never modify the log. */
#include "cli/commands.h"
#include "common/log.h"
#include "record/json_text.h"
#include "record/wal.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static const char wal_usage[] =
    "Usage: vigilante wal verify [DIR]\n"
    "       vigilante wal dump [--json] [DIR]\n"
    "       vigilante wal COMMAND --help\n"
    "\n"
    "Offline tools for Vigilante's forensic log: the append-only, checksummed,\n"
    "hash-chained record of every alert, action and decision vigilanted makes.\n"
    "They read the log's files directly, work whether or not the daemon runs,\n"
    "and never modify anything.\n"
    "\n"
    "Commands:\n"
    "  verify   check every record and name the first bad one\n"
    "  dump     print the records, as text or as JSON lines\n"
    "\n"
    "DIR is the log directory (default " WAL_DEFAULT_DIR ").\n"
    "\n"
    "What is checked: each record's length and CRC32C, that seqs run 1, 2, 3...\n"
    "with no gap, that each record's SHA-256 chain value covers the previous one,\n"
    "that segment files are numbered without gaps and each continues the chain\n"
    "of the one before, and that the log reaches the last seq the anchor file\n"
    "HEAD says was made durable. Together these detect a flipped byte anywhere,\n"
    "and records or segments deleted, reordered or cut off the end.\n"
    "\n"
    "Exit status: 0 the log is valid (verify) or was printed in full (dump);\n"
    "1 a problem was found, or the log could not be read; 2 usage error.\n";

static const char verify_usage[] =
    "Usage: vigilante wal verify [DIR]\n"
    "\n"
    "Checks the whole forensic log in DIR (default " WAL_DEFAULT_DIR ").\n"
    "\n"
    "If it is valid, prints\n"
    "  ok: N records, last seq S\n"
    "and exits 0. An empty directory is a valid, empty log. Records written\n"
    "after the anchor was last updated (a crash between a commit's two flushes)\n"
    "are valid.\n"
    "\n"
    "Otherwise prints the first bad record to stderr and exits 1: the segment\n"
    "file, the byte offset in it, the seq expected there, and what is wrong\n"
    "(bad CRC, bad chain hash, seq gap, bad length, truncated record, segment\n"
    "header mismatch, missing segment, anchor says seq N is durable but the\n"
    "log ends at seq M, ...). Damage that vigilanted repairs when it starts (a\n"
    "write cut short by a crash, past what the anchor says is durable) is\n"
    "reported as such.\n"
    "\n"
    "Options:\n"
    "  -h, --help   show this help\n"
    "\n"
    "Exit status: 0 valid; 1 a problem was found or the log could not be read;\n"
    "2 usage error.\n";

static const char dump_usage[] =
    "Usage: vigilante wal dump [--json] [DIR]\n"
    "\n"
    "Prints the records of the forensic log in DIR (default " WAL_DEFAULT_DIR "),\n"
    "oldest first, one per line:\n"
    "  SEQ TIME TYPE PAYLOAD\n"
    "TIME is ISO 8601 in UTC with nanoseconds; TYPE is daemon_start,\n"
    "daemon_stop, policy_load, alert, action, note, recovery, decision, vaccine,\n"
    "quarantine or decoy; PAYLOAD is printed with control characters and\n"
    "backslashes escaped (\\n, \\t, \\\\, \\xNN), so each record stays on one line.\n"
    "\n"
    "With --json, each line is a JSON object:\n"
    "  {\"seq\":..,\"time\":\"..\",\"ts_ns\":..,\"type\":\"..\",\"chain\":\"<hex>\",\n"
    "   \"segment\":\"..\",\"offset\":..,\"payload\":..}\n"
    "where payload is embedded as JSON when it parses as JSON (the daemon writes\n"
    "JSON payloads), and as a string otherwise.\n"
    "\n"
    "Only records that verify are printed. At the first bad one, dump stops,\n"
    "names it on stderr as `wal verify` would, and exits 1.\n"
    "\n"
    "Options:\n"
    "      --json   one JSON object per line\n"
    "  -h, --help   show this help\n"
    "\n"
    "Exit status: 0 every record was printed; 1 a bad record was met, the log\n"
    "could not be read or output failed; 2 usage error.\n";

/* Parses [--json] [DIR]; returns -1 after printing help, VG_EXIT_USAGE on a
 * bad command line, else 0. */
static int parse_args(int argc, char **argv, const char *usage, bool allow_json, bool *json,
		      const char **dir)
{
	static const struct option options[] = {
	    {"help", no_argument, NULL, 'h'},
	    {"json", no_argument, NULL, 'j'},
	    {NULL, 0, NULL, 0},
	};
	char command[32];
	int opt;

	optind = 0; /* getopt_long may have run on another argv before */
	while ((opt = getopt_long(argc, argv, ":h", options, NULL)) != -1) {
		if (opt == 'h') {
			fputs(usage, stdout);
			return -1;
		}
		if (opt == 'j' && allow_json) {
			*json = true;
			continue;
		}
		if (opt == 'j')
			optopt = 0; /* known to getopt, not to this command: name the word */
		snprintf(command, sizeof(command), "wal %s", argv[0]);
		return cli_bad_option(opt, command, argv);
	}
	if (argc - optind > 1) {
		vg_err("wal %s: too many arguments: '%s' (one log directory at most)", argv[0],
		       argv[optind + 1]);
		return VG_EXIT_USAGE;
	}
	*dir = optind < argc ? argv[optind] : WAL_DEFAULT_DIR;
	if (!**dir) {
		vg_err("wal %s: the log directory is an empty string", argv[0]);
		return VG_EXIT_USAGE;
	}
	return 0;
}

static void report_bad_record(const char *dir, const struct wal_verify_result *res)
{
	vg_err("%s: bad record in %s at offset %" PRIu64 ", expected seq %" PRIu64 ": %s "
	       "(%" PRIu64 " valid records before it)",
	       dir, res->segment, res->offset, res->bad_seq, res->problem, res->records);
}

static int wal_verify_command(int argc, char **argv)
{
	struct wal_verify_result res;
	const char *dir = NULL;
	bool json = false;
	char err[512];
	int rc = parse_args(argc, argv, verify_usage, false, &json, &dir);

	if (rc)
		return rc < 0 ? VG_EXIT_OK : rc;
	if (wal_verify(dir, &res, err, sizeof(err)) < 0) {
		vg_err("%s", err);
		return VG_EXIT_FAIL;
	}
	if (!res.ok) {
		report_bad_record(dir, &res);
		return VG_EXIT_FAIL;
	}
	printf("ok: %" PRIu64 " records, last seq %" PRIu64 "\n", res.records, res.last_seq);
	return VG_EXIT_OK;
}

static void format_time(uint64_t timestamp_ns, char *out, size_t outlen)
{
	time_t seconds = (time_t)(timestamp_ns / 1000000000u);
	struct tm tm;
	size_t used;

	if (!gmtime_r(&seconds, &tm) || !(used = strftime(out, outlen, "%Y-%m-%dT%H:%M:%S", &tm))) {
		snprintf(out, outlen, "@%" PRIu64 "ns", timestamp_ns);
		return;
	}
	snprintf(out + used, outlen - used, ".%09" PRIu64 "Z", timestamp_ns % 1000000000u);
}

static void print_escaped(const uint8_t *data, uint32_t len)
{
	for (uint32_t i = 0; i < len; i++) {
		uint8_t c = data[i];

		if (c == '\\')
			fputs("\\\\", stdout);
		else if (c == '\n')
			fputs("\\n", stdout);
		else if (c == '\t')
			fputs("\\t", stdout);
		else if (c < 0x20 || c == 0x7f)
			printf("\\x%02x", c);
		else
			putchar(c);
	}
}

/* The payload as JSON when it is JSON, else as a string. */
static struct json_object *payload_json(const struct wal_record *rec)
{
	struct json_object *parsed = json_text_parse((const char *)rec->payload, rec->len);

	return parsed ? parsed
		      : json_object_new_string_len((const char *)rec->payload, (int)rec->len);
}

struct dump {
	bool json;
	bool failed; /* output could not be produced; already reported */
};

/* json_object_object_add(), failing on a NULL value (out of memory). */
static int add_field(struct json_object *obj, const char *key, struct json_object *value)
{
	if (!value)
		return -1;
	if (json_object_object_add(obj, key, value)) {
		json_object_put(value);
		return -1;
	}
	return 0;
}

static int print_json_record(const struct wal_record *rec, const char *time_text)
{
	struct json_object *obj = json_object_new_object();
	char chain[2 * sizeof(rec->chain) + 1];
	const char *line = NULL;

	for (size_t i = 0; i < sizeof(rec->chain); i++)
		snprintf(chain + 2 * i, 3, "%02x", rec->chain[i]);
	if (obj && !add_field(obj, "seq", json_object_new_uint64(rec->seq)) &&
	    !add_field(obj, "time", json_object_new_string(time_text)) &&
	    !add_field(obj, "ts_ns", json_object_new_uint64(rec->timestamp_ns)) &&
	    !add_field(obj, "type", json_object_new_string(wal_type_name(rec->type))) &&
	    !add_field(obj, "chain", json_object_new_string(chain)) &&
	    !add_field(obj, "segment", json_object_new_string(rec->segment)) &&
	    !add_field(obj, "offset", json_object_new_uint64(rec->offset)) &&
	    !add_field(obj, "payload", payload_json(rec)))
		line = json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN |
							       JSON_C_TO_STRING_NOSLASHESCAPE);
	if (!line) {
		vg_err("wal dump: building the JSON for seq %" PRIu64 " failed (out of memory)",
		       rec->seq);
		json_object_put(obj);
		return -1;
	}
	puts(line);
	json_object_put(obj);
	return 0;
}

static int print_record(const struct wal_record *rec, void *ctx)
{
	struct dump *dump = ctx;
	char time_text[64];

	format_time(rec->timestamp_ns, time_text, sizeof(time_text));
	if (dump->json) {
		if (print_json_record(rec, time_text) < 0)
			dump->failed = true;
	} else {
		printf("%" PRIu64 " %s %s ", rec->seq, time_text, wal_type_name(rec->type));
		print_escaped(rec->payload, rec->len);
		putchar('\n');
	}
	return dump->failed || ferror(stdout);
}

static int wal_dump_command(int argc, char **argv)
{
	struct wal_verify_result res;
	struct dump dump = {.json = false};
	const char *dir = NULL;
	char err[512];
	int rc = parse_args(argc, argv, dump_usage, true, &dump.json, &dir);

	if (rc)
		return rc < 0 ? VG_EXIT_OK : rc;
	rc = wal_read(dir, print_record, &dump, &res, err, sizeof(err));
	if (dump.failed)
		return VG_EXIT_FAIL;
	if (fflush(stdout) == EOF || ferror(stdout)) {
		vg_err("wal dump: writing to standard output: %s", strerror(errno));
		return VG_EXIT_FAIL;
	}
	if (rc < 0) {
		vg_err("%s", err);
		return VG_EXIT_FAIL;
	}
	if (!res.ok) {
		report_bad_record(dir, &res);
		return VG_EXIT_FAIL;
	}
	return VG_EXIT_OK;
}

int cmd_wal(int argc, char **argv)
{
	if (argc < 2) {
		fputs(wal_usage, stderr);
		return VG_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		fputs(wal_usage, stdout);
		return VG_EXIT_OK;
	}
	if (!strcmp(argv[1], "verify"))
		return wal_verify_command(argc - 1, argv + 1);
	if (!strcmp(argv[1], "dump"))
		return wal_dump_command(argc - 1, argv + 1);
	vg_err("wal: unknown command '%s' (see 'vigilante wal --help')", argv[1]);
	return VG_EXIT_USAGE;
}
