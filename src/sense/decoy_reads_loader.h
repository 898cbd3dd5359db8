/* Userspace side of decoy_reads.bpf.c: load, attach, register decoy files,
 * and take a process's counts. */
#ifndef VG_SENSE_DECOY_READS_LOADER_H
#define VG_SENSE_DECOY_READS_LOADER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct vg_decoy_reads;

int decoy_reads_open(struct vg_decoy_reads **out, char *err, size_t errlen);
/* Counts reads of this file (st_dev, st_ino as stat(2) gives them). */
int decoy_reads_watch(struct vg_decoy_reads *r, uint64_t dev, uint64_t ino);
/* Calls fn for each decoy file tgid read from (with the bytes), and forgets
 * them. Returns how many. */
int decoy_reads_take(struct vg_decoy_reads *r, uint32_t tgid,
		     void (*fn)(uint64_t dev, uint64_t ino, uint64_t bytes, void *ctx), void *ctx);
void decoy_reads_close(struct vg_decoy_reads *r);

#endif
