#!/usr/bin/env bash
# Overhead of Vigilante, measured in one invocation against a baseline run in
# the same invocation (these machines are noisy). Each round runs every
# workload four ways, interleaved:
#   nothing    no BPF program of ours loaded
#   floor      an empty tp_btf/sys_enter program (the tracepoint's own cost)
#   sensors    vigilanted, sensors on every process, precognition off
#   vigilante  vigilanted with the default policy's precognition (monitor):
#              the model on every syscall, the fanotify exec gate on /, the
#              connect gate on the root cgroup
# and the medians are printed as ratios to "nothing". Each round also reads
# the BPF run-time stats of vg_sys_enter and of three floor programs
# (bench/floor.bpf.c: the empty one, one that counts syscalls in a per-CPU
# array, and one that counts them in task storage) on an untimed getppid
# run.
#
# Usage: bench/overhead.sh [BUILD_DIR]   (ROUNDS=5 by default)
set -euo pipefail
build=${1:-build}
rounds=${ROUNDS:-5}
cd "$(dirname "$0")/.."
. bench/lib.sh
bench_requires "$build" bench/floor bench/workload

work=$(mktemp -d /tmp/vg-bench.XXXXXX)
daemon_pid= floor_pid=
cleanup() {
	[ -n "$daemon_pid" ] && kill "$daemon_pid" 2>/dev/null && wait "$daemon_pid" 2>/dev/null
	[ -n "$floor_pid" ] && kill "$floor_pid" 2>/dev/null && wait "$floor_pid" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT

# The real job: extracting a tarball of ~50 MB of headers (many small files).
find /usr/include -type f | sort > "$work/all-files"
head -n 7000 "$work/all-files" > "$work/files"
tar -cf "$work/job.tar" -T "$work/files" 2>/dev/null
job_mb=$(($(stat -c %s "$work/job.tar") >> 20))

cat > "$work/policy.yaml" <<YAML
version: 1
scope: {kind: system}
output: {stdout: false, file: $work/events.jsonl}
wal: {dir: $work/wal}
control: {socket: $work/run/control.sock}
YAML
sed 's/^version: 1$/version: 1\nprecognition: {mode: off}/' "$work/policy.yaml" > "$work/sensors.yaml"
export VIGILANTE_SOCKET=$work/run/control.sock

start_mode() {
	case $1 in
	floor)
		coproc FLOOR { exec "$build/bench/floor"; }
		floor_pid=$FLOOR_PID
		read -r _ <&"${FLOOR[0]}"
		;;
	sensors | vigilante)
		policy=$work/policy.yaml
		[ "$1" = sensors ] && policy=$work/sensors.yaml
		"$build/vigilanted" --policy "$policy" 2>>"$work/daemon.err" &
		daemon_pid=$!
		for _ in $(seq 100); do "$build/vigilante" status --sample 0 >/dev/null 2>&1 && break; sleep 0.1; done
		;;
	esac
}

stop_mode() {
	case $1 in
	floor) kill "$floor_pid"; wait "$floor_pid" || true; floor_pid= ;;
	sensors) kill "$daemon_pid"; wait "$daemon_pid" || true; daemon_pid= ;;
	vigilante)
		# Run-time stats cost a clock read per program run: they are
		# sampled here, on an extra getppid run that is not timed.
		"$build/vigilante" status --sample 1500 --json > "$work/status.json" &
		sleep 0.2
		"$build/bench/workload" getppid 1000000 > /dev/null
		wait $!
		jq -r '.programs[] | select(.name=="vg_sys_enter") | "\(.run_time_ns) \(.run_cnt)"' \
			"$work/status.json" >> "$work/sys_enter_stats"
		kill "$daemon_pid"; wait "$daemon_pid" || true; daemon_pid=
		;;
	esac
}

run_job() {
	local dir=$work/extract start end
	mkdir -p "$dir"
	start=$(date +%s%N)
	tar -xf "$work/job.tar" -C "$dir"
	end=$(date +%s%N)
	rm -rf "$dir"
	echo $(((end - start) / 1000))
}

workloads="getppid open exec job"
for r in $(seq "$rounds"); do
	for mode in nothing floor sensors vigilante; do
		start_mode $mode
		echo "$mode getppid $("$build/bench/workload" getppid 2000000)" >> "$work/results"
		echo "$mode open $("$build/bench/workload" open 200000)" >> "$work/results"
		echo "$mode exec $("$build/bench/workload" exec 2000)" >> "$work/results"
		echo "$mode job $(run_job)" >> "$work/results"
		stop_mode $mode
	done
	# BPF run-time stats of the floor programs, on an extra getppid run that
	# is not timed (the stats' clock reads would weigh on the timings).
	for program in empty map-touch task-state; do
		"$build/bench/floor" --stats "$program" > "$work/floor.out" &
		floor_pid=$!
		for _ in $(seq 100); do grep -q ready "$work/floor.out" && break; sleep 0.05; done
		"$build/bench/workload" getppid 1000000 > /dev/null
		kill "$floor_pid"; wait "$floor_pid" || true; floor_pid=
		tail -n 1 "$work/floor.out" >> "$work/stats-$program"
	done
	echo "round $r/$rounds done" >&2
done

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
m() { awk -v m="$1" -v w="$2" '$1==m && $2==w {print $3}' "$work/results" | median; }

echo
echo "Vigilante overhead, $rounds interleaved rounds, medians (kernel $(uname -r), $(nproc) CPUs)"
printf '%-34s %12s %10s %10s %10s\n' workload "nothing" "floor" "sensors" "vigilante"
for w in $workloads; do
	n=$(m nothing $w) f=$(m floor $w) s=$(m sensors $w) v=$(m vigilante $w)
	case $w in
	getppid) label="2M getppid (ns/call)" ;;
	open) label="200k open/read/close (ns/iter)" ;;
	exec) label="2k fork+exec /bin/true (ns/iter)" ;;
	job) label="tar -x of ${job_mb} MB, 7000 files (us)" ;;
	esac
	awk -v l="$label" -v n="$n" -v f="$f" -v s="$s" -v v="$v" \
		'BEGIN {printf "%-34s %12.1f %9.3fx %9.3fx %9.3fx\n", l, n, f/n, s/n, v/n}'
done
n=$(m nothing getppid) f=$(m floor getppid) s=$(m sensors getppid) v=$(m vigilante getppid)
awk -v n="$n" -v f="$f" -v s="$s" -v v="$v" 'BEGIN {
	printf "\ngetppid: the floor adds %.1f ns/syscall; sensors add %.1f ns (%.2f x the floor, goal <= 1.25);\n", f - n, s - n, (s - n) / (f - n)
	printf "         sensors + model add %.1f ns (%.2f x the floor, goal <= 1.5)\n", v - n, (v - n) / (f - n) }'
s=$(m sensors exec) v=$(m vigilante exec)
awk -v s="$s" -v v="$v" 'BEGIN { printf "model + unarmed exec gate: %.1f us per fork+exec (vigilante - sensors, medians; bench/exec_gate.sh measures the armed gate)\n", (v - s) / 1000 }'
average() { awk '{t += $1; c += $2} END { if (c) printf "%.1f", t / c }' "$1"; }
e=$(average "$work/stats-empty") m=$(average "$work/stats-map-touch") t=$(average "$work/stats-task-state")
v=$(average "$work/sys_enter_stats")
awk -v e="$e" -v m="$m" -v t="$t" -v v="$v" 'BEGIN {
	printf "BPF run-time stats, average per run: vg_sys_enter %.1f ns (goal <= 100); the empty program %.1f ns (the stats'"'"' own clock reads);\n", v, e
	printf "         a program that counts syscalls in a per-CPU array %.1f ns (touching one map);\n", m
	printf "         a program that only counts syscalls in task storage %.1f ns: vg_sys_enter is %.1f ns above the empty program, %.1f ns above the least a per-task score costs\n", t, v - e, v - t }'
