/* Untrusted bytes (process names, paths, argv) into JSON text, and JSON text
 * made printable for a terminal. Properties: any bytes become one JSON line
 * that parses back to a string; bytes that are valid UTF-8 without NUL come
 * back exactly; and a parsed document made printable holds no control
 * character and no invalid UTF-8 in any string or key. */
#include "fuzz.h"

#include <string.h>

#include "common/utf8.h"
#include "record/json_text.h"

static bool clean_text(const char *s, size_t len)
{
	for (size_t i = 0; i < len;) {
		unsigned char c = (unsigned char)s[i];
		size_t n = utf8_sequence_length((const unsigned char *)s + i, len - i);

		if (n == 0 || c < 0x20 || c == 0x7f)
			return false;
		if (c == 0xc2 && n == 2 && (unsigned char)s[i + 1] < 0xa0)
			return false; /* C1 */
		i += n;
	}
	return true;
}

static void require_printable(struct json_object *obj)
{
	switch (json_object_get_type(obj)) {
	case json_type_string:
		FUZZ_REQUIRE(clean_text(json_object_get_string(obj),
					(size_t)json_object_get_string_len(obj)),
			     "string not made printable");
		break;
	case json_type_array:
		for (size_t i = 0; i < json_object_array_length(obj); i++)
			require_printable(json_object_array_get_idx(obj, i));
		break;
	case json_type_object: {
		json_object_object_foreach(obj, key, value)
		{
			FUZZ_REQUIRE(clean_text(key, strlen(key)), "key not made printable");
			require_printable(value);
		}
		break;
	}
	default:
		break;
	}
}

static bool valid_utf8_without_nul(const uint8_t *s, size_t len)
{
	for (size_t i = 0; i < len;) {
		size_t n = utf8_sequence_length(s + i, len - i);

		if (n == 0 || s[i] == 0)
			return false;
		i += n;
	}
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	bool lossy;
	struct json_object *str = json_text_string((const char *)data, size, &lossy);

	FUZZ_REQUIRE(str, "no string");
	const char *line = json_text_line(str);
	FUZZ_REQUIRE(!strchr(line, '\n'), "a newline in the line");
	struct json_object *back = json_text_parse(line, strlen(line));
	FUZZ_REQUIRE(back && json_object_is_type(back, json_type_string), "does not parse back");
	FUZZ_REQUIRE(lossy == !valid_utf8_without_nul(data, size), "lossy flag wrong");
	if (!lossy)
		FUZZ_REQUIRE((size_t)json_object_get_string_len(back) == size &&
				 !memcmp(json_object_get_string(back), data, size),
			     "valid text changed");
	json_object_put(back);
	json_object_put(str);

	struct json_object *doc = json_text_parse((const char *)data, size);
	if (doc) {
		json_text_printable(doc);
		require_printable(doc);
		json_object_put(doc);
	}
	return 0;
}
