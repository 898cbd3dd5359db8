/* The control socket's vaccine requests:
 *   {"cmd":"vaccine","op":"list"}
 *   {"cmd":"vaccine","op":"add","path":S,"ttl":SECONDS}
 *   {"cmd":"vaccine","op":"revoke","id":N}
 *   {"cmd":"vaccine","op":"export"}            a signed bundle of those in force
 *   {"cmd":"vaccine","op":"import","bundle":S}  verified against trusted keys
 * add and revoke need root or the control group, and are answered once
 * their forensic record is durable. */
#include "daemon/daemon.h"

#include <string.h>
#include <time.h>

#include "act/vaccine_bundle.h"
#include "common/file_hash.h"

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

static void export_bundle(struct daemon *d, struct control_client *c)
{
	struct json_object *payload, *list, *reply;
	char err[512], *bundle;
	void *key = bundle_signing_key(d->policy.vaccination.signing_key, err, sizeof(err));

	if (!key) {
		answer(d, c, NULL, err);
		return;
	}
	payload = json_object_new_object();
	list = json_object_new_array();
	for (int i = 0; i < d->vaccine_count; i++)
		json_object_array_add(list, vaccine_json(&d->vaccines[i]));
	json_object_object_add(payload, "vaccines", list);
	bundle = bundle_sign(key, payload, err, sizeof(err));
	bundle_key_free(key);
	json_object_put(payload);
	if (!bundle) {
		answer(d, c, NULL, err);
		return;
	}
	reply = json_object_new_object();
	json_object_object_add(reply, "bundle", json_object_new_string(bundle));
	free(bundle);
	answer(d, c, reply, NULL);
}

static int import_one(struct daemon *d, struct json_object *vac, uint64_t now_real)
{
	struct json_object *v;
	unsigned char sha[VG_SHA256_LEN];
	const char *hex, *path;
	uint64_t expires;
	uint32_t id;
	char err[512];

	if (!json_object_object_get_ex(vac, "sha256", &v) ||
	    strlen(hex = json_object_get_string(v)) != 2 * VG_SHA256_LEN ||
	    !json_object_object_get_ex(vac, "expires_ns", &v))
		return -1;
	expires = (uint64_t)json_object_get_uint64(v);
	if (expires <= now_real + 1000000000)
		return 0; /* expired, or about to */
	for (int i = 0; i < VG_SHA256_LEN; i++)
		if (sscanf(hex + 2 * i, "%2hhx", &sha[i]) != 1)
			return -1;
	path = json_object_object_get_ex(vac, "path", &v) ? json_object_get_string(v) : "";
	return vaccine_add(d, sha, path, (expires - now_real) / 1000000000, "import", NULL, &id,
			   err, sizeof(err))
		   ? -1
		   : 1;
}

static void import_bundle(struct daemon *d, struct control_client *c, const char *text)
{
	const struct vg_path_list *keys = &d->policy.vaccination.trusted_keys;
	struct json_object *payload, *list, *reply;
	struct timespec real;
	int imported = 0, bad = 0;
	char err[512];

	payload = bundle_verify(text, strlen(text), keys->paths, keys->count, err, sizeof(err));
	if (!payload) {
		answer(d, c, NULL, err);
		return;
	}
	clock_gettime(CLOCK_REALTIME, &real);
	if (json_object_object_get_ex(payload, "vaccines", &list) &&
	    json_object_is_type(list, json_type_array))
		for (size_t i = 0; i < json_object_array_length(list); i++) {
			int rc =
			    import_one(d, json_object_array_get_idx(list, i),
				       (uint64_t)real.tv_sec * 1000000000 + (uint64_t)real.tv_nsec);

			imported += rc > 0;
			bad += rc < 0;
		}
	json_object_put(payload);
	reply = json_object_new_object();
	json_object_object_add(reply, "imported", json_object_new_int(imported));
	json_object_object_add(reply, "malformed", json_object_new_int(bad));
	answer(d, c, reply, NULL);
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
	} else if (!strcmp(op, "export")) {
		export_bundle(d, c);
	} else if (!strcmp(op, "import") && json_object_object_get_ex(req, "bundle", &v)) {
		import_bundle(d, c, json_object_get_string(v));
	} else if (!strcmp(op, "revoke") && json_object_object_get_ex(req, "id", &v)) {
		if (vaccine_revoke(d, (uint32_t)json_object_get_int64(v), err, sizeof(err)))
			answer(d, c, NULL, err);
		else
			answer(d, c, NULL, NULL);
	} else {
		answer(
		    d, c, NULL,
		    "vaccine: op is list, add (path, ttl), revoke (id), export or import (bundle)");
	}
}
