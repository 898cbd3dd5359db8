/* Decoys: per-host fake secrets served to flagged processes instead of the
 * real files, and planted as honeytokens. Each decoy is generated once,
 * deterministically from the host's secret (DIR/host.key, 32 random bytes,
 * mode 0600), so the same attacker sees the same content every time, two
 * hosts never share one, and a later use of a decoy password or key is
 * attributable through the ledger (DIR/ledger.json, mode 0600). */
#ifndef VG_ACT_DECOY_H
#define VG_ACT_DECOY_H

#include <limits.h>
#include <stddef.h>

#include "decide/policy.h"

/* Where the generator reads what it imitates; tests point these elsewhere. */
struct decoy_sources {
	const char *passwd;   /* user names for the shadow decoy: "/etc/passwd" */
	const char *hostname; /* NULL: gethostname() */
};

/* The decoy of KIND standing for the path STANDS_FOR: generated under DIR on
 * first use (DIR is created, mode 0700), the same bytes afterwards. Returns
 * an O_RDONLY|O_CLOEXEC fd to it and its path in out_path, or -1 with err. */
int decoy_open(const char *dir, enum vg_decoy_kind kind, const char *stands_for,
	       const struct decoy_sources *src, char out_path[PATH_MAX], char *err, size_t errlen);

/* Plants a honeytoken of KIND at PATH (mode 0600, parent directories made
 * 0700) unless a file is already there, which is left untouched. Returns 1
 * planted, 0 already present, -1 with err. */
int decoy_plant(const char *dir, enum vg_decoy_kind kind, const char *path,
		const struct decoy_sources *src, char *err, size_t errlen);

/* Which decoy, if any, a secret (a password, an access key id, a token, a
 * key fingerprint "SHA256:...") came from, from DIR's ledger: writes a
 * one-line description into out and returns 1, 0 if unknown, -1 with err. */
int decoy_whois(const char *dir, const char *secret, char *out, size_t outlen, char *err,
		size_t errlen);

#endif
