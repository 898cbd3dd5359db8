#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "act/vaccine.h"
#include "act/vaccine_seccomp.h"
#include "cli/commands.h"
#include "cli/control_client.h"
#include "common/cleanup.h"
#include "common/log.h"
#include "record/json_text.h"

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: vigilante vaccine list [--json]\n"
		"       vigilante vaccine show ID [--json | --seccomp]\n"
		"       vigilante vaccine add --exec FILE [--ttl SECONDS]\n"
		"       vigilante vaccine add --argv rm-root [--ttl SECONDS]\n"
		"       vigilante vaccine add --argv recursive-delete-of --program NAME\n"
		"                             --root PATH [--root PATH]... [--ttl SECONDS]\n"
		"       vigilante vaccine add --file PATH --program FILE [--ttl SECONDS]\n"
		"       vigilante vaccine add --connect ADDRESS[:PORT] --program FILE [--ttl S]\n"
		"       vigilante vaccine add --syscall NAME --program FILE [--ttl SECONDS]\n"
		"       vigilante vaccine revoke ID\n"
		"       vigilante vaccine export [--out FILE]\n"
		"       vigilante vaccine import FILE\n"
		"       (each also takes --socket PATH)\n"
		"\n"
		"A vaccine is the narrowest rule that stops a confirmed attack from happening\n"
		"again. Kinds (a program is named by its content, the SHA-256 of FILE: a\n"
		"renamed copy, a hard link or a copy elsewhere is the same program):\n"
		"\n"
		"  --exec FILE        exec by content: the program may not run. Refused at\n"
		"                     the exec gate (precognition.exec_gate).\n"
		"  --argv rm-root     exec by argv pattern: a recursive delete (-r, -R,\n"
		"                     --recursive, in any cluster such as -rf or -fR, options\n"
		"                     before or after operands) by rm of / or of /bin /boot\n"
		"                     /etc /home /lib /lib64 /root /sbin /usr /var (or of an\n"
		"                     ancestor of one) is refused at the exec gate, on the\n"
		"                     argv the kernel captured at execve entry. The program is\n"
		"                     matched by the basename of the executable or of argv[0];\n"
		"                     operands are normalised lexically (//, ., ..), relative\n"
		"                     ones against the process's working directory; a\n"
		"                     script's argv is the one its #! line makes. An argv\n"
		"                     longer than 4096 bytes or 256 arguments is refused for\n"
		"                     that program (what was not seen could be the root); an\n"
		"                     exec whose argv another thread rewrote during execve is\n"
		"                     killed by the kernel before its first instruction.\n"
		"  --argv recursive-delete-of --program NAME --root PATH...\n"
		"                     the same rule for another program name and roots.\n"
		"  --file PATH --program FILE\n"
		"                     file access: the program may not open PATH (an inode\n"
		"                     mark on PATH; other programs may).\n"
		"  --connect ADDRESS[:PORT] --program FILE\n"
		"                     connect: the program may not connect to ADDRESS (IPv4,\n"
		"                     or IPv6 as [ADDRESS]:PORT) on PORT (every port if none);\n"
		"                     decided in the kernel (cgroup/connect4/6). It covers\n"
		"                     FILE itself, and each copy of the program the exec gate\n"
		"                     hashes when it is exec'd while the gate is armed.\n"
		"  --syscall NAME --program FILE\n"
		"                     the program may not make syscall NAME: enforced by the\n"
		"                     seccomp filter of workloads Vigilante supervises\n"
		"                     (EPERM); `show ID --seccomp` prints that filter.\n"
		"\n"
		"The kernel makes exec-by-content vaccines by itself when a process's score\n"
		"reaches vaccination.threshold; a quarantine kill makes one for the killed\n"
		"program. Every vaccine has an origin, evidence, a creation time and a TTL\n"
		"(--ttl, 1..31536000 s; default vaccination.ttl, 24 h) and stops applying at\n"
		"expiry, in the kernel and in the gate. Vaccines survive restarts: the daemon\n"
		"replays them from the forensic log before any gate opens.\n"
		"\n"
		"  list               the vaccines in force: id, kind, what, origin, expiry\n"
		"  show ID            one vaccine; --seccomp: the seccomp filter generated\n"
		"                     for its program from every syscall vaccine in force\n"
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

/* What the vaccine is about, in one word for `list`. */
static void print_what(struct json_object *vac)
{
	static const char *const keys[] = {"file", "syscall", "address"};
	struct json_object *f, *port, *roots;

	if (json_object_object_get_ex(vac, "program", &f) &&
	    json_object_object_get_ex(vac, "roots", &roots)) {
		printf("%s -r", json_object_get_string(f));
		for (size_t i = 0; i < json_object_array_length(roots); i++)
			printf("%s%s", i ? "," : " ",
			       json_object_get_string(json_object_array_get_idx(roots, i)));
		return;
	}
	for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
		if (json_object_object_get_ex(vac, keys[k], &f)) {
			printf("%s", json_object_get_string(f));
			if (json_object_object_get_ex(vac, "port", &port) &&
			    json_object_get_int(port))
				printf(" port %d", json_object_get_int(port));
			return;
		}
	printf("-");
}

struct show {
	const char *out;    /* export: the bundle's file, NULL: stdout */
	uint32_t id;	    /* show: the vaccine; 0: not showing */
	bool json, seccomp; /* show's form */
	int exit_code;	    /* show: VG_EXIT_FAIL when it went wrong */
};

/* `show ID --seccomp`: the filter for the vaccine's program, from every
 * syscall vaccine in force. */
static void print_seccomp(struct json_object *list, struct json_object *vac, struct show *show)
{
	size_t n = json_object_array_length(list), count = 0;
	_cleanup_free_ struct vg_vaccine *all = calloc(n + 1, sizeof(*all));
	struct vg_vaccine self;
	char err[512];

	if (!all || vaccine_from_json(vac, true, &self, err, sizeof(err)) ||
	    self.kind != VG_VACCINE_SYSCALL) {
		vg_err("vaccine show --seccomp: vaccine %u is not of the kind syscall", show->id);
		show->exit_code = VG_EXIT_FAIL;
		return;
	}
	for (size_t i = 0; i < n; i++)
		if (!vaccine_from_json(json_object_array_get_idx(list, i), true, &all[count], err,
				       sizeof(err)))
			count++;
	fflush(stdout);
	if (vaccine_seccomp_export(all, count, self.sha256, STDOUT_FILENO, err, sizeof(err)) < 0) {
		vg_err("vaccine show --seccomp: %s", err);
		show->exit_code = VG_EXIT_FAIL;
	}
}

static void print_show(struct json_object *list, struct show *show)
{
	struct json_object *vac = NULL, *f;

	for (size_t i = 0; i < json_object_array_length(list) && !vac; i++)
		if (json_object_object_get_ex(json_object_array_get_idx(list, i), "id", &f) &&
		    (uint32_t)json_object_get_int64(f) == show->id)
			vac = json_object_array_get_idx(list, i);
	if (!vac) {
		vg_err("vaccine show: no vaccine %u in force (see vigilante vaccine list)",
		       show->id);
		show->exit_code = VG_EXIT_FAIL;
	} else if (show->seccomp) {
		print_seccomp(list, vac, show);
	} else if (show->json) {
		printf("%s\n", json_object_to_json_string_ext(vac, JSON_C_TO_STRING_PLAIN));
	} else {
		json_object_object_foreach(vac, key, value)
		{
			printf("%-11s %s\n", key,
			       json_object_is_type(value, json_type_string)
				   ? json_object_get_string(value)
				   : json_object_to_json_string_ext(value, JSON_C_TO_STRING_PLAIN));
		}
	}
}

static void print_reply(struct json_object *reply, void *ctx)
{
	struct show *show = ctx;
	struct json_object *list, *v;

	if (json_object_object_get_ex(reply, "bundle", &v)) {
		write_bundle(show->out, json_object_get_string(v));
		return;
	}
	json_text_printable(reply);
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
	if (show->id) {
		print_show(list, show);
		return;
	}
	for (size_t i = 0; i < json_object_array_length(list); i++) {
		struct json_object *vac = json_object_array_get_idx(list, i), *f;
		const char *keys[] = {"id", "kind", "", "origin", "expires", "sha256"};

		for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
			printf("%s", k ? "  " : "");
			if (!*keys[k])
				print_what(vac);
			else
				printf("%s", json_object_object_get_ex(vac, keys[k], &f)
						 ? json_object_get_string(f)
						 : "-");
		}
		printf("\n");
	}
}

/* What `add` asks for, from its options. */
struct add_options {
	const char *exec, *argv, *file, *connect, *syscall, *program;
	const char *roots[VG_ARGV_ROOTS_MAX];
	size_t root_count;
};

/* The vaccine's JSON form for an add request, or NULL (reason printed,
 * *exit_code set). */
static struct json_object *add_spec(const struct add_options *o, int *exit_code)
{
	struct vg_vaccine v = {0};
	char real[PATH_MAX], err[512];
	int kinds = !!o->exec + !!o->argv + !!o->file + !!o->connect + !!o->syscall;
	const char *program_file = o->exec ? o->exec : o->program;

	*exit_code = VG_EXIT_USAGE;
	if (kinds != 1) {
		vg_err("vaccine add: one of --exec, --argv, --file, --connect, --syscall");
		return NULL;
	}
	if (o->argv) {
		if (!strcmp(o->argv, "rm-root") && !o->program && !o->root_count) {
			argv_rule_builtin("rm-root", &v.argv);
		} else if (argv_rule_kind_from_name(o->argv) && o->program) {
			if (argv_rule_init(&v.argv, argv_rule_kind_from_name(o->argv), o->program,
					   o->roots, o->root_count, err, sizeof(err))) {
				vg_err("vaccine add: %s", err);
				return NULL;
			}
		} else {
			vg_err("vaccine add: --argv rm-root, or --argv recursive-delete-of "
			       "--program NAME --root PATH...");
			return NULL;
		}
		v.kind = VG_VACCINE_ARGV;
		return vaccine_to_json(&v);
	}
	if (o->root_count) {
		vg_err("vaccine add: --root goes with --argv");
		return NULL;
	}
	if (o->exec && o->program) {
		vg_err("vaccine add: --exec FILE names the program; --program does not go with it");
		return NULL;
	}
	if (!program_file) {
		vg_err("vaccine add: --%s needs --program FILE", o->file      ? "file"
								 : o->connect ? "connect"
									      : "syscall");
		return NULL;
	}
	*exit_code = VG_EXIT_FAIL;
	if (!realpath(program_file, real)) {
		vg_err("vaccine add: program %s: %s", program_file, strerror(errno));
		return NULL;
	}
	snprintf(v.path, sizeof(v.path), "%s", real);
	if (o->exec) {
		v.kind = VG_VACCINE_EXEC;
	} else if (o->file) {
		v.kind = VG_VACCINE_FILE;
		if (!realpath(o->file, v.file)) {
			vg_err("vaccine add: file %s: %s", o->file, strerror(errno));
			return NULL;
		}
	} else if (o->connect) {
		v.kind = VG_VACCINE_CONNECT;
		if (vaccine_parse_endpoint(o->connect, &v, err, sizeof(err))) {
			vg_err("vaccine add: %s", err);
			*exit_code = VG_EXIT_USAGE;
			return NULL;
		}
	} else {
		v.kind = VG_VACCINE_SYSCALL;
		if (strlen(o->syscall) >= sizeof(v.syscall)) {
			vg_err("vaccine add: syscall name '%s' is too long", o->syscall);
			*exit_code = VG_EXIT_USAGE;
			return NULL;
		}
		snprintf(v.syscall, sizeof(v.syscall), "%s", o->syscall);
	}
	*exit_code = VG_EXIT_OK;
	return vaccine_to_json(&v);
}

/* The request's vaccine: the kind's own fields and the program's path; the
 * daemon hashes the program and sets id, times and origin. */
static void strip_to_spec(struct json_object *spec)
{
	static const char *const set_by_daemon[] = {"id",	  "sha256",	"origin",
						    "created_ns", "expires_ns", "expires"};

	for (size_t i = 0; i < sizeof(set_by_daemon) / sizeof(set_by_daemon[0]); i++)
		json_object_object_del(spec, set_by_daemon[i]);
}

int cmd_vaccine(int argc, char **argv)
{
	static const struct option options[] = {
	    {"exec", required_argument, NULL, 'e'},    {"argv", required_argument, NULL, 'a'},
	    {"file", required_argument, NULL, 'f'},    {"connect", required_argument, NULL, 'c'},
	    {"syscall", required_argument, NULL, 'y'}, {"program", required_argument, NULL, 'p'},
	    {"root", required_argument, NULL, 'r'},    {"ttl", required_argument, NULL, 't'},
	    {"json", no_argument, NULL, 'j'},	       {"seccomp", no_argument, NULL, 'S'},
	    {"socket", required_argument, NULL, 's'},  {"out", required_argument, NULL, 'o'},
	    {"help", no_argument, NULL, 'h'},	       {NULL, 0, NULL, 0},
	};
	struct add_options add = {0};
	struct show show = {0};
	const char *socket_option = NULL, *op;
	long long ttl = 0, id;
	struct json_object *req, *spec;
	int opt, rc;

	while ((opt = getopt_long(argc, argv, ":h", options, NULL)) != -1) {
		switch (opt) {
		case 'e':
			add.exec = optarg;
			break;
		case 'a':
			add.argv = optarg;
			break;
		case 'f':
			add.file = optarg;
			break;
		case 'c':
			add.connect = optarg;
			break;
		case 'y':
			add.syscall = optarg;
			break;
		case 'p':
			add.program = optarg;
			break;
		case 'r':
			if (add.root_count == VG_ARGV_ROOTS_MAX) {
				vg_err("vaccine add: at most %d --root", VG_ARGV_ROOTS_MAX);
				return VG_EXIT_USAGE;
			}
			add.roots[add.root_count++] = optarg;
			break;
		case 't':
			if (cli_parse_number(optarg, 1, 31536000, &ttl)) {
				vg_err("vaccine: --ttl '%s' is not 1..31536000 seconds", optarg);
				return VG_EXIT_USAGE;
			}
			break;
		case 'j':
			show.json = true;
			break;
		case 'S':
			show.seccomp = true;
			break;
		case 'o':
			show.out = optarg;
			break;
		case 's':
			socket_option = optarg;
			break;
		default:
			return cli_help_or_usage(opt, "vaccine", argv, usage);
		}
	}
	if (optind >= argc)
		return cli_usage_error(
		    "vaccine", "missing command: list, show, add, revoke, export or import");
	op = argv[optind];
	req = json_object_new_object();
	json_object_object_add(req, "cmd", json_object_new_string("vaccine"));
	json_object_object_add(req, "op", json_object_new_string(op));
	if (!strcmp(op, "add")) {
		spec = optind + 1 == argc ? add_spec(&add, &rc) : NULL;
		if (!spec) {
			if (optind + 1 != argc)
				vg_err("vaccine add: unexpected argument '%s'", argv[optind + 1]);
			json_object_put(req);
			return optind + 1 == argc ? rc : VG_EXIT_USAGE;
		}
		strip_to_spec(spec);
		json_object_object_add(req, "vaccine", spec);
		if (ttl)
			json_object_object_add(req, "ttl", json_object_new_int64(ttl));
	} else if (!strcmp(op, "revoke") || !strcmp(op, "show")) {
		if (optind + 2 != argc || cli_parse_number(argv[optind + 1], 1, UINT32_MAX, &id) ||
		    (show.json && show.seccomp)) {
			vg_err("vaccine %s: one vaccine ID (a number) expected%s", op,
			       show.json && show.seccomp ? "; --json or --seccomp, not both" : "");
			json_object_put(req);
			return VG_EXIT_USAGE;
		}
		if (!strcmp(op, "show")) {
			/* Shown from the list: the filter is compiled here. */
			json_object_object_add(req, "op", json_object_new_string("list"));
			show.id = (uint32_t)id;
		} else {
			json_object_object_add(req, "id", json_object_new_int64(id));
		}
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
	rc = control_call(socket_option, req, show.json && !show.id && strcmp(op, "export"),
			  print_reply, &show);
	return rc ? rc : show.exit_code;
}
