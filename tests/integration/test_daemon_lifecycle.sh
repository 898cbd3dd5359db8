# One instance at a time; SIGHUP reloads, keeping the old policy when the new
# one is invalid; SIGTERM detaches every BPF program; policy loads and daemon
# start/stop are forensic records.
. "$(dirname "$0")/lib.sh"

count_sensor_progs() { bpftool prog show 2>/dev/null | grep -c 'name vg_sys_enter' || true; }

make_test_cgroup
write_policy "$WORK/policy.yaml"
before=$(count_sensor_progs)
start_daemon "$WORK/policy.yaml"
[ "$(count_sensor_progs)" -eq $((before + 1)) ] || fail "vg_sys_enter is not loaded while the daemon runs"

# A second instance with the same socket directory refuses to start.
if "$VIGILANTED" --policy "$WORK/policy.yaml" 2> "$WORK/second.err"; then
	fail "a second vigilanted started"
fi
grep -q "another vigilanted is running (pid $DAEMON_PID" "$WORK/second.err" || fail "second instance error: $(cat "$WORK/second.err")"

# status shows scope, modes and per-program BPF stats.
in_cgroup /bin/true
status=$("$VIGILANTE" status --json)
[ "$(jq -r .scope.kind <<<"$status")" = cgroup ] || fail "status scope"
[ "$(jq -r .scope.cgroup <<<"$status")" = "$TEST_CGROUP" ] || fail "status scope cgroup"
[ "$(jq '[.programs[] | select(.name=="vg_sys_enter" and .run_cnt > 0)] | length' <<<"$status")" -eq 1 ] ||
	fail "status has no run count for vg_sys_enter: $(jq -c .programs <<<"$status")"
"$VIGILANTE" status | grep -q '^BPF program' || fail "human status lacks the BPF table"

# An invalid policy on SIGHUP is refused; the old one stays in force.
cp "$WORK/policy.yaml" "$WORK/good.yaml"
printf 'bogus_key: 1\n' >> "$WORK/policy.yaml"
kill -HUP "$DAEMON_PID"
for _ in $(seq 50); do grep -q 'policy reload refused' "$WORK/daemon.err" && break; sleep 0.1; done
grep -q 'policy reload refused' "$WORK/daemon.err" || fail "an invalid policy was not refused on SIGHUP"
"$VIGILANTE" status > /dev/null || fail "daemon unusable after a refused reload"
# A valid change is applied: stop printing fork events.
sed 's/^output:/output:\n  events: [exec, exit]/' "$WORK/good.yaml" > "$WORK/policy.yaml"
kill -HUP "$DAEMON_PID"
sleep 0.5
forks_before=$(jq -c 'select(.type=="fork")' "$WORK/events.jsonl" | wc -l)
in_cgroup sh -c '/bin/true; /bin/true'
wait_quiet
forks_after=$(jq -c 'select(.type=="fork")' "$WORK/events.jsonl" | wc -l)
[ "$forks_after" -eq "$forks_before" ] || fail "fork events still printed after a reload that turned them off"

stop_daemon || fail "vigilanted did not exit 0 on SIGTERM"
# The kernel frees a detached program after an RCU grace period.
for _ in $(seq 50); do [ "$(count_sensor_progs)" -eq "$before" ] && break; sleep 0.1; done
[ "$(count_sensor_progs)" -eq "$before" ] || fail "BPF programs left attached after SIGTERM"
[ -e "$WORK/run/control.sock" ] && fail "control socket left behind"

types=$("$VIGILANTE" wal dump --json "$WORK/wal" | jq -r .payload.type | tr '\n' ' ')
note "forensic record types: $types"
for want in daemon_start policy daemon_stop; do
	grep -qw "$want" <<<"$types" || fail "no $want record in the forensic log"
done
"$VIGILANTE" wal dump --json "$WORK/wal" > "$WORK/dump.jsonl"
has_event '.payload.type=="policy" and .payload.status=="rejected"' "$WORK/dump.jsonl" ||
	fail "the refused reload is not in the forensic log"
"$VIGILANTE" wal verify "$WORK/wal" > /dev/null || fail "wal verify"
