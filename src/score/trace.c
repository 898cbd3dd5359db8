/* Reading ADFA-LD-style trace files and directories of them. */
#include "score/trace.h"

#include "common/cleanup.h"
#include "common/log.h"
#include "common/utf8.h"
#include "syscall_table.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int vg_abi_parse(const char *name, enum vg_abi *abi)
{
	if (!strcmp(name, "i386")) {
		*abi = VG_ABI_I386;
		return 0;
	}
	if (!strcmp(name, "x86_64")) {
		*abi = VG_ABI_X86_64;
		return 0;
	}
	return -1;
}

static __u16 canonical_id(unsigned long nr, enum vg_abi abi)
{
	return abi == VG_ABI_I386 ? vg_syscall_from_i386(nr) : vg_syscall_from_x86_64(nr);
}

static int read_whole_file(const char *path, char **text, size_t *len)
{
	_cleanup_fclose_ FILE *f = fopen(path, "re");
	_cleanup_free_ char *buf = NULL;
	size_t size = 0, cap = 0;

	if (!f) {
		vg_err("cannot open trace file %s: %s", path, strerror(errno));
		return -1;
	}
	for (;;) {
		if (cap - size < 4096) {
			cap = cap ? cap * 2 : 65536;
			char *grown = realloc(buf, cap + 1);
			if (!grown) {
				vg_err("out of memory reading trace file %s", path);
				return -1;
			}
			buf = grown;
		}
		size_t got = fread(buf + size, 1, cap - size, f);
		size += got;
		if (got == 0)
			break;
	}
	if (ferror(f)) {
		vg_err("cannot read trace file %s: %s", path, strerror(errno));
		return -1;
	}
	buf[size] = '\0';
	*text = steal_pointer(&buf);
	*len = size;
	return 0;
}

/* Parses the decimal token [start, end) of a trace; -1 if it is not one, or
 * is above VG_TRACE_MAX_NR. */
static long parse_number(const char *start, const char *end)
{
	long value = 0;

	for (const char *p = start; p < end; p++) {
		if (*p < '0' || *p > '9')
			return -1;
		value = value * 10 + (*p - '0');
		if (value > VG_TRACE_MAX_NR)
			return -1;
	}
	return value;
}

int vg_trace_read(const char *path, enum vg_abi abi, struct vg_trace *trace)
{
	_cleanup_free_ char *text = NULL;
	_cleanup_free_ __u16 *ids = NULL;
	size_t text_len, count = 0, cap = 0, token = 0;

	memset(trace, 0, sizeof(*trace));
	if (read_whole_file(path, &text, &text_len) < 0)
		return -1;

	const char *p = text, *end = text + text_len;
	for (;;) {
		while (p < end && isspace((unsigned char)*p))
			p++;
		if (p == end)
			break;
		const char *start = p;
		while (p < end && !isspace((unsigned char)*p))
			p++;
		token++;
		long nr = parse_number(start, p);
		if (nr < 0) {
			int shown = (int)(p - start) > 32 ? 32 : (int)(p - start);
			vg_err("malformed trace file %s: token %zu (byte offset %zu) '%.*s%s' is "
			       "not a "
			       "syscall number between 0 and %d",
			       path, token, (size_t)(start - text), shown, start,
			       shown < p - start ? "..." : "", VG_TRACE_MAX_NR);
			return -1;
		}
		if (count == cap) {
			cap = cap ? cap * 2 : 256;
			__u16 *grown = reallocarray(ids, cap, sizeof(*ids));
			if (!grown) {
				vg_err("out of memory reading trace file %s", path);
				return -1;
			}
			ids = grown;
		}
		ids[count++] = canonical_id((unsigned long)nr, abi);
	}

	trace->path = strdup(path);
	if (!trace->path) {
		vg_err("out of memory reading trace file %s", path);
		return -1;
	}
	trace->ids = steal_pointer(&ids);
	trace->len = count;
	return 0;
}

char *vg_trace_family_of(const char *dir_name)
{
	size_t len = strlen(dir_name);
	size_t digits = 0;

	while (digits < len && isdigit((unsigned char)dir_name[len - 1 - digits]))
		digits++;
	if (digits > 0 && digits < len && dir_name[len - 1 - digits] == '_')
		len -= digits + 1;
	char *family = malloc(4 * len + 1);
	if (family)
		utf8_escape(dir_name, len, family);
	return family;
}

static int set_append(struct vg_trace_set *set, struct vg_trace *trace)
{
	struct vg_trace *grown = reallocarray(set->traces, set->count + 1, sizeof(*grown));

	if (!grown) {
		vg_err("out of memory adding trace %s", trace->path);
		return -1;
	}
	set->traces = grown;
	set->traces[set->count++] = *trace;
	set->syscalls += trace->len;
	return 0;
}

static int skip_hidden(const struct dirent *e)
{
	return e->d_name[0] != '.';
}

struct dir_listing {
	struct dirent **entries;
	int count;
};

static void dir_listing_free(struct dir_listing *l)
{
	for (int i = 0; i < l->count; i++)
		free(l->entries[i]);
	free(l->entries);
}

/* Adds the trace files directly in DIR; subdirectories go to SUBDIRS when
 * it is given, and are an error otherwise (traces nest one level deep). */
static int add_files(struct vg_trace_set *set, const char *dir, const char *family, enum vg_abi abi,
		     struct dir_listing *subdirs)
{
	struct dir_listing listing __attribute__((cleanup(dir_listing_free))) = {0};

	listing.count = scandir(dir, &listing.entries, skip_hidden, alphasort);
	if (listing.count < 0) {
		listing.count = 0;
		vg_err("cannot read trace directory %s: %s", dir, strerror(errno));
		return -1;
	}
	for (int i = 0; i < listing.count; i++) {
		_cleanup_free_ char *path = NULL;
		struct stat st;

		if (asprintf(&path, "%s/%s", dir, listing.entries[i]->d_name) < 0) {
			path = NULL;
			vg_err("out of memory listing %s", dir);
			return -1;
		}
		if (stat(path, &st) < 0) {
			vg_err("cannot stat %s: %s", path, strerror(errno));
			return -1;
		}
		if (S_ISDIR(st.st_mode)) {
			if (!subdirs) {
				vg_err("%s: trace directories nest one level deep, %s is deeper",
				       dir, listing.entries[i]->d_name);
				return -1;
			}
			struct dirent **grown =
			    reallocarray(subdirs->entries, subdirs->count + 1, sizeof(*grown));
			if (!grown) {
				vg_err("out of memory listing %s", dir);
				return -1;
			}
			subdirs->entries = grown;
			subdirs->entries[subdirs->count++] = steal_pointer(&listing.entries[i]);
			continue;
		}
		if (!S_ISREG(st.st_mode)) {
			vg_warn("%s: not a regular file, skipped", path);
			continue;
		}
		struct vg_trace trace;
		if (vg_trace_read(path, abi, &trace) < 0)
			return -1;
		if (!trace.len)
			vg_warn("%s: holds no system call; it scores 0", path);
		trace.family = strdup(family);
		if (!trace.family || set_append(set, &trace) < 0) {
			vg_err("out of memory adding trace %s", path);
			vg_trace_free(&trace);
			return -1;
		}
	}
	return 0;
}

int vg_trace_set_add_dir(struct vg_trace_set *set, const char *dir, enum vg_abi abi)
{
	struct dir_listing subdirs __attribute__((cleanup(dir_listing_free))) = {0};
	_cleanup_free_ char *dir_copy = strdup(dir);
	_cleanup_free_ char *family = NULL;

	if (!dir_copy) {
		vg_err("out of memory reading %s", dir);
		return -1;
	}
	family = vg_trace_family_of(basename(dir_copy));
	if (!family) {
		vg_err("out of memory reading %s", dir);
		return -1;
	}
	if (add_files(set, dir, family, abi, &subdirs) < 0)
		return -1;
	for (int i = 0; i < subdirs.count; i++) {
		_cleanup_free_ char *path = NULL;
		_cleanup_free_ char *sub_family = vg_trace_family_of(subdirs.entries[i]->d_name);

		if (!sub_family || asprintf(&path, "%s/%s", dir, subdirs.entries[i]->d_name) < 0) {
			path = NULL;
			vg_err("out of memory reading %s", dir);
			return -1;
		}
		if (add_files(set, path, sub_family, abi, NULL) < 0)
			return -1;
	}
	return 0;
}

void vg_trace_free(struct vg_trace *trace)
{
	free(trace->path);
	free(trace->family);
	free(trace->ids);
	memset(trace, 0, sizeof(*trace));
}

void vg_trace_set_free(struct vg_trace_set *set)
{
	for (size_t i = 0; i < set->count; i++)
		vg_trace_free(&set->traces[i]);
	free(set->traces);
	memset(set, 0, sizeof(*set));
}
