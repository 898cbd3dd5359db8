#!/usr/bin/env bash
# Generates OUTDIR/syscall_table.h: Vigilante's canonical syscall identity.
#
# Every system call has one identity, by name, whatever the architecture that
# made it: live traffic is x86_64, the ADFA-LD training traces are i386. The
# identities come from the kernel's own number lists (linux-libc-dev), never
# from a hand-typed table:
#
#   id 0            "other": any number this table does not know
#   ids 1..         every x86_64 syscall, in x86_64 number order
#   then            the i386 syscalls that have no x86_64 counterpart even
#                   after the rules below (socketcall, ipc, vm86, ...),
#                   in i386 number order
#
# An i386 syscall takes the identity of its x86_64 counterpart when the two
# are the same operation with a different ABI. The rules, applied in order:
#
#   1. explicit renames (I386_RENAMES below): mmap2->mmap, _llseek->lseek,
#      _newselect->select, ugetrlimit->getrlimit, fstatat64->newfstatat,
#      waitpid->wait4, the old signal calls -> their rt_ versions, oldstat->stat
#      and friends, umount->umount2, readdir->getdents, ...
#   2. a *_time64 name (the y2038 variants) -> the name without _time64
#   3. a *32 name whose base is an x86_64 syscall (chown32, getuid32, ...)
#      -> the base
#   4. a *64 name that x86_64 lacks but whose base it has (stat64, fstat64,
#      fcntl64, truncate64, clock_gettime64, ...) -> the base
#
# The model also needs a coarser view. An i386 trace from a 2.6 kernel shows
# every socket operation as socketcall(102) and every System V IPC operation
# as ipc(117): the operation itself is an argument the trace does not carry.
# So each identity also has a model class (vg_syscall_model_class[]), which is
# the identity itself except that the x86_64 socket calls (socket, connect,
# sendto, ...) fall into socketcall and the System V IPC calls (shmget, semop,
# msgsnd, ...) into ipc. A model trained on i386 traces then sees live
# x86_64 traffic through the same classes.
#
# VG_SYSCALL_TABLE_HASH is the first 8 bytes of the SHA-256 of the ordered
# "name class" lines: a model file records it and is refused by a build whose
# table differs.
set -euo pipefail

if [ $# -ne 1 ]; then
	echo "usage: $0 OUTDIR" >&2
	exit 2
fi
outdir=$1
include_dir=${VG_SYSCALL_INCLUDE_DIR:-/usr/include/x86_64-linux-gnu/asm}
unistd_64=$include_dir/unistd_64.h
unistd_32=$include_dir/unistd_32.h
for f in "$unistd_64" "$unistd_32"; do
	if [ ! -r "$f" ]; then
		echo "gen-syscalls: cannot read $f (install linux-libc-dev)" >&2
		exit 1
	fi
done

I386_RENAMES="
mmap2 mmap
_llseek lseek
_newselect select
ugetrlimit getrlimit
fadvise64_64 fadvise64
fstatat64 newfstatat
waitpid wait4
signal rt_sigaction
sigaction rt_sigaction
sigprocmask rt_sigprocmask
sgetmask rt_sigprocmask
ssetmask rt_sigprocmask
sigreturn rt_sigreturn
sigsuspend rt_sigsuspend
sigpending rt_sigpending
oldstat stat
oldfstat fstat
oldlstat lstat
olduname uname
oldolduname uname
umount umount2
readdir getdents
stime settimeofday
vm86old vm86
"

SOCKET_CALLS="socket bind connect listen accept accept4 getsockname getpeername socketpair
sendto recvfrom shutdown setsockopt getsockopt sendmsg recvmsg recvmmsg sendmmsg"
IPC_CALLS="shmget shmat shmdt shmctl semget semop semctl semtimedop msgget msgsnd msgrcv msgctl"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# "number name" lines, by number.
extract() {
	awk '$1 == "#define" && $2 ~ /^__NR_/ && $3 ~ /^[0-9]+$/ {
		sub(/^__NR_/, "", $2); print $3, $2 }' "$1" | sort -n
}
extract "$unistd_64" >"$tmp/x86_64"
extract "$unistd_32" >"$tmp/i386"
if [ ! -s "$tmp/x86_64" ] || [ ! -s "$tmp/i386" ]; then
	echo "gen-syscalls: no __NR_ definitions found in $unistd_64 or $unistd_32" >&2
	exit 1
fi

# i386 number -> canonical name.
awk -v renames="$I386_RENAMES" '
	BEGIN {
		n = split(renames, lines, "\n")
		for (i = 1; i <= n; i++)
			if (split(lines[i], pair, " ") == 2)
				rename[pair[1]] = pair[2]
	}
	FNR == NR { x86_64[$2] = 1; next }
	{
		name = $2
		if (name in rename)
			name = rename[name]
		else if (name ~ /_time64$/ && substr(name, 1, length(name) - 7) in x86_64)
			name = substr(name, 1, length(name) - 7)
		else if (name ~ /32$/ && substr(name, 1, length(name) - 2) in x86_64)
			name = substr(name, 1, length(name) - 2)
		else if (name ~ /64$/ && !(name in x86_64) && substr(name, 1, length(name) - 2) in x86_64)
			name = substr(name, 1, length(name) - 2)
		print $1, name
	}' "$tmp/x86_64" "$tmp/i386" >"$tmp/i386_canonical"

# Ordered canonical names: other, x86_64 by number, then i386-only names.
{
	echo other
	awk '{ print $2 }' "$tmp/x86_64"
	awk 'FNR == NR { seen[$2] = 1; next } !($2 in seen) && !($2 in done) { done[$2] = 1; print $2 }' \
		"$tmp/x86_64" "$tmp/i386_canonical"
} >"$tmp/names"

# "name class" lines, in id order.
awk -v sockets="$SOCKET_CALLS" -v ipcs="$IPC_CALLS" '
	BEGIN {
		n = split(sockets, s, /[ \n]+/); for (i = 1; i <= n; i++) cls[s[i]] = "socketcall"
		n = split(ipcs, c, /[ \n]+/); for (i = 1; i <= n; i++) cls[c[i]] = "ipc"
	}
	{ print $1, ($1 in cls) ? cls[$1] : $1 }' "$tmp/names" >"$tmp/classes"
for needed in socketcall ipc; do
	grep -qx "$needed" "$tmp/names" || {
		echo "gen-syscalls: $unistd_32 has no $needed, cannot build model classes" >&2
		exit 1
	}
done

hash=$(sha256sum "$tmp/classes" | cut -c1-16)
count=$(wc -l <"$tmp/names")

# One number->id array per ABI, every slot filled, unknown numbers -> other.
number_array() { # FILE ARRAY_NAME
	awk -v array="$2" '
		FNR == NR { id[$1] = FNR - 1; next }
		{ nr_name[$1] = $2; if ($1 > max) max = $1 }
		END {
			printf "static const __u16 %s[%d] = {\n", array, max + 1
			for (i = 0; i <= max; i++) {
				if (i in nr_name)
					printf "\t[%d] = VG_SYS_%s,\n", i, nr_name[i]
			}
			printf "};\n"
		}' "$tmp/names" "$1"
}

out=$outdir/syscall_table.h
mkdir -p "$outdir"
{
	cat <<EOF
/* Generated by scripts/gen-syscalls.sh from $unistd_64
 * and $unistd_32; do not edit. The mapping rules are
 * documented in the script. Usable from BPF C (after vmlinux.h) and from
 * userspace. */
#ifndef VG_GEN_SYSCALL_TABLE_H
#define VG_GEN_SYSCALL_TABLE_H

#ifndef __bpf__
#include <linux/types.h>
#endif
#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif

#define VG_SYSCALL_TABLE_HASH 0x${hash}ULL
#define VG_SYSCALL_COUNT      $count

enum vg_syscall_id {
EOF
	awk '{ printf "\tVG_SYS_%s = %d,\n", $1, NR - 1 }' "$tmp/names"
	echo "};"
	echo
	number_array "$tmp/x86_64" vg_syscall_by_x86_64_nr
	echo
	number_array "$tmp/i386_canonical" vg_syscall_by_i386_nr
	echo
	echo "/* The class the model sees for each identity (see the script). */"
	echo "static const __u16 vg_syscall_model_class[VG_SYSCALL_COUNT] = {"
	awk '{ printf "\t[VG_SYS_%s] = VG_SYS_%s,\n", $1, $2 }' "$tmp/classes"
	echo "};"
	cat <<'EOF'

#define VG_SYSCALL_X86_64_NR_COUNT (sizeof(vg_syscall_by_x86_64_nr) / sizeof(vg_syscall_by_x86_64_nr[0]))
#define VG_SYSCALL_I386_NR_COUNT   (sizeof(vg_syscall_by_i386_nr) / sizeof(vg_syscall_by_i386_nr[0]))

static __always_inline __u16 vg_syscall_from_x86_64(__u64 nr)
{
	if (nr >= VG_SYSCALL_X86_64_NR_COUNT)
		return VG_SYS_other;
	return vg_syscall_by_x86_64_nr[nr];
}

static __always_inline __u16 vg_syscall_from_i386(__u64 nr)
{
	if (nr >= VG_SYSCALL_I386_NR_COUNT)
		return VG_SYS_other;
	return vg_syscall_by_i386_nr[nr];
}

static __always_inline __u16 vg_syscall_class(__u16 id)
{
	if (id >= VG_SYSCALL_COUNT)
		return VG_SYS_other;
	return vg_syscall_model_class[id];
}

#ifndef __bpf__
static const char *const vg_syscall_names[VG_SYSCALL_COUNT] = {
EOF
	awk '{ printf "\t\"%s\",\n", $1 }' "$tmp/names"
	cat <<'EOF'
};

static inline const char *vg_syscall_name(__u16 id)
{
	return id < VG_SYSCALL_COUNT ? vg_syscall_names[id] : "invalid";
}
#endif

#endif
EOF
} >"$out.tmp"
mv "$out.tmp" "$out"
