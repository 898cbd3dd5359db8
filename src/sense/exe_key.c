#include "sense/exe_key.h"

#include <errno.h>
#include <fcntl.h>

#include "common/cleanup.h"

int exe_sha256(const char *path, const struct vg_exe_key *key, unsigned char sha[VG_SHA256_LEN],
	       struct stat *st)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct vg_exe_key found;

	if (fd < 0 || fstat(fd, st))
		return -1;
	found = exe_key_of(st);
	if (key && !exe_key_equal(&found, key)) {
		errno = ESTALE;
		return -1;
	}
	return sha256_fd(fd, sha);
}
