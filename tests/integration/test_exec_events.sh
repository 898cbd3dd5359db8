# An exec inside the scope produces exactly one event with the right argv,
# exe, parent and uid; hostile argv bytes survive as valid JSON; nothing
# outside the scope is reported; every fork is paired with an exit.
. "$(dirname "$0")/lib.sh"

make_test_cgroup
write_policy "$WORK/policy.yaml"
start_daemon "$WORK/policy.yaml"

marker="vg-marker-$$-$RANDOM"
# A parent shell in the cgroup runs the exec, so we know the parent's pid.
in_cgroup sh -c 'echo $$ > "$1/parent.pid"; /bin/echo "$2" "two words" "$(printf "new\nline")" "$(printf "\377bad")" > /dev/null' sh "$WORK" "$marker"
# The same marker, outside the scope.
/bin/echo "$marker" outside > /dev/null
wait_quiet

parent=$(cat "$WORK/parent.pid")
events=$WORK/events.jsonl
jq . "$events" > /dev/null || fail "the event file is not valid JSON lines"
n=$(jq -c "select(.type==\"exec\" and .argv[1]==\"$marker\")" "$events" | wc -l)
[ "$n" -eq 1 ] || fail "expected 1 exec event for the marker, got $n"
ev=$(jq -c "select(.type==\"exec\" and .argv[1]==\"$marker\")" "$events")
[ "$(jq -r .exe <<<"$ev")" = "$(readlink -f /bin/echo)" ] || fail "exe: $(jq -r .exe <<<"$ev")"
[ "$(jq -r .filename <<<"$ev")" = /bin/echo ] || fail "filename: $(jq -r .filename <<<"$ev")"
[ "$(jq -r .ppid <<<"$ev")" = "$parent" ] || fail "ppid $(jq -r .ppid <<<"$ev") != $parent"
[ "$(jq -r .uid <<<"$ev")" = 0 ] || fail "uid"
[ "$(jq -r '.argv[2]' <<<"$ev")" = "two words" ] || fail "argv[2]"
[ "$(jq -r '.argv[3]' <<<"$ev")" = "$(printf 'new\nline')" ] || fail "argv[3] newline lost"
[ "$(jq -r '.argv[4]' <<<"$ev")" = "$(printf '\357\277\275bad')" ] || fail "argv[4] invalid UTF-8 not replaced"
raw=$(jq -r .argv_b64 <<<"$ev" | base64 -d | tr '\0' '|')
[ "$raw" = "/bin/echo|$marker|two words|$(printf 'new\nline')|$(printf '\377bad')|" ] || fail "argv_b64 does not hold the exact bytes"
[ "$(jq -r .argv_truncated <<<"$ev")" = false ] || fail "argv_truncated"
[ "$(jq -r '.lineage[0].pid' <<<"$ev")" = "$parent" ] || fail "lineage[0] is not the parent"
cg_id=$(stat -c %i "$TEST_CGROUP")
[ "$(jq -r .cgroup_id <<<"$ev")" = "$cg_id" ] || fail "cgroup_id $(jq -r .cgroup_id <<<"$ev") != $cg_id"
note "exec event ok: $(jq -c '{exe,argv,ppid}' <<<"$ev")"

grep -q outside "$events" && fail "an exec outside the scope was reported"

# Every process forked in scope exits: fork.child_pid pairs with exit.pid.
forks=$(jq -r 'select(.type=="fork") | "\(.child_pid) \(.child_start_ns)"' "$events" | sort)
exits=$(jq -r 'select(.type=="exit") | "\(.pid) \(.start_ns)"' "$events" | sort)
[ -n "$forks" ] || fail "no fork events"
missing=$(comm -23 <(echo "$forks") <(echo "$exits"))
[ -z "$missing" ] || fail "forks without exits: $missing"
note "$(echo "$forks" | wc -l) forks, each paired with its exit"

# A long argv is cut and marked, never dropped.
long=$(head -c 6000 /dev/zero | tr '\0' a)
in_cgroup /bin/echo "$long" > /dev/null
wait_quiet
ev=$(jq -c 'select(.type=="exec" and .argv_truncated==true)' "$events" | tail -n 1)
[ -n "$ev" ] || fail "a 6000-byte argument was not marked truncated"
[ "$(jq -r .argv_bytes <<<"$ev")" -gt 6000 ] || fail "argv_bytes should give the full size"

# Exit status and signal.
in_cgroup sh -c 'exit 7' || true
in_cgroup sh -c 'kill -9 $$' || true
wait_quiet
has_event '.type=="exit" and .exit_status==7' "$events" || fail "no exit with status 7"
has_event '.type=="exit" and .signal==9 and .exit_status==-1' "$events" || fail "no exit by signal 9"

# The CLI: recent events, then a live stream.
"$VIGILANTE" events --json > "$WORK/recent.jsonl" || fail "vigilante events failed"
has_event ".type==\"exec\" and .argv[1]==\"$marker\"" "$WORK/recent.jsonl" || fail "vigilante events lacks the marker exec"
"$VIGILANTE" events | grep -q "exec .*/usr/bin/echo /bin/echo $marker" || fail "human events output lacks the exec line"
"$VIGILANTE" events --follow --json --limit 0 > "$WORK/follow.jsonl" &
follower=$!
STARTED_PIDS+=("$follower")
sleep 0.5
in_cgroup /bin/echo "followed-$marker" > /dev/null
for _ in $(seq 50); do grep -q "followed-$marker" "$WORK/follow.jsonl" && break; sleep 0.1; done
grep -q "followed-$marker" "$WORK/follow.jsonl" || fail "vigilante events --follow did not stream the new exec"
kill "$follower"

# Hostile names on a terminal: a program whose file name (and so comm and
# exe) holds a newline and an escape sequence cannot forge a line in the
# text output of `events` or `ps`, nor reach the terminal raw.
mkdir -p "$WORK/bin"
evil="$WORK/bin/$(printf 'sl\n  42 999 999 block 1 forged\033[2Jeep')"
cp /bin/sleep "$evil"
in_cgroup "$evil" 30 &
STARTED_PIDS+=("$!")
for _ in $(seq 50); do "$VIGILANTE" ps --all | grep -q forged && break; sleep 0.1; done
"$VIGILANTE" ps --all > "$WORK/ps.txt" || fail "vigilante ps failed"
"$VIGILANTE" events > "$WORK/events.txt" || fail "vigilante events failed"
for out in ps events; do
	grep -q 'sl\\n  42 999 999 block 1 forged\\x1b\[2Jeep' "$WORK/$out.txt" ||
		fail "$out does not show the hostile name escaped: $(grep -a forged "$WORK/$out.txt" | cat -A)"
	! grep -q "$(printf '\033')" "$WORK/$out.txt" || fail "$out wrote an escape character to the terminal"
	! grep -q '^  42 999' "$WORK/$out.txt" || fail "$out printed a forged line"
done

# ps drains the batched ring before it answers: a program started a moment
# before shows its path at once, not "?", also while other clients keep the
# daemon busy (two loops of status requests: its event loop never idles).
busy=()
for _ in 1 2; do
	while :; do "$VIGILANTE" status --sample 0 > /dev/null 2>&1; done &
	busy+=("$!")
	STARTED_PIDS+=("$!")
done
misses=0
for i in $(seq 10); do
	cp /bin/sleep "$WORK/bin/fresh-$i"
	in_cgroup "$WORK/bin/fresh-$i" 30 &
	STARTED_PIDS+=("$!")
	pid=
	for _ in $(seq 200); do
		pid=$(pgrep -x "fresh-$i") && break
		sleep 0.01
	done
	[ -n "$pid" ] || fail "fresh-$i did not start"
	exe=$("$VIGILANTE" ps --all --json | jq -r --argjson pid "$pid" '.processes[] | select(.pid == $pid) | .exe // "?"')
	[ "$exe" = "$WORK/bin/fresh-$i" ] || misses=$((misses + 1))
done
kill "${busy[@]}"
[ "$misses" -eq 0 ] || fail "ps did not know $misses of 10 programs started just before it"

# Only root (or the control group) may change anything; anyone may read.
chmod 755 "$WORK" "$WORK/run"
rc=0
setpriv --reuid=65534 --regid=65534 --clear-groups "$VIGILANTE" note "not allowed" 2> "$WORK/denied.err" || rc=$?
[ "$rc" -eq 4 ] || fail "a note by uid 65534 exited $rc, expected 4 (permission denied)"
setpriv --reuid=65534 --regid=65534 --clear-groups "$VIGILANTE" status --sample 0 > /dev/null ||
	fail "uid 65534 cannot read the status"
seq=$("$VIGILANTE" note "allowed") || fail "root's note was refused"
note "root's note is record $seq; uid 65534's was refused"

stop_daemon || fail "vigilanted did not stop cleanly"
