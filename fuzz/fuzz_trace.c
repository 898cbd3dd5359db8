/* The ADFA-LD trace reader and the family name of a trace directory, on
 * arbitrary bytes (traces come from other hosts and datasets). The first
 * byte picks the ABI; the rest is the file. Beyond not crashing: a trace it
 * accepts has one canonical id per whitespace-separated token, each a known
 * id; and a family name holds no control character. */
#include "fuzz.h"

#include <ctype.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "score/trace.h"
#include "syscall_table.h"

static size_t tokens(const uint8_t *data, size_t size)
{
	size_t count = 0;

	for (size_t i = 0; i < size; i++)
		count += !isspace(data[i]) && (i == 0 || isspace(data[i - 1]));
	return count;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[] = "/dev/shm/vg-fuzz-trace-XXXXXX";
	struct vg_trace trace;
	int fd;

	if (size == 0)
		return 0;
	fd = mkstemp(path);
	FUZZ_REQUIRE(fd >= 0, "mkstemp");
	FUZZ_REQUIRE(size == 1 || write(fd, data + 1, size - 1) == (ssize_t)(size - 1), "write");
	close(fd);
	if (vg_trace_read(path, data[0] & 1 ? VG_ABI_X86_64 : VG_ABI_I386, &trace) == 0) {
		FUZZ_REQUIRE(trace.len == tokens(data + 1, size - 1), "%zu ids for %zu tokens",
			     trace.len, tokens(data + 1, size - 1));
		for (size_t i = 0; i < trace.len; i++)
			FUZZ_REQUIRE(trace.ids[i] < VG_SYSCALL_COUNT, "id %u out of range",
				     trace.ids[i]);
		vg_trace_free(&trace);
	}
	unlink(path);

	char *name = strndup((const char *)data + 1, size - 1);
	FUZZ_REQUIRE(name, "out of memory");
	char *family = vg_trace_family_of(name);
	FUZZ_REQUIRE(family, "no family");
	for (const unsigned char *p = (const unsigned char *)family; *p; p++)
		FUZZ_REQUIRE(*p >= 0x20 && *p != 0x7f, "a control character in the family name");
	free(family);
	free(name);
	return 0;
}
