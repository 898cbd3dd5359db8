/* A program's identity as the sensor's maps hold it (inode, kernel device),
 * and its content hash read through an fd checked against that identity. */
#ifndef VG_SENSE_EXE_KEY_H
#define VG_SENSE_EXE_KEY_H

#include <stdbool.h>
#include <sys/stat.h>

#include "common/file_hash.h"
#include "common/kernel_dev.h"
#include "sense/sensor.h"

static inline struct vg_exe_key exe_key_of(const struct stat *st)
{
	struct vg_exe_key key = {.ino = st->st_ino, .dev = kernel_dev(st->st_dev)};

	return key;
}

static inline bool exe_key_equal(const struct vg_exe_key *a, const struct vg_exe_key *b)
{
	return a->ino == b->ino && a->dev == b->dev;
}

/* SHA-256 of the file at path, opened once: st describes the file hashed.
 * With key, the file must be that one (a path can name another file by
 * the time it is opened): otherwise -1 with errno ESTALE, nothing hashed.
 * Returns 0, or -1 with errno. */
int exe_sha256(const char *path, const struct vg_exe_key *key, unsigned char sha[VG_SHA256_LEN],
	       struct stat *st);

#endif
