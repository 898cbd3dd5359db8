/* The policy parser on arbitrary bytes. Beyond not crashing: a policy it
 * accepts, written back as YAML, must load again and write back to the same
 * bytes (`vigilante policy show` output is a policy file). */
#include "fuzz.h"

#include <string.h>

#include "common/cleanup.h"
#include "decide/policy.h"

static char *written(const struct vg_policy *policy, size_t *len)
{
	char *text = NULL;
	struct vg_policy_error err;
	FILE *out = open_memstream(&text, len);

	FUZZ_REQUIRE(out, "open_memstream failed");
	FUZZ_REQUIRE(policy_write_yaml(policy, out, &err) == 0, "cannot write: %s", err.message);
	FUZZ_REQUIRE(fclose(out) == 0, "fclose failed");
	return text;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vg_policy first, second;
	struct vg_policy_error err;
	size_t first_len, second_len;

	if (policy_load_buffer((const char *)data, size, "fuzz.yaml", &first, &err) < 0) {
		FUZZ_REQUIRE(err.message[0], "refused without saying why");
		return 0;
	}
	_cleanup_free_ char *first_text = written(&first, &first_len);
	policy_free(&first);
	FUZZ_REQUIRE(policy_load_buffer(first_text, first_len, "rewritten.yaml", &second, &err) ==
			 0,
		     "the written policy does not load: %s\n%s", err.message, first_text);
	_cleanup_free_ char *second_text = written(&second, &second_len);
	policy_free(&second);
	FUZZ_REQUIRE(first_len == second_len && !memcmp(first_text, second_text, first_len),
		     "writing is not stable:\n%s\n---\n%s", first_text, second_text);
	return 0;
}
