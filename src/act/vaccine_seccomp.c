#include "act/vaccine_seccomp.h"

#include <errno.h>
#include <seccomp.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

bool vaccine_seccomp_syscall_known(const char *name)
{
	return seccomp_syscall_resolve_name(name) != __NR_SCMP_ERROR;
}

static bool applies(const struct vg_vaccine *v, const unsigned char exe_sha256[32], uint64_t now_ns)
{
	return v->kind == VG_VACCINE_SYSCALL && v->expires_real_ns > now_ns &&
	       !memcmp(v->sha256, exe_sha256, sizeof(v->sha256));
}

/* The same syscall named by two vaccines is one rule. */
static bool named_before(const struct vg_vaccine *vaccines, size_t i,
			 const unsigned char exe_sha256[32], uint64_t now_ns)
{
	for (size_t j = 0; j < i; j++)
		if (applies(&vaccines[j], exe_sha256, now_ns) &&
		    !strcmp(vaccines[j].syscall, vaccines[i].syscall))
			return true;
	return false;
}

static void release(scmp_filter_ctx *ctx)
{
	if (*ctx)
		seccomp_release(*ctx);
}

/* The filter for exe_sha256 in *ctx; returns the number of syscalls it
 * denies, or -1 with err. */
static int build(const struct vg_vaccine *vaccines, size_t count,
		 const unsigned char exe_sha256[32], scmp_filter_ctx *ctx, char *err, size_t errlen)
{
	struct timespec now;
	uint64_t now_ns;
	int denied = 0, rc;

	clock_gettime(CLOCK_REALTIME, &now);
	now_ns = (uint64_t)now.tv_sec * 1000000000 + (uint64_t)now.tv_nsec;
	*ctx = seccomp_init(SCMP_ACT_ALLOW);
	if (!*ctx) {
		snprintf(err, errlen, "seccomp: seccomp_init failed");
		return -1;
	}
	for (size_t i = 0; i < count; i++) {
		const struct vg_vaccine *v = &vaccines[i];
		int nr;

		if (!applies(v, exe_sha256, now_ns) ||
		    named_before(vaccines, i, exe_sha256, now_ns))
			continue;
		nr = seccomp_syscall_resolve_name(v->syscall);
		if (nr == __NR_SCMP_ERROR) {
			snprintf(err, errlen, "seccomp: vaccine %u: '%s' is no syscall here", v->id,
				 v->syscall);
			return -1;
		}
		rc = seccomp_rule_add_exact(*ctx, SCMP_ACT_ERRNO(EPERM), nr, 0);
		if (rc) {
			snprintf(err, errlen, "seccomp: vaccine %u: rule for %s: %s", v->id,
				 v->syscall, strerror(-rc));
			return -1;
		}
		denied++;
	}
	return denied;
}

int vaccine_seccomp_load(const struct vg_vaccine *vaccines, size_t count,
			 const unsigned char exe_sha256[32], char *err, size_t errlen)
{
	__attribute__((cleanup(release))) scmp_filter_ctx ctx = NULL;
	int denied = build(vaccines, count, exe_sha256, &ctx, err, errlen), rc;

	if (denied <= 0)
		return denied;
	rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1);
	if (!rc)
		rc = seccomp_load(ctx);
	if (rc) {
		snprintf(err, errlen, "seccomp: loading the filter: %s", strerror(-rc));
		return -1;
	}
	return denied;
}

int vaccine_seccomp_export(const struct vg_vaccine *vaccines, size_t count,
			   const unsigned char exe_sha256[32], int fd, char *err, size_t errlen)
{
	__attribute__((cleanup(release))) scmp_filter_ctx ctx = NULL;
	int denied = build(vaccines, count, exe_sha256, &ctx, err, errlen), rc;

	if (denied < 0)
		return -1;
	rc = seccomp_export_pfc(ctx, fd);
	if (rc) {
		snprintf(err, errlen, "seccomp: writing the filter: %s", strerror(-rc));
		return -1;
	}
	return denied;
}
