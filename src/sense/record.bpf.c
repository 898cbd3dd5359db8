// SPDX-License-Identifier: GPL-2.0
/* `vigilante record`: every syscall number made by one process's main
 * thread, from the moment it execs its program until it exits, in order.
 * Batched per process so the ring buffer sees one record per 256 syscalls. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

#include "sense/record.h"

char LICENSE[] SEC("license") = "GPL";

const volatile __u32 target_tgid = 0;

bool recording = false; /* set at the target's exec */
struct vg_record_batch batch;
__u64 lost_batches = 0;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 16 << 20);
} syscalls SEC(".maps");

static __always_inline bool is_target_main_thread(void)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();

	return (pid_tgid >> 32) == target_tgid && (__u32)pid_tgid == target_tgid;
}

static __always_inline void flush(bool done)
{
	batch.done = done;
	if (bpf_ringbuf_output(&syscalls, &batch, sizeof(batch), 0))
		lost_batches++;
	batch.count = 0;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(record_exec, struct task_struct *task, pid_t old_pid, struct linux_binprm *bprm)
{
	if (is_target_main_thread())
		recording = true;
	return 0;
}

SEC("tp_btf/sys_enter")
int BPF_PROG(record_sys_enter, struct pt_regs *regs, long id)
{
	__u32 n;

	if (!recording || !is_target_main_thread())
		return 0;
	n = batch.count;
	if (n >= VG_RECORD_BATCH)
		return 0;
	batch.nr[n] = (__u16)id;
	batch.count = n + 1;
	if (n + 1 == VG_RECORD_BATCH)
		flush(false);
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(record_exit, struct task_struct *task)
{
	if (!recording || !is_target_main_thread())
		return 0;
	recording = false;
	flush(true);
	return 0;
}
