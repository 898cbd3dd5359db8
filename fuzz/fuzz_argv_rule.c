/* Exec-by-argv matching on arbitrary argv bytes, which any process controls
 * (it is the argv it passes to execve). The input is the working directory,
 * a NUL, then the argv as the kernel captures it (NUL-separated strings);
 * the first byte says whether the capture was truncated. Beyond not
 * crashing: matching depends on the argv alone, not on bytes past its
 * length, and a truncated argv of the rule's own program always matches. */
#include "fuzz.h"

#include <stdbool.h>
#include <string.h>

#include "decide/argv_rule.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct vg_argv_rule rule;
	static bool ready;
	const char *text = (const char *)data + 1;
	size_t len = size ? size - 1 : 0;

	if (!ready) {
		FUZZ_REQUIRE(argv_rule_builtin("rm-root", &rule) == 0, "no rm-root rule");
		ready = true;
	}
	if (size == 0)
		return 0;

	const char *nul = memchr(text, '\0', len);
	if (!nul)
		return 0;
	size_t cwd_len = (size_t)(nul - text) + 1;
	bool truncated = data[0] & 1;
	/* A copy without bytes after it, so that ASan sees any read past len. */
	char *argv = malloc(len - cwd_len + 1);

	FUZZ_REQUIRE(argv, "out of memory");
	memcpy(argv, text + cwd_len, len - cwd_len);
	bool match = argv_rule_matches(&rule, "/usr/bin/rm", argv, len - cwd_len, truncated,
				       cwd_len > 1 ? text : NULL);
	if (truncated)
		FUZZ_REQUIRE(match, "a truncated argv of rm did not match");
	argv_rule_matches(&rule, "/usr/bin/true", argv, len - cwd_len, truncated, text);
	free(argv);
	return 0;
}
