#!/usr/bin/env bash
# Bad input for the honeypot's supervisor, from a process an operator
# flagged (`vigilante flag`): a path longer than PATH_MAX, a path unmapped
# while its open is pending, opens by threads that do not lead their
# process, children killed while their open is pending,
# a thousand children opening the decoyed file at once, a path another
# thread keeps rewriting between a decoyed file's and another's (the
# supervisor reads one, the kernel may open the other: the open gate
# refuses the real file to a flagged process), and openat2 with a scoped
# resolution (RESOLVE_IN_ROOT from /etc: "/shadow" is /etc/shadow). No crash, no
# real content leaked, no hung process. /etc/shadow is a test-owned file
# bind-mounted over it in private mount namespaces, the workload's and the
# daemon's.
. "$(dirname "$0")/lib.sh"

PROBE=$(realpath "$HELPERS/honeypot_probe")
make_test_cgroup
mount_test_tmpfs "$WORK/files"
MARKER=REAL-SECRET-NEVER-LEAK
echo "root:$MARKER:19000:0:99999:7:::" > "$WORK/files/shadow"
mkfifo "$WORK/files/go"

write_policy "$WORK/policy.yaml" "$(honeypot_policy enforce)"
DAEMON_SHADOW=$WORK/files/shadow
start_daemon "$WORK/policy.yaml"

in_cgroup unshare -m --propagation private sh -c "
	mount --bind '$WORK/files/shadow' /etc/shadow &&
	exec '$VIGILANTE' run --name '$RUN_PREFIX-hostile' -- \
		'$PROBE' '$WORK/files/pid' '$WORK/files/go' /etc/shadow '$MARKER'" \
	> "$WORK/probe.out" 2>&1 &
RUN_PID=$!
STARTED_PIDS+=("$RUN_PID")
for _ in $(seq 100); do [ -s "$WORK/files/pid" ] && break; sleep 0.1; done
[ -s "$WORK/files/pid" ] || fail "the probe did not start: $(cat "$WORK/probe.out")"
pid=$(cat "$WORK/files/pid")
"$VIGILANTE" flag --reason "hostile-input test" "$pid" || fail "vigilante flag $pid failed"
echo go > "$WORK/files/go"

for _ in $(seq 600); do kill -0 "$RUN_PID" 2>/dev/null || break; sleep 0.1; done
kill -0 "$RUN_PID" 2>/dev/null && fail "the workload hung: $(cat "$WORK/probe.out")"
wait "$RUN_PID" || fail "the workload failed: $(cat "$WORK/probe.out")"
note "probe: $(tr '\n' ';' < "$WORK/probe.out")"

grep -qx "longpath ENAMETOOLONG" "$WORK/probe.out" || fail "an over-long path was not refused with ENAMETOOLONG"
grep -qx "unmap leaks=0" "$WORK/probe.out" || fail "an unmapped path leaked the real file"
grep -qx "thread leaks=0" "$WORK/probe.out" || fail "a thread of a flagged process read the real file"
grep -qx "die ok" "$WORK/probe.out" || fail "killing children with pending opens went wrong"
grep -qx "fork children=1000 leaks=0 failed=0" "$WORK/probe.out" ||
	fail "a thousand flagged children did not all get the decoy"
grep -qx "swap leaks=0" "$WORK/probe.out" ||
	fail "a path rewritten during the call read the real file: $(grep swap "$WORK/probe.out")"
grep -qx "openat2 in_root=decoy beneath=decoy short=EINVAL" "$WORK/probe.out" ||
	fail "openat2 with a scoped resolution: $(grep openat2 "$WORK/probe.out")"
kill -0 "$DAEMON_PID" || fail "vigilanted died"
"$VIGILANTE" status --sample 0 --json > "$WORK/status.json" || fail "the daemon does not answer"
decoyed=$(jq '.honeypot.decoyed' "$WORK/status.json")
[ "$decoyed" -ge 1000 ] || fail "the supervisor counts $decoyed decoyed calls, expected >= 1000"
wait_quiet
"$VIGILANTE" wal dump --json "$WORK/wal" > "$WORK/wal.jsonl" || fail "wal dump failed"
has_event ".payload.type == \"honeypot\" and .payload.event == \"flag\" and .payload.pid == $pid and .payload.source == \"operator\"" \
	"$WORK/wal.jsonl" || fail "no operator flag record for $pid"
stop_daemon || fail "vigilanted exited with an error"
note "ok: $(jq -c .honeypot "$WORK/status.json")"
