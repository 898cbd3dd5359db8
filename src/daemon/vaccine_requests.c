/* The control socket's vaccine requests:
 *   {"cmd":"vaccine","op":"list"}
 *   {"cmd":"vaccine","op":"add","path":S,"ttl":SECONDS}
 *   {"cmd":"vaccine","op":"revoke","id":N}
 * add and revoke need root or the control group, and are answered once
 * their forensic record is durable. */
#include "daemon/daemon.h"

#include <string.h>

static void answer(struct daemon *d, struct control_client *c, struct json_object *obj,
		   const char *error)
{
	if (!obj)
		obj = json_object_new_object();
	json_object_object_add(obj, "ok", json_object_new_boolean(!error));
	if (error)
		json_object_object_add(obj, "error", json_object_new_string(error));
	control_send_json(d, c, obj);
}

void request_vaccine(struct daemon *d, struct control_client *c, struct json_object *req)
{
	struct json_object *v, *list, *reply;
	const char *op = json_object_object_get_ex(req, "op", &v) ? json_object_get_string(v) : "";
	char err[600];
	uint64_t ttl = d->policy.vaccination.ttl_seconds;
	uint32_t id;

	if (!strcmp(op, "list")) {
		list = json_object_new_array();
		for (int i = 0; i < d->vaccine_count; i++)
			json_object_array_add(list, vaccine_json(&d->vaccines[i]));
		reply = json_object_new_object();
		json_object_object_add(reply, "vaccines", list);
		answer(d, c, reply, NULL);
		return;
	}
	if (!c->may_change) {
		answer(d, c, NULL, "permission denied: needs root or the control group");
		return;
	}
	if (!strcmp(op, "add") && json_object_object_get_ex(req, "path", &v)) {
		const char *path = json_object_get_string(v);

		if (json_object_object_get_ex(req, "ttl", &v))
			ttl = (uint64_t)json_object_get_int64(v);
		if (ttl < 1 || ttl > 365ull * 86400) {
			answer(d, c, NULL, "vaccine add: ttl must be 1 s .. 365 d");
			return;
		}
		if (path[0] != '/' || vaccine_add_file(d, path, ttl, &id, err, sizeof(err))) {
			answer(d, c, NULL,
			       path[0] != '/' ? "vaccine add: the path must be absolute" : err);
			return;
		}
		reply = json_object_new_object();
		json_object_object_add(reply, "id", json_object_new_int64(id));
		answer(d, c, reply, NULL);
	} else if (!strcmp(op, "revoke") && json_object_object_get_ex(req, "id", &v)) {
		if (vaccine_revoke(d, (uint32_t)json_object_get_int64(v), err, sizeof(err)))
			answer(d, c, NULL, err);
		else
			answer(d, c, NULL, NULL);
	} else {
		answer(d, c, NULL, "vaccine: op is list, add (path, ttl) or revoke (id)");
	}
}
