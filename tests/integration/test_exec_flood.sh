# A burst of execs in scope either arrives complete or is counted as lost:
# events received + events lost = what happened, exactly. Run twice: with the
# default ring buffer (nothing should be lost), and with a 64 KiB ring while
# the daemon is stopped, so the kernel must drop and count.
. "$(dirname "$0")/lib.sh"

N=${FLOOD_N:-3000}
make_test_cgroup

flood() { # flood EXTRA_YAML STOP_DAEMON
	rm -rf "$WORK/wal" "$WORK/events.jsonl"
	# No fanotify gate at all: this test stops its daemon.
	PRECOG_MODE=off write_policy "$WORK/policy.yaml" "$1"
	start_daemon "$WORK/policy.yaml"
	[ "$2" = stop ] && kill -STOP "$DAEMON_PID"
	# In scope: the shell's exec of exec_flood (1 exec), then N x (fork,
	# exec, exit), then exec_flood's own exit: 3N + 2 events.
	in_cgroup "$HELPERS/exec_flood" "$N" || fail "exec_flood failed"
	[ "$2" = stop ] && kill -CONT "$DAEMON_PID"
	wait_quiet
	status=$("$VIGILANTE" status --sample 0 --json)
	lost=$(jq .events_lost <<<"$status")
	total=$(jq .events_total <<<"$status")
	lines=$(jq -c 'select(.type=="exec" or .type=="fork" or .type=="exit")' "$WORK/events.jsonl" | wc -l)
	expected=$((3 * N + 2))
	note "expected $expected events: daemon counted $total, printed $lines, kernel lost $lost"
	[ "$total" -eq "$lines" ] || fail "daemon counted $total events but printed $lines"
	[ $((total + lost)) -eq "$expected" ] || fail "events $total + lost $lost != $expected"
	stop_daemon || fail "vigilanted did not stop cleanly"
}

flood "" run
[ "$lost" -eq 0 ] || note "the default ring lost $lost events (a slow machine?)"
flood "sensor: {ring_buffer_kb: 64}" stop
[ "$lost" -gt 0 ] || fail "a 64 KiB ring with a stopped reader lost nothing: the loss path was not exercised"
"$VIGILANTE" wal dump --json "$WORK/wal" > "$WORK/dump.jsonl"
has_event '.payload.type=="lost"' "$WORK/dump.jsonl" || fail "the loss is not in the forensic log"
