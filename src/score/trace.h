/* System-call traces in the ADFA-LD format: one file per process, its
 * syscall numbers as whitespace-separated decimals, in the order they were
 * made. A trace set is what `vigilante model` trains and evaluates on: the
 * traces of one or more directories, each trace mapped onto the canonical
 * syscall identity (build/gen/syscall_table.h). */
#ifndef VG_SCORE_TRACE_H
#define VG_SCORE_TRACE_H

#include <linux/types.h>
#include <stddef.h>

/* Which architecture's numbers a trace holds. ADFA-LD is i386. */
enum vg_abi { VG_ABI_I386, VG_ABI_X86_64 };

/* Largest number accepted in a trace file; numbers up to it that the ABI
 * does not define map to "other", larger ones are a malformed file. */
#define VG_TRACE_MAX_NR 1023

struct vg_trace {
	char *path;
	char *family; /* the attack family, or the directory name for normal traces */
	__u16 *ids;   /* canonical syscall ids */
	size_t len;
};

struct vg_trace_set {
	struct vg_trace *traces;
	size_t count;
	size_t syscalls; /* total over all traces */
};

int vg_abi_parse(const char *name, enum vg_abi *abi);

/* Parses one trace file. Returns 0, or -1 after reporting what is wrong and
 * where (file, token position). */
int vg_trace_read(const char *path, enum vg_abi abi, struct vg_trace *trace);

/* Adds every trace under DIR: the regular files directly in it (family: the
 * directory's own name) and those in its subdirectories (family: the
 * subdirectory's name without a trailing _N run number, e.g. Adduser_3 ->
 * Adduser). Entries are taken in name order so that runs are reproducible.
 * Returns 0, or -1 after reporting the error. */
int vg_trace_set_add_dir(struct vg_trace_set *set, const char *dir, enum vg_abi abi);

void vg_trace_free(struct vg_trace *trace);
void vg_trace_set_free(struct vg_trace_set *set);

/* The family name for a directory name: "Hydra_FTP_10" -> "Hydra_FTP".
 * Control characters and bytes that are not UTF-8 in it come out escaped
 * (utf8_escape): the name is printed in reports and is a JSON key. */
char *vg_trace_family_of(const char *dir_name);

#endif
