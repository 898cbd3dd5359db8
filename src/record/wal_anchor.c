/* Reading and writing the anchor file HEAD (see wal_anchor.h). */
#include "record/wal_anchor.h"

#include "common/cleanup.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int wal_anchor_read(int dir_fd, struct wal_anchor_file *out, char *err, size_t errlen)
{
	_cleanup_close_ int fd = openat(dir_fd, WAL_ANCHOR_FILE, O_RDONLY | O_CLOEXEC);
	uint8_t slot_bytes[WAL_ANCHOR_SLOT_SIZE];

	memset(out, 0, sizeof(*out));
	if (fd < 0) {
		if (errno == ENOENT) {
			out->state = WAL_ANCHOR_MISSING;
			return 0;
		}
		snprintf(err, errlen, "open %s: %s", WAL_ANCHOR_FILE, strerror(errno));
		return -1;
	}
	out->state = WAL_ANCHOR_CORRUPT;
	for (unsigned slot = 0; slot < WAL_ANCHOR_SLOTS; slot++) {
		struct wal_anchor anchor;
		ssize_t n =
		    pread(fd, slot_bytes, sizeof(slot_bytes), (off_t)slot * WAL_ANCHOR_SLOT_STRIDE);

		if (n < 0) {
			snprintf(err, errlen, "read %s slot %u: %s", WAL_ANCHOR_FILE, slot,
				 strerror(errno));
			return -1;
		}
		if ((size_t)n < sizeof(slot_bytes) || !wal_anchor_decode(slot_bytes, &anchor))
			continue;
		if (out->state != WAL_ANCHOR_VALID || anchor.seq > out->anchor.seq) {
			out->state = WAL_ANCHOR_VALID;
			out->anchor = anchor;
			out->slot = slot;
		}
	}
	return 0;
}

int wal_anchor_write(int fd, unsigned slot, const struct wal_anchor *anchor, char *err,
		     size_t errlen)
{
	uint8_t slot_bytes[WAL_ANCHOR_SLOT_SIZE];
	ssize_t n;

	wal_anchor_encode(anchor, slot_bytes);
	do
		n = pwrite(fd, slot_bytes, sizeof(slot_bytes),
			   (off_t)slot * WAL_ANCHOR_SLOT_STRIDE);
	while (n < 0 && errno == EINTR);
	if (n >= 0 && (size_t)n != sizeof(slot_bytes))
		errno = EIO; /* a short write of one sector-sized slot means the disk is failing */
	if (n < 0 || (size_t)n != sizeof(slot_bytes)) {
		snprintf(err, errlen, "write %s slot %u: %s", WAL_ANCHOR_FILE, slot,
			 strerror(errno));
		return -1;
	}
	if (fdatasync(fd) < 0) {
		snprintf(err, errlen, "fdatasync %s: %s", WAL_ANCHOR_FILE, strerror(errno));
		return -1;
	}
	return 0;
}
