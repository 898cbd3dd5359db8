/* The profiles file that `vigilante learn` writes and vigilanted loads: one
 * learned profile (struct vg_profile) per program, each keyed by the SHA-256
 * of the program's content, so that a profile follows the program's bytes,
 * not a path or an inode. Layout (integers little-endian):
 *
 *   0   8  magic "VGPROF\0\0"
 *   8   4  format version (VG_PROFILE_FILE_VERSION)
 *   12  4  number of profiles, at most VG_PROFILE_FILE_MAX
 *   16  8  hash of the canonical syscall table
 *   24  4  model geometry (VG_MODEL_GEOMETRY)
 *   28  4  the model's hash seed: a profile's cells are that model's cells
 *   32     per profile: SHA-256 of the program (32), path length (4), the
 *          path it was learned at (no NUL), the seen-cell bitmap
 *          (VG_PROFILE_WORDS x 8)
 *   end 32 SHA-256 of every byte before it
 *
 * A truncated, corrupted or mismatched file is refused with a message that
 * names the file and what is wrong. */
#ifndef VG_SCORE_PROFILE_FILE_H
#define VG_SCORE_PROFILE_FILE_H

#include <stddef.h>

#include "common/file_hash.h"
#include "score/model.h"

#define VG_PROFILE_FILE_VERSION 1
#define VG_PROFILE_FILE_MAX	4096

struct vg_profile_entry {
	unsigned char sha256[VG_SHA256_LEN];
	char *path;
	struct vg_profile profile;
};

struct vg_profile_set {
	__u32 hash_seed;
	size_t count;
	struct vg_profile_entry *entries;
};

/* Adds a copy of the profile; 0, or -1 when out of memory or full. */
int vg_profiles_add(struct vg_profile_set *set, const unsigned char sha256[VG_SHA256_LEN],
		    const char *path, const struct vg_profile *profile);
void vg_profiles_free(struct vg_profile_set *set);

/* Each returns 0, or -1 with a message naming the file in err. */
int vg_profiles_save(const char *path, const struct vg_profile_set *set, char *err, size_t errlen);
int vg_profiles_load(const char *path, struct vg_profile_set *set, char *err, size_t errlen);
/* vg_profiles_load, refusing a file learned with another model than the one
 * whose hash seed is model_seed (its cells would be that model's). */
int vg_profiles_load_for_model(const char *path, __u32 model_seed, struct vg_profile_set *set,
			       char *err, size_t errlen);
int vg_profiles_decode(const unsigned char *buf, size_t len, const char *origin,
		       struct vg_profile_set *set, char *err, size_t errlen);

#endif
