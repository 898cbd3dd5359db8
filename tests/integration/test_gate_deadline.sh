# The gate's deadline: an exec the gate cannot decide in time is allowed
# (fail open), counted and recorded as late, and the decision still
# completes, so the next exec of the same program is decided in time. The
# slow decision: the first exec of a vaccinated program padded to 32 MB,
# which the gate must hash, under a 1 ms deadline. A deadline shortened by
# a reload holds at once, and while the gate is held up, a blocked
# process's execs are still refused. Exec is gated only on a tmpfs of the
# test's own.
. "$(dirname "$0")/lib.sh"

make_test_cgroup
mount_test_tmpfs "$WORK/mnt" 96m
cp /bin/true "$WORK/mnt/big"
head -c 32M /dev/urandom >> "$WORK/mnt/big" || fail "cannot pad the program"
"$WORK/mnt/big" || fail "the padded program does not run"
vaccination="vaccination:
  mode: enforce
  threshold: 900
  ttl: 1h
  signing_key: $WORK/sign.pem"
GATE_DEADLINE_MS=1 EXEC_GATE="[$WORK/mnt]" write_policy "$WORK/policy.yaml" "$vaccination"
start_daemon "$WORK/policy.yaml"

runs() { in_cgroup "$1" > /dev/null 2>&1; echo $?; } # exit status of an exec attempt
late() { "$VIGILANTE" status --sample 0 --json | jq .gate.late; }

"$VIGILANTE" vaccine add --exec "$WORK/mnt/big" > /dev/null || fail "vaccine add failed"
# The gate has not seen the program yet: it hashes 32 MB, far past 1 ms.
rc=$(runs "$WORK/mnt/big")
[ "$rc" -eq 0 ] || fail "the late exec was not allowed (exit $rc)"
[ "$(late)" -ge 1 ] || fail "the late exec was not counted: $("$VIGILANTE" status --sample 0 --json | jq -c .gate)"
"$VIGILANTE" status | grep -q "allowed past the deadline" || fail "status does not show late answers"
note "a decision past the 1 ms deadline was allowed and counted"

# The decision was finished all the same: with a deadline of 10 s, the
# program is refused at once (found by identity), and so is a copy (a new
# identity, hashed in time).
sed -i 's/gate_deadline_ms: 1$/gate_deadline_ms: 10000/' "$WORK/policy.yaml"
kill -HUP "$DAEMON_PID"
for _ in $(seq 50); do grep -q 'policy reloaded' "$WORK/daemon.err" && break; sleep 0.1; done
grep -q 'policy reloaded' "$WORK/daemon.err" || fail "the policy with a 10 s deadline was not reloaded"
before=$(late)
[ "$(runs "$WORK/mnt/big")" -eq 126 ] || fail "the late decision was not kept: the program runs"
cp "$WORK/mnt/big" "$WORK/mnt/copy"
[ "$(runs "$WORK/mnt/copy")" -eq 126 ] || fail "a copy was not refused within 10 s"
[ "$(late)" -eq "$before" ] || fail "decisions within 10 s counted as late"
note "the late decision was kept; with 10 s the program and a copy are refused"

# Failing open must not open the gate for a blocked process: while the
# gate thread is held up hashing fresh copies of the padded program (an
# unflagged process execs one after another), the watchdog answers the
# events queued behind from the verdict alone, so a blocked process's
# execs are still refused. Deadline 5 ms, precognition enforcing.
sed -i -e 's/gate_deadline_ms: 10000$/gate_deadline_ms: 5/' -e 's/^  mode: monitor$/  mode: enforce/' \
	"$WORK/policy.yaml"
kill -HUP "$DAEMON_PID"
for _ in $(seq 50); do [ "$(grep -c 'policy reloaded' "$WORK/daemon.err")" -ge 2 ] && break; sleep 0.1; done
[ "$(grep -c 'policy reloaded' "$WORK/daemon.err")" -ge 2 ] || fail "the enforcing policy was not reloaded"
rm -f "$WORK/mnt/copy"
cp /bin/true "$WORK/mnt/small"
in_cgroup sh -c 'for i in $(seq 40); do
	cp "$1/big" "$1/fresh" && "$1/fresh"; rm -f "$1/fresh"
done' sh "$WORK/mnt" > "$WORK/hasher.out" 2>&1 &
hasher=$!
sleep 0.3
execs=()
for _ in $(seq 60); do execs+=(--exec "$WORK/mnt/small"); done
in_cgroup "$HELPERS/precog_probe" --weird 4000 "${execs[@]}" > "$WORK/blocked.out" 2>&1
wait "$hasher"
allowed=$(grep -c '^exec ok' "$WORK/blocked.out")
refused=$(grep -c '^exec EPERM' "$WORK/blocked.out")
late_now=$(late)
note "a blocked process's 60 execs while the gate was held up: $refused refused, $allowed ran; $((late_now - before)) events answered late"
[ "$allowed" -eq 0 ] || fail "a blocked process ran a program $allowed times while the gate was held up"
[ "$refused" -eq 60 ] || fail "only $refused of 60 execs by a blocked process were refused: $(sort "$WORK/blocked.out" | uniq -c)"
[ "$((late_now - before))" -ge 1 ] || fail "the gate was never held up past the deadline: the test proves nothing"

stop_daemon || fail "vigilanted did not stop cleanly"
"$VIGILANTE" wal dump --json "$WORK/wal" > "$WORK/dump.jsonl"
has_event '.payload.type=="decision" and .payload.what=="exec" and .payload.late==true and .payload.refused==false and .payload.vaccine_id > 0' "$WORK/dump.jsonl" ||
	fail "no forensic record of the late exec"
has_event '.payload.type=="decision" and .payload.what=="exec" and .payload.refused==true and (.payload | has("late") | not)' "$WORK/dump.jsonl" ||
	fail "no forensic record of an exec refused in time"
