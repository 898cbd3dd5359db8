#!/usr/bin/env bash
# Vaccination figures, on files and processes this script creates: the
# latency of `vigilante vaccine add` (hash, durable forensic record, gate
# updated), through the CLI and straight on the control socket, and the cost of the armed exec gate with many vaccines in force
# against one vaccine, fork+exec of a copy of /bin/true on a tmpfs of its own
# (interleaved rounds, medians).
#
# Usage: bench/vaccine.sh [BUILD_DIR]   (VACCINES=10000, ROUNDS=5, EXECS=500)
set -euo pipefail
build=${1:-build}
count=${VACCINES:-10000}
rounds=${ROUNDS:-5}
execs=${EXECS:-500}
cd "$(dirname "$0")/.."
. bench/lib.sh
bench_requires "$build" bench/workload

work=$(mktemp -d /tmp/vg-vbench.XXXXXX)
mkdir "$work/mnt"
mount -t tmpfs -o size=256m vigilante-bench "$work/mnt"
daemon_pid=
cleanup() {
	[ -n "$daemon_pid" ] && kill "$daemon_pid" 2>/dev/null && wait "$daemon_pid" 2>/dev/null
	umount "$work/mnt" 2>/dev/null || umount -l "$work/mnt"
	rm -rf "$work"
}
trap cleanup EXIT

export VIGILANTE_SOCKET=$work/run/control.sock

start() { # start POLICY
	"$build/vigilanted" --policy "$1" 2>>"$work/daemon.err" &
	daemon_pid=$!
	for _ in $(seq 100); do "$build/vigilante" status --sample 0 >/dev/null 2>&1 && break; sleep 0.1; done
}
stop() { kill "$daemon_pid"; wait "$daemon_pid" || true; daemon_pid=; }

cp /bin/true "$work/mnt/true"
mkdir "$work/vaccinated"
for i in $(seq "$count"); do echo "vaccinated program $i" > "$work/vaccinated/$i"; done
for n in 1 "$count"; do
	# The synthetic model (scripts/synthetic-model.sh) scores the probes' uname
# runs at the top of the scale, whatever the built-in model was trained on.
model=$(scripts/synthetic-model.sh "$build/vigilante" "$work/model")
cat > "$work/policy-$n.yaml" <<YAML
version: 1
scope: {kind: system}
output: {stdout: false}
wal: {dir: $work/wal-$n}
control: {socket: $work/run/control.sock}
precognition: {mode: monitor, model: $model, flag_threshold: 700, block_threshold: 1000000, exec_gate: [$work/mnt], protected_paths: []}
vaccination: {mode: enforce, threshold: 1000000, ttl: 1h}
YAML
	start "$work/policy-$n.yaml"
	# The first ones through the CLI (its process start included), the
	# rest straight on the control socket: the daemon's request-to-durable
	# time (hash, forensic record made durable, gates updated).
	cli=$((n < 100 ? n : 100))
	for i in $(seq "$cli"); do
		s=$(date +%s%N)
		"$build/vigilante" vaccine add --exec "$work/vaccinated/$i" > /dev/null
		echo $((($(date +%s%N) - s) / 1000)) >> "$work/add-us"
	done
	if [ "$n" -gt "$cli" ]; then
		mkdir -p "$work/rest"
		for i in $(seq $((n - cli))); do ln -s "$work/vaccinated/$((cli + i))" "$work/rest/$i"; done
		"$build/bench/workload" vaccinate $((n - cli)) "$work/rest" > "$work/durable-ns"
	fi
	stop
done

for r in $(seq "$rounds"); do
	for n in 1 "$count"; do
		start "$work/policy-$n.yaml"
		echo "$n $("$build/bench/workload" exec "$execs" "$work/mnt/true")" >> "$work/results"
		stop
	done
	echo "round $r/$rounds done" >&2
done

# Detecting syscall -> vaccine in the kernel: a copy of the workload makes
# uname() calls until its score crosses the vaccinate threshold; the kernel
# puts its program in the vaccines map in that syscall, then stamps the
# crossing's event. The time from the start of the last uname() before that
# stamp to the stamp bounds detect-to-enforced from above (it includes the
# syscall's entry). Then the copy's next exec must be refused: precognition
# enforces here, so the exec gate was armed when the copy was flagged, on
# its way to the vaccinate threshold, and it consults the kernel's map.
cat > "$work/policy-cross.yaml" <<YAML
version: 1
scope: {kind: system}
output: {stdout: false}
wal: {dir: $work/wal-cross}
control: {socket: $work/run/control.sock}
precognition: {mode: enforce, model: $model, flag_threshold: 700, block_threshold: 1000000, exec_gate: [$work/mnt], protected_paths: []}
vaccination: {mode: enforce, threshold: 900, ttl: 1h}
YAML
start "$work/policy-cross.yaml"
refused=0
for r in $(seq "$rounds"); do
	# A program of its own each round (a vaccine refuses copies by content).
	cp "$build/bench/workload" "$work/mnt/cross-$r"
	echo "round $r" >> "$work/mnt/cross-$r"
	"$work/mnt/cross-$r" cross 5000 > "$work/cross-$r.starts"
	"$work/mnt/cross-$r" getppid 1 > /dev/null 2>&1 || refused=$((refused + 1))
done
sleep 0.5
"$build/vigilante" wal dump --json "$work/wal-cross" |
	jq -r '.payload | select(.type == "score" and .level == "vaccinate") | "\(.exe) \(.ts_ns)"' > "$work/crossings"
stop
for r in $(seq "$rounds"); do
	stamp=$(awk -v exe="$work/mnt/cross-$r" '$1 == exe {print $2; exit}' "$work/crossings")
	[ -n "$stamp" ] || { echo "  round $r: no vaccinate crossing recorded" >&2; continue; }
	awk -v s="$stamp" '$1 < s {last = $1} END {if (last) print (s - last) / 1000}' "$work/cross-$r.starts" >> "$work/cross-us"
done

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
add=$(median < "$work/add-us")
one=$(awk '$1==1 {print $2}' "$work/results" | median)
many=$(awk -v n="$count" '$1==n {print $2}' "$work/results" | median)
echo "Vaccination, medians (kernel $(uname -r), $(nproc) CPUs)"
printf '  vigilante vaccine add, CLI round trip (process start + hash + durable record + gate): %.0f us\n' "$add"
[ -s "$work/durable-ns" ] &&
	printf '  vaccine add on the control socket, request to durable reply (mean of %d): %.0f us (goal <= 10 ms)\n' \
		$((count - 100)) "$(awk '{print $1 / 1000}' "$work/durable-ns")"
[ -s "$work/cross-us" ] &&
	printf '  detecting syscall -> vaccine in the kernel: <= %.1f us median of %d crossings (goal <= 10 us); the next exec refused in %d of %d\n' \
		"$(median < "$work/cross-us")" "$(wc -l < "$work/cross-us")" "$refused" "$rounds"
awk -v one="$one" -v many="$many" -v n="$count" 'BEGIN {
	printf "  armed exec gate, fork+exec: %.0f us with 1 vaccine, %.0f us with %d (ratio %.3f; goal <= 1.05)\n",
		one / 1000, many / 1000, n, many / one }'
