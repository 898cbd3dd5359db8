/* Reading another process's memory for a snapshot: process_vm_readv, which
 * copies straight between the two address spaces, and /proc/PID/mem where
 * it cannot (a page it refuses, or a kernel that forbids it). Pages neither
 * can read (EIO/EFAULT: a file mapping past end of file, a guard page) come
 * back as zeros and are counted, so the snapshot says how much it lacks. */
#ifndef VG_ACT_PROCESS_MEMORY_H
#define VG_ACT_PROCESS_MEMORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct process_memory {
	pid_t pid;
	int proc_dirfd;		   /* /proc/PID, borrowed */
	int mem_fd;		   /* /proc/PID/mem, opened on first need */
	bool vm_readv_unusable;	   /* the kernel refused process_vm_readv once */
	uint64_t unreadable_bytes; /* zero-filled because no method could read them */
};

void process_memory_init(struct process_memory *mem, pid_t pid, int proc_dirfd);
void process_memory_close(struct process_memory *mem);

/* A vg_core_read_fn: fills buf with len bytes at addr (ctx is a struct
 * process_memory). Returns 0, or -1 with err set; a process that exited
 * gives "process N exited during the snapshot". */
int process_memory_read(void *ctx, uint64_t addr, void *buf, size_t len, char *err, size_t errlen);

#endif
