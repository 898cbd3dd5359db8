/* Writing an ELF64 core file (x86_64) laid out as the kernel's own dumps are
 * (fs/binfmt_elf.c), so gdb, readelf and other core tools open it: one
 * PT_NOTE (per-thread NT_PRSTATUS and NT_PRFPREG; NT_PRPSINFO, NT_AUXV and
 * NT_FILE once, after the first thread's NT_PRSTATUS), then one PT_LOAD per
 * memory area. The caller gathers what goes in; this file only lays it out. */
#ifndef VG_ACT_ELF_CORE_H
#define VG_ACT_ELF_CORE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/procfs.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/user.h>

struct vg_core_thread {
	pid_t tid;
	struct user_regs_struct regs;
	struct user_fpregs_struct fpregs;
	struct timeval utime, stime;
};

struct vg_core_segment {
	uint64_t start, end;  /* [start, end), page-aligned */
	uint64_t file_offset; /* offset of start in the mapped file, bytes */
	uint64_t
	    captured;	  /* bytes of [start, start + captured) written; the rest reads as absent */
	uint32_t flags;	  /* PF_R | PF_W | PF_X */
	const char *file; /* mapped file for NT_FILE, NULL when not file-backed */
	size_t file_len;
};

struct vg_core_process {
	pid_t pid, ppid, pgrp, sid;
	uid_t uid;
	gid_t gid;
	char state; /* as in /proc/PID/stat */
	long nice;
	unsigned long flags;
	char fname[16];
	char psargs[ELF_PRARGSZ];
	int signal; /* reported as the signal that caused the dump */
	const void *auxv;
	size_t auxv_len;
	const struct vg_core_thread *threads; /* threads[0] is the one a debugger selects */
	size_t thread_count;
	const struct vg_core_segment *segments; /* in address order */
	size_t segment_count;
};

/* Fills buf with len bytes of the process's memory at addr. Returns 0, or -1
 * with err set; the write stops there. */
typedef int (*vg_core_read_fn)(void *ctx, uint64_t addr, void *buf, size_t len, char *err,
			       size_t errlen);

/* Writes the core to fd, which must be empty, reading each segment's captured
 * bytes through read_memory, and gives the SHA-256 of what it wrote.
 * Returns 0, or -1 with err set. */
int elf_core_write(int fd, const struct vg_core_process *proc, vg_core_read_fn read_memory,
		   void *ctx, unsigned char sha256[32], char *err, size_t errlen);

#endif
