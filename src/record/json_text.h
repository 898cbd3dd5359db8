/* Turning untrusted bytes (argv, paths, comm) into JSON strings. JSON text is
 * UTF-8; kernel strings are arbitrary bytes. Valid UTF-8 is kept as is (json-c
 * escapes quotes, backslashes and control characters); each invalid byte
 * becomes U+FFFD, and the caller also records the exact bytes in base64 so
 * nothing is lost. */
#ifndef VG_RECORD_JSON_TEXT_H
#define VG_RECORD_JSON_TEXT_H

#include <stdbool.h>
#include <stddef.h>

#include <json-c/json.h>

/* A JSON string for buf[0..len); *lossy is set when a byte was replaced. */
struct json_object *json_text_string(const char *buf, size_t len, bool *lossy);
/* Adds key: text, and key_b64: base64 of the bytes when text was lossy. */
void json_text_add(struct json_object *obj, const char *key, const char *buf, size_t len);
/* base64 of buf[0..len), as a JSON string. */
struct json_object *json_text_base64(const void *buf, size_t len);
/* Serialises obj as one line (no newline inside; caller adds the '\n'). */
const char *json_text_line(struct json_object *obj);
/* The JSON value that is exactly buf[0..len), or NULL (not JSON, trailing
 * bytes, empty). */
struct json_object *json_text_parse(const char *buf, size_t len);
/* For showing obj as text on a terminal: every string and key in it that
 * holds a control character or bytes that are not UTF-8 (a process named
 * "\n   1 999 block" or "\e[2J") is replaced, in place, by its escaped form
 * (utf8_escape), so that it can neither forge a line nor drive the terminal. */
void json_text_printable(struct json_object *obj);

#endif
