/* A file's identity as stat(2) gives it (st_ino, st_dev), computed in the
 * kernel from the file's inode: the key userspace makes with stat() for
 * vaccines, profiles and the exec gate's loaders, and the one the sensor
 * reports. The inode's own (i_ino, i_sb->s_dev) differs from it on two
 * filesystems, where it would also merge files:
 *  - btrfs: each subvolume reports a device of its own and numbers its
 *    inodes from 256 again, so on s_dev two programs in two subvolumes
 *    share a key;
 *  - overlayfs whose layers lie on different filesystems (a tmpfs upper
 *    over a disk or squashfs lower, as live images have) and without xino:
 *    a file reports the device of the layer it comes from (the lower one
 *    for a file copied up from it), while its inode number is the layer's
 *    own, so on the overlay's s_dev an upper and a lower file can share a
 *    key.
 * The fields come from the running kernel's BTF; where a kernel lacks a
 * filesystem or has other structures (overlayfs before 6.5), its branch is
 * dropped at load and the inode's own device stays. Included by
 * sensor.bpf.c only. */
#ifndef VG_SENSE_FILE_KEY_BPF_H
#define VG_SENSE_FILE_KEY_BPF_H

#define BTRFS_SUPER_MAGIC     0x9123683E /* include/uapi/linux/magic.h */
#define OVERLAYFS_SUPER_MAGIC 0x794c7630 /* include/uapi/linux/magic.h */

struct btrfs_root___vg {
	dev_t anon_dev;
} __attribute__((preserve_access_index));

struct btrfs_inode___vg {
	struct btrfs_root___vg *root;
	struct inode vfs_inode;
} __attribute__((preserve_access_index));

struct ovl_sb___vg {
	dev_t pseudo_dev;
} __attribute__((preserve_access_index));

struct ovl_layer___vg {
	struct ovl_sb___vg *fs;
} __attribute__((preserve_access_index));

struct ovl_path___vg {
	struct ovl_layer___vg *layer;
} __attribute__((preserve_access_index));

struct ovl_entry___vg {
	unsigned int __numlower;
	struct ovl_path___vg __lowerstack[];
} __attribute__((preserve_access_index));

struct ovl_inode___vg {
	struct inode vfs_inode;
	struct ovl_entry___vg *oe;
} __attribute__((preserve_access_index));

struct ovl_fs___vg {
	struct ovl_sb___vg *fs; /* fs[0]: the upper layer's */
	int xino_mode;		/* 0: one filesystem; > 0: xino; < 0: neither */
} __attribute__((preserve_access_index));

static __always_inline __u32 btrfs_dev(struct inode *inode)
{
	struct btrfs_inode___vg *btrfs =
	    (void *)inode - bpf_core_field_offset(struct btrfs_inode___vg, vfs_inode);

	return BPF_CORE_READ(btrfs, root, anon_dev);
}

/* ovl_map_dev_ino() in fs/overlayfs/inode.c, for a file that is not a
 * directory (what is exec'd): on one filesystem, or with xino (the layer
 * folded into the inode number), the overlay's device; otherwise the
 * pseudo device of the layer the file's inode number comes from: its first
 * lower layer's when it has one (a lower file, or one copied up from it),
 * else the upper layer's. Not followed: xino with an inode number too large
 * for its bits, which the kernel reports like the last case. */
static __always_inline __u32 overlay_dev(struct inode *inode, __u32 sb_dev)
{
	struct ovl_fs___vg *ofs = BPF_CORE_READ(inode, i_sb, s_fs_info);
	struct ovl_inode___vg *ovl;
	struct ovl_entry___vg *oe;

	if (BPF_CORE_READ(ofs, xino_mode) >= 0)
		return sb_dev;
	ovl = (void *)inode - bpf_core_field_offset(struct ovl_inode___vg, vfs_inode);
	oe = BPF_CORE_READ(ovl, oe);
	if (oe && BPF_CORE_READ(oe, __numlower) > 0)
		return BPF_CORE_READ(oe, __lowerstack[0].layer, fs, pseudo_dev);
	return BPF_CORE_READ(ofs, fs, pseudo_dev);
}

/* Every field the branches read exists in the running kernel (a kernel
 * whose structures differ keeps the inode's own device, and still loads). */
static __always_inline bool btrfs_known(void)
{
	return bpf_core_field_exists(struct btrfs_inode___vg, root) &&
	       bpf_core_field_exists(struct btrfs_inode___vg, vfs_inode) &&
	       bpf_core_field_exists(struct btrfs_root___vg, anon_dev);
}

static __always_inline bool overlay_known(void)
{
	return bpf_core_field_exists(struct ovl_inode___vg, oe) &&
	       bpf_core_field_exists(struct ovl_inode___vg, vfs_inode) &&
	       bpf_core_field_exists(struct ovl_entry___vg, __numlower) &&
	       bpf_core_field_exists(struct ovl_entry___vg, __lowerstack) &&
	       bpf_core_field_exists(struct ovl_path___vg, layer) &&
	       bpf_core_field_exists(struct ovl_layer___vg, fs) &&
	       bpf_core_field_exists(struct ovl_sb___vg, pseudo_dev) &&
	       bpf_core_field_exists(struct ovl_fs___vg, fs) &&
	       bpf_core_field_exists(struct ovl_fs___vg, xino_mode);
}

static __always_inline struct vg_exe_key file_key(struct file *file)
{
	struct inode *inode = BPF_CORE_READ(file, f_inode);
	__u32 sb_dev = BPF_CORE_READ(inode, i_sb, s_dev);
	unsigned long magic = BPF_CORE_READ(inode, i_sb, s_magic);
	struct vg_exe_key key = {.ino = BPF_CORE_READ(inode, i_ino), .dev = sb_dev};

	if (btrfs_known() && magic == BTRFS_SUPER_MAGIC)
		key.dev = btrfs_dev(inode);
	else if (overlay_known() && magic == OVERLAYFS_SUPER_MAGIC)
		key.dev = overlay_dev(inode, sb_dev);
	return key;
}

#endif
