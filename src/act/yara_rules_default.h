/* The default YARA rule set, the files of rules/default/, built into the binary by
 * yara_rules_default.S so that snapshots are scanned without a rules
 * directory. */
#ifndef VG_ACT_YARA_RULES_DEFAULT_H
#define VG_ACT_YARA_RULES_DEFAULT_H

struct yara_rules_source {
	const char *path; /* repository-relative, named in compile errors */
	const char *text; /* NUL-terminated */
};

/* Terminated by an entry whose path is NULL. */
extern const struct yara_rules_source yara_default_rules[];

#endif
