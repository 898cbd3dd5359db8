# Anyone may connect to the control socket, so no one may use it to starve
# the daemon: an unprivileged user holding hundreds of connections gets a
# few, the rest are refused with a reason, root still gets answers, and the
# daemon does not spin; one that sends requests without pause does not keep
# the daemon from answering others. Such a user reads the status, nothing
# about processes. (Each connection is one of the daemon's file
# descriptors, which its fanotify gate needs too: an event whose fd cannot
# be made is denied.)
. "$(dirname "$0")/lib.sh"

make_test_cgroup
write_policy "$WORK/policy.yaml"
start_daemon "$WORK/policy.yaml"
chmod 755 "$WORK" "$WORK/run"

cpu_ticks() { awk '{print $14 + $15}' "/proc/$DAEMON_PID/stat"; }

prlimit --nofile=4096:4096 setpriv --reuid=65534 --regid=65534 --clear-groups \
	"$HELPERS/control_flood" hold "$VIGILANTE_SOCKET" 1500 6 > "$WORK/flood.out" 2> "$WORK/flood.err" &
flood=$!
for _ in $(seq 300); do
	[ -s "$WORK/flood.out" ] && break
	kill -0 "$flood" 2>/dev/null || break
	sleep 0.1
done
read -r _ answered _ refused _ failed < "$WORK/flood.out" ||
	fail "control_flood printed nothing: $(cat "$WORK/flood.err")"
note "1500 connections by uid 65534: $answered answered, $refused refused, $failed failed"
[ "$answered" -eq 8 ] || fail "uid 65534 was answered on $answered connections, expected 8"
[ "$refused" -ge 1490 ] || fail "only $refused of 1500 connections were refused with a reason"

# While they are held: root is answered, the same user is told why not, and
# the daemon is idle.
"$VIGILANTE" status --sample 0 > /dev/null || fail "root got no status while uid 65534 held its connections"
rc=0
setpriv --reuid=65534 --regid=65534 --clear-groups "$VIGILANTE" status --sample 0 \
	> /dev/null 2> "$WORK/refused.err" || rc=$?
note "uid 65534's own status: exit $rc, $(cat "$WORK/refused.err")"
[ "$rc" -ne 0 ] || fail "uid 65534 got a ninth connection"
grep -q "uid 65534 has 8 clients connected" "$WORK/refused.err" ||
	fail "the refusal does not say why: $(cat "$WORK/refused.err")"
before=$(cpu_ticks)
sleep 2
spent=$(( $(cpu_ticks) - before ))
note "daemon CPU over 2 s while the connections were held: $spent ticks"
[ "$spent" -le 50 ] || fail "the daemon spent $spent ticks of 2 s with the connections held"
wait "$flood"

# Requests sent without pause on 8 connections: root is answered in time,
# and the events of an exec flood meanwhile all arrive.
setpriv --reuid=65534 --regid=65534 --clear-groups \
	"$HELPERS/control_flood" pipeline "$VIGILANTE_SOCKET" 8 8 > "$WORK/pipeline.out" &
flood=$!
sleep 2
start=$(date +%s%N)
"$VIGILANTE" status --sample 0 > /dev/null || fail "root got no status during the request flood"
took_ms=$(( ($(date +%s%N) - start) / 1000000 ))
in_cgroup sh -c 'for i in $(seq 200); do /bin/true; done'
wait "$flood"
note "during a request flood by uid 65534 ($(cat "$WORK/pipeline.out")): root's status took $took_ms ms"
[ "$took_ms" -le 2000 ] || fail "root's status took $took_ms ms during the request flood"
lost=$("$VIGILANTE" status --sample 0 --json | jq .events_lost)
[ "$lost" = 0 ] || fail "$lost events lost during the request flood"

# Once they are closed, the same user is answered again: the status, and
# nothing about processes (scores shown to those scored would tell an
# intruder how to stay under the thresholds).
as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$VIGILANTE" "$@"; }
as_nobody status --sample 0 > /dev/null || fail "uid 65534 got no status after closing its connections"
for cmd in ps events "vaccine list" "quarantine list"; do
	rc=0
	# shellcheck disable=SC2086
	as_nobody $cmd > /dev/null 2> "$WORK/denied.err" || rc=$?
	[ "$rc" -eq 4 ] && grep -q "permission denied" "$WORK/denied.err" ||
		fail "uid 65534 ran '$cmd': exit $rc, $(cat "$WORK/denied.err")"
done
"$VIGILANTE" ps > /dev/null || fail "root cannot list the processes"
stop_daemon || fail "vigilanted exited non-zero"
