/* What each kind of decoy contains: generated in memory, deterministically
 * from the host key, the kind and the path the decoy stands for, together
 * with the secrets it holds (for the ledger). decoy.c stores the result. */
#ifndef VG_ACT_DECOY_FORMATS_H
#define VG_ACT_DECOY_FORMATS_H

#include <stddef.h>

#include <json-c/json.h>

#include "decide/policy.h"

#define DECOY_HOST_KEY_LEN 32

struct decoy_inputs {
	const unsigned char *host_key; /* DECOY_HOST_KEY_LEN bytes */
	const char *stands_for;	       /* the real path the decoy imitates */
	const char *passwd;	       /* user names and home directories */
	const char *hostname;	       /* for key comments */
};

struct decoy_content {
	char *data;
	size_t len;
	/* Array of {"type", "value"[, "user"]}: what a later use is matched on. */
	struct json_object *secrets;
	unsigned skipped_passwd_lines; /* malformed lines the passwd file had */
};

/* Fills *out (release it with decoy_content_free). Returns 0, or -1 with err
 * naming the file or the step that failed. */
int decoy_generate(enum vg_decoy_kind kind, const struct decoy_inputs *in,
		   struct decoy_content *out, char *err, size_t errlen);
void decoy_content_free(struct decoy_content *content);

#endif
