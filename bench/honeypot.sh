#!/usr/bin/env bash
# Honeypot figures, on a file and processes this script creates (a stand-in
# secret on a tmpfs of its own, decoyed by the policy):
#   - the latency of one open() for a process outside supervision, one
#     answered by a bare supervisor that only says "continue" (the floor:
#     bench/notif_floor.c), a supervised unflagged one (the seccomp round
#     trip to the daemon: goal +15 us at most, median), the same while
#     another process is flagged, and a supervised flagged one (served the
#     decoy);
#     interleaved rounds, medians of per-open medians;
#   - leaked opens: a supervised process drives its own score up between
#     opens; every open that starts after the kernel flagged it (the crossing's
#     timestamp in the forensic log) must return the decoy (goal: 0 leaked).
#
# Usage: bench/honeypot.sh [BUILD_DIR]   (ROUNDS=5, OPENS=20000, RACES=3)
set -euo pipefail
build=${1:-build}
rounds=${ROUNDS:-5}
opens=${OPENS:-20000}
races=${RACES:-3}
cd "$(dirname "$0")/.."
. bench/lib.sh
bench_requires "$build" bench/decoy_opens bench/notif_floor
probe=$build/bench/decoy_opens

work=$(mktemp -d /tmp/vg-hbench.XXXXXX)
mkdir "$work/mnt"
mount -t tmpfs -o size=16m vigilante-bench "$work/mnt"
# The sensor's scope: an empty cgroup of the bench's own, so that only the
# supervised workloads (always in scope) are scored, not the whole host.
root=/sys/fs/cgroup
[ "$(stat -fc %T $root)" = cgroup2fs ] || root=/sys/fs/cgroup/unified
scope=$root/vigilante-bench-$$
mkdir "$scope"
daemon_pid=
cleanup() {
	[ -n "$daemon_pid" ] && kill "$daemon_pid" 2>/dev/null && wait "$daemon_pid" 2>/dev/null
	umount "$work/mnt" 2>/dev/null || umount -l "$work/mnt"
	rmdir "$scope"
	rm -rf "$work"
}
trap cleanup EXIT
export VIGILANTE_SOCKET=$work/run/control.sock

marker=REAL-BENCH-SECRET
echo "root:$marker:19000:0:99999:7:::" > "$work/mnt/secret"
# The synthetic model (scripts/synthetic-model.sh) scores the probes' uname
# runs at the top of the scale, whatever the built-in model was trained on.
model=$(scripts/synthetic-model.sh "$build/vigilante" "$work/model")
cat > "$work/policy.yaml" <<YAML
version: 1
scope: {kind: cgroup, cgroup: $scope}
output: {stdout: false}
wal: {dir: $work/wal}
control: {socket: $work/run/control.sock}
precognition: {mode: monitor, model: $model, flag_threshold: 700, block_threshold: 800, exec_gate: [], protected_paths: []}
honeypot:
  mode: enforce
  decoy_dir: $work/decoys
  decoys: {shadow: [$work/mnt/secret], ssh_key: [], aws_credentials: [], git_credentials: []}
  services: {ssh: [], redis: []}
YAML
"$build/vigilanted" --policy "$work/policy.yaml" 2>>"$work/daemon.err" &
daemon_pid=$!
for _ in $(seq 100); do "$build/vigilante" status --sample 0 >/dev/null 2>&1 && break; sleep 0.1; done

median() { sort -n | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }
for r in $(seq "$rounds"); do
	"$probe" latency "$work/mnt/secret" "$opens" | cut -d' ' -f1 >> "$work/outside"
	"$build/bench/notif_floor" "$work/mnt/secret" "$opens" >> "$work/floor"
	"$build/vigilante" run --name "bench-$$-$r" -- "$probe" latency "$work/mnt/secret" "$opens" |
		cut -d' ' -f1 >> "$work/unflagged"
	# The same while another (supervised, sleeping) process is flagged:
	# the supervisor can no longer skip its verdict lookup.
	"$build/vigilante" run --name "bench-$$-s$r" -- sh -c "echo \$\$ > $work/sleeper; exec sleep 600" &
	sleeper_run=$!
	for _ in $(seq 100); do [ -s "$work/sleeper" ] && break; sleep 0.05; done
	"$build/vigilante" flag --reason bench "$(cat "$work/sleeper")"
	"$build/vigilante" run --name "bench-$$-o$r" -- "$probe" latency "$work/mnt/secret" "$opens" |
		cut -d' ' -f1 >> "$work/unflagged-other"
	kill "$(cat "$work/sleeper")"
	wait "$sleeper_run" || true
	rm "$work/sleeper"
	"$build/vigilante" run --name "bench-$$-f$r" -- "$probe" latency "$work/mnt/secret" "$opens" 4000 |
		cut -d' ' -f1 >> "$work/flagged"
done
outside=$(median < "$work/outside")
floor=$(median < "$work/floor")
unflagged=$(median < "$work/unflagged")
unflagged_other=$(median < "$work/unflagged-other")
flagged=$(median < "$work/flagged")
echo "honeypot: open() median over $rounds rounds of $opens (interleaved):"
echo "  outside supervision      ${outside} ns"
awk -v o="$outside" -v u="$unflagged" -v f="$flagged" -v fl="$floor" -v uo="$unflagged_other" 'BEGIN {
	printf "  floor (bare supervisor)  %d ns   (+%.1f us: a seccomp notification round trip)\n", fl, (fl - o) / 1000
	printf "  supervised, unflagged    %d ns   (+%.1f us, %.1fx; goal +15 us)\n", u, (u - o) / 1000, u / o
	printf "  ... another one flagged  %d ns   (+%.1f us, %.1fx: the verdict lookup is no longer skipped)\n", uo, (uo - o) / 1000, uo / o
	printf "  supervised, flagged      %d ns   (+%.1f us, %.1fx; served the decoy)\n", f, (f - o) / 1000, f / o
}'

leaked=0 before=0 total=0
for r in $(seq "$races"); do
	"$build/vigilante" run --name "bench-$$-race$r" -- "$probe" race "$work/mnt/secret" 400 "$marker" > "$work/race$r"
done
sleep 0.5
"$build/vigilante" wal dump --json "$work/wal" |
	jq -r '.payload | select(.type == "score" and .level == "flag") | "\(.pid) \(.ts_ns)"' > "$work/crossings"
for r in $(seq "$races"); do
	pid=$(awk '$1 == "pid" {print $2}' "$work/race$r")
	crossing=$(awk -v p="$pid" '$1 == p {print $2}' "$work/crossings" | head -1)
	[ -n "$crossing" ] || { echo "  race $r: process $pid was never flagged" >&2; exit 1; }
	read -r l b t < <(awk -v c="$crossing" '$1 == "pid" {next}
		$1 > c && $2 == "real" {l++} $1 < c && $2 == "decoy" {b++} {t++}
		END {print l+0, b+0, t+0}' "$work/race$r")
	leaked=$((leaked + l)) before=$((before + b)) total=$((total + t))
	after=$(awk -v c="$crossing" '$1 != "pid" && $1 > c' "$work/race$r" | wc -l)
	echo "  race $r: flagged after $((t - after)) of $t opens; $after opens after the flag, $l of them leaked"
done
echo "honeypot: leaked opens after the flag: $leaked in $races races of $total opens (goal 0); decoys served before the flag: $before"
