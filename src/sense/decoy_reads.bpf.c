// SPDX-License-Identifier: GPL-2.0
/* Counts the bytes each process reads from the decoy files (see
 * decoy_reads.h). Loaded only while the honeypot is on: an fexit on
 * vfs_read runs after every read on the host. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

#include "sense/decoy_reads.h"

char LICENSE[] SEC("license") = "GPL";

/* The decoy files, filled by the daemon. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 256);
	__type(key, struct vg_decoy_file);
	__type(value, __u8);
} decoy_files SEC(".maps");

/* Bytes read, per process and decoy; the daemon takes them at exit. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 8192);
	__type(key, struct vg_decoy_read_key);
	__type(value, __u64);
} decoy_reads SEC(".maps");

SEC("fexit/vfs_read")
int BPF_PROG(vg_decoy_read, struct file *file, char *buf, size_t count, loff_t *pos, ssize_t ret)
{
	struct vg_decoy_read_key key = {};
	__u64 *bytes, zero = 0;

	if (ret <= 0)
		return 0;
	key.file.ino = BPF_CORE_READ(file, f_inode, i_ino);
	key.file.dev = BPF_CORE_READ(file, f_inode, i_sb, s_dev);
	if (!bpf_map_lookup_elem(&decoy_files, &key.file))
		return 0;
	key.tgid = bpf_get_current_pid_tgid() >> 32;
	bytes = bpf_map_lookup_elem(&decoy_reads, &key);
	if (!bytes) {
		bpf_map_update_elem(&decoy_reads, &key, &zero, BPF_NOEXIST);
		bytes = bpf_map_lookup_elem(&decoy_reads, &key);
		if (!bytes)
			return 0;
	}
	__sync_fetch_and_add(bytes, (__u64)ret);
	return 0;
}
