// SPDX-License-Identifier: GPL-2.0
/* The floor: an empty tp_btf/sys_enter program. Attaching any sys_enter
 * program sends every syscall of every task through the tracepoint slow
 * path; what Vigilante adds is measured against this, not against zero. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "GPL";

SEC("tp_btf/sys_enter")
int BPF_PROG(floor_sys_enter, struct pt_regs *regs, long id)
{
	return 0;
}
