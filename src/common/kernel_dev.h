/* Device numbers as the kernel keeps them (MKDEV: major << 20 | minor), the
 * form BPF programs read from a superblock's s_dev; stat() and
 * /proc/self/mountinfo give major and minor, which userspace must turn into
 * this to compare with what the sensor saw. */
#ifndef VG_COMMON_KERNEL_DEV_H
#define VG_COMMON_KERNEL_DEV_H

#include <stdint.h>
#include <sys/sysmacros.h>
#include <sys/types.h>

static inline uint32_t kernel_dev_of(unsigned int major_nr, unsigned int minor_nr)
{
	return (uint32_t)(major_nr << 20 | minor_nr);
}

/* st_dev (userspace's encoding) in the kernel's. */
static inline uint32_t kernel_dev(dev_t dev)
{
	return kernel_dev_of(major(dev), minor(dev));
}

#endif
