/* The profiles file decoder on arbitrary bytes, raw and sealed
 * (fuzz/seal.h): an accepted file's profiles have absolute paths, and an
 * encoding of them decodes to the same set; a refused one says why. */
#include "fuzz.h"

#include <string.h>
#include <unistd.h>

#include "seal.h"
#include "score/profile_file.h"

static void decode(const uint8_t *data, size_t size)
{
	struct vg_profile_set set = {0}, again = {0};
	char err[512] = "", path[] = "/dev/shm/vg-fuzz-profiles-XXXXXX";
	int fd;

	if (vg_profiles_decode(data, size, "fuzz.profiles", &set, err, sizeof(err)) < 0) {
		FUZZ_REQUIRE(err[0], "refused without saying why");
		return;
	}
	for (size_t i = 0; i < set.count; i++)
		FUZZ_REQUIRE(set.entries[i].path[0] == '/', "profile %zu: relative path", i);
	fd = mkstemp(path);
	FUZZ_REQUIRE(fd >= 0, "mkstemp");
	close(fd);
	FUZZ_REQUIRE(vg_profiles_save(path, &set, err, sizeof(err)) == 0, "save: %s", err);
	FUZZ_REQUIRE(vg_profiles_load(path, &again, err, sizeof(err)) == 0, "reload: %s", err);
	unlink(path);
	FUZZ_REQUIRE(again.count == set.count && again.hash_seed == set.hash_seed,
		     "reloaded %zu profiles of %zu", again.count, set.count);
	for (size_t i = 0; i < set.count; i++)
		FUZZ_REQUIRE(!strcmp(again.entries[i].path, set.entries[i].path) &&
				 !memcmp(&again.entries[i].profile, &set.entries[i].profile,
					 sizeof(set.entries[i].profile)),
			     "profile %zu changed in a save and load", i);
	vg_profiles_free(&again);
	vg_profiles_free(&set);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	decode_raw_and_sealed(data, size, decode);
	return 0;
}
