#include "record/json_text.h"

#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "common/cleanup.h"
#include "common/utf8.h"

struct json_object *json_text_string(const char *buf, size_t len, bool *lossy)
{
	static const char replacement[] = "\xef\xbf\xbd";
	const unsigned char *s = (const unsigned char *)buf;
	struct json_object *str;
	char *out;
	size_t o = 0;

	*lossy = false;
	out = malloc(len * 3 + 1);
	if (!out)
		return NULL;
	for (size_t i = 0; i < len;) {
		size_t n = utf8_sequence_length(s + i, len - i);

		if (n == 0 || (n == 1 && s[i] == 0)) {
			/* NUL is valid UTF-8 but would end a C string downstream. */
			memcpy(out + o, replacement, 3);
			o += 3;
			i += 1;
			*lossy = true;
			continue;
		}
		memcpy(out + o, s + i, n);
		o += n;
		i += n;
	}
	str = json_object_new_string_len(out, (int)o);
	free(out);
	return str;
}

struct json_object *json_text_base64(const void *buf, size_t len)
{
	struct json_object *str;
	char *out = malloc(4 * ((len + 2) / 3) + 1);
	int n;

	if (!out)
		return NULL;
	n = EVP_EncodeBlock((unsigned char *)out, buf, (int)len);
	str = json_object_new_string_len(out, n);
	free(out);
	return str;
}

void json_text_add(struct json_object *obj, const char *key, const char *buf, size_t len)
{
	bool lossy;
	char raw_key[64];

	json_object_object_add(obj, key, json_text_string(buf, len, &lossy));
	if (lossy) {
		snprintf(raw_key, sizeof(raw_key), "%s_b64", key);
		json_object_object_add(obj, raw_key, json_text_base64(buf, len));
	}
}

const char *json_text_line(struct json_object *obj)
{
	return json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN |
						       JSON_C_TO_STRING_NOSLASHESCAPE);
}

struct json_object *json_text_parse(const char *buf, size_t len)
{
	struct json_tokener *tok;
	struct json_object *parsed = NULL;

	if (len == 0 || len > INT_MAX || !(tok = json_tokener_new()))
		return NULL;
	parsed = json_tokener_parse_ex(tok, buf, (int)len);
	if (parsed && json_tokener_get_parse_end(tok) != len) {
		json_object_put(parsed);
		parsed = NULL;
	}
	json_tokener_free(tok);
	return parsed;
}

/* text escaped for a terminal (utf8_escape), or NULL when it needs nothing
 * (escaping always lengthens) or memory ran out. */
static char *escaped_copy(const char *text, size_t len)
{
	char *out = malloc(4 * len + 1);

	if (!out)
		return NULL;
	utf8_escape(text, len, out);
	if (strlen(out) == len) {
		free(out);
		return NULL;
	}
	return out;
}

static void printable_keys(struct json_object *obj)
{
	size_t n = (size_t)json_object_object_length(obj), i = 0;
	_cleanup_free_ const char **keys = calloc(n ? n : 1, sizeof(*keys));

	if (!keys)
		return;
	json_object_object_foreach(obj, key, value)
	{
		(void)value;
		keys[i++] = key;
	}
	for (i = 0; i < n; i++) {
		_cleanup_free_ char *shown = escaped_copy(keys[i], strlen(keys[i]));
		struct json_object *moved;

		if (!shown || !json_object_object_get_ex(obj, keys[i], &moved))
			continue;
		json_object_get(moved);
		json_object_object_del(obj, keys[i]);
		json_object_object_add(obj, shown, moved);
	}
}

void json_text_printable(struct json_object *obj)
{
	switch (json_object_get_type(obj)) {
	case json_type_string: {
		_cleanup_free_ char *shown = escaped_copy(json_object_get_string(obj),
							  (size_t)json_object_get_string_len(obj));

		if (shown)
			json_object_set_string(obj, shown);
		break;
	}
	case json_type_array:
		for (size_t i = 0; i < json_object_array_length(obj); i++)
			json_text_printable(json_object_array_get_idx(obj, i));
		break;
	case json_type_object:
		printable_keys(obj);
		json_object_object_foreach(obj, key, value)
		{
			(void)key;
			json_text_printable(value);
		}
		break;
	default:
		break;
	}
}
