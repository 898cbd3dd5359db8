#include "score/profile_file.h"

#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "common/cleanup.h"
#include "score/model_file.h"

#define MAGIC	   "VGPROF\0\0"
#define HEADER_LEN 32
#define BITMAP_LEN (VG_PROFILE_WORDS * 8)
#define MAX_FILE   (HEADER_LEN + VG_PROFILE_FILE_MAX * (36 + PATH_MAX + BITMAP_LEN) + 32)

int vg_profiles_add(struct vg_profile_set *set, const unsigned char sha256[VG_SHA256_LEN],
		    const char *path, const struct vg_profile *profile)
{
	struct vg_profile_entry *grown, *e;

	if (set->count >= VG_PROFILE_FILE_MAX)
		return -1;
	grown = realloc(set->entries, (set->count + 1) * sizeof(*grown));
	if (!grown)
		return -1;
	set->entries = grown;
	e = &set->entries[set->count];
	e->path = strdup(path);
	if (!e->path)
		return -1;
	memcpy(e->sha256, sha256, VG_SHA256_LEN);
	e->profile = *profile;
	set->count++;
	return 0;
}

void vg_profiles_free(struct vg_profile_set *set)
{
	for (size_t i = 0; i < set->count; i++)
		free(set->entries[i].path);
	free(set->entries);
	set->entries = NULL;
	set->count = 0;
}

/* A growing byte buffer for encoding. */
struct out {
	unsigned char *buf;
	size_t len, cap;
	int failed;
};

static void put(struct out *o, const void *data, size_t len)
{
	if (o->failed)
		return;
	if (o->len + len > o->cap) {
		size_t cap = o->cap ? o->cap * 2 : 4096;
		unsigned char *grown;

		while (cap < o->len + len)
			cap *= 2;
		grown = realloc(o->buf, cap);
		if (!grown) {
			o->failed = 1;
			return;
		}
		o->buf = grown;
		o->cap = cap;
	}
	memcpy(o->buf + o->len, data, len);
	o->len += len;
}

static void put_u32(struct out *o, __u32 v)
{
	v = htole32(v);
	put(o, &v, 4);
}

static void put_u64(struct out *o, __u64 v)
{
	v = htole64(v);
	put(o, &v, 8);
}

static int sha256(const unsigned char *data, size_t len, unsigned char out[VG_SHA256_LEN])
{
	return EVP_Digest(data, len, out, NULL, EVP_sha256(), NULL) ? 0 : -1;
}

int vg_profiles_save(const char *path, const struct vg_profile_set *set, char *err, size_t errlen)
{
	struct out o = {0};
	unsigned char digest[VG_SHA256_LEN];
	char tmp[PATH_MAX];
	int fd, rc = -1;

	put(&o, MAGIC, 8);
	put_u32(&o, VG_PROFILE_FILE_VERSION);
	put_u32(&o, (__u32)set->count);
	put_u64(&o, VG_SYSCALL_TABLE_HASH);
	put_u32(&o, VG_MODEL_GEOMETRY);
	put_u32(&o, set->hash_seed);
	for (size_t i = 0; i < set->count; i++) {
		const struct vg_profile_entry *e = &set->entries[i];

		put(&o, e->sha256, VG_SHA256_LEN);
		put_u32(&o, (__u32)strlen(e->path));
		put(&o, e->path, strlen(e->path));
		for (unsigned w = 0; w < VG_PROFILE_WORDS; w++)
			put_u64(&o, e->profile.seen[w]);
	}
	if (o.failed || sha256(o.buf, o.len, digest)) {
		snprintf(err, errlen, "%s: out of memory encoding the profiles", path);
		free(o.buf);
		return -1;
	}
	put(&o, digest, sizeof(digest));
	snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, o.buf, o.len) != (ssize_t)o.len || fsync(fd) || rename(tmp, path)) {
		snprintf(err, errlen, "%s: writing the profiles: %s", path, strerror(errno));
		unlink(tmp);
	} else {
		rc = 0;
	}
	if (fd >= 0)
		close(fd);
	free(o.buf);
	return rc;
}

/* A cursor over the bytes being decoded. */
struct in {
	const unsigned char *p;
	size_t left;
};

static int take(struct in *in, void *out, size_t len)
{
	if (in->left < len)
		return -1;
	memcpy(out, in->p, len);
	in->p += len;
	in->left -= len;
	return 0;
}

static int take_u32(struct in *in, __u32 *v)
{
	if (take(in, v, 4))
		return -1;
	*v = le32toh(*v);
	return 0;
}

static int take_u64(struct in *in, __u64 *v)
{
	if (take(in, v, 8))
		return -1;
	*v = le64toh(*v);
	return 0;
}

static int decode_entries(struct in *in, __u32 count, struct vg_profile_set *set,
			  const char *origin, char *err, size_t errlen)
{
	for (__u32 i = 0; i < count; i++) {
		unsigned char sha[VG_SHA256_LEN];
		struct vg_profile profile;
		char path[PATH_MAX];
		__u32 path_len;

		if (take(in, sha, sizeof(sha)) || take_u32(in, &path_len)) {
			snprintf(err, errlen, "%s: truncated in profile %u", origin, i);
			return -1;
		}
		if (path_len == 0 || path_len >= sizeof(path) || take(in, path, path_len)) {
			snprintf(err, errlen, "%s: profile %u: bad path length %u", origin, i,
				 path_len);
			return -1;
		}
		path[path_len] = '\0';
		if (memchr(path, '\0', path_len) || path[0] != '/') {
			snprintf(err, errlen, "%s: profile %u: the path is not absolute", origin,
				 i);
			return -1;
		}
		for (unsigned w = 0; w < VG_PROFILE_WORDS; w++)
			if (take_u64(in, &profile.seen[w])) {
				snprintf(err, errlen, "%s: truncated in profile %u", origin, i);
				return -1;
			}
		if (vg_profiles_add(set, sha, path, &profile)) {
			snprintf(err, errlen, "%s: out of memory", origin);
			return -1;
		}
	}
	return 0;
}

int vg_profiles_decode(const unsigned char *buf, size_t len, const char *origin,
		       struct vg_profile_set *set, char *err, size_t errlen)
{
	struct in in = {buf, len};
	unsigned char digest[VG_SHA256_LEN], magic[8];
	__u32 version, count, geometry, seed;
	__u64 table;
	struct vg_profile_set decoded = {0};

	if (len < HEADER_LEN + VG_SHA256_LEN) {
		snprintf(err, errlen, "%s: truncated (%zu bytes)", origin, len);
		return -1;
	}
	if (take(&in, magic, 8) || memcmp(magic, MAGIC, 8)) {
		snprintf(err, errlen, "%s: not a Vigilante profiles file (bad magic)", origin);
		return -1;
	}
	if (sha256(buf, len - VG_SHA256_LEN, digest) ||
	    memcmp(digest, buf + len - VG_SHA256_LEN, VG_SHA256_LEN)) {
		snprintf(err, errlen, "%s: corrupted or truncated (SHA-256 mismatch)", origin);
		return -1;
	}
	in.left = len - 8 - VG_SHA256_LEN;
	take_u32(&in, &version);
	take_u32(&in, &count);
	take_u64(&in, &table);
	take_u32(&in, &geometry);
	take_u32(&in, &seed);
	if (version != VG_PROFILE_FILE_VERSION) {
		snprintf(err, errlen, "%s: format version %u, this build reads %u", origin, version,
			 VG_PROFILE_FILE_VERSION);
		return -1;
	}
	if (table != VG_SYSCALL_TABLE_HASH || geometry != VG_MODEL_GEOMETRY) {
		snprintf(err, errlen,
			 "%s: learned for another syscall table or model geometry; "
			 "learn again",
			 origin);
		return -1;
	}
	if (count > VG_PROFILE_FILE_MAX) {
		snprintf(err, errlen, "%s: %u profiles, at most %d", origin, count,
			 VG_PROFILE_FILE_MAX);
		return -1;
	}
	decoded.hash_seed = seed;
	if (decode_entries(&in, count, &decoded, origin, err, errlen)) {
		vg_profiles_free(&decoded);
		return -1;
	}
	if (in.left) {
		snprintf(err, errlen, "%s: %zu bytes after the last profile", origin, in.left);
		vg_profiles_free(&decoded);
		return -1;
	}
	*set = decoded;
	return 0;
}

int vg_profiles_load(const char *path, struct vg_profile_set *set, char *err, size_t errlen)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	_cleanup_free_ unsigned char *buf = NULL;
	struct stat st;
	size_t done = 0;

	if (fd < 0 || fstat(fd, &st)) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode) || st.st_size > (off_t)MAX_FILE) {
		snprintf(err, errlen, "%s: not a regular file of at most %d bytes", path,
			 (int)MAX_FILE);
		return -1;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		snprintf(err, errlen, "%s: out of memory", path);
		return -1;
	}
	while (done < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + done, (size_t)st.st_size - done);

		if (n <= 0) {
			snprintf(err, errlen, "%s: reading: %s", path,
				 n ? strerror(errno) : "short");
			return -1;
		}
		done += (size_t)n;
	}
	return vg_profiles_decode(buf, done, path, set, err, errlen);
}

int vg_profiles_load_for_model(const char *path, __u32 model_seed, struct vg_profile_set *set,
			       char *err, size_t errlen)
{
	if (vg_profiles_load(path, set, err, errlen))
		return -1;
	if (set->hash_seed != model_seed) {
		snprintf(err, errlen,
			 "%s: learned with another model (hash seed %u, the model's is %u); learn "
			 "again with this model",
			 path, set->hash_seed, model_seed);
		vg_profiles_free(set);
		return -1;
	}
	return 0;
}
