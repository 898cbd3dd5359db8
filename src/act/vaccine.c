#include "act/vaccine.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "common/file_hash.h"
#include "record/event_json.h"
#include "record/json_text.h"

static const char *const kind_names[] = {
    [VG_VACCINE_EXEC] = "exec_sha256", [VG_VACCINE_ARGV] = "exec_argv",
    [VG_VACCINE_FILE] = "file_open",   [VG_VACCINE_CONNECT] = "connect",
    [VG_VACCINE_SYSCALL] = "syscall",
};

const char *vaccine_kind_name(enum vg_vaccine_kind kind)
{
	return kind >= VG_VACCINE_EXEC && kind <= VG_VACCINE_SYSCALL ? kind_names[kind] : "unknown";
}

enum vg_vaccine_kind vaccine_kind_from_name(const char *name)
{
	for (int k = VG_VACCINE_EXEC; k <= VG_VACCINE_SYSCALL; k++)
		if (!strcmp(name, kind_names[k]))
			return k;
	return 0;
}

bool vaccine_kind_has_program(enum vg_vaccine_kind kind)
{
	return kind != VG_VACCINE_ARGV;
}

static void endpoint_address(const struct vg_vaccine *v, char *out, size_t len)
{
	if (!inet_ntop(v->family, v->addr, out, (socklen_t)len))
		snprintf(out, len, "?");
}

struct json_object *vaccine_to_json(const struct vg_vaccine *v)
{
	struct json_object *obj = json_object_new_object(), *roots, *evidence;
	char hex[2 * VG_SHA256_LEN + 1], when[48], addr[INET6_ADDRSTRLEN];

	json_object_object_add(obj, "id", json_object_new_int64(v->id));
	json_object_object_add(obj, "kind", json_object_new_string(vaccine_kind_name(v->kind)));
	if (vaccine_kind_has_program(v->kind)) {
		sha256_hex(v->sha256, hex);
		json_object_object_add(obj, "sha256", json_object_new_string(hex));
		json_text_add(obj, "path", v->path, strlen(v->path));
	}
	switch (v->kind) {
	case VG_VACCINE_ARGV:
		json_object_object_add(obj, "program", json_object_new_string(v->argv.program));
		json_object_object_add(obj, "rule",
				       json_object_new_string(argv_rule_kind_name(v->argv.kind)));
		roots = json_object_new_array();
		for (unsigned i = 0; i < v->argv.root_count; i++)
			json_object_array_add(roots, json_object_new_string(v->argv.roots[i]));
		json_object_object_add(obj, "roots", roots);
		break;
	case VG_VACCINE_FILE:
		json_text_add(obj, "file", v->file, strlen(v->file));
		break;
	case VG_VACCINE_CONNECT:
		endpoint_address(v, addr, sizeof(addr));
		json_object_object_add(obj, "address", json_object_new_string(addr));
		json_object_object_add(obj, "port", json_object_new_int(v->port));
		break;
	case VG_VACCINE_SYSCALL:
		json_object_object_add(obj, "syscall", json_object_new_string(v->syscall));
		break;
	default:
		break;
	}
	json_object_object_add(obj, "origin", json_object_new_string(v->origin));
	evidence = v->evidence[0] ? json_tokener_parse(v->evidence) : NULL;
	if (evidence)
		json_object_object_add(obj, "evidence", evidence);
	json_object_object_add(obj, "created_ns", json_object_new_uint64(v->created_real_ns));
	json_object_object_add(obj, "expires_ns", json_object_new_uint64(v->expires_real_ns));
	format_time_ns(v->expires_real_ns, when, sizeof(when));
	json_object_object_add(obj, "expires", json_object_new_string(when));
	return obj;
}

/* A string field, or NULL (with err) when it is missing or not a string. */
static const char *string_field(struct json_object *obj, const char *key, char *err, size_t errlen)
{
	struct json_object *v;

	if (!json_object_object_get_ex(obj, key, &v) || !json_object_is_type(v, json_type_string)) {
		snprintf(err, errlen, "vaccine: \"%s\" (a string) is missing", key);
		return NULL;
	}
	return json_object_get_string(v);
}

static int copy_field(struct json_object *obj, const char *key, char *out, size_t len, char *err,
		      size_t errlen)
{
	const char *s = string_field(obj, key, err, errlen);

	if (!s)
		return -1;
	if (strlen(s) >= len) {
		snprintf(err, errlen, "vaccine: \"%s\" is longer than %zu bytes", key, len - 1);
		return -1;
	}
	memcpy(out, s, strlen(s) + 1);
	return 0;
}

static int argv_from_json(struct json_object *obj, struct vg_vaccine *out, char *err, size_t errlen)
{
	const char *program = string_field(obj, "program", err, errlen);
	const char *rule = program ? string_field(obj, "rule", err, errlen) : NULL;
	const char *roots[VG_ARGV_ROOTS_MAX];
	struct json_object *list;
	size_t n;

	if (!rule)
		return -1;
	if (!json_object_object_get_ex(obj, "roots", &list) ||
	    !json_object_is_type(list, json_type_array) ||
	    (n = json_object_array_length(list)) > VG_ARGV_ROOTS_MAX) {
		snprintf(err, errlen,
			 "vaccine: \"roots\" (an array of at most %d paths) is missing",
			 VG_ARGV_ROOTS_MAX);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		roots[i] = json_object_get_string(json_object_array_get_idx(list, i));
		if (!roots[i])
			roots[i] = "";
	}
	return argv_rule_init(&out->argv, argv_rule_kind_from_name(rule), program, roots, n, err,
			      errlen);
}

int vaccine_parse_endpoint(const char *text, struct vg_vaccine *v, char *err, size_t errlen)
{
	char host[INET6_ADDRSTRLEN + 2];
	const char *colon = strrchr(text, ':'), *port_text = NULL;
	char *end;
	long port = 0;

	if (text[0] == '[') { /* [IPv6]:PORT */
		const char *close = strchr(text, ']');

		if (!close || (close[1] && close[1] != ':') ||
		    (size_t)(close - text - 1) >= sizeof(host)) {
			snprintf(err, errlen, "connect: '%s' is not [IPV6]:PORT", text);
			return -1;
		}
		snprintf(host, sizeof(host), "%.*s", (int)(close - text - 1), text + 1);
		port_text = close[1] ? close + 2 : NULL;
	} else if (colon && strchr(text, ':') == colon) { /* IPv4:PORT */
		snprintf(host, sizeof(host), "%.*s", (int)(colon - text), text);
		port_text = colon + 1;
	} else {
		snprintf(host, sizeof(host), "%s", text);
	}
	if (port_text) {
		port = strtol(port_text, &end, 10);
		if (!*port_text || *end || port < 1 || port > 65535) {
			snprintf(err, errlen, "connect: port '%s' is not 1..65535", port_text);
			return -1;
		}
	}
	memset(v->addr, 0, sizeof(v->addr));
	if (inet_pton(AF_INET, host, v->addr) == 1) {
		v->family = AF_INET;
	} else if (inet_pton(AF_INET6, host, v->addr) == 1) {
		v->family = AF_INET6;
	} else {
		snprintf(err, errlen, "connect: '%s' is not an IPv4 or IPv6 address", host);
		return -1;
	}
	v->port = (uint16_t)port;
	return 0;
}

static uint64_t uint_field(struct json_object *obj, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(obj, key, &v) ? (uint64_t)json_object_get_uint64(v) : 0;
}

int vaccine_from_json(struct json_object *obj, bool require_sha256, struct vg_vaccine *out,
		      char *err, size_t errlen)
{
	struct json_object *v;
	const char *kind = string_field(obj, "kind", err, errlen), *hex, *text;
	char endpoint[INET6_ADDRSTRLEN + 16];

	memset(out, 0, sizeof(*out));
	if (!kind)
		return -1;
	out->kind = vaccine_kind_from_name(kind);
	if (!out->kind) {
		snprintf(err, errlen,
			 "vaccine: kind '%s' is none of exec_sha256, exec_argv, file_open, "
			 "connect, syscall",
			 kind);
		return -1;
	}
	out->id = (uint32_t)uint_field(obj, "id");
	out->created_real_ns = uint_field(obj, "created_ns");
	out->expires_real_ns = uint_field(obj, "expires_ns");
	if (json_object_object_get_ex(obj, "origin", &v))
		snprintf(out->origin, sizeof(out->origin), "%s", json_object_get_string(v));
	if (json_object_object_get_ex(obj, "evidence", &v) &&
	    json_object_is_type(v, json_type_object)) {
		text = json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN);
		/* Too long to keep here: the forensic log holds it whole. */
		snprintf(out->evidence, sizeof(out->evidence), "%s",
			 strlen(text) < sizeof(out->evidence) ? text : "{\"truncated\":true}");
	}
	if (vaccine_kind_has_program(out->kind)) {
		if (json_object_object_get_ex(obj, "path", &v))
			snprintf(out->path, sizeof(out->path), "%s", json_object_get_string(v));
		if (json_object_object_get_ex(obj, "sha256", &v) &&
		    strlen(hex = json_object_get_string(v)) == 2 * VG_SHA256_LEN) {
			for (int i = 0; i < VG_SHA256_LEN; i++)
				if (sscanf(hex + 2 * i, "%2hhx", &out->sha256[i]) != 1) {
					snprintf(err, errlen, "vaccine: sha256 is not hex");
					return -1;
				}
		} else if (require_sha256) {
			snprintf(err, errlen, "vaccine: \"sha256\" (64 hex digits) is missing");
			return -1;
		}
	}
	switch (out->kind) {
	case VG_VACCINE_ARGV:
		return argv_from_json(obj, out, err, errlen);
	case VG_VACCINE_FILE:
		if (copy_field(obj, "file", out->file, sizeof(out->file), err, errlen))
			return -1;
		if (out->file[0] != '/') {
			snprintf(err, errlen, "vaccine: file '%s' is not an absolute path",
				 out->file);
			return -1;
		}
		return 0;
	case VG_VACCINE_CONNECT:
		if (!(text = string_field(obj, "address", err, errlen)))
			return -1;
		snprintf(endpoint, sizeof(endpoint), strchr(text, ':') ? "[%s]:%d" : "%s:%d", text,
			 (int)uint_field(obj, "port"));
		if (!uint_field(obj, "port"))
			snprintf(endpoint, sizeof(endpoint), "%s", text);
		return vaccine_parse_endpoint(endpoint, out, err, errlen);
	case VG_VACCINE_SYSCALL:
		return copy_field(obj, "syscall", out->syscall, sizeof(out->syscall), err, errlen);
	default:
		return 0;
	}
}

bool vaccine_same_rule(const struct vg_vaccine *a, const struct vg_vaccine *b)
{
	if (a->kind != b->kind ||
	    (vaccine_kind_has_program(a->kind) && memcmp(a->sha256, b->sha256, sizeof(a->sha256))))
		return false;
	switch (a->kind) {
	case VG_VACCINE_ARGV:
		return !memcmp(&a->argv, &b->argv, sizeof(a->argv));
	case VG_VACCINE_FILE:
		return !strcmp(a->file, b->file);
	case VG_VACCINE_CONNECT:
		return a->family == b->family && a->port == b->port &&
		       !memcmp(a->addr, b->addr, sizeof(a->addr));
	case VG_VACCINE_SYSCALL:
		return !strcmp(a->syscall, b->syscall);
	default:
		return true;
	}
}
