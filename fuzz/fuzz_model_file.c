/* The model file decoder on arbitrary bytes: a file it accepts encodes back
 * to the same bytes (nothing in the format is ignored), and any other is
 * refused with a status that has a message. Raw and sealed (fuzz/seal.h). */
#include "fuzz.h"

#include <string.h>

#include "seal.h"
#include "score/model_file.h"

static void decode(const uint8_t *data, size_t size)
{
	static unsigned char encoded[VG_MODEL_FILE_SIZE];
	struct vg_model model;
	enum vg_model_file_status status = vg_model_decode(data, size, "fuzz.model", &model, NULL);

	FUZZ_REQUIRE(vg_model_file_strerror(status) != NULL, "status %d has no message", status);
	if (status != VG_MODEL_FILE_OK)
		return;
	FUZZ_REQUIRE(size == VG_MODEL_FILE_SIZE, "accepted %zu bytes", size);
	vg_model_encode(&model, encoded);
	FUZZ_REQUIRE(!memcmp(encoded, data, size), "decoding lost bytes");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	decode_raw_and_sealed(data, size, decode);
	return 0;
}
