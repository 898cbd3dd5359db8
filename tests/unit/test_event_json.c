/* The network gate's decision records as JSON: what each kind of record
 * says (a Unix socket's path, an abstract name, a raw socket), and hostile
 * bytes in a path kept exactly. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "record/event_json.h"

static struct vg_connect_event decision(void)
{
	struct vg_connect_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.hdr.type = VG_EVENT_CONNECT;
	ev.hdr.tgid = ev.hdr.pid = 4242;
	ev.refused = 1;
	ev.score = 900;
	return ev;
}

static const char *field(struct json_object *obj, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(obj, key, &v) ? json_object_get_string(v) : NULL;
}

static struct json_object *to_json(const struct vg_connect_event *ev)
{
	struct vg_proctable *procs = proctable_new();
	char why[128];
	struct json_object *obj;

	assert_non_null(procs);
	assert_int_equal(event_validate(ev, sizeof(*ev), why, sizeof(why)), 0);
	obj = event_to_json(ev, procs, 0);
	proctable_free(procs);
	assert_non_null(obj);
	return obj;
}

static void test_unix_connect_names_the_path(void **state)
{
	struct vg_connect_event ev = decision();
	struct json_object *obj;

	(void)state;
	ev.family = AF_UNIX;
	memcpy(ev.unix_path, "/run/docker.sock", 17);
	ev.unix_path_len = 17;
	obj = to_json(&ev);
	assert_string_equal(field(obj, "what"), "connect");
	assert_string_equal(field(obj, "family"), "unix");
	assert_string_equal(field(obj, "address"), "/run/docker.sock");
	assert_null(field(obj, "port"));
	json_object_put(obj);
}

static void test_unix_abstract_and_hostile_names(void **state)
{
	static const char abstract[] = "\0dbus-XyZ";
	static const char hostile[] = "/tmp/a\nb\xff";
	struct vg_connect_event ev = decision();
	struct json_object *obj;

	(void)state;
	ev.family = AF_UNIX;
	ev.datagram = 1;
	memcpy(ev.unix_path, abstract, sizeof(abstract) - 1);
	ev.unix_path_len = sizeof(abstract) - 1;
	obj = to_json(&ev);
	assert_string_equal(field(obj, "what"), "send");
	assert_string_equal(field(obj, "address"), "@dbus-XyZ");
	json_object_put(obj);

	memset(ev.unix_path, 0, sizeof(ev.unix_path));
	memcpy(ev.unix_path, hostile, sizeof(hostile) - 1);
	ev.unix_path_len = sizeof(hostile); /* with the NUL, as the kernel may give it */
	obj = to_json(&ev);
	assert_string_equal(field(obj, "address"), "/tmp/a\nb\xef\xbf\xbd");
	assert_string_equal(field(obj, "address_b64"), "L3RtcC9hCmL/");
	json_object_put(obj);
}

static void test_socket_decisions(void **state)
{
	struct vg_connect_event ev = decision();
	struct json_object *obj;

	(void)state;
	ev.family = AF_INET;
	ev.socket_type = SOCK_RAW;
	ev.protocol = 1;
	obj = to_json(&ev);
	assert_string_equal(field(obj, "what"), "socket");
	assert_string_equal(field(obj, "family"), "inet");
	assert_string_equal(field(obj, "socket_type"), "raw");
	assert_string_equal(field(obj, "protocol"), "1");
	assert_null(field(obj, "address"));
	json_object_put(obj);
	/* Other families a blocked process asked for (sensor.bpf.c,
	 * check_socket_family), by name where known, by number otherwise. */
	ev.family = AF_PACKET;
	obj = to_json(&ev);
	assert_string_equal(field(obj, "family"), "packet");
	assert_string_equal(field(obj, "socket_type"), "raw");
	json_object_put(obj);
	ev.family = 4000;
	ev.socket_type = 15;
	obj = to_json(&ev);
	assert_string_equal(field(obj, "family"), "4000");
	assert_string_equal(field(obj, "socket_type"), "15");
	json_object_put(obj);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_unix_connect_names_the_path),
	    cmocka_unit_test(test_unix_abstract_and_hostile_names),
	    cmocka_unit_test(test_socket_decisions),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
