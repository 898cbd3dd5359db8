/* The vaccines in force, as the daemon keeps them: an array that grows up to
 * VG_VACCINES_MAX, the last id handed out, and their rebuild at start from
 * the vaccine records of the forensic log (an "add" puts one in force, a
 * "revoke" takes it out; expiry is the caller's, by the clock). */
#ifndef VG_ACT_VACCINE_SET_H
#define VG_ACT_VACCINE_SET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "act/vaccine.h"

#define VG_VACCINES_MAX 16384

struct vg_vaccine_set {
	struct vg_vaccine *items;
	int count, cap;
	uint32_t last_id; /* the highest id ever handed out or replayed */
};

/* Room for one more at items[count]; false when full or out of memory. */
bool vaccine_set_reserve(struct vg_vaccine_set *s);
/* Removes items[i]; the last one takes its place. */
void vaccine_set_remove_at(struct vg_vaccine_set *s, int i);
/* Applies one vaccine record of the forensic log: PAYLOAD is its LEN bytes
 * of JSON, not NUL-terminated (the log's buffer goes on with the next
 * record). Revoking an id not in force does nothing (it may have expired).
 * Returns 0, or -1 with err saying why the record was not applied. */
int vaccine_set_apply_record(struct vg_vaccine_set *s, const void *payload, size_t len, char *err,
			     size_t errlen);
/* Rebuilds the set from every vaccine record of the forensic log in
 * wal_dir, in order; a record that cannot be applied is skipped with a
 * warning naming its sequence number. Returns 0, or -1 with err when the
 * log cannot be read or is damaged (what was read before the problem stays
 * applied). */
int vaccine_set_replay(struct vg_vaccine_set *s, const char *wal_dir, char *err, size_t errlen);
void vaccine_set_free(struct vg_vaccine_set *s);

#endif
