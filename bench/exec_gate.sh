#!/usr/bin/env bash
# Cost of the armed exec gate: fork+exec of /bin/true with nothing loaded,
# against the same with vigilanted enforcing precognition on / while a
# flagged process exists (so every exec waits for a fanotify permission
# answer). Interleaved rounds, medians, in one invocation.
#
# Usage: bench/exec_gate.sh [BUILD_DIR]   (ROUNDS=5, EXECS=1000)
set -euo pipefail
build=${1:-build}
rounds=${ROUNDS:-5}
execs=${EXECS:-1000}
cd "$(dirname "$0")/.."
[ "$(id -u)" -eq 0 ] || { echo "exec_gate.sh: needs root" >&2; exit 1; }

work=$(mktemp -d /tmp/vg-gbench.XXXXXX)
daemon_pid= flagged_pid=
cleanup() {
	[ -n "$flagged_pid" ] && kill -KILL "$flagged_pid" 2>/dev/null
	[ -n "$daemon_pid" ] && kill "$daemon_pid" 2>/dev/null && wait "$daemon_pid" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT

# Flag at 900, block never: nothing is refused, every exec is gated.
cat > "$work/policy.yaml" <<YAML
version: 1
scope: {kind: system}
output: {stdout: false, file: $work/events.jsonl}
wal: {dir: $work/wal}
control: {socket: $work/run/control.sock}
precognition: {mode: enforce, flag_threshold: 900, block_threshold: 1000000, exec_gate: [/], protected_paths: []}
YAML
export VIGILANTE_SOCKET=$work/run/control.sock

for r in $(seq "$rounds"); do
	echo "nothing $("$build/bench/workload" exec "$execs")" >> "$work/results"
	"$build/vigilanted" --policy "$work/policy.yaml" 2>>"$work/daemon.err" &
	daemon_pid=$!
	for _ in $(seq 100); do "$build/vigilante" status --sample 0 >/dev/null 2>&1 && break; sleep 0.1; done
	"$build/tests/helpers/precog_probe" --weird 3000 --sleep 600 > /dev/null &
	flagged_pid=$!
	for _ in $(seq 100); do
		"$build/vigilante" status --sample 0 --json | jq -e '.gate.events > 0' >/dev/null 2>&1 && break
		/bin/true
		sleep 0.1
	done
	echo "armed $("$build/bench/workload" exec "$execs")" >> "$work/results"
	events=$("$build/vigilante" status --sample 0 --json | jq .gate.events)
	kill -KILL "$flagged_pid"; wait "$flagged_pid" 2>/dev/null || true; flagged_pid=
	kill "$daemon_pid"; wait "$daemon_pid" || true; daemon_pid=
	echo "round $r/$rounds done ($events permission events answered)" >&2
done

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
n=$(awk '$1=="nothing" {print $2}' "$work/results" | median)
a=$(awk '$1=="armed" {print $2}' "$work/results" | median)
awk -v n="$n" -v a="$a" -v r="$rounds" 'BEGIN {
	printf "Exec gate armed, %d interleaved rounds, medians: fork+exec of /bin/true %.0f us -> %.0f us (%.3fx): %.0f us added per exec\n",
		r, n / 1000, a / 1000, a / n, (a - n) / 1000 }'
