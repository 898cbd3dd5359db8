#!/usr/bin/env bash
# Quarantine figures, measured on processes this script starts, in a cgroup
# of its own: time from the threshold-crossing syscall (kernel timestamp) to
# the whole tree frozen (the daemon's detect_to_frozen_us), snapshot
# throughput (MB of process memory per second), and the latency of
# `vigilante quarantine kill` and `release`.
#
# Usage: bench/quarantine.sh [BUILD_DIR]   (RUNS=10, MEMORY_MB=200)
set -euo pipefail
build=${1:-build}
runs=${RUNS:-10}
memory_mb=${MEMORY_MB:-200}
cd "$(dirname "$0")/.."
. bench/lib.sh
bench_requires "$build" tests/helpers/quarantine_probe

work=$(mktemp -d /tmp/vg-qbench.XXXXXX)
root=/sys/fs/cgroup/unified
[ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ] && root=/sys/fs/cgroup
cg=$root/vigilante-bench-$$
mkdir "$cg"
daemon_pid=
cleanup() {
	[ -n "$daemon_pid" ] && kill "$daemon_pid" 2>/dev/null && wait "$daemon_pid" 2>/dev/null
	echo 1 > "$cg/cgroup.kill" 2>/dev/null || true
	sleep 0.2
	rmdir "$cg" 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT

# The synthetic model (scripts/synthetic-model.sh) scores the probes' uname
# runs at the top of the scale, whatever the built-in model was trained on.
model=$(scripts/synthetic-model.sh "$build/vigilante" "$work/model")
cat > "$work/policy.yaml" <<YAML
version: 1
scope: {kind: cgroup, cgroup: $cg}
output: {stdout: false, file: $work/events.jsonl}
wal: {dir: $work/wal}
control: {socket: $work/run/control.sock}
precognition: {mode: monitor, model: $model, flag_threshold: 700, block_threshold: 800, exec_gate: [], protected_paths: []}
quarantine: {mode: enforce, threshold: 900, action: hold, dir: $work/quarantine}
YAML
export VIGILANTE_SOCKET=$work/run/control.sock
"$build/vigilanted" --policy "$work/policy.yaml" 2>>"$work/daemon.err" &
daemon_pid=$!
for _ in $(seq 100); do "$build/vigilante" status --sample 0 >/dev/null 2>&1 && break; sleep 0.1; done

probe() { # probe N [ARGS]: starts a probe in the cgroup, waits until frozen; prints its id
	: > "$work/p$1.shm"
	(exec sh -c 'echo $$ > "$1/cgroup.procs" && shift && exec "$@"' sh "$cg" \
		"$build/tests/helpers/quarantine_probe" "$work/p$1.shm" "${@:2}" >/dev/null 2>&1) &
	local pid=$!
	for _ in $(seq 400); do
		id=$("$build/vigilante" quarantine list --json |
			jq -r ".quarantines[] | select(.pid==$pid and .state==\"frozen\") | .id")
		[ -n "$id" ] && { echo "$id"; return; }
		sleep 0.05
	done
	echo "probe $pid was not quarantined" >&2
	exit 1
}
ms() { date +%s%N; }

for i in $(seq "$runs"); do
	id=$(probe "$i" --memory "$memory_mb")
	start=$(ms)
	if [ $((i % 2)) -eq 0 ]; then
		"$build/vigilante" quarantine kill "$id" >/dev/null
		echo "kill $((($(ms) - start) / 1000))" >> "$work/latency"
	else
		"$build/vigilante" quarantine release "$id" >/dev/null
		echo "release $((($(ms) - start) / 1000))" >> "$work/latency"
		echo 1 > "$cg/cgroup.kill"
	fi
done
sleep 0.5
"$build/vigilante" wal dump --json "$work/wal" > "$work/dump.jsonl"

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
frozen=$(jq -r 'select(.payload.step=="frozen") | .payload.detect_to_frozen_us' "$work/dump.jsonl" | median)
mbps=$(jq -r 'select(.payload.step=="snapshotted") | .payload.snapshot[] | select(.seconds > 0) | .memory_bytes / 1048576 / .seconds' "$work/dump.jsonl" | median)
kill_us=$(awk '$1=="kill" {print $2}' "$work/latency" | median)
release_us=$(awk '$1=="release" {print $2}' "$work/latency" | median)
echo "Quarantine, $runs runs, medians (kernel $(uname -r), $(nproc) CPUs; probes of ${memory_mb} MiB)"
printf '  crossing syscall -> tree frozen:  %8.0f us (goal <= 2000)\n' "$frozen"
printf '  snapshot throughput:              %8.0f MiB/s of process memory (goal >= 200)\n' "$mbps"
printf '  vigilante quarantine kill:        %8.0f us (command round trip)\n' "$kill_us"
printf '  vigilante quarantine release:     %8.0f us (command round trip)\n' "$release_us"
