/* The forensic log's reader and recovery on arbitrary segment bytes. The
 * input is a log directory: the first segment file, and, when the first
 * byte is odd and there is room, the anchor file (WAL_ANCHOR_FILE) cut from
 * its front. Beyond not crashing: wal_verify() decides; wal_open() either
 * refuses or recovers; and after recovery of a log whose chain was not
 * broken, one more record makes a log that verifies, holding every record
 * recovery kept plus the new one. */
#include "fuzz.h"

#include <fcntl.h>
#include <ftw.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "record/wal.h"
#include "record/wal_format.h"

#define ANCHOR_BYTES (WAL_ANCHOR_SLOT_STRIDE * (WAL_ANCHOR_SLOTS - 1) + WAL_ANCHOR_SLOT_SIZE)

static void write_file(const char *dir, const char *name, const uint8_t *data, size_t size)
{
	char path[256];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	FUZZ_REQUIRE(fd >= 0, "cannot create %s", path);
	FUZZ_REQUIRE(size == 0 || write(fd, data, size) == (ssize_t)size, "cannot write %s", path);
	close(fd);
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(path);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char dir[] = "/dev/shm/vg-fuzz-wal-XXXXXX", err[512];
	struct wal_verify_result before, after;
	struct wal_recovery rec;
	struct wal *w;

	if (size == 0)
		return 0;
	FUZZ_REQUIRE(mkdtemp(dir), "mkdtemp");
	if ((data[0] & 1) && size > 1 + ANCHOR_BYTES) {
		write_file(dir, WAL_ANCHOR_FILE, data + 1, ANCHOR_BYTES);
		write_file(dir, "wal-0000000000000001.seg", data + 1 + ANCHOR_BYTES,
			   size - 1 - ANCHOR_BYTES);
	} else {
		write_file(dir, "wal-0000000000000001.seg", data + 1, size - 1);
	}

	FUZZ_REQUIRE(wal_verify(dir, &before, err, sizeof(err)) == 0, "verify: %s", err);
	FUZZ_REQUIRE(before.ok || before.problem[0], "invalid without saying why");
	if (wal_open(dir, NULL, &w, &rec, err, sizeof(err)) == 0) {
		uint64_t seq;

		FUZZ_REQUIRE(wal_append(w, WAL_NOTE, "fuzz", 4, &seq) == 0, "append: %s",
			     wal_error(w));
		FUZZ_REQUIRE(seq == rec.last_seq + 1, "appended seq %llu after %llu",
			     (unsigned long long)seq, (unsigned long long)rec.last_seq);
		FUZZ_REQUIRE(wal_commit(w) == 0, "commit: %s", wal_error(w));
		wal_close(w);
		FUZZ_REQUIRE(wal_verify(dir, &after, err, sizeof(err)) == 0, "verify: %s", err);
		if (!rec.chain_broken)
			FUZZ_REQUIRE(after.ok && after.records == rec.records + 1,
				     "recovered %llu records, then verify: %s (%llu records)",
				     (unsigned long long)rec.records, after.problem,
				     (unsigned long long)after.records);
	}
	FUZZ_REQUIRE(nftw(dir, remove_one, 8, FTW_DEPTH | FTW_PHYS) == 0, "cannot remove %s", dir);
	return 0;
}
