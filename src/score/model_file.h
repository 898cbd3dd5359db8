/* The model file: a versioned, checksummed binary holding the parameters of
 * struct vg_model. Layout (all integers little-endian):
 *
 *   0   8  magic "VGMODEL\0"
 *   8   4  format version (VG_MODEL_FILE_VERSION)
 *   12  4  parameter bytes that follow the header (VG_MODEL_PARAM_BYTES)
 *   16  8  hash of the canonical syscall table it was trained against
 *   24     parameters: geometry word (order | bucket bits << 8 | average
 *          shift << 16 | warm-up << 24), hash seed, flag threshold, block
 *          threshold (4 bytes each), then the cost table
 *   end 32 SHA-256 of every byte before it
 *
 * A file that is truncated, corrupted, of another version, geometry or
 * syscall table is refused with a message naming the file and the fault. */
#ifndef VG_SCORE_MODEL_FILE_H
#define VG_SCORE_MODEL_FILE_H

#include "score/model.h"

#include <stddef.h>

#define VG_MODEL_FILE_MAGIC    "VGMODEL"
#define VG_MODEL_FILE_VERSION  1
#define VG_MODEL_FILE_HEADER   24
#define VG_MODEL_PARAM_BYTES   (16 + VG_MODEL_TABLE_BYTES)
#define VG_MODEL_FILE_CHECKSUM 32
#define VG_MODEL_FILE_SIZE     (VG_MODEL_FILE_HEADER + VG_MODEL_PARAM_BYTES + VG_MODEL_FILE_CHECKSUM)
#define VG_MODEL_GEOMETRY                                                                          \
	((__u32)VG_MODEL_ORDER | (__u32)VG_MODEL_BUCKET_BITS << 8 |                                \
	 (__u32)VG_MODEL_AVERAGE_SHIFT << 16 | (__u32)VG_MODEL_WARMUP << 24)

enum vg_model_file_status {
	VG_MODEL_FILE_OK = 0,
	VG_MODEL_FILE_IO,	      /* cannot be opened or read */
	VG_MODEL_FILE_TRUNCATED,      /* shorter than its header says */
	VG_MODEL_FILE_BAD_MAGIC,      /* not a Vigilante model file */
	VG_MODEL_FILE_BAD_VERSION,    /* a format version this build does not read */
	VG_MODEL_FILE_BAD_SIZE,	      /* parameter size or trailing bytes wrong */
	VG_MODEL_FILE_BAD_CHECKSUM,   /* content altered: SHA-256 mismatch */
	VG_MODEL_FILE_TABLE_MISMATCH, /* trained against another syscall table */
	VG_MODEL_FILE_BAD_GEOMETRY,   /* trained for another model geometry */
};

struct vg_model_file_info {
	__u32 version;
	__u32 param_bytes;
	__u64 table_hash;
	unsigned char sha256[VG_MODEL_FILE_CHECKSUM];
};

const char *vg_model_file_strerror(enum vg_model_file_status status);

/* Serialises MODEL into BUF (VG_MODEL_FILE_SIZE bytes). */
void vg_model_encode(const struct vg_model *model, unsigned char buf[VG_MODEL_FILE_SIZE]);

/* Checks and parses a model file image. ORIGIN names it in the error
 * message. INFO may be NULL. */
enum vg_model_file_status vg_model_decode(const unsigned char *buf, size_t len, const char *origin,
					  struct vg_model *model, struct vg_model_file_info *info);

enum vg_model_file_status vg_model_load(const char *path, struct vg_model *model,
					struct vg_model_file_info *info);

/* The model embedded in the binary (src/score/default.model). */
enum vg_model_file_status vg_model_load_default(struct vg_model *model,
						struct vg_model_file_info *info);

/* The model at PATH, or the embedded one when PATH is NULL (a policy or a
 * command line that names none). */
enum vg_model_file_status vg_model_load_path(const char *path, struct vg_model *model,
					     struct vg_model_file_info *info);

/* Writes MODEL to PATH atomically (temporary file, fsync, rename).
 * Returns 0, or -1 after reporting the error. */
int vg_model_save(const char *path, const struct vg_model *model);

#endif
