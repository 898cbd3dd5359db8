/* The vaccines in force and their replay from the forensic log. */
#include "act/vaccine_set.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "record/json_text.h"
#include "record/wal.h"

bool vaccine_set_reserve(struct vg_vaccine_set *s)
{
	struct vg_vaccine *grown;
	int cap;

	if (s->count < s->cap)
		return true;
	if (s->cap >= VG_VACCINES_MAX)
		return false;
	cap = s->cap ? 2 * s->cap : 64;
	grown = realloc(s->items, (size_t)cap * sizeof(*grown));
	if (!grown)
		return false;
	s->items = grown;
	s->cap = cap;
	return true;
}

void vaccine_set_remove_at(struct vg_vaccine_set *s, int i)
{
	s->items[i] = s->items[--s->count];
}

static int apply_revoke(struct vg_vaccine_set *s, struct json_object *obj, char *err, size_t errlen)
{
	struct json_object *id;

	if (!json_object_object_get_ex(obj, "id", &id) || !json_object_is_type(id, json_type_int)) {
		snprintf(err, errlen, "a revocation without an integer \"id\"");
		return -1;
	}
	for (int i = 0; i < s->count; i++)
		if (s->items[i].id == (uint32_t)json_object_get_int64(id)) {
			vaccine_set_remove_at(s, i);
			break;
		}
	return 0;
}

static int apply_add(struct vg_vaccine_set *s, struct json_object *obj, char *err, size_t errlen)
{
	struct vg_vaccine *v;

	if (!vaccine_set_reserve(s)) {
		snprintf(err, errlen, "no room for more than %d vaccines in force", s->count);
		return -1;
	}
	v = &s->items[s->count];
	if (vaccine_from_json(obj, true, v, err, errlen))
		return -1;
	if (v->id > s->last_id)
		s->last_id = v->id;
	s->count++;
	return 0;
}

int vaccine_set_apply_record(struct vg_vaccine_set *s, const void *payload, size_t len, char *err,
			     size_t errlen)
{
	struct json_object *obj = json_text_parse(payload, len), *op;
	const char *name;
	int rc;

	if (!obj || !json_object_is_type(obj, json_type_object)) {
		snprintf(err, errlen, "not a JSON object");
		json_object_put(obj);
		return -1;
	}
	name = json_object_object_get_ex(obj, "op", &op) ? json_object_get_string(op) : "";
	if (!strcmp(name, "add")) {
		rc = apply_add(s, obj, err, errlen);
	} else if (!strcmp(name, "revoke")) {
		rc = apply_revoke(s, obj, err, errlen);
	} else {
		snprintf(err, errlen, "unknown \"op\" \"%.32s\"", name);
		rc = -1;
	}
	json_object_put(obj);
	return rc;
}

static int replay_one(const struct wal_record *rec, void *ctx)
{
	char err[512];

	if (rec->type == WAL_VACCINE &&
	    vaccine_set_apply_record(ctx, rec->payload, rec->len, err, sizeof(err)))
		vg_warn("vaccines: forensic record %llu skipped: %s", (unsigned long long)rec->seq,
			err);
	return 0;
}

int vaccine_set_replay(struct vg_vaccine_set *s, const char *wal_dir, char *err, size_t errlen)
{
	struct wal_verify_result res;

	if (wal_read(wal_dir, replay_one, s, &res, err, errlen))
		return -1;
	if (!res.ok) {
		snprintf(err, errlen,
			 "the log is damaged at record %llu (%s, offset %llu: %s); no vaccine "
			 "after it was replayed",
			 (unsigned long long)res.bad_seq, res.segment,
			 (unsigned long long)res.offset, res.problem);
		return -1;
	}
	return 0;
}

void vaccine_set_free(struct vg_vaccine_set *s)
{
	free(s->items);
	*s = (struct vg_vaccine_set){0};
}
