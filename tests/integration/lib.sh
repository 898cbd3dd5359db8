# Shared helpers for the integration tests. Each test sources this file, runs
# as root against the real kernel, and owns everything it creates: a cgroup
# of its own (the daemon's scope), a temp dir for the policy, socket, forensic
# log and outputs, and the processes it starts. `cleanup` undoes all of it,
# on success and on failure.

set -u
VG_BIN=${VG_BIN:-build/asan}
VIGILANTE=$VG_BIN/vigilante
VIGILANTED=$VG_BIN/vigilanted
HELPERS=${HELPERS:-build/tests/helpers}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

TEST_NAME=$(basename "$0" .sh)
WORK=$(mktemp -d "/tmp/vg-${TEST_NAME}.XXXXXX")
DAEMON_PID=
TEST_CGROUP=
STARTED_PIDS=()
TEST_MOUNTS=()
# Supervised workloads (`vigilante run`) a test starts are named
# $RUN_PREFIX-...: cleanup ends whatever of them is left.
RUN_PREFIX="vgtest-$$"

# A tmpfs of the test's own, for files the gates protect:
# mount_test_tmpfs DIR [SIZE] (default 16m).
mount_test_tmpfs() {
	mkdir -p "$1"
	mount -t tmpfs -o "size=${2:-16m},mode=0755" vigilante-test "$1" || fail "cannot mount a tmpfs on $1"
	TEST_MOUNTS+=("$1")
}

fail() {
	echo "FAIL ${TEST_NAME}: $*" >&2
	if [ -s "$WORK/daemon.err" ]; then
		echo "--- daemon stderr (last 30 lines)" >&2
		tail -n 30 "$WORK/daemon.err" >&2
	fi
	exit 1
}

note() { echo "  ${TEST_NAME}: $*"; }

# has_event JQ_CONDITION FILE: some JSON line of FILE satisfies the condition.
# (jq 1.6's -e looks only at the last input, so it cannot say this.)
has_event() {
	[ -n "$(jq -c "select($1)" "$2")" ]
}

cgroup2_root() {
	if [ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ]; then
		echo /sys/fs/cgroup
	else
		echo /sys/fs/cgroup/unified
	fi
}

make_test_cgroup() {
	TEST_CGROUP="$(cgroup2_root)/vigilante-test-${TEST_NAME}-$$"
	mkdir "$TEST_CGROUP" || fail "cannot create cgroup $TEST_CGROUP"
}

# Runs a command inside the test cgroup; prints nothing itself.
in_cgroup() {
	sh -c 'echo $$ > "$1/cgroup.procs" && shift && exec "$@"' sh "$TEST_CGROUP" "$@"
}

# The precognition model the tests score with, so that what they drive
# above the thresholds does not hang on the built-in model's training data
# (scripts/synthetic-model.sh): the run of uname() that the probes' --weird
# makes costs the most (15 bits a call: a score of about 960), what its two
# synthetic traces do not show costs even (8 bits: about 512), and the
# normal program's calls less.
test_model() {
	scripts/synthetic-model.sh "$VIGILANTE" "$WORK/test-model" ||
		fail "cannot train the test model"
}

# write_policy FILE [extra YAML]: a policy scoped to the test cgroup whose
# socket, forensic log and event file live in $WORK. Precognition scores
# with the test model, flags at 700 and blocks at 800 (above anything but the
# probes' uname runs), runs in PRECOG_MODE (default monitor) and gates only
# what the test names in EXEC_GATE and PROTECTED (default: nothing; LOADERS,
# the dynamic loaders that pass the exec gate: none), never the host's own
# files, answering within GATE_DEADLINE_MS (default 200).
write_policy() {
	local file=$1 model
	shift
	model=$(test_model) || fail "no test model"
	cat > "$file" <<YAML
version: 1
scope:
  kind: cgroup
  cgroup: $TEST_CGROUP
output:
  stdout: false
  file: $WORK/events.jsonl
wal:
  dir: $WORK/wal
  commit_interval_ms: 2
control:
  socket: $WORK/run/control.sock
precognition:
  mode: ${PRECOG_MODE:-monitor}
  model: $model
  flag_threshold: 700
  block_threshold: 800
  exec_gate: ${EXEC_GATE:-[]}
  exec_gate_loaders: ${LOADERS:-[]}
  protected_paths: ${PROTECTED:-[]}
  gate_deadline_ms: ${GATE_DEADLINE_MS:-200}
$*
YAML
}

# The honeypot section of a test policy: MODE, only /etc/shadow decoyed
# (the tests bind-mount a file of their own over it), no decoy services.
honeypot_policy() {
	cat <<YAML
honeypot:
  mode: $1
  decoy_dir: $WORK/decoys
  decoys: {shadow: [/etc/shadow], ssh_key: [], aws_credentials: [], git_credentials: []}
  services: {ssh: [], redis: []}
YAML
}

export VIGILANTE_SOCKET=

# start_daemon POLICY: vigilanted in the background, answering on its
# socket. With DAEMON_SHADOW=FILE it runs in a mount namespace of its own
# where FILE is bind-mounted over /etc/shadow, as the honeypot tests' workloads
# do: the open gate marks the real files the honeypot decoys, and it must
# mark the test's file, never the host's /etc/shadow.
start_daemon() {
	local policy=$1
	VIGILANTE_SOCKET=$WORK/run/control.sock
	export VIGILANTE_SOCKET
	if [ -n "${DAEMON_SHADOW:-}" ]; then
		unshare -m --propagation private sh -c \
			'mount --bind "$1" /etc/shadow && exec "$2" --policy "$3"' \
			sh "$DAEMON_SHADOW" "$VIGILANTED" "$policy" 2>>"$WORK/daemon.err" &
	else
		"$VIGILANTED" --policy "$policy" 2>>"$WORK/daemon.err" &
	fi
	DAEMON_PID=$!
	for _ in $(seq 200); do
		if [ -S "$VIGILANTE_SOCKET" ] && "$VIGILANTE" status --sample 0 >/dev/null 2>&1; then
			return 0
		fi
		kill -0 "$DAEMON_PID" 2>/dev/null || fail "vigilanted exited during start"
		sleep 0.05
	done
	fail "vigilanted did not answer on $VIGILANTE_SOCKET within 10 s"
}

stop_daemon() {
	[ -n "$DAEMON_PID" ] || return 0
	kill -TERM "$DAEMON_PID" 2>/dev/null
	local rc=0
	wait "$DAEMON_PID" || rc=$?
	DAEMON_PID=
	return $rc
}

# Waits until the daemon has handled everything the kernel queued: its
# total stops moving.
wait_quiet() {
	local last=-1 now
	for _ in $(seq 100); do
		now=$("$VIGILANTE" status --sample 0 --json | jq .events_total)
		[ "$now" = "$last" ] && return 0
		last=$now
		sleep 0.2
	done
}

cleanup() {
	local rc=$?
	if [ -n "$DAEMON_PID" ]; then
		kill -TERM "$DAEMON_PID" 2>/dev/null
		wait "$DAEMON_PID" 2>/dev/null
	fi
	for p in "${STARTED_PIDS[@]}"; do
		kill -KILL "$p" 2>/dev/null
		# A quarantine this test's daemon left frozen.
		for q in "$(cgroup2_root)"/vigilante-quarantine/q-"$p"-*; do
			[ -d "$q" ] || continue
			echo 1 > "$q/cgroup.kill"
			for _ in $(seq 50); do rmdir "$q" 2>/dev/null && break; sleep 0.1; done
		done
	done
	for w in "$(cgroup2_root)"/vigilante-run/"$RUN_PREFIX"-*; do
		[ -d "$w" ] || continue
		echo 1 > "$w/cgroup.kill"
		for _ in $(seq 50); do rmdir "$w" 2>/dev/null && break; sleep 0.1; done
	done
	# Last mounted first: an overlay goes before the tmpfs under it.
	for ((i = ${#TEST_MOUNTS[@]} - 1; i >= 0; i--)); do
		umount "${TEST_MOUNTS[i]}" 2>/dev/null || umount -l "${TEST_MOUNTS[i]}"
	done
	if [ -n "$TEST_CGROUP" ] && [ -d "$TEST_CGROUP" ]; then
		if [ -e "$TEST_CGROUP/cgroup.kill" ]; then
			echo 1 > "$TEST_CGROUP/cgroup.kill" 2>/dev/null
		fi
		for _ in $(seq 50); do rmdir "$TEST_CGROUP" 2>/dev/null && break; sleep 0.1; done
	fi
	if [ "$rc" -eq 0 ] || [ -z "${KEEP_WORK:-}" ]; then
		rm -rf "$WORK"
	fi
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM
