/* The decoy Redis's protocol parser and replies on arbitrary client bytes,
 * which come from whoever connects. The input is parsed command after
 * command, each answered, as the decoy service does. Beyond not crashing:
 * a command takes at most the bytes there are, its arguments lie inside
 * them, any shorter prefix of it is "not complete yet" (a client's bytes
 * may arrive in pieces), and a reply fits the buffer it was given. */
#include "fuzz.h"

#include <string.h>

#include "act/decoy_resp.h"

#define LEN_LIMIT 4096

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* An exact-size copy, so that ASan sees any read past the bytes. */
	char *buf = malloc(size ? size : 1), reply[512];
	size_t off = 0;

	FUZZ_REQUIRE(buf, "out of memory");
	memcpy(buf, data, size);
	while (off < size) {
		struct vg_resp_command cmd;
		ssize_t took = resp_parse_command(buf + off, size - off, LEN_LIMIT, &cmd);
		bool quit = false;

		if (took <= 0)
			break;
		FUZZ_REQUIRE((size_t)took <= size - off, "took %zd of %zu bytes", took, size - off);
		struct vg_resp_command part;
		ssize_t prefix = resp_parse_command(buf + off, (size_t)took - 1, LEN_LIMIT, &part);
		FUZZ_REQUIRE(prefix == 0, "its first %zd bytes parse to %zd", took - 1, prefix);
		for (size_t i = 0; i < cmd.argc && i < VG_RESP_MAX_ARGS; i++)
			FUZZ_REQUIRE(cmd.argv[i].ptr >= buf + off &&
					 cmd.argv[i].ptr + cmd.argv[i].len <=
					     buf + off + (size_t)took,
				     "argument %zu outside the command", i);
		FUZZ_REQUIRE(resp_reply(&cmd, reply, sizeof(reply), &quit) <= sizeof(reply),
			     "reply longer than its buffer");
		off += (size_t)took;
		if (quit)
			break;
	}
	free(buf);
	return 0;
}
