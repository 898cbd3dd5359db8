/* Kernel <-> daemon: how many bytes each process read from each decoy file.
 * The honeypot serves a flagged process a file descriptor to a decoy; what
 * the process then reads never passes through the daemon, so the kernel
 * counts it (fexit on vfs_read, for the decoy files' inodes only). */
#ifndef VG_SENSE_DECOY_READS_H
#define VG_SENSE_DECOY_READS_H

#ifndef __bpf__
#include <linux/types.h>
#endif

/* A decoy file: its inode, dev in the kernel's encoding (major << 20 | minor). */
struct vg_decoy_file {
	__u64 ino;
	__u32 dev;
	__u32 pad;
};

struct vg_decoy_read_key {
	struct vg_decoy_file file;
	__u32 tgid;
	__u32 pad;
};

#endif
