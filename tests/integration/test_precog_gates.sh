# Precognition gates, end to end with the real kernel: a process driven above
# the block threshold is refused exec (fanotify, on a tmpfs of the test's
# own), the open of a protected test file (fanotify) and a loopback connect
# (cgroup/connect4, in the kernel), while a normal process is allowed all
# three; monitor mode allows and logs. Every decision is a forensic record.
. "$(dirname "$0")/lib.sh"

PROBE=$HELPERS/precog_probe
make_test_cgroup
mount_test_tmpfs "$WORK/mnt"
cp /bin/true "$WORK/mnt/true"
echo "test secret" > "$WORK/mnt/secret"
port=9 # discard: nothing listens, so an allowed connect is refused by TCP

policy() { # policy MODE
	PRECOG_MODE=$1 EXEC_GATE="[$WORK/mnt]" PROTECTED="[$WORK/mnt/secret]" write_policy "$WORK/policy.yaml"
}

attempt() { # attempt [--weird N]: prints the probe's results on one line
	in_cgroup "$PROBE" "$@" --exec "$WORK/mnt/true" --open "$WORK/mnt/secret" --connect $port | tr '\n' ' '
}

policy enforce
start_daemon "$WORK/policy.yaml"

normal=$(attempt)
note "normal process: $normal"
[ "$normal" = "exec ok open ok connect ECONNREFUSED " ] || fail "a normal process was refused: $normal"

weird=$(attempt --weird 4000)
note "process above block: $weird"
[ "$weird" = "exec EPERM open EPERM connect EPERM " ] || fail "a blocked process was not refused: $weird"

wait_quiet
stop_daemon || fail "vigilanted did not stop cleanly"
"$VIGILANTE" wal dump --json "$WORK/wal" > "$WORK/dump.jsonl"
has_event '.payload.type=="score" and .payload.level=="block"' "$WORK/dump.jsonl" || fail "no block record"
for what in exec open connect; do
	has_event ".payload.type==\"decision\" and .payload.what==\"$what\" and .payload.refused==true" "$WORK/dump.jsonl" ||
		fail "no forensic record of the refused $what"
done
reason=$(jq -c 'select(.payload.type=="score" and .payload.level=="block") | .payload.reason.ngram' "$WORK/dump.jsonl" | head -n 1)
note "block reason: $reason"

# Monitor: the same process is allowed everything, and the decisions are logged.
policy monitor
start_daemon "$WORK/policy.yaml"
weird=$(attempt --weird 4000)
note "monitor mode: $weird"
[ "$weird" = "exec ok open ok connect ECONNREFUSED " ] || fail "monitor mode refused: $weird"
wait_quiet
stop_daemon || fail "vigilanted did not stop cleanly"
"$VIGILANTE" wal dump --json "$WORK/wal" > "$WORK/dump.jsonl"
for what in exec open connect; do
	has_event ".payload.type==\"decision\" and .payload.what==\"$what\" and .payload.refused==false and .payload.mode==\"monitor\"" "$WORK/dump.jsonl" ||
		[ $what = connect ] || fail "monitor mode did not log the $what decision"
done
has_event '.payload.type=="decision" and .payload.what=="connect" and .payload.refused==false' "$WORK/dump.jsonl" ||
	fail "monitor mode did not log the connect"
