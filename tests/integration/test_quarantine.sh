# Quarantine, end to end: a process that crosses the threshold is stopped in
# the syscall that crossed it (no user instruction after it), its tree goes
# into a frozen cgroup that a SIGCONT cannot thaw, its snapshot opens in gdb
# with the right values, a test YARA rule matches it, and release and kill
# do what they say. Every process here is the test's own.
. "$(dirname "$0")/lib.sh"

PROBE=$HELPERS/quarantine_probe
make_test_cgroup
mkdir -p "$WORK/rules"
cat > "$WORK/rules/test.yar" <<'YAR'
rule planted_secret : test { meta: description = "the probe's planted secret" strings: $s = "VIGILANTE-PLANTED-SECRET-" condition: $s }
YAR
write_policy "$WORK/policy.yaml" "quarantine:
  mode: enforce
  threshold: 900
  action: hold
  dir: $WORK/quarantine
  rules: $WORK/rules"
start_daemon "$WORK/policy.yaml"

start_probe() { # start_probe NAME [--family]: the probe's pid on stdout
	: > "$WORK/$1.shm"
	# exec all the way down, so that $! is the probe itself.
	(exec sh -c 'echo $$ > "$1/cgroup.procs" && shift && exec "$@"' sh "$TEST_CGROUP" \
		"$PROBE" "$WORK/$1.shm" "${@:2}" > /dev/null 2>&1) &
	echo $!
}
shm_field() { od -An -t d8 -j "$2" -N 8 "$WORK/$1.shm" | tr -d ' '; } # shm_field NAME OFFSET
frozen_id() { # frozen_id PID: waits for the quarantine of PID to be frozen
	for _ in $(seq 200); do
		id=$("$VIGILANTE" quarantine list --json | jq -r ".quarantines[] | select(.pid==$1 and .state==\"frozen\") | .id")
		[ -n "$id" ] && { echo "$id"; return 0; }
		sleep 0.05
	done
	return 1
}

# 1. A single-threaded probe: stopped in the crossing syscall, frozen,
#    snapshotted.
pid=$(start_probe one)
STARTED_PIDS+=("$pid")
id=$(frozen_id "$pid") || fail "probe $pid was not quarantined"
wait_quiet
crossing=$(jq -c "select(.type==\"score\" and .level==\"quarantine\" and .pid==$pid)" "$WORK/events.jsonl")
[ -n "$crossing" ] || fail "no quarantine crossing event"
at=$(jq .syscalls <<<"$crossing")
now=$("$VIGILANTE" ps --json | jq ".processes[] | select(.pid==$pid) | .syscalls")
note "crossed at its syscall $at; it has made $now"
[ "$now" = "$at" ] || fail "the probe made syscalls after the one that crossed the threshold"
cg=$("$VIGILANTE" quarantine show "$id" --json | jq -r .cgroup)
grep -q "frozen 1" "$cg/cgroup.events" || fail "the quarantine cgroup is not frozen"
grep -qx "$pid" "$cg/cgroup.procs" || fail "the probe is not in the quarantine cgroup"

# No user instruction after the detecting syscall: the core's pc is right
# after a syscall instruction, and the loop counter matches.
done_before=$(shm_field one 8)
core=$WORK/quarantine/$id/$pid/core
for _ in $(seq 100); do [ -f "$core" ] && break; sleep 0.1; done
[ -f "$core" ] || fail "no core at $core"
gdb -batch -ex 'print/x planted_global' -ex 'x/i $pc-2' "$PROBE" "$core" > "$WORK/gdb.out" 2>&1
grep -q '= 0x5eedc0ffee' "$WORK/gdb.out" || fail "gdb does not show planted_global: $(cat "$WORK/gdb.out")"
grep -q 'syscall' "$WORK/gdb.out" || fail "the stopped pc is not right after a syscall: $(tail -3 "$WORK/gdb.out")"
grep -qa "VIGILANTE-PLANTED-SECRET-$pid" "$core" || fail "the heap secret is not in the core"
meta=$WORK/quarantine/$id/$pid/meta.json
port=$(od -An -t d4 -j 16 -N 4 "$WORK/one.shm" | tr -d ' ')
jq -e ".. | strings | select(test(\"one.shm.held\"))" "$meta" > /dev/null || fail "meta.json lacks the open file"
grep -q "127.0.0.1:$port" "$meta" || fail "meta.json lacks the listening socket on port $port"
"$VIGILANTE" wal dump --json "$WORK/wal" > "$WORK/dump.jsonl"
has_event ".payload.type==\"quarantine\" and .payload.step==\"snapshotted\" and .payload.id==\"$id\" and ([.payload.yara[].rule] | index(\"planted_secret\") != null)" "$WORK/dump.jsonl" ||
	fail "the test YARA rule did not match the snapshot"

# 2. A SIGCONT from outside does not revive it.
kill -CONT "$pid"
sleep 0.5
[ "$(shm_field one 8)" = "$done_before" ] || fail "SIGCONT revived the quarantined probe"

# 3. release lets it run again.
"$VIGILANTE" quarantine release "$id" > /dev/null || fail "release failed"
for _ in $(seq 50); do [ "$(shm_field one 8)" != "$done_before" ] && break; sleep 0.1; done
[ "$(shm_field one 8)" != "$done_before" ] || fail "the released probe does not run"
note "quarantine $id: frozen after $done_before calls, snapshot ok, released"
kill -KILL "$pid"

# 4. A probe with a child and a thread: all frozen together; kill leaves no
#    process behind.
pid2=$(start_probe two --family)
STARTED_PIDS+=("$pid2")
id2=$(frozen_id "$pid2") || fail "second probe not quarantined"
child2=$(od -An -t d4 -j 20 -N 4 "$WORK/two.shm" | tr -d ' ')
STARTED_PIDS+=("$child2")
cg2=$("$VIGILANTE" quarantine show "$id2" --json | jq -r .cgroup)
grep -q "frozen 1" "$cg2/cgroup.events" || fail "the second quarantine cgroup is not frozen"
grep -qx "$child2" "$cg2/cgroup.procs" || fail "the probe's child ($child2) was not frozen with it"
[ "$(ls "/proc/$pid2/task" | wc -l)" -eq 2 ] || fail "the probe should have 2 threads"
grep -q "^$pid2\$" "$cg2/cgroup.procs" || fail "the probe's process is not in the cgroup"
[ "$(wc -l < "$cg2/cgroup.threads")" -ge 3 ] || fail "the thread was not frozen with it"
"$VIGILANTE" quarantine kill "$id2" > /dev/null || fail "kill failed"
for _ in $(seq 50); do kill -0 "$pid2" 2>/dev/null || break; sleep 0.1; done
kill -0 "$pid2" 2>/dev/null && fail "the killed probe is still alive"
kill -0 "$child2" 2>/dev/null && fail "the killed probe's child is still alive"

# 5. A quarantine survives kill -9 of the daemon: still frozen, taken back
#    on restart, and releasable.
pid3=$(start_probe three)
STARTED_PIDS+=("$pid3")
id3=$(frozen_id "$pid3") || fail "third probe not quarantined"
kill -KILL "$DAEMON_PID"
wait "$DAEMON_PID" 2>/dev/null
DAEMON_PID=
done3=$(shm_field three 8)
kill -CONT "$pid3"
sleep 0.3
[ "$(shm_field three 8)" = "$done3" ] || fail "the quarantined probe ran while the daemon was down"
start_daemon "$WORK/policy.yaml"
"$VIGILANTE" quarantine list --json | jq -e ".quarantines[] | select(.id==\"$id3\" and .state==\"frozen\")" > /dev/null ||
	fail "the restarted daemon does not know quarantine $id3"
"$VIGILANTE" quarantine release "$id3" > /dev/null || fail "release after restart failed"
for _ in $(seq 50); do [ "$(shm_field three 8)" != "$done3" ] && break; sleep 0.1; done
[ "$(shm_field three 8)" != "$done3" ] || fail "the probe released after a restart does not run"
kill -KILL "$pid3"

# 6. A snapshot without quarantine: the process is stopped only meanwhile.
(exec sh -c 'echo $$ > "$1/cgroup.procs" && exec sleep 60' sh "$TEST_CGROUP") &
sleeper=$!
STARTED_PIDS+=("$sleeper")
sleep 0.2
dir=$("$VIGILANTE" quarantine snapshot "$sleeper" --json | jq -r .dir) || fail "snapshot of a running process failed"
[ -s "$dir/core" ] && [ -s "$dir/meta.json" ] || fail "the snapshot in $dir is incomplete"
grep -q '^State:.*S (sleeping)' "/proc/$sleeper/status" || fail "the snapshotted process was left stopped"
kill -KILL "$sleeper"

# 7. Bad input: clear errors, nothing left behind as if complete.
rc=0; "$VIGILANTE" quarantine freeze 4194303 2> "$WORK/err" || rc=$?
[ "$rc" -eq 1 ] && grep -q "does not exist" "$WORK/err" || fail "freeze of a missing pid: exit $rc, $(cat "$WORK/err")"
rc=0; "$VIGILANTE" quarantine freeze $$ 2> "$WORK/err" || rc=$?
[ "$rc" -eq 1 ] && grep -q "outside the scope" "$WORK/err" || fail "freeze outside the scope: exit $rc, $(cat "$WORK/err")"
in_cgroup sh -c 'sh -c "exit 0" & sleep 2' &
sleep 0.5
zombie=$(ps -o pid=,stat= --ppid $! | awk '$2 ~ /Z/ {print $1}' | head -n 1)
if [ -n "$zombie" ]; then
	rc=0; "$VIGILANTE" quarantine freeze "$zombie" 2> "$WORK/err" || rc=$?
	[ "$rc" -eq 1 ] && grep -q "zombie" "$WORK/err" || fail "freeze of a zombie: exit $rc, $(cat "$WORK/err")"
fi
rc=0; "$VIGILANTE" quarantine release no-such-id 2> "$WORK/err" || rc=$?
[ "$rc" -eq 1 ] || fail "release of an unknown id: exit $rc"
ls -a "$WORK/quarantine" | grep -q '\.tmp' && fail "a temporary snapshot was left behind"
stop_daemon || fail "vigilanted did not stop cleanly"
