/* Loading and saving model files (format in score/model_file.h). */
#include "score/model_file.h"

#include "common/cleanup.h"
#include "common/log.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <openssl/evp.h>
#include <string.h>
#include <sys/stat.h>

/* Bounds of the default model, from model_default.S. */
extern const unsigned char vg_default_model_start[];
extern const unsigned char vg_default_model_end[];

const char *vg_model_file_strerror(enum vg_model_file_status status)
{
	switch (status) {
	case VG_MODEL_FILE_OK:
		return "valid";
	case VG_MODEL_FILE_IO:
		return "cannot be read";
	case VG_MODEL_FILE_TRUNCATED:
		return "truncated";
	case VG_MODEL_FILE_BAD_MAGIC:
		return "not a Vigilante model file (bad magic)";
	case VG_MODEL_FILE_BAD_VERSION:
		return "unsupported format version";
	case VG_MODEL_FILE_BAD_SIZE:
		return "wrong size";
	case VG_MODEL_FILE_BAD_CHECKSUM:
		return "corrupted (SHA-256 mismatch)";
	case VG_MODEL_FILE_TABLE_MISMATCH:
		return "built against another syscall table";
	case VG_MODEL_FILE_BAD_GEOMETRY:
		return "built for another model geometry";
	}
	return "unknown status";
}

static void put_u32(unsigned char *p, __u32 v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static void put_u64(unsigned char *p, __u64 v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static __u32 get_u32(const unsigned char *p)
{
	__u32 v = 0;

	for (int i = 3; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

static __u64 get_u64(const unsigned char *p)
{
	__u64 v = 0;

	for (int i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

static void sha256(const unsigned char *data, size_t len, unsigned char out[32])
{
	unsigned int out_len = 32;

	/* EVP_Digest with SHA-256 cannot fail on in-memory data short of a
	 * broken libcrypto; a failure leaves a zero digest, which then
	 * mismatches and is reported as corruption rather than trusted. */
	if (!EVP_Digest(data, len, out, &out_len, EVP_sha256(), NULL))
		memset(out, 0, 32);
}

void vg_model_encode(const struct vg_model *model, unsigned char buf[VG_MODEL_FILE_SIZE])
{
	unsigned char *p = buf;

	memcpy(p, VG_MODEL_FILE_MAGIC, 8);
	put_u32(p + 8, VG_MODEL_FILE_VERSION);
	put_u32(p + 12, VG_MODEL_PARAM_BYTES);
	put_u64(p + 16, VG_SYSCALL_TABLE_HASH);
	p += VG_MODEL_FILE_HEADER;
	put_u32(p, VG_MODEL_GEOMETRY);
	put_u32(p + 4, model->hash_seed);
	put_u32(p + 8, model->flag_threshold);
	put_u32(p + 12, model->block_threshold);
	memcpy(p + 16, model->cost, VG_MODEL_TABLE_BYTES);
	sha256(buf, VG_MODEL_FILE_SIZE - VG_MODEL_FILE_CHECKSUM,
	       buf + VG_MODEL_FILE_SIZE - VG_MODEL_FILE_CHECKSUM);
}

enum vg_model_file_status vg_model_decode(const unsigned char *buf, size_t len, const char *origin,
					  struct vg_model *model, struct vg_model_file_info *info)
{
	unsigned char digest[VG_MODEL_FILE_CHECKSUM];

	if (memcmp(buf, VG_MODEL_FILE_MAGIC, len < 8 ? len : 8) != 0) {
		vg_err("model %s: not a Vigilante model file (its first bytes are not \"%s\")",
		       origin, VG_MODEL_FILE_MAGIC);
		return VG_MODEL_FILE_BAD_MAGIC;
	}
	if (len < VG_MODEL_FILE_HEADER) {
		vg_err("model %s: truncated: %zu bytes, shorter than the %d-byte header", origin,
		       len, VG_MODEL_FILE_HEADER);
		return VG_MODEL_FILE_TRUNCATED;
	}
	__u32 version = get_u32(buf + 8);
	__u32 param_bytes = get_u32(buf + 12);
	__u64 table_hash = get_u64(buf + 16);
	if (version != VG_MODEL_FILE_VERSION) {
		vg_err("model %s: format version %u, this build reads version %d", origin, version,
		       VG_MODEL_FILE_VERSION);
		return VG_MODEL_FILE_BAD_VERSION;
	}
	if (param_bytes != VG_MODEL_PARAM_BYTES) {
		vg_err("model %s: header announces %u parameter bytes, version %d has %d", origin,
		       param_bytes, VG_MODEL_FILE_VERSION, VG_MODEL_PARAM_BYTES);
		return VG_MODEL_FILE_BAD_SIZE;
	}
	if (len < VG_MODEL_FILE_SIZE) {
		vg_err("model %s: truncated: %zu bytes, a version %d model has %d", origin, len,
		       VG_MODEL_FILE_VERSION, VG_MODEL_FILE_SIZE);
		return VG_MODEL_FILE_TRUNCATED;
	}
	if (len > VG_MODEL_FILE_SIZE) {
		vg_err("model %s: %zu bytes, %zu more than a version %d model (trailing data)",
		       origin, len, len - VG_MODEL_FILE_SIZE, VG_MODEL_FILE_VERSION);
		return VG_MODEL_FILE_BAD_SIZE;
	}
	sha256(buf, VG_MODEL_FILE_SIZE - VG_MODEL_FILE_CHECKSUM, digest);
	if (memcmp(digest, buf + VG_MODEL_FILE_SIZE - VG_MODEL_FILE_CHECKSUM, sizeof(digest))) {
		vg_err("model %s: corrupted: its SHA-256 checksum does not match its content",
		       origin);
		return VG_MODEL_FILE_BAD_CHECKSUM;
	}
	if (table_hash != VG_SYSCALL_TABLE_HASH) {
		vg_err("model %s: trained against syscall table %016llx, this build has %016llx; "
		       "retrain it (make model)",
		       origin, (unsigned long long)table_hash,
		       (unsigned long long)VG_SYSCALL_TABLE_HASH);
		return VG_MODEL_FILE_TABLE_MISMATCH;
	}
	const unsigned char *p = buf + VG_MODEL_FILE_HEADER;
	if (get_u32(p) != VG_MODEL_GEOMETRY) {
		vg_err("model %s: model geometry %08x, this build scores geometry %08x; retrain it",
		       origin, get_u32(p), VG_MODEL_GEOMETRY);
		return VG_MODEL_FILE_BAD_GEOMETRY;
	}
	model->hash_seed = get_u32(p + 4);
	model->flag_threshold = get_u32(p + 8);
	model->block_threshold = get_u32(p + 12);
	memcpy(model->cost, p + 16, VG_MODEL_TABLE_BYTES);
	if (info) {
		info->version = version;
		info->param_bytes = param_bytes;
		info->table_hash = table_hash;
		memcpy(info->sha256, digest, sizeof(digest));
	}
	return VG_MODEL_FILE_OK;
}

enum vg_model_file_status vg_model_load(const char *path, struct vg_model *model,
					struct vg_model_file_info *info)
{
	/* One byte more than a valid file, so that trailing data shows. */
	unsigned char buf[VG_MODEL_FILE_SIZE + 1];
	_cleanup_fclose_ FILE *f = fopen(path, "re");

	if (!f) {
		vg_err("cannot open model %s: %s", path, strerror(errno));
		return VG_MODEL_FILE_IO;
	}
	size_t len = fread(buf, 1, sizeof(buf), f);
	if (ferror(f)) {
		vg_err("cannot read model %s: %s", path, strerror(errno));
		return VG_MODEL_FILE_IO;
	}
	return vg_model_decode(buf, len, path, model, info);
}

enum vg_model_file_status vg_model_load_default(struct vg_model *model,
						struct vg_model_file_info *info)
{
	return vg_model_decode(vg_default_model_start,
			       (size_t)(vg_default_model_end - vg_default_model_start),
			       "(built-in default)", model, info);
}

enum vg_model_file_status vg_model_load_path(const char *path, struct vg_model *model,
					     struct vg_model_file_info *info)
{
	return path ? vg_model_load(path, model, info) : vg_model_load_default(model, info);
}

int vg_model_save(const char *path, const struct vg_model *model)
{
	unsigned char buf[VG_MODEL_FILE_SIZE];
	_cleanup_free_ char *tmp = NULL;
	_cleanup_free_ char *dir_copy = strdup(path);
	_cleanup_close_ int fd = -1;
	_cleanup_close_ int dir_fd = -1;

	if (!dir_copy || asprintf(&tmp, "%s.tmp.%d", path, (int)getpid()) < 0) {
		tmp = NULL;
		vg_err("out of memory saving model %s", path);
		return -1;
	}
	vg_model_encode(model, buf);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		vg_err("cannot create %s: %s", tmp, strerror(errno));
		return -1;
	}
	size_t done = 0;
	while (done < sizeof(buf)) {
		ssize_t n = write(fd, buf + done, sizeof(buf) - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			vg_err("cannot write %s: %s", tmp, strerror(errno));
			unlink(tmp);
			return -1;
		}
		done += (size_t)n;
	}
	if (fsync(fd) < 0) {
		vg_err("cannot sync %s: %s", tmp, strerror(errno));
		unlink(tmp);
		return -1;
	}
	if (rename(tmp, path) < 0) {
		vg_err("cannot rename %s to %s: %s", tmp, path, strerror(errno));
		unlink(tmp);
		return -1;
	}
	dir_fd = open(dirname(dir_copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dir_fd < 0 || fsync(dir_fd) < 0) {
		vg_err("cannot sync the directory of %s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}
