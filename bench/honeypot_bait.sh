#!/usr/bin/env bash
# Cost of the honeypot's bait to whoever takes it: the open+close of a
# honeytoken (the opener waits while the daemon's thread identifies and
# flags it) against a plain file of the same tmpfs, and a connection to the
# decoy SSH (until the banner's end: client found through sock_diag and
# /proc, flagged, banner sent) and to the decoy Redis (until +PONG). The
# daemon is scoped to an empty cgroup of its own, so the sensors do not
# weigh on the probes; every touch is still flagged and recorded. Rounds
# alternate plain and bait; medians of the per-round means.
#
# Usage: bench/honeypot_bait.sh [BUILD_DIR]   (ROUNDS=5, OPENS=2000, CONNECTS=200)
set -euo pipefail
build=${1:-build}
rounds=${ROUNDS:-5}
opens=${OPENS:-2000}
connects=${CONNECTS:-200}
ssh_port=22232 redis_port=26390
cd "$(dirname "$0")/.."
. bench/lib.sh
bench_requires "$build" tests/helpers/bait_probe
probe=$build/tests/helpers/bait_probe
[ -x "$probe" ] || { echo "honeypot_bait.sh: build $probe first (make $probe)" >&2; exit 1; }
for port in $ssh_port $redis_port; do
	[ -z "$(ss -Hltn "sport = :$port")" ] || { echo "honeypot_bait.sh: port $port is in use" >&2; exit 1; }
done

work=$(mktemp -d /tmp/vg-hbench.XXXXXX)
root=$(stat -fc %T /sys/fs/cgroup | grep -q cgroup2fs && echo /sys/fs/cgroup || echo /sys/fs/cgroup/unified)
cgroup=$root/vigilante-bench-bait-$$
daemon_pid=
cleanup() {
	[ -n "$daemon_pid" ] && kill "$daemon_pid" 2>/dev/null && wait "$daemon_pid" 2>/dev/null
	umount "$work/mnt" 2>/dev/null || true
	rmdir "$cgroup" 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT
mkdir "$cgroup" "$work/mnt"
mount -t tmpfs -o size=16m,mode=0755 vigilante-bench "$work/mnt"
echo "plain" > "$work/mnt/plain"

cat > "$work/policy.yaml" <<YAML
version: 1
scope: {kind: cgroup, cgroup: $cgroup}
output: {stdout: false, file: $work/events.jsonl}
wal: {dir: $work/wal}
control: {socket: $work/run/control.sock}
precognition: {mode: monitor}
honeypot:
  mode: enforce
  decoy_dir: $work/decoys
  decoys: {shadow: [], ssh_key: [], aws_credentials: [], git_credentials: []}
  honeytokens: {aws_credentials: [$work/mnt/credentials.bak]}
  services: {ssh: [$ssh_port], redis: [$redis_port]}
YAML
export VIGILANTE_SOCKET=$work/run/control.sock
"$build/vigilanted" --policy "$work/policy.yaml" 2>>"$work/daemon.err" &
daemon_pid=$!
for _ in $(seq 100); do "$build/vigilante" status --sample 0 >/dev/null 2>&1 && break; sleep 0.1; done

for r in $(seq "$rounds"); do
	echo "plain $("$probe" --open "$work/mnt/plain" -n "$opens")" >> "$work/results"
	echo "token $("$probe" --open "$work/mnt/credentials.bak" -n "$opens")" >> "$work/results"
	echo "ssh $("$probe" --connect $ssh_port -n "$connects")" >> "$work/results"
	echo "redis $("$probe" --connect $redis_port --greeting $'PING\r\n' -n "$connects")" >> "$work/results"
	echo "round $r/$rounds done" >&2
done
touches=$("$build/vigilante" status --sample 0 --json | jq '.honeytokens.touches')

median() { # median WHAT: of the results of that kind
	awk -v w="$1" '$1==w {print $2}' "$work/results" | sort -n |
		awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'
}
plain=$(median plain) token=$(median token) ssh=$(median ssh) redis=$(median redis)
awk -v p="$plain" -v t="$token" -v s="$ssh" -v rd="$redis" -v r="$rounds" -v n="$touches" 'BEGIN {
	printf "Honeytoken, %d interleaved rounds, medians: open+close %.1f us (plain file) -> %.1f us (honeytoken, flagged and recorded): %.1f us added per touch (%d touches)\n",
		r, p / 1000, t / 1000, (t - p) / 1000, n
	printf "Decoy services: connect to banner (ssh) %.0f us, connect to +PONG (redis) %.0f us, client found and flagged included\n",
		s / 1000, rd / 1000 }'
