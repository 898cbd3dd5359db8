# A program's identity where stat() reports another device than the
# filesystem's own, and the kernel must key programs as stat() does, or the
# keys userspace makes (vaccines, profiles, the exec gate's hashed copies)
# never match, and programs can share one:
#  - btrfs: each subvolume reports a device of its own and numbers its
#    inodes from 256 again, so two programs in two subvolumes share an
#    inode number on one superblock;
#  - overlayfs over two filesystems (a tmpfs upper over a lower directory on
#    the disk, as live images have): a file reports its layer's device.
# On each:
#  - exec events give the inode and device stat() gives, and `learn`
#    profiles the programs (it hashes each through a path checked against
#    the kernel's identity);
#  - a connect vaccine on a program is enforced (EPERM, from the kernel),
#    and another program (on btrfs: the same inode number in another
#    subvolume) is allowed;
#  - on btrfs, a copy of the vaccinated program in another subvolume is
#    refused too (the exec gate hashed it), and the exec gate, marking the
#    filesystem, covers its subvolumes: a process above block is refused
#    the exec of a program there (EPERM), a normal one is not.
# The filesystems are a loop-mounted image, a tmpfs and a directory of the
# test's own; the exec gate marks only the image, the connect gate only the
# test's cgroup.
. "$(dirname "$0")/lib.sh"

identity() { stat -c '%i %Hd:%Ld' "$1"; }
mount_dev() { awk -v m="$1" '$5 == m { print $3 }' /proc/self/mountinfo; }

command -v mkfs.btrfs > /dev/null || fail "mkfs.btrfs is missing (package btrfs-progs: scripts/install-deps.sh)"
B=$WORK/btrfs
mkdir -p "$B"
truncate -s 160M "$WORK/btrfs.img"
mkfs.btrfs -q "$WORK/btrfs.img" > /dev/null 2>&1 || fail "mkfs.btrfs on $WORK/btrfs.img"
mount -o loop "$WORK/btrfs.img" "$B" || fail "cannot loop-mount $WORK/btrfs.img"
TEST_MOUNTS+=("$B")
btrfs subvolume create "$B/a" > /dev/null || fail "btrfs subvolume create a"
btrfs subvolume create "$B/b" > /dev/null || fail "btrfs subvolume create b"
# The first file of each subvolume: the same inode number in both. prog in
# b differs from prog in a by one byte after its end (it still runs).
cp /bin/bash "$B/a/prog"
cp /bin/bash "$B/b/prog"
echo >> "$B/b/prog"
read -r a_ino a_dev <<< "$(identity "$B/a/prog")"
read -r b_ino b_dev <<< "$(identity "$B/b/prog")"
sb_dev=$(mount_dev "$B")
[ "$a_ino" = "$b_ino" ] && [ "$a_dev" != "$b_dev" ] && [ "$a_dev" != "$sb_dev" ] ||
	fail "the programs do not share an inode number on distinct subvolume devices (a: $a_ino $a_dev, b: $b_ino $b_dev, superblock $sb_dev)"
note "btrfs: a/prog and b/prog: inode $a_ino on devices $a_dev and $b_dev (superblock $sb_dev)"

# The overlay: lower on the disk (the test's directory), upper on a tmpfs.
O=$WORK/overlay
mkdir -p "$WORK/lower" "$O"
cp /bin/bash "$WORK/lower/prog"
printf '\n\n' >> "$WORK/lower/prog" # not a copy of a/prog: learn keeps one profile per content
mount_test_tmpfs "$WORK/upper-fs" 32m
mkdir -p "$WORK/upper-fs/upper" "$WORK/upper-fs/work"
mount -t overlay vigilante-test -o "lowerdir=$WORK/lower,upperdir=$WORK/upper-fs/upper,workdir=$WORK/upper-fs/work" "$O" ||
	fail "cannot mount an overlay on $O"
TEST_MOUNTS+=("$O")
cp /bin/bash "$O/other" # written to the upper layer
echo >> "$O/other"
read -r _ lower_dev <<< "$(identity "$O/prog")"
read -r _ upper_dev <<< "$(identity "$O/other")"
ovl_dev=$(mount_dev "$O")
[ "$lower_dev" != "$ovl_dev" ] && [ "$upper_dev" != "$ovl_dev" ] && [ "$lower_dev" != "$upper_dev" ] ||
	fail "the overlay's files do not report their layers' devices (lower $lower_dev, upper $upper_dev, overlay $ovl_dev): xino on?"
note "overlay: prog (lower) on device $lower_dev, other (upper) on $upper_dev (overlay $ovl_dev)"

# vigilante learn hashes each program it saw, through a path checked
# against the identity the kernel gave.
make_test_cgroup
"$VIGILANTE" learn --cgroup "$TEST_CGROUP" --duration 3 -o "$WORK/profiles" 2> "$WORK/learn.err" &
learner=$!
STARTED_PIDS+=("$learner")
sleep 1.5
in_cgroup "$B/a/prog" -c true
in_cgroup "$O/prog" -c true
wait "$learner" || fail "learn failed: $(cat "$WORK/learn.err")"
for p in "$B/a/prog" "$O/prog"; do
	grep -q "$p" "$WORK/learn.err" || fail "learn did not profile $p: $(cat "$WORK/learn.err")"
done
note "learn profiled a/prog on btrfs and prog on the overlay"

PRECOG_MODE=enforce EXEC_GATE="[$B]" write_policy "$WORK/policy.yaml" "vaccination:
  mode: enforce
  threshold: 1000000
  ttl: 1h"
start_daemon "$WORK/policy.yaml"

connects() { # connects PROGRAM PORT: "refused by vigilante" or "allowed"
	in_cgroup "$1" -c "exec 3<>/dev/tcp/127.0.0.1/$2" 2> "$WORK/connect.err"
	if grep -q "Operation not permitted" "$WORK/connect.err"; then echo "refused by vigilante"; else echo allowed; fi
}
vaccinate() { # vaccinate PROGRAM PORT
	"$VIGILANTE" vaccine add --connect "127.0.0.1:$2" --program "$1" > /dev/null ||
		fail "vaccine add --connect 127.0.0.1:$2 --program $1 failed"
}
port=$((20000 + RANDOM % 20000))

vaccinate "$B/a/prog" "$port"
[ "$(connects "$B/a/prog" "$port")" = "refused by vigilante" ] ||
	fail "the vaccinated program in subvolume a reached 127.0.0.1:$port: $(cat "$WORK/connect.err")"
[ "$(connects "$B/b/prog" "$port")" = allowed ] ||
	fail "another program with the same inode number in subvolume b was refused: $(cat "$WORK/connect.err")"
cp "$B/a/prog" "$B/b/copy"
[ "$(connects "$B/b/copy" "$port")" = "refused by vigilante" ] ||
	fail "a copy of the vaccinated program in subvolume b reached the port"
note "btrfs: a/prog and its copy b/copy refused 127.0.0.1:$port, b/prog (inode $b_ino too) allowed"

normal=$(in_cgroup "$HELPERS/precog_probe" --exec "$B/a/prog" | tr '\n' ' ')
[ "$normal" = "exec ok " ] || fail "a normal process could not exec a/prog: $normal"
weird=$(in_cgroup "$HELPERS/precog_probe" --weird 4000 --exec "$B/a/prog" | tr '\n' ' ')
[ "$weird" = "exec EPERM " ] || fail "a blocked process's exec of a/prog was not refused by the gate: $weird"
note "btrfs: exec of a/prog: normal process \"$normal\", blocked process \"$weird\""

vaccinate "$O/prog" $((port + 1))
[ "$(connects "$O/prog" $((port + 1)))" = "refused by vigilante" ] ||
	fail "the vaccinated program on the overlay's lower layer reached 127.0.0.1:$((port + 1)): $(cat "$WORK/connect.err")"
[ "$(connects "$O/other" $((port + 1)))" = allowed ] ||
	fail "another program on the overlay was refused: $(cat "$WORK/connect.err")"
vaccinate "$O/other" $((port + 2))
[ "$(connects "$O/other" $((port + 2)))" = "refused by vigilante" ] ||
	fail "the vaccinated program on the overlay's upper layer reached 127.0.0.1:$((port + 2)): $(cat "$WORK/connect.err")"
note "overlay: prog (lower) and other (upper) refused their vaccinated ports, other allowed prog's"

wait_quiet
for p in "$B/a/prog" "$B/b/prog" "$O/prog" "$O/other"; do
	read -r ino dev <<< "$(identity "$p")"
	has_event ".type==\"exec\" and .exe==\"$p\" and .inode==$ino and .dev==\"$dev\"" "$WORK/events.jsonl" ||
		fail "no exec event of $p with its stat() identity (inode $ino, device $dev): $(jq -c "select(.type==\"exec\" and .exe==\"$p\") | {inode, dev}" "$WORK/events.jsonl" | head -1)"
done
note "exec events give each program's stat() identity"
