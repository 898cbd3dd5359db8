/* Kernel <-> `vigilante record`: the syscall numbers one process makes,
 * from its exec on, streamed through a ring buffer. */
#ifndef VG_SENSE_RECORD_H
#define VG_SENSE_RECORD_H

#ifndef __bpf__
#include <linux/types.h>
#endif

/* One batch of syscall numbers (x86_64), sent when full or at exit. */
#define VG_RECORD_BATCH 256

struct vg_record_batch {
	__u32 count;
	__u32 done; /* the process exited: the last batch */
	__u16 nr[VG_RECORD_BATCH];
};

#endif
