#include "act/yara_scan.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <yara.h>

#include "act/yara_rules_default.h"
#include "common/cleanup.h"
#include "common/log.h"

struct vg_yara {
	YR_RULES *rules;
	unsigned rule_count;
};

/* libyara counts yr_initialize calls in a plain int: concurrent loads and
 * frees would race on it. */
static pthread_mutex_t library_lock = PTHREAD_MUTEX_INITIALIZER;

static int library_acquire(char *err, size_t errlen)
{
	pthread_mutex_lock(&library_lock);
	int rc = yr_initialize();
	pthread_mutex_unlock(&library_lock);
	if (rc != ERROR_SUCCESS) {
		snprintf(err, errlen, "yara: cannot initialize libyara (error %d)", rc);
		return -1;
	}
	return 0;
}

static void library_release(void)
{
	pthread_mutex_lock(&library_lock);
	yr_finalize();
	pthread_mutex_unlock(&library_lock);
}

/* ---- compiling ------------------------------------------------------------ */

struct compile_report {
	const char *current_path; /* the source being compiled */
	int errors;
	char *err;
	size_t errlen;
};

/* The first error is the one worth reading: later ones often follow from it. */
static void on_compile_message(int level, const char *file_name, int line, const YR_RULE *rule,
			       const char *message, void *user_data)
{
	struct compile_report *report = user_data;
	/* file_name is NULL for rules compiled from a string, and names the
	 * included file for an error inside an include. */
	const char *where = file_name ? file_name : report->current_path;

	if (level == YARA_ERROR_LEVEL_WARNING) {
		vg_warn("yara: %s:%d: %s", where, line, message);
		return;
	}
	if (report->errors++ == 0)
		snprintf(report->err, report->errlen, "%s:%d: %s", where, line, message);
}

static void report_compile_errors(struct compile_report *report, int errors)
{
	size_t used = strlen(report->err);

	if (report->errors == 0)
		snprintf(report->err, report->errlen, "%s: %d rules error(s)", report->current_path,
			 errors);
	else if (report->errors > 1 && used < report->errlen)
		snprintf(report->err + used, report->errlen - used, " (and %d more errors)",
			 report->errors - 1);
}

/* The namespace of a rules file is its name without directory or extension,
 * so a match says which file its rule came from. */
static void namespace_of(const char *path, char *ns, size_t len)
{
	const char *base = strrchr(path, '/');
	const char *dot;
	size_t n;

	base = base ? base + 1 : path;
	dot = strrchr(base, '.');
	n = dot && dot != base ? (size_t)(dot - base) : strlen(base);
	snprintf(ns, len, "%.*s", (int)n, base);
}

static int compile_default_rules(YR_COMPILER *compiler, struct compile_report *report)
{
	for (const struct yara_rules_source *src = yara_default_rules; src->path; src++) {
		char ns[64];
		int errors;

		namespace_of(src->path, ns, sizeof(ns));
		report->current_path = src->path;
		errors = yr_compiler_add_string(compiler, src->text, ns);
		if (errors) {
			report_compile_errors(report, errors);
			return -1;
		}
	}
	return 0;
}

static bool has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n > m && strcmp(s + n - m, suffix) == 0;
}

static int is_rules_file(const struct dirent *d)
{
	return d->d_name[0] != '.' &&
	       (has_suffix(d->d_name, ".yar") || has_suffix(d->d_name, ".yara"));
}

/* strcmp, not the locale's collation: the order must not depend on LANG. */
static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static int compile_file(YR_COMPILER *compiler, const char *path, struct compile_report *report)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	char ns[64];
	int errors;

	if (fd < 0 || fstat(fd, &st)) {
		snprintf(report->err, report->errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(report->err, report->errlen, "%s: not a regular file", path);
		return -1;
	}
	namespace_of(path, ns, sizeof(ns));
	report->current_path = path;
	errors = yr_compiler_add_fd(compiler, fd, ns, path);
	if (errors) {
		report_compile_errors(report, errors);
		return -1;
	}
	return 0;
}

static int compile_entry(YR_COMPILER *compiler, const char *dir, const char *name,
			 struct compile_report *report)
{
	_cleanup_free_ char *path = NULL;

	if (asprintf(&path, "%s/%s", dir, name) < 0) {
		path = NULL;
		snprintf(report->err, report->errlen, "%s/%s: %s", dir, name, strerror(ENOMEM));
		return -1;
	}
	return compile_file(compiler, path, report);
}

static int compile_directory(YR_COMPILER *compiler, const char *dir, struct compile_report *report)
{
	struct dirent **entries;
	int count = scandir(dir, &entries, is_rules_file, by_name);
	int rc = 0;

	if (count < 0) {
		snprintf(report->err, report->errlen, "%s: %s", dir, strerror(errno));
		return -1;
	}
	/* An empty rule set would scan and find nothing: refuse it instead. */
	if (count == 0) {
		snprintf(report->err, report->errlen, "%s: no *.yar or *.yara files", dir);
		rc = -1;
	}
	for (int i = 0; rc == 0 && i < count; i++)
		rc = compile_entry(compiler, dir, entries[i]->d_name, report);
	for (int i = 0; i < count; i++)
		free(entries[i]);
	free(entries);
	return rc;
}

static unsigned count_rules(YR_RULES *rules)
{
	const YR_RULE *rule;
	unsigned n = 0;

	yr_rules_foreach(rules, rule) n++;
	return n;
}

static int compile(const char *dir, YR_RULES **rules, char *err, size_t errlen)
{
	struct compile_report report = {.err = err, .errlen = errlen};
	YR_COMPILER *compiler;
	int rc;

	if (yr_compiler_create(&compiler) != ERROR_SUCCESS) {
		snprintf(err, errlen, "yara: cannot create compiler: %s", strerror(ENOMEM));
		return -1;
	}
	yr_compiler_set_callback(compiler, on_compile_message, &report);
	rc = dir ? compile_directory(compiler, dir, &report)
		 : compile_default_rules(compiler, &report);
	if (rc == 0 && yr_compiler_get_rules(compiler, rules) != ERROR_SUCCESS) {
		snprintf(err, errlen, "yara: cannot build rules: %s", strerror(ENOMEM));
		rc = -1;
	}
	yr_compiler_destroy(compiler);
	return rc;
}

int yara_load(const char *dir, struct vg_yara **out, char *err, size_t errlen)
{
	_cleanup_free_ struct vg_yara *y = calloc(1, sizeof(*y));

	*out = NULL;
	if (!y) {
		snprintf(err, errlen, "yara: %s", strerror(ENOMEM));
		return -1;
	}
	if (library_acquire(err, errlen))
		return -1;
	if (compile(dir, &y->rules, err, errlen)) {
		library_release();
		return -1;
	}
	y->rule_count = count_rules(y->rules);
	*out = steal_pointer(&y);
	return 0;
}

unsigned yara_rule_count(const struct vg_yara *y)
{
	return y->rule_count;
}

void yara_free(struct vg_yara *y)
{
	if (!y)
		return;
	yr_rules_destroy(y->rules);
	free(y);
	library_release();
}

/* ---- scanning ------------------------------------------------------------- */

struct scan_results {
	struct vg_yara_match *out;
	int max;
	int matched;
};

/* Printable ASCII as is, a backslash doubled, any other byte as \xNN; an
 * escape is never cut in half at the end of the buffer. */
static void escape_excerpt(const uint8_t *data, size_t len, char *out, size_t outlen)
{
	size_t used = 0;

	for (size_t i = 0; i < len; i++) {
		char piece[5];
		size_t n;

		if (data[i] == '\\')
			n = (size_t)snprintf(piece, sizeof(piece), "\\\\");
		else if (data[i] >= 0x20 && data[i] < 0x7f)
			n = (size_t)snprintf(piece, sizeof(piece), "%c", data[i]);
		else
			n = (size_t)snprintf(piece, sizeof(piece), "\\x%02x", data[i]);
		if (used + n >= outlen)
			break;
		memcpy(out + used, piece, n);
		used += n;
	}
	out[used] = '\0';
}

static void join_tags(const YR_RULE *rule, char *out, size_t outlen)
{
	const char *tag;
	size_t used = 0;

	out[0] = '\0';
	yr_rule_tags_foreach(rule, tag)
	{
		int n = snprintf(out + used, outlen - used, "%s%s", used ? "," : "", tag);

		if (n < 0 || (size_t)n >= outlen - used)
			break;
		used += (size_t)n;
	}
}

/* libyara 4.2 allocates YR_MATCH records in its notebook without aligning
 * them, so a match is read through an aligned copy rather than in place (x86
 * forgives the misaligned load, other CPUs and UBSan do not). This replaces
 * yr_string_matches_foreach, which dereferences in place. */
static bool earliest_match(YR_SCAN_CONTEXT *context, const YR_STRING *string, YR_MATCH *earliest,
			   bool found)
{
	for (const YR_MATCH *at = context->matches[string->idx].head; at;) {
		YR_MATCH match;

		memcpy(&match, at, sizeof(match));
		at = match.next;
		if (match.is_private)
			continue;
		if (!found || match.base + match.offset < earliest->base + earliest->offset) {
			*earliest = match;
			found = true;
		}
	}
	return found;
}

static void fill_match(YR_SCAN_CONTEXT *context, const YR_RULE *rule, struct vg_yara_match *m)
{
	const YR_STRING *string;
	const YR_META *meta;
	YR_MATCH earliest;
	bool found = false;

	memset(m, 0, sizeof(*m));
	snprintf(m->rule, sizeof(m->rule), "%s", rule->identifier);
	snprintf(m->ns, sizeof(m->ns), "%s", rule->ns->name);
	join_tags(rule, m->tags, sizeof(m->tags));
	yr_rule_metas_foreach(rule, meta)
	{
		if (meta->type == META_TYPE_STRING && strcmp(meta->identifier, "description") == 0)
			snprintf(m->meta_description, sizeof(m->meta_description), "%s",
				 meta->string);
	}
	yr_rule_strings_foreach(rule, string) found =
	    earliest_match(context, string, &earliest, found);
	/* A rule whose condition needs no string (filesize, uint32(0)) has no
	 * match to point at: offset 0, empty excerpt. */
	if (found) {
		m->offset = (uint64_t)(earliest.base + earliest.offset);
		escape_excerpt(earliest.data, (size_t)earliest.data_length, m->excerpt,
			       sizeof(m->excerpt));
	}
}

static int on_scan_message(YR_SCAN_CONTEXT *context, int message, void *message_data,
			   void *user_data)
{
	struct scan_results *results = user_data;

	if (message == CALLBACK_MSG_RULE_MATCHING) {
		if (results->matched < results->max)
			fill_match(context, message_data, &results->out[results->matched]);
		results->matched++;
	} else if (message == CALLBACK_MSG_TOO_MANY_MATCHES) {
		const YR_STRING *string = message_data;

		/* libyara stops recording that string; its rules may then
		 * evaluate on a partial count. */
		vg_warn("yara: string %s matched too often; later matches ignored",
			string->identifier);
	}
	return CALLBACK_CONTINUE;
}

static const char *scan_error_text(int code)
{
	switch (code) {
	case ERROR_INSUFFICIENT_MEMORY:
		return strerror(ENOMEM);
	case ERROR_COULD_NOT_MAP_FILE:
		return "cannot map the file";
	case ERROR_TOO_MANY_SCAN_THREADS:
		return "too many scans at once";
	case ERROR_EXEC_STACK_OVERFLOW:
		return "a rule condition overflowed libyara's stack";
	case ERROR_TOO_MANY_RE_FIBERS:
		return "a regular expression is too complex for this data";
	default:
		return "libyara error";
	}
}

/* What differs between scanning a file and a buffer. */
struct scan_target {
	const char *name; /* for messages */
	int fd;		  /* or -1 for the buffer */
	const void *buf;
	size_t len;
};

static int scan(struct vg_yara *y, const struct scan_target *target, int timeout_s,
		struct vg_yara_match *out, int max, char *err, size_t errlen)
{
	struct scan_results results = {.out = out, .max = max};
	YR_SCANNER *scanner;
	int rc;

	if (timeout_s <= 0 || max < 0 || (max > 0 && !out)) {
		snprintf(err, errlen, "yara: %s: invalid scan arguments (timeout %d s, max %d)",
			 target->name, timeout_s, max);
		return -1;
	}
	if (yr_scanner_create(y->rules, &scanner) != ERROR_SUCCESS) {
		snprintf(err, errlen, "yara: %s: cannot create scanner: %s", target->name,
			 strerror(ENOMEM));
		return -1;
	}
	yr_scanner_set_callback(scanner, on_scan_message, &results);
	yr_scanner_set_flags(scanner, SCAN_FLAGS_REPORT_RULES_MATCHING);
	yr_scanner_set_timeout(scanner, timeout_s);
	if (target->fd >= 0)
		rc = yr_scanner_scan_fd(scanner, target->fd);
	else
		rc = yr_scanner_scan_mem(scanner, target->buf, target->len);
	yr_scanner_destroy(scanner);
	if (rc != ERROR_SUCCESS) {
		if (rc == ERROR_SCAN_TIMEOUT)
			snprintf(err, errlen, "yara: %s: scan timed out after %d s", target->name,
				 timeout_s);
		else
			snprintf(err, errlen, "yara: %s: %s (error %d)", target->name,
				 scan_error_text(rc), rc);
		return -1;
	}
	return results.matched;
}

int yara_scan_buffer(struct vg_yara *y, const void *buf, size_t len, int timeout_s,
		     struct vg_yara_match *out, int max, char *err, size_t errlen)
{
	const struct scan_target target = {.name = "buffer", .fd = -1, .buf = buf, .len = len};

	return scan(y, &target, timeout_s, out, max, err, errlen);
}

int yara_scan_file(struct vg_yara *y, const char *path, int timeout_s, struct vg_yara_match *out,
		   int max, char *err, size_t errlen)
{
	/* O_NONBLOCK: opening a FIFO must not wait for a writer. */
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	struct stat st;

	if (fd < 0 || fstat(fd, &st)) {
		snprintf(err, errlen, "yara: %s: %s", path, strerror(errno));
		return -1;
	}
	/* A FIFO or device would block or never end; snapshots and
	 * executables are regular files. */
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "yara: %s: not a regular file", path);
		return -1;
	}
	const struct scan_target target = {.name = path, .fd = fd};

	return scan(y, &target, timeout_s, out, max, err, errlen);
}
