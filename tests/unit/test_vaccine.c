/* The vaccines' one JSON form: every kind survives a round trip (the
 * forensic log, list, export and import all use it); bad input is refused
 * with the field that is wrong; endpoints parse as IPv4, [IPv6]:port or an
 * address alone. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "act/vaccine.h"

static void round_trip(const struct vg_vaccine *in)
{
	struct json_object *obj = vaccine_to_json(in);
	struct vg_vaccine *out = calloc(1, sizeof(*out));
	char err[256];

	assert_non_null(out);
	assert_int_equal(vaccine_from_json(obj, true, out, err, sizeof(err)), 0);
	assert_true(vaccine_same_rule(in, out));
	assert_int_equal(out->id, in->id);
	assert_int_equal(out->expires_real_ns, in->expires_real_ns);
	assert_string_equal(out->origin, in->origin);
	assert_string_equal(out->evidence, in->evidence);
	assert_string_equal(out->path, in->path);
	json_object_put(obj);
	free(out);
}

static struct vg_vaccine *base(enum vg_vaccine_kind kind)
{
	static struct vg_vaccine v;

	memset(&v, 0, sizeof(v));
	v.id = 7;
	v.kind = kind;
	memset(v.sha256, 0xab, sizeof(v.sha256));
	if (vaccine_kind_has_program(kind))
		snprintf(v.path, sizeof(v.path), "/opt/bad tool");
	snprintf(v.origin, sizeof(v.origin), "quarantine");
	snprintf(v.evidence, sizeof(v.evidence), "{\"quarantine\":\"q-1-2\"}");
	v.created_real_ns = 1000;
	v.expires_real_ns = 2000000000000000000ull;
	return &v;
}

static void every_kind_round_trips(void **state)
{
	struct vg_vaccine *v;
	char err[256];

	round_trip(base(VG_VACCINE_EXEC));
	v = base(VG_VACCINE_ARGV);
	assert_int_equal(argv_rule_builtin("rm-root", &v->argv), 0);
	round_trip(v);
	v = base(VG_VACCINE_FILE);
	snprintf(v->file, sizeof(v->file), "/etc/shadow");
	round_trip(v);
	v = base(VG_VACCINE_CONNECT);
	assert_int_equal(vaccine_parse_endpoint("[2001:db8::1]:443", v, err, sizeof(err)), 0);
	round_trip(v);
	assert_int_equal(vaccine_parse_endpoint("10.0.0.1", v, err, sizeof(err)), 0);
	round_trip(v);
	v = base(VG_VACCINE_SYSCALL);
	snprintf(v->syscall, sizeof(v->syscall), "ptrace");
	round_trip(v);
}

static void endpoints(void **state)
{
	struct vg_vaccine v;
	char err[256];

	assert_int_equal(vaccine_parse_endpoint("127.0.0.1:8080", &v, err, sizeof(err)), 0);
	assert_int_equal(v.family, AF_INET);
	assert_int_equal(v.port, 8080);
	assert_int_equal(v.addr[0], 127);
	assert_int_equal(vaccine_parse_endpoint("::1", &v, err, sizeof(err)), 0);
	assert_int_equal(v.family, AF_INET6);
	assert_int_equal(v.port, 0);
	assert_int_equal(vaccine_parse_endpoint("10.0.0.1:0", &v, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "port"));
	assert_int_equal(vaccine_parse_endpoint("10.0.0.1:65536", &v, err, sizeof(err)), -1);
	assert_int_equal(vaccine_parse_endpoint("10.0.0.1:", &v, err, sizeof(err)), -1);
	assert_int_equal(vaccine_parse_endpoint("[::1", &v, err, sizeof(err)), -1);
	assert_int_equal(vaccine_parse_endpoint("example.com:80", &v, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "example.com"));
}

static void bad_input_named(void **state)
{
	const char *bad[][2] = {
	    {"{\"kind\":\"exec_sha1\"}", "exec_sha1"},
	    {"{}", "kind"},
	    {"{\"kind\":\"exec_sha256\"}", "sha256"},
	    {"{\"kind\":\"file_open\",\"sha256\":\"" /* 64 hex */
	     "0000000000000000000000000000000000000000000000000000000000000000\"}",
	     "file"},
	    {"{\"kind\":\"exec_argv\",\"program\":\"rm\",\"rule\":\"delete\",\"roots\":[\"/\"]}",
	     "recursive-delete-of"},
	    {"{\"kind\":\"exec_argv\",\"program\":\"rm\",\"rule\":\"recursive-delete-of\"}",
	     "roots"},
	};
	struct vg_vaccine *v = calloc(1, sizeof(*v));
	char err[256];

	assert_non_null(v);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct json_object *obj = json_tokener_parse(bad[i][0]);

		assert_non_null(obj);
		assert_int_equal(vaccine_from_json(obj, true, v, err, sizeof(err)), -1);
		assert_non_null(strstr(err, bad[i][1]));
		json_object_put(obj);
	}
	free(v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(every_kind_round_trips),
	    cmocka_unit_test(endpoints),
	    cmocka_unit_test(bad_input_named),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
