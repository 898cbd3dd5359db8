/* The /proc parsers the snapshot uses, on arbitrary file contents: a
 * process chooses its own name (comm, which /proc/PID/stat shows between
 * parentheses and which may hold ") " and newlines) and the paths of the
 * files it maps (which /proc/PID/smaps shows as they are). The first input
 * byte picks the file; the rest is its content. Beyond not crashing: a
 * parsed comm is a C string of at most 15 bytes, and each mapping's path is
 * path_len bytes long. */
#include "fuzz.h"

#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "act/procfs.h"

static int dirfd_for(const char *name, const uint8_t *data, size_t size, char *dir)
{
	char path[128];
	int fd;

	FUZZ_REQUIRE(mkdtemp(dir), "mkdtemp");
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	FUZZ_REQUIRE(fd >= 0, "cannot create %s", path);
	FUZZ_REQUIRE(size == 0 || write(fd, data, size) == (ssize_t)size, "cannot write %s", path);
	close(fd);
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	FUZZ_REQUIRE(fd >= 0, "cannot open %s", dir);
	return fd;
}

static void remove_dir(int fd, const char *dir, const char *name)
{
	unlinkat(fd, name, 0);
	close(fd);
	rmdir(dir);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char dir[] = "/dev/shm/vg-fuzz-procfs-XXXXXX";
	const char *name;
	int fd;

	if (size == 0)
		return 0;
	name = data[0] & 1 ? "smaps" : "stat";
	fd = dirfd_for(name, data + 1, size - 1, dir);
	if (data[0] & 1) {
		struct procfs_mapping *maps = NULL;
		size_t count = 0;

		if (procfs_read_mappings(fd, &maps, &count) == 0) {
			for (size_t i = 0; i < count; i++)
				FUZZ_REQUIRE(strlen(maps[i].path) == maps[i].path_len,
					     "mapping %zu: path_len %zu, path of %zu bytes", i,
					     maps[i].path_len, strlen(maps[i].path));
			procfs_free_mappings(maps, count);
		}
	} else {
		struct procfs_stat st;

		if (procfs_read_stat(fd, name, &st) == 0)
			FUZZ_REQUIRE(memchr(st.comm, '\0', sizeof(st.comm)), "comm not terminated");
	}
	remove_dir(fd, dir, name);
	return 0;
}
