// SPDX-License-Identifier: GPL-2.0
/* The floors under Vigilante's sys_enter program:
 *   floor_sys_enter   empty. Attaching any sys_enter program sends every
 *                     syscall of every task through the tracepoint slow path;
 *                     what Vigilante adds is measured against this, not
 *                     against zero. In BPF run-time stats it measures what
 *                     the stats' own clock reads cost.
 *   map_touch_sys_enter
 *                     counts syscalls in a per-CPU array: what touching the
 *                     memory of any one map costs, per syscall.
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

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} cpu_counts SEC(".maps");

SEC("tp_btf/sys_enter")
int BPF_PROG(floor_sys_enter, struct pt_regs *regs, long id)
{
	return 0;
}

SEC("tp_btf/sys_enter")
int BPF_PROG(map_touch_sys_enter, struct pt_regs *regs, long id)
{
	__u32 zero = 0;
	__u64 *count = bpf_map_lookup_elem(&cpu_counts, &zero);

	if (count)
		(*count)++;
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
