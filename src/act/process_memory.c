#include "act/process_memory.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "act/procfs.h"

#define MEMORY_PAGE_SIZE 4096u

void process_memory_init(struct process_memory *mem, pid_t pid, int proc_dirfd)
{
	memset(mem, 0, sizeof(*mem));
	mem->pid = pid;
	mem->proc_dirfd = proc_dirfd;
	mem->mem_fd = -1;
}

void process_memory_close(struct process_memory *mem)
{
	if (mem->mem_fd >= 0)
		close(mem->mem_fd);
	mem->mem_fd = -1;
}

static int open_mem(struct process_memory *mem)
{
	if (mem->mem_fd < 0)
		mem->mem_fd = openat(mem->proc_dirfd, "mem", O_RDONLY | O_CLOEXEC);
	return mem->mem_fd < 0 ? -1 : 0;
}

/* /proc/PID/mem returns 0 bytes, not an error, once the process's address
 * space is gone. */
static ssize_t read_proc_mem(struct process_memory *mem, uint64_t addr, void *buf, size_t len)
{
	ssize_t n;

	if (open_mem(mem))
		return -1;
	do
		n = pread(mem->mem_fd, buf, len, (off_t)addr);
	while (n < 0 && errno == EINTR);
	if (n == 0) {
		errno = ESRCH;
		return -1;
	}
	return n;
}

/* As many bytes from addr as the fast path gives (>0), or -1 with errno:
 * EFAULT/EIO when the first page cannot be read that way. */
static ssize_t read_bulk(struct process_memory *mem, uint64_t addr, void *buf, size_t len)
{
	if (!mem->vm_readv_unusable) {
		struct iovec local = {.iov_base = buf, .iov_len = len};
		struct iovec remote = {.iov_base = (void *)(uintptr_t)addr, .iov_len = len};
		ssize_t n;

		do
			n = process_vm_readv(mem->pid, &local, 1, &remote, 1, 0);
		while (n < 0 && errno == EINTR);
		if (n > 0)
			return n;
		if (n == 0)
			errno = EFAULT;
		if (errno != EPERM && errno != ENOSYS)
			return -1;
		/* A security module or seccomp policy forbids it: /proc/PID/mem
		 * reads the same pages (with the ptrace access we hold). */
		mem->vm_readv_unusable = true;
	}
	return read_proc_mem(mem, addr, buf, len);
}

static int fail_read(const struct process_memory *mem, uint64_t addr, int error, char *err,
		     size_t errlen)
{
	if (procfs_process_gone(error))
		snprintf(err, errlen, "process %d exited during the snapshot", mem->pid);
	else
		snprintf(err, errlen, "reading memory of process %d at %#llx: %s", mem->pid,
			 (unsigned long long)addr, strerror(error));
	return -1;
}

int process_memory_read(void *ctx, uint64_t addr, void *buf, size_t len, char *err, size_t errlen)
{
	struct process_memory *mem = ctx;
	unsigned char *out = buf;

	for (size_t done = 0; done < len;) {
		uint64_t at = addr + done;
		ssize_t n = read_bulk(mem, at, out + done, len - done);
		size_t page;

		if (n > 0) {
			done += (size_t)n;
			continue;
		}
		if (errno != EFAULT && errno != EIO)
			return fail_read(mem, at, errno, err, errlen);
		/* This page stopped the fast path: /proc/PID/mem may still read
		 * it (it can force access); if not, it is a hole in the image. */
		page = MEMORY_PAGE_SIZE - (size_t)(at % MEMORY_PAGE_SIZE);
		if (page > len - done)
			page = len - done;
		n = read_proc_mem(mem, at, out + done, page);
		if (n < 0 && errno != EFAULT && errno != EIO)
			return fail_read(mem, at, errno, err, errlen);
		if (n < (ssize_t)page) {
			size_t missing = page - (size_t)(n > 0 ? n : 0);

			memset(out + done + page - missing, 0, missing);
			mem->unreadable_bytes += missing;
		}
		done += page;
	}
	return 0;
}
