/* The supervised workload's side of supervise.h: the seccomp filter, built
 * with libseccomp, that sends open and stat calls to the supervisor. */
#include "act/supervise.h"

#include <errno.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Every call that opens or stats a file by path. */
static const char *const notified_syscalls[] = {
    "open", "openat", "openat2", "creat", "stat", "lstat", "newfstatat", "statx",
};

/* Calls that would reach a file without passing through the supervisor:
 * io_uring's own openat, and opening by file handle. */
static const char *const refused_syscalls[] = {"io_uring_setup", "open_by_handle_at"};

static void release(scmp_filter_ctx *ctx)
{
	if (*ctx)
		seccomp_release(*ctx);
}

int supervise_filter_install(char *err, size_t errlen)
{
	__attribute__((cleanup(release))) scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	int rc, fd;

	if (!ctx) {
		snprintf(err, errlen, "seccomp: cannot make a filter (out of memory)");
		return -1;
	}
	/* root keeps setuid programs working; anyone else must give them up
	 * (the kernel requires no_new_privs to load a filter). */
	if (geteuid() == 0 && (rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0)) < 0) {
		snprintf(err, errlen, "seccomp: clearing no_new_privs: %s", strerror(-rc));
		return -1;
	}
	for (size_t i = 0; i < sizeof(notified_syscalls) / sizeof(notified_syscalls[0]); i++) {
		rc = seccomp_rule_add(ctx, SCMP_ACT_NOTIFY,
				      seccomp_syscall_resolve_name(notified_syscalls[i]), 0);
		if (rc < 0) {
			snprintf(err, errlen, "seccomp: rule for %s: %s", notified_syscalls[i],
				 strerror(-rc));
			return -1;
		}
	}
	for (size_t i = 0; i < sizeof(refused_syscalls) / sizeof(refused_syscalls[0]); i++) {
		rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS),
				      seccomp_syscall_resolve_name(refused_syscalls[i]), 0);
		if (rc < 0) {
			snprintf(err, errlen, "seccomp: rule for %s: %s", refused_syscalls[i],
				 strerror(-rc));
			return -1;
		}
	}
	rc = seccomp_load(ctx);
	if (rc < 0) {
		snprintf(err, errlen, "seccomp: loading the filter: %s", strerror(-rc));
		return -1;
	}
	fd = seccomp_notify_fd(ctx);
	if (fd < 0) {
		snprintf(err, errlen, "seccomp: no listener fd: %s", strerror(-fd));
		return -1;
	}
	return fd;
}

int supervise_filter_continue(int listener)
{
	static struct seccomp_notif_sizes sizes;
	struct seccomp_notif *req;
	struct seccomp_notif_resp *resp;
	int rc = -1;

	if (!sizes.seccomp_notif && syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sizes))
		return -1;
	req = calloc(1, sizes.seccomp_notif);
	resp = calloc(1, sizes.seccomp_notif_resp);
	if (req && resp && ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, req) == 0) {
		resp->id = req->id;
		resp->flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
		/* ENOENT: the caller died meanwhile; nothing to answer. */
		rc = ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, resp) == 0 || errno == ENOENT ? 0
											     : -1;
	}
	free(req);
	free(resp);
	return rc;
}
