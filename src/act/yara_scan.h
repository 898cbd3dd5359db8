/* YARA scanning of quarantine snapshots: the core, the executable or any
 * buffer is checked against a compiled rule set, either the default rules
 * built into the binary (rules/default/) or the *.yar and *.yara files of a
 * directory. A match is evidence for the kill-or-release decision, not a
 * verdict of its own.
 *
 * One struct vg_yara may be scanned from several threads at once: each scan
 * gets its own libyara scanner. */
#ifndef VG_ACT_YARA_SCAN_H
#define VG_ACT_YARA_SCAN_H

#include <stddef.h>
#include <stdint.h>

struct vg_yara;

/* One matching rule. Text fields are NUL-terminated and truncated to fit. */
struct vg_yara_match {
	char rule[128];
	char ns[64];		    /* rules file name without its extension */
	char tags[256];		    /* comma-separated */
	char meta_description[256]; /* the rule's meta "description", or "" */
	uint64_t offset;	    /* of the earliest match of any of its strings */
	char excerpt[64];	    /* that match's bytes, escaped: \\ and \xNN */
};

/* Compiles every *.yar and *.yara file of dir, in strcmp order of their
 * names, each in a namespace named after the file; dir NULL compiles the
 * embedded default rules. A rules error is reported in err as
 * "FILE:LINE: message" and nothing is loaded. Calls yr_initialize, which
 * yara_free balances. Returns 0, or -1 with err. */
int yara_load(const char *dir, struct vg_yara **out, char *err, size_t errlen);

/* Number of rules compiled into y. */
unsigned yara_rule_count(const struct vg_yara *y);

/* Scan a regular file (path is followed, so /proc/PID/exe works) or a
 * buffer within timeout_s seconds (> 0). Fills out[0..max-1] with the first
 * max matching rules, in rule order, and returns how many rules matched in
 * all, which may exceed max; or -1 with err (a timeout is an error: a
 * partial scan proves nothing). */
int yara_scan_file(struct vg_yara *y, const char *path, int timeout_s, struct vg_yara_match *out,
		   int max, char *err, size_t errlen);
int yara_scan_buffer(struct vg_yara *y, const void *buf, size_t len, int timeout_s,
		     struct vg_yara_match *out, int max, char *err, size_t errlen);

/* Frees the rules and balances yara_load's yr_initialize. NULL is allowed. */
void yara_free(struct vg_yara *y);

#endif
