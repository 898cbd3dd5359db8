/* Seccomp filters generated from vaccines of the kind "syscall": for a
 * supervised workload, the vaccines naming its program (by content) become
 * one filter that fails those syscalls with EPERM and allows the rest.
 * Compiled with libseccomp for the native architecture. */
#ifndef VG_ACT_VACCINE_SECCOMP_H
#define VG_ACT_VACCINE_SECCOMP_H

#include <stdbool.h>
#include <stddef.h>

#include "act/vaccine.h"

/* Whether name is a syscall of this architecture (as libseccomp names it). */
bool vaccine_seccomp_syscall_known(const char *name);

/* Installs, in the calling process (thread group: TSYNC), the filter made
 * of the syscall vaccines in vaccines[0..count) that are in force (not
 * expired, CLOCK_REALTIME) for the program whose content hashes to
 * exe_sha256; other kinds and other programs are ignored. Sets
 * no_new_privs, as an unprivileged filter needs. Returns how many syscalls
 * the filter denies (0: nothing matched and nothing was installed), or -1
 * with err naming what failed. Call it after fork, before exec'ing the
 * workload: the filter is inherited across exec. */
int vaccine_seccomp_load(const struct vg_vaccine *vaccines, size_t count,
			 const unsigned char exe_sha256[32], char *err, size_t errlen);

/* Writes the same filter as readable pseudo-code (seccomp_export_pfc) to
 * fd. Returns how many syscalls it denies, or -1 with err. */
int vaccine_seccomp_export(const struct vg_vaccine *vaccines, size_t count,
			   const unsigned char exe_sha256[32], int fd, char *err, size_t errlen);

#endif
