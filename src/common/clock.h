/* CLOCK_BOOTTIME in nanoseconds: the clock of the kernel's timestamps
 * (bpf_ktime_get_boot_ns, task start times), so the daemon's own times and
 * the sensor's compare directly. */
#ifndef VG_COMMON_CLOCK_H
#define VG_COMMON_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline uint64_t clock_boot_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000 + (uint64_t)ts.tv_nsec;
}

#endif
