# A program's identity on btrfs. Each subvolume reports a device of its own
# in stat() and numbers its inodes from 256 again, so two programs in two
# subvolumes can share an inode number on one superblock. The kernel must
# key them as stat() does (the subvolume's device), or the keys userspace
# makes never match and two programs share one:
#  - exec events give the inode and device stat() gives;
#  - a connect vaccine on a program in subvolume a is enforced (EPERM, from
#    the kernel), and a copy of it in subvolume b is refused too (the exec
#    gate hashed it);
#  - another program in subvolume b with the same inode number is allowed;
#  - the exec gate, marking the filesystem, covers its subvolumes: a process
#    above block is refused the exec of a/prog (EPERM), a normal one is not.
# The filesystem is a loop-mounted image in the test's own directory; the
# exec gate marks only it, the connect gate only the test's cgroup.
. "$(dirname "$0")/lib.sh"

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
identity() { stat -c '%i %Hd:%Ld' "$1"; }
sb_dev=$(awk -v m="$B" '$5 == m { print $3 }' /proc/self/mountinfo)
read -r a_ino a_dev <<< "$(identity "$B/a/prog")"
read -r b_ino b_dev <<< "$(identity "$B/b/prog")"
[ "$a_ino" = "$b_ino" ] && [ "$a_dev" != "$b_dev" ] && [ "$a_dev" != "$sb_dev" ] ||
	fail "the programs do not share an inode number on distinct subvolume devices (a: $a_ino $a_dev, b: $b_ino $b_dev, superblock $sb_dev)"
note "a/prog and b/prog: inode $a_ino on devices $a_dev and $b_dev (superblock $sb_dev)"

make_test_cgroup
PRECOG_MODE=enforce EXEC_GATE="[$B]" write_policy "$WORK/policy.yaml" "vaccination:
  mode: enforce
  threshold: 1000000
  ttl: 1h"
start_daemon "$WORK/policy.yaml"

connects() { # connects PROGRAM PORT: "refused by vigilante" or "allowed"
	in_cgroup "$1" -c "exec 3<>/dev/tcp/127.0.0.1/$2" 2> "$WORK/connect.err"
	if grep -q "Operation not permitted" "$WORK/connect.err"; then echo "refused by vigilante"; else echo allowed; fi
}
port=$((20000 + RANDOM % 20000))
"$VIGILANTE" vaccine add --connect "127.0.0.1:$port" --program "$B/a/prog" > /dev/null ||
	fail "vaccine add --connect failed"
[ "$(connects "$B/a/prog" "$port")" = "refused by vigilante" ] ||
	fail "the vaccinated program in subvolume a reached 127.0.0.1:$port: $(cat "$WORK/connect.err")"
[ "$(connects "$B/b/prog" "$port")" = allowed ] ||
	fail "another program with the same inode number in subvolume b was refused: $(cat "$WORK/connect.err")"
cp "$B/a/prog" "$B/b/copy"
[ "$(connects "$B/b/copy" "$port")" = "refused by vigilante" ] ||
	fail "a copy of the vaccinated program in subvolume b reached the port"
note "connect vaccine: a/prog and its copy b/copy refused 127.0.0.1:$port, b/prog (inode $b_ino too) allowed"

normal=$(in_cgroup "$HELPERS/precog_probe" --exec "$B/a/prog" | tr '\n' ' ')
[ "$normal" = "exec ok " ] || fail "a normal process could not exec a/prog: $normal"
weird=$(in_cgroup "$HELPERS/precog_probe" --weird 4000 --exec "$B/a/prog" | tr '\n' ' ')
[ "$weird" = "exec EPERM " ] || fail "a blocked process's exec of a/prog was not refused by the gate: $weird"
note "exec of a/prog: normal process \"$normal\", blocked process \"$weird\""

wait_quiet
for p in a/prog b/prog; do
	read -r ino dev <<< "$(identity "$B/$p")"
	has_event ".type==\"exec\" and .exe==\"$B/$p\" and .inode==$ino and .dev==\"$dev\"" "$WORK/events.jsonl" ||
		fail "no exec event of $p with its stat() identity (inode $ino, device $dev): $(jq -c "select(.type==\"exec\" and .exe==\"$B/$p\") | {inode, dev}" "$WORK/events.jsonl" | head -1)"
done
note "exec events give each program's stat() identity"
