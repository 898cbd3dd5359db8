#include "decide/argv_rule.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* rm's recursive delete of / or of a top-level system directory. */
static const char *const rm_root_roots[] = {"/",      "/bin",  "/boot", "/etc", "/home", "/lib",
					    "/lib64", "/root", "/sbin", "/usr", "/var"};

const char *argv_rule_kind_name(enum vg_argv_rule_kind kind)
{
	return kind == VG_ARGV_RECURSIVE_DELETE_OF ? "recursive-delete-of" : "unknown";
}

enum vg_argv_rule_kind argv_rule_kind_from_name(const char *name)
{
	return !strcmp(name, "recursive-delete-of") ? VG_ARGV_RECURSIVE_DELETE_OF : 0;
}

/* Lexical normalisation of base/path (base only when path is relative):
 * no empty or "." components, ".." removes the one before, no trailing
 * slash. out must hold strlen(base) + len + 3 bytes: a '/' before each part
 * (base need not start with one) and the NUL. */
static void normalise(const char *base, const char *path, size_t len, char *out)
{
	size_t n = 0;
	const char *parts[2] = {path[0] == '/' || !base ? "" : base, path};
	size_t lens[2] = {strlen(parts[0]), len};

	out[0] = '/';
	for (int p = 0; p < 2; p++)
		for (size_t i = 0; i < lens[p];) {
			const char *c = parts[p] + i;
			size_t clen = 0;

			while (i + clen < lens[p] && c[clen] != '/')
				clen++;
			i += clen + 1;
			if (clen == 0 || (clen == 1 && c[0] == '.'))
				continue;
			if (clen == 2 && c[0] == '.' && c[1] == '.') {
				while (n > 0 && out[--n] != '/')
					;
				continue;
			}
			out[n++] = '/';
			memcpy(out + n, c, clen);
			n += clen;
		}
	out[n ? n : 1] = '\0';
}

/* operand is a root, or an ancestor of one. */
static bool covers_root(const struct vg_argv_rule *rule, const char *operand)
{
	size_t len = strlen(operand);

	for (unsigned i = 0; i < rule->root_count; i++) {
		const char *root = rule->roots[i];

		if (!strcmp(root, operand) || !strcmp(operand, "/") ||
		    (!strncmp(root, operand, len) && root[len] == '/'))
			return true;
	}
	return false;
}

static const char *basename_of(const char *path, size_t len, size_t *out_len)
{
	const char *slash = memrchr(path, '/', len);
	const char *base = slash ? slash + 1 : path;

	*out_len = len - (size_t)(base - path);
	return base;
}

bool argv_rule_program_is(const struct vg_argv_rule *rule, const char *exe_path, const char *argv0)
{
	size_t want = strlen(rule->program), len;
	const char *base;

	base = basename_of(exe_path, strlen(exe_path), &len);
	if (len == want && !memcmp(base, rule->program, len))
		return true;
	base = basename_of(argv0, strlen(argv0), &len);
	return len == want && !memcmp(base, rule->program, len);
}

/* -r, -R, a cluster holding one of them, or --recursive and its GNU
 * abbreviations (--r, --rec, ...). */
static bool is_recursive_option(const char *arg, size_t len)
{
	if (len >= 3 && arg[1] == '-') {
		/* arg need not end in a NUL: the capture may cut the last one. */
		const char *equals = memchr(arg + 2, '=', len - 2);
		size_t name_len = equals ? (size_t)(equals - arg - 2) : len - 2;

		return name_len <= strlen("recursive") && !memcmp(arg + 2, "recursive", name_len);
	}
	return memchr(arg + 1, 'r', len - 1) || memchr(arg + 1, 'R', len - 1);
}

bool argv_rule_matches(const struct vg_argv_rule *rule, const char *exe_path, const char *argv,
		       size_t argv_len, bool truncated, const char *cwd)
{
	bool recursive = false, operands_only = false, root = false;
	const char *arg, *end = argv + argv_len;
	char arg0[VG_ARGV_PROGRAM_MAX + 256] = "";
	size_t len;

	if (rule->kind != VG_ARGV_RECURSIVE_DELETE_OF)
		return false;
	len = argv_len ? strnlen(argv, argv_len) : 0;
	snprintf(arg0, sizeof(arg0), "%.*s", (int)(len < sizeof(arg0) ? len : 0), argv);
	if (!argv_rule_program_is(rule, exe_path, arg0))
		return false;
	if (truncated || !argv_len)
		return true;
	for (arg = argv + len + 1; arg < end; arg += len + 1) {
		len = strnlen(arg, (size_t)(end - arg));
		if (!operands_only && len == 2 && !memcmp(arg, "--", 2)) {
			operands_only = true;
		} else if (!operands_only && len >= 2 && arg[0] == '-') {
			recursive |= is_recursive_option(arg, len);
		} else if (!root && len && (arg[0] == '/' || cwd)) {
			char *operand = malloc((cwd ? strlen(cwd) : 0) + len + 3);

			if (!operand)
				return true; /* cannot tell: fail closed, as for a truncated argv */
			normalise(cwd, arg, len, operand);
			root = covers_root(rule, operand);
			free(operand);
		}
	}
	return recursive && root;
}

int argv_rule_init(struct vg_argv_rule *out, enum vg_argv_rule_kind kind, const char *program,
		   const char *const *roots, size_t root_count, char *err, size_t errlen)
{
	memset(out, 0, sizeof(*out));
	if (kind != VG_ARGV_RECURSIVE_DELETE_OF) {
		snprintf(err, errlen, "argv rule: the only rule kind is recursive-delete-of");
		return -1;
	}
	if (!*program || strchr(program, '/') || strlen(program) >= sizeof(out->program)) {
		snprintf(err, errlen,
			 "argv rule: program '%s' must be a plain name (a basename, like rm) of "
			 "at most %zu bytes",
			 program, sizeof(out->program) - 1);
		return -1;
	}
	if (root_count < 1 || root_count > VG_ARGV_ROOTS_MAX) {
		snprintf(err, errlen, "argv rule: 1 to %d protected roots, not %zu",
			 VG_ARGV_ROOTS_MAX, root_count);
		return -1;
	}
	for (size_t i = 0; i < root_count; i++) {
		size_t len = strlen(roots[i]);

		if (roots[i][0] != '/' || len >= VG_ARGV_ROOT_MAX) {
			snprintf(
			    err, errlen,
			    "argv rule: root '%s' must be an absolute path of at most %d bytes",
			    roots[i], VG_ARGV_ROOT_MAX - 1);
			return -1;
		}
		normalise(NULL, roots[i], len, out->roots[i]);
	}
	out->kind = kind;
	snprintf(out->program, sizeof(out->program), "%s", program);
	out->root_count = (unsigned)root_count;
	return 0;
}

int argv_rule_builtin(const char *family, struct vg_argv_rule *out)
{
	char err[256];

	if (strcmp(family, "rm-root"))
		return -1;
	return argv_rule_init(out, VG_ARGV_RECURSIVE_DELETE_OF, "rm", rm_root_roots,
			      sizeof(rm_root_roots) / sizeof(rm_root_roots[0]), err, sizeof(err));
}
