# kill -9 of the daemon while it writes, many times over: no record that was
# acknowledged as durable is ever lost, and the log verifies after recovery.
. "$(dirname "$0")/lib.sh"

ROUNDS=${CRASH_ROUNDS:-8}
WRITERS=3
make_test_cgroup
write_policy "$WORK/policy.yaml"

writer() { # writer ROUND ID: notes until the daemon disappears
	local i=0
	while "$VIGILANTE" note "round$1-writer$2-note$i" > /dev/null 2>&1; do
		echo "round$1-writer$2-note$i" >> "$WORK/acked"
		i=$((i + 1))
	done
}

: > "$WORK/acked"
for round in $(seq "$ROUNDS"); do
	start_daemon "$WORK/policy.yaml"
	pids=()
	for w in $(seq "$WRITERS"); do
		writer "$round" "$w" &
		pids+=($!)
	done
	# Events from the scope are written too, so alerts and notes interleave.
	in_cgroup sh -c 'for i in 1 2 3 4 5 6 7 8; do /bin/true; done' &
	sleep "0.$((RANDOM % 6 + 2))"
	kill -KILL "$DAEMON_PID"
	wait "$DAEMON_PID" 2>/dev/null
	DAEMON_PID=
	wait "${pids[@]}" 2>/dev/null
done

# Recovery on the next start, then a clean stop.
start_daemon "$WORK/policy.yaml"
stop_daemon || fail "vigilanted did not stop cleanly after recovery"

acked=$(wc -l < "$WORK/acked")
[ "$acked" -gt $((ROUNDS * 3)) ] || fail "only $acked notes acknowledged: the test did not exercise the log"
"$VIGILANTE" wal verify "$WORK/wal" || fail "wal verify failed after $ROUNDS kill -9 rounds"
"$VIGILANTE" wal dump --json "$WORK/wal" | jq -r 'select(.type=="note") | .payload.text' | sort > "$WORK/logged"
missing=$(sort "$WORK/acked" | comm -23 - "$WORK/logged" | head -n 5)
[ -z "$missing" ] || fail "acknowledged notes missing from the log: $missing"
starts=$("$VIGILANTE" wal dump --json "$WORK/wal" | jq -r 'select(.type=="daemon_start")' | grep -c '"type"' || true)
note "$acked acknowledged notes over $ROUNDS kill -9 rounds, all in the log; $starts daemon starts recorded"
