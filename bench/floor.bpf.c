// SPDX-License-Identifier: GPL-2.0
/* The floors under Vigilante's sys_enter program:
 *   floor_sys_enter   empty. Attaching any sys_enter program sends every
 *                     syscall of every task through the tracepoint slow path;
 *                     what Vigilante adds is measured against this, not
 *                     against zero. In BPF run-time stats it measures what
 *                     the stats' own clock reads cost.
 *   task_state_sys_enter
 *                     counts each task's syscalls in task storage, which is
 *                     the least any per-process score must do: find the
 *                     task's state and write it. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, __u64);
} syscall_counts SEC(".maps");

SEC("tp_btf/sys_enter")
int BPF_PROG(floor_sys_enter, struct pt_regs *regs, long id)
{
	return 0;
}

SEC("tp_btf/sys_enter")
int BPF_PROG(task_state_sys_enter, struct pt_regs *regs, long id)
{
	__u64 *count = bpf_task_storage_get(&syscall_counts, bpf_get_current_task_btf(), 0,
					    BPF_LOCAL_STORAGE_GET_F_CREATE);

	if (count)
		(*count)++;
	return 0;
}
