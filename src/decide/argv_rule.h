/* Exec-by-argv vaccines: what an argv pattern is and when an exec matches
 * it. Pure logic (no I/O), shared by the exec gate and the daemon.
 *
 * A rule is a program name (the basename of the executable, or of argv[0])
 * plus one rule kind; the only kind is "recursive-delete-of": the argv asks
 * for a recursive delete (-r, -R or --recursive, alone or in a cluster such
 * as -rf, -fR; GNU getopt's abbreviations --rec... count too; options after
 * operands count, as GNU rm permutes them; "--" ends the options) of one of
 * the protected roots or of an ancestor of one ("/" is an ancestor of
 * "/etc"). Operands are compared lexically after normalising "//", "/./",
 * "/../" and trailing slashes; relative operands are resolved against the
 * process's working directory. Symbolic links are not followed. */
#ifndef VG_DECIDE_ARGV_RULE_H
#define VG_DECIDE_ARGV_RULE_H

#include <stdbool.h>
#include <stddef.h>

#define VG_ARGV_PROGRAM_MAX 64
#define VG_ARGV_ROOTS_MAX   16
#define VG_ARGV_ROOT_MAX    128

enum vg_argv_rule_kind {
	VG_ARGV_RECURSIVE_DELETE_OF = 1,
};

struct vg_argv_rule {
	enum vg_argv_rule_kind kind;
	char program[VG_ARGV_PROGRAM_MAX]; /* a basename: "rm" */
	unsigned root_count;
	char roots[VG_ARGV_ROOTS_MAX][VG_ARGV_ROOT_MAX]; /* absolute, normalised */
};

/* The rule kind's name ("recursive-delete-of"), and back (0: unknown). */
const char *argv_rule_kind_name(enum vg_argv_rule_kind kind);
enum vg_argv_rule_kind argv_rule_kind_from_name(const char *name);

/* A built-in family by name into *out: "rm-root" is rm's recursive delete of
 * / or a top-level system directory. Returns 0, or -1 if there is none. */
int argv_rule_builtin(const char *family, struct vg_argv_rule *out);

/* Fills a rule from its parts, checking them: program is a plain name (no
 * '/'), each root an absolute path. Returns 0, or -1 with err naming what
 * is wrong. */
int argv_rule_init(struct vg_argv_rule *out, enum vg_argv_rule_kind kind, const char *program,
		   const char *const *roots, size_t root_count, char *err, size_t errlen);

/* Whether an exec of the program at exe_path (the file the kernel opened)
 * with the NUL-separated argv[0..argv_len) matches the rule. cwd is the
 * process's working directory (NULL: unknown; relative operands then
 * match nothing). A truncated argv (the kernel could not capture all of
 * it) of the rule's program matches: what was not seen could be anything,
 * so the rule fails closed for its own program. */
bool argv_rule_matches(const struct vg_argv_rule *rule, const char *exe_path, const char *argv,
		       size_t argv_len, bool truncated, const char *cwd);

/* Whether the exec of exe_path (or argv[0] naming it) is the rule's program. */
bool argv_rule_program_is(const struct vg_argv_rule *rule, const char *exe_path, const char *argv0);

#endif
