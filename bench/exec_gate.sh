#!/usr/bin/env bash
# Cost of the armed exec gate: fork+exec of /bin/true with nothing loaded,
# under vigilanted enforcing precognition on / with nothing flagged (the gate
# unarmed: no exec mark), and the same while a flagged process exists (so
# every exec waits for fanotify permission answers): as shipped, where the
# dynamic loader passes the gate (one answer per exec), and with the loader
# gated too (exec_gate_loaders: [], two answers). Interleaved rounds,
# medians, in one invocation.
#
# Each round also times one permission round trip, on opens of a marked
# file (the open gate, same thread and answer path): with no mark, with a
# bare responder that allows everything at once (bench/fanotify_floor.c,
# the floor of any fanotify gate), and with vigilanted's gate; and fork+exec
# under that bare responder marking / for exec (the floor of an exec gate).
#
# Usage: bench/exec_gate.sh [BUILD_DIR]   (ROUNDS=5, EXECS=1000, OPENS=5000)
set -euo pipefail
build=${1:-build}
rounds=${ROUNDS:-5}
execs=${EXECS:-1000}
opens=${OPENS:-5000}
cd "$(dirname "$0")/.."
. bench/lib.sh
bench_requires "$build" bench/decoy_opens bench/fanotify_floor bench/workload

work=$(mktemp -d /tmp/vg-gbench.XXXXXX)
daemon_pid= flagged_pid= floor_pid=
cleanup() {
	[ -n "$flagged_pid" ] && kill -KILL "$flagged_pid" 2>/dev/null
	[ -n "$floor_pid" ] && kill "$floor_pid" 2>/dev/null && wait "$floor_pid" 2>/dev/null
	[ -n "$daemon_pid" ] && kill "$daemon_pid" 2>/dev/null && wait "$daemon_pid" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT

# Block never: nothing is refused, every exec is gated once a process is
# flagged. policy-loaders.yaml is the same but gates the dynamic loader too
# (exec_gate_loaders: []): each dynamic exec then waits for two answers.
policy() { # policy LOADERS
	cat <<YAML
version: 1
scope: {kind: system}
output: {stdout: false, file: $work/events.jsonl}
wal: {dir: $work/wal}
control: {socket: $work/run/control.sock}
precognition: {mode: enforce, flag_threshold: 900, block_threshold: 1000000, exec_gate: [/], protected_paths: [$work/marked]$1}
YAML
}
policy "" > "$work/policy.yaml"
policy ", exec_gate_loaders: []" > "$work/policy-loaders.yaml"
echo "a test-owned file the gates mark" > "$work/marked"
latency() { "$build/bench/decoy_opens" latency "$work/marked" "$opens"; }
export VIGILANTE_SOCKET=$work/run/control.sock

start_daemon() { # start_daemon POLICY
	"$build/vigilanted" --policy "$1" 2>>"$work/daemon.err" &
	daemon_pid=$!
	for _ in $(seq 100); do "$build/vigilante" status --sample 0 >/dev/null 2>&1 && break; sleep 0.1; done
}
gate_events() { "$build/vigilante" status --sample 0 --json | jq .gate.events; }
# armed KEY: flags a sleeping process of our own by hand (the gate arms on
# any flagged process, whatever the model scores), times the execs as KEY
# and KEY-events (permission events per exec), and stops the daemon.
armed() {
	local before
	sleep 600 &
	flagged_pid=$!
	"$build/vigilante" flag --reason bench "$flagged_pid" > /dev/null
	for _ in $(seq 100); do
		[ "$(gate_events)" -gt 0 ] && break
		/bin/true
		sleep 0.1
	done
	[ "$(gate_events)" -gt 0 ] || { echo "exec_gate.sh: the exec gate never armed" >&2; exit 1; }
	before=$(gate_events)
	echo "$1 $("$build/bench/workload" exec "$execs")" >> "$work/results"
	echo "$1-events $(( ($(gate_events) - before) * 1000 / execs ))" >> "$work/results"
	kill -KILL "$flagged_pid"; wait "$flagged_pid" 2>/dev/null || true; flagged_pid=
	kill "$daemon_pid"; wait "$daemon_pid" || true; daemon_pid=
}

for r in $(seq "$rounds"); do
	echo "nothing $("$build/bench/workload" exec "$execs")" >> "$work/results"
	echo "open-outside $(latency | cut -d' ' -f1)" >> "$work/results"
	coproc FLOOR { exec "$build/bench/fanotify_floor" "$work/marked"; }
	floor_pid=$FLOOR_PID
	read -r _ <&"${FLOOR[0]}"
	echo "open-floor $(latency | cut -d' ' -f1)" >> "$work/results"
	kill "$floor_pid"; wait "$floor_pid" || true; floor_pid=
	coproc FLOOR { exec "$build/bench/fanotify_floor" / exec; }
	floor_pid=$FLOOR_PID
	read -r _ <&"${FLOOR[0]}"
	echo "exec-floor $("$build/bench/workload" exec "$execs")" >> "$work/results"
	kill "$floor_pid"; wait "$floor_pid" || true; floor_pid=
	start_daemon "$work/policy.yaml"
	echo "open-gate $(latency | cut -d' ' -f1)" >> "$work/results"
	echo "unarmed $("$build/bench/workload" exec "$execs")" >> "$work/results"
	armed armed
	start_daemon "$work/policy-loaders.yaml"
	armed armed-loaders
	echo "round $r/$rounds done" >&2
done

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
m() { awk -v k="$1" '$1==k {print $2}' "$work/results" | median; }
n=$(m nothing) u=$(m unarmed) a=$(m armed) l=$(m armed-loaders) o=$(m open-outside) f=$(m open-floor) g=$(m open-gate)
x=$(m exec-floor)
ae=$(m armed-events) le=$(m armed-loaders-events)
awk -v n="$n" -v u="$u" -v a="$a" -v l="$l" -v ae="$ae" -v le="$le" -v r="$rounds" -v o="$o" -v f="$f" -v g="$g" -v x="$x" 'BEGIN {
	printf "Exec gate, %d interleaved rounds, medians: fork+exec of /bin/true %.0f us with nothing loaded, %.0f us under vigilanted unarmed, %.0f us armed (%.2f permission events per exec; the dynamic loader passes), %.0f us armed with the loader gated too (%.2f events per exec):\n",
		r, n / 1000, u / 1000, a / 1000, ae / 1000, l / 1000, le / 1000
	printf "         the armed gate adds %.0f us per exec (armed - unarmed; %.0f us over nothing loaded); gating the loader too would add %.0f us (ratio armed/armed-loaders %.3f)\n", (a - u) / 1000, (a - n) / 1000, (l - u) / 1000, a / l
	printf "Permission round trip (open of a marked file): %.1f us unmarked; bare fanotify responder %.1f us (the floor: +%.1f us per event); vigilanted %.1f us (+%.1f us, %.1f us over the floor)\n",
		o / 1000, f / 1000, (f - o) / 1000, g / 1000, (g - o) / 1000, (g - f) / 1000
	printf "The floor for an exec: fork+exec under a bare responder marking / for FAN_OPEN_EXEC_PERM %.0f us, +%.0f us over nothing loaded (the armed gate: +%.0f us)\n",
		x / 1000, (x - n) / 1000, (a - n) / 1000 }'
