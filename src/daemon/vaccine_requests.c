/* The control socket's vaccine requests:
 *   {"cmd":"vaccine","op":"list"}
 *   {"cmd":"vaccine","op":"add","vaccine":V,"ttl":SECONDS}
 *       V: a vaccine's JSON form (act/vaccine.h) without id and times; its
 *       program by "path" (hashed here), e.g. {"kind":"connect",
 *       "path":"/usr/bin/nc","address":"10.0.0.1","port":4444}
 *   {"cmd":"vaccine","op":"revoke","id":N}
 *   {"cmd":"vaccine","op":"export"}            a signed bundle of those in force
 *   {"cmd":"vaccine","op":"import","bundle":S}  verified against trusted keys
 * add and revoke need root or the control group, and are answered once
 * their forensic record is durable. */
#include "daemon/daemon.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "act/vaccine_bundle.h"
#include "act/vaccine_seccomp.h"
#include "common/file_hash.h"

static void export_bundle(struct daemon *d, struct control_client *c)
{
	struct json_object *payload, *list, *reply;
	char err[512], *bundle;
	void *key = bundle_signing_key(d->policy.vaccination.signing_key, err, sizeof(err));

	if (!key) {
		control_answer(d, c, NULL, err);
		return;
	}
	payload = json_object_new_object();
	list = json_object_new_array();
	for (int i = 0; i < d->vaccines.count; i++)
		json_object_array_add(list, vaccine_to_json(&d->vaccines.items[i]));
	json_object_object_add(payload, "vaccines", list);
	bundle = bundle_sign(key, payload, err, sizeof(err));
	bundle_key_free(key);
	json_object_put(payload);
	if (!bundle) {
		control_answer(d, c, NULL, err);
		return;
	}
	reply = json_object_new_object();
	json_object_object_add(reply, "bundle", json_object_new_string(bundle));
	free(bundle);
	control_answer(d, c, reply, NULL);
}

static int import_one(struct daemon *d, struct json_object *vac, uint64_t now_real)
{
	struct json_object *evidence;
	struct vg_vaccine proto;
	uint32_t id;
	char err[512];

	if (vaccine_from_json(vac, true, &proto, err, sizeof(err)) || !proto.expires_real_ns)
		return -1;
	if (proto.expires_real_ns <= now_real + 1000000000)
		return 0; /* expired, or about to */
	evidence = json_object_new_object();
	json_object_object_add(evidence, "bundle_origin", json_object_new_string(proto.origin));
	snprintf(proto.origin, sizeof(proto.origin), "import");
	return vaccine_add(d, &proto, (proto.expires_real_ns - now_real) / 1000000000, evidence,
			   &id, err, sizeof(err))
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
		control_answer(d, c, NULL, err);
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
	control_answer(d, c, reply, NULL);
}

/* An operator's vaccine: checked here, so that a bad one is refused with
 * what is wrong before anything is recorded. */
static int add_from_request(struct daemon *d, struct json_object *req, uint32_t *id, char *err,
			    size_t errlen)
{
	uint64_t ttl = d->policy.vaccination.ttl_seconds;
	struct json_object *spec, *v;
	struct vg_vaccine proto;
	struct stat st;

	if (json_object_object_get_ex(req, "ttl", &v))
		ttl = (uint64_t)json_object_get_int64(v);
	if (ttl < 1 || ttl > 365ull * 86400) {
		snprintf(err, errlen, "vaccine add: ttl must be 1 s .. 365 d");
		return -1;
	}
	if (!json_object_object_get_ex(req, "vaccine", &spec) ||
	    !json_object_is_type(spec, json_type_object)) {
		snprintf(err, errlen, "vaccine add: \"vaccine\" (an object) is missing");
		return -1;
	}
	if (vaccine_from_json(spec, false, &proto, err, errlen) ||
	    (vaccine_kind_has_program(proto.kind) &&
	     vaccine_hash_program(proto.path, proto.sha256, err, errlen)))
		return -1;
	if (proto.kind == VG_VACCINE_FILE && stat(proto.file, &st)) {
		snprintf(err, errlen, "vaccine add: file %s: %s", proto.file, strerror(errno));
		return -1;
	}
	if (proto.kind == VG_VACCINE_SYSCALL && !vaccine_seccomp_syscall_known(proto.syscall)) {
		snprintf(err, errlen, "vaccine add: '%s' is not a syscall of this architecture",
			 proto.syscall);
		return -1;
	}
	snprintf(proto.origin, sizeof(proto.origin), "operator");
	return vaccine_add(d, &proto, ttl, NULL, id, err, errlen);
}

void request_vaccine(struct daemon *d, struct control_client *c, struct json_object *req)
{
	struct json_object *v, *list, *reply;
	const char *op = json_object_object_get_ex(req, "op", &v) ? json_object_get_string(v) : "";
	char err[600];
	struct timespec real;
	uint32_t id;

	/* What is listed or exported is what applies: expired vaccines go
	 * now, not at the next tick. */
	clock_gettime(CLOCK_REALTIME, &real);
	vaccine_expire(d, (uint64_t)real.tv_sec * 1000000000 + (uint64_t)real.tv_nsec);
	if (!strcmp(op, "list")) {
		list = json_object_new_array();
		for (int i = 0; i < d->vaccines.count; i++)
			json_object_array_add(list, vaccine_to_json(&d->vaccines.items[i]));
		reply = json_object_new_object();
		json_object_object_add(reply, "vaccines", list);
		control_answer(d, c, reply, NULL);
		return;
	}
	if (!strcmp(op, "add")) {
		if (add_from_request(d, req, &id, err, sizeof(err))) {
			control_answer(d, c, NULL, err);
			return;
		}
		reply = json_object_new_object();
		json_object_object_add(reply, "id", json_object_new_int64(id));
		control_answer(d, c, reply, NULL);
	} else if (!strcmp(op, "export")) {
		export_bundle(d, c);
	} else if (!strcmp(op, "import") && json_object_object_get_ex(req, "bundle", &v)) {
		import_bundle(d, c, json_object_get_string(v));
	} else if (!strcmp(op, "revoke") && json_object_object_get_ex(req, "id", &v)) {
		if (vaccine_revoke(d, (uint32_t)json_object_get_int64(v), err, sizeof(err)))
			control_answer(d, c, NULL, err);
		else
			control_answer(d, c, NULL, NULL);
	} else {
		control_answer(
		    d, c, NULL,
		    "vaccine: op is list, add (vaccine, ttl), revoke (id), export or import "
		    "(bundle)");
	}
}
