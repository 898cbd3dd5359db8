# Precognition gates, end to end with the real kernel: a process driven above
# the block threshold is refused exec (fanotify, on a tmpfs of the test's
# own), the open of a protected test file (fanotify), a loopback connect
# (cgroup/connect4, in the kernel) and a UDP datagram sent without a connect
# (cgroup/sendmsg4), while a normal process is allowed all four; monitor
# mode allows and logs. Every decision is a forensic record.
# An exec from a filesystem outside the exec gate (a second tmpfs) gives
# fanotify nothing to refuse: the kernel kills the blocked process's new
# program before its first instruction instead, and only reports it in
# monitor mode. A protected file replaced by a new one (directly or behind a
# symlink), or created after the daemon started, is gated as well.
. "$(dirname "$0")/lib.sh"

PROBE=$HELPERS/precog_probe
make_test_cgroup
mount_test_tmpfs "$WORK/mnt"
mount_test_tmpfs "$WORK/ungated"
cp /bin/true "$WORK/mnt/true"
cp /bin/true "$WORK/ungated/true"
cp "$(readlink -f /lib64/ld-linux-x86-64.so.2)" "$WORK/mnt/ld.so"
echo "test secret" > "$WORK/mnt/secret"
mkdir "$WORK/mnt/real"
echo "linked secret" > "$WORK/mnt/real/target"
ln -s real/target "$WORK/mnt/link"
port=9 # discard: nothing listens, so an allowed connect is refused by TCP

policy() { # policy MODE
	PRECOG_MODE=$1 EXEC_GATE="[$WORK/mnt]" LOADERS="[$WORK/mnt/ld.so]" PROTECTED="[$WORK/mnt/secret, $WORK/mnt/later, $WORK/mnt/link, $WORK/mnt/keys/deep/id]" \
		write_policy "$WORK/policy.yaml"
}

attempt() { # attempt [--weird N]: prints the probe's results on one line
	in_cgroup "$PROBE" "$@" --exec "$WORK/mnt/true" --open "$WORK/mnt/secret" --connect $port \
		--send $port | tr '\n' ' '
}

policy enforce
start_daemon "$WORK/policy.yaml"
[ "$("$VIGILANTE" status --json | jq -r .gate.ungated_exec)" = kill ] ||
	fail "status does not say that execs outside the gate are killed"

normal=$(attempt)
note "normal process: $normal"
[ "$normal" = "exec ok open ok connect ECONNREFUSED send ok " ] || fail "a normal process was refused: $normal"

weird=$(attempt --weird 4000)
note "process above block: $weird"
[ "$weird" = "exec EPERM open EPERM connect EPERM send EPERM " ] ||
	fail "a blocked process was not refused: $weird"

# The same gate for IPv6 datagrams (cgroup/sendmsg6), where the host has an
# IPv6 loopback.
if [ "$(in_cgroup "$PROBE" --send6 $port)" = "send ok" ]; then
	weird=$(in_cgroup "$PROBE" --weird 4000 --send6 $port)
	[ "$weird" = "send EPERM" ] || fail "a blocked process sent an IPv6 datagram: $weird"
else
	note "no IPv6 loopback here: cgroup/sendmsg6 not exercised"
fi

# Raw and ICMP sockets send without a connect or a UDP sendmsg: a blocked
# process may not create one (cgroup/sock_create). A ping socket is tried
# where net.ipv4.ping_group_range lets root make one.
normal=$(in_cgroup "$PROBE" --socket raw | tr '\n' ' ')
[ "$normal" = "socket ok " ] || fail "a normal process could not open a raw socket: $normal"
weird=$(in_cgroup "$PROBE" --weird 4000 --socket raw | tr '\n' ' ')
note "process above block, raw socket: $weird"
[ "$weird" = "socket EPERM " ] || fail "a blocked process opened a raw socket: $weird"
if [ "$(in_cgroup "$PROBE" --socket ping)" = "socket ok" ]; then
	weird=$(in_cgroup "$PROBE" --weird 4000 --socket ping)
	[ "$weird" = "socket EPERM" ] || fail "a blocked process opened an ICMP socket: $weird"
	pings=1
else
	note "ping sockets are not allowed to root here: not exercised"
	pings=0
fi

# A packet socket (AF_PACKET: raw frames; no connect or sendmsg hook, and
# cgroup/sock_create runs for inet sockets only): a blocked process that
# asks for one is killed before the call returns to it, as a tracepoint
# cannot refuse the call.
normal=$(in_cgroup "$PROBE" --socket packet)
[ "$normal" = "socket ok" ] || fail "a normal process could not open a packet socket: $normal"
rc=0
weird=$(in_cgroup "$PROBE" --weird 4000 --socket packet) || rc=$?
note "process above block, packet socket: '$weird', exit $rc"
[ -z "$weird" ] && [ "$rc" -eq 137 ] || fail "a blocked process opened a packet socket: '$weird', exit $rc"

# A connection made before the process crossed block is closed when it
# does (SOCK_DESTROY): the gates refuse only new ones.
held=$(in_cgroup "$PROBE" --hold tcp --weird 4000 --sleep 1 --send-held tcp | tr '\n' ' ')
note "process above block, a connection it made before: $held"
# ECONNABORTED, or ECONNRESET when the accepted end went first.
echo "$held" | grep -Eqx 'hold ok held (ECONNABORTED|ECONNRESET|EPIPE) ' ||
	fail "a blocked process kept its connection: $held"
held=$(in_cgroup "$PROBE" --hold tcp --sleep 1 --send-held tcp | tr '\n' ' ')
[ "$held" = "hold ok held ok " ] || fail "a normal process lost its connection: $held"

# Unix sockets (cgroup/connect_unix and sendmsg_unix, kernel 6.7 and later):
# a blocked process may neither connect to one (/run/docker.sock hands out
# root) nor send it a datagram. The test's path has no socket: the kernel
# refuses before it looks.
normal=$(in_cgroup "$PROBE" --unix "$WORK/no.sock" --unix-send "$WORK/no.sock" | tr '\n' ' ')
[ "$normal" = "unix ENOENT unix-send ENOENT " ] || fail "a normal process's Unix connect: $normal"
weird=$(in_cgroup "$PROBE" --weird 4000 --unix "$WORK/no.sock" --unix-send "$WORK/no.sock" | tr '\n' ' ')
note "process above block, Unix sockets: $weird"
[ "$weird" = "unix EPERM unix-send EPERM " ] || fail "a blocked process reached a Unix socket: $weird"

ungated() { # ungated [--weird N]: the exec of the copy outside the gate
	in_cgroup "$PROBE" "$@" --exec "$WORK/ungated/true" | tr '\n' ' '
}
normal=$(ungated)
[ "$normal" = "exec ok " ] || fail "a normal process could not exec outside the gate: $normal"
weird=$(ungated --weird 4000)
note "process above block, exec outside the gate: $weird"
[ "$weird" = "exec killed " ] || fail "a blocked process ran a program from outside the gate: $weird"

# The dynamic loader passes the gate without a round trip (an ignore mark):
# a blocked process that runs it directly ("ld.so PROG") makes no event to
# refuse, and is killed at the exec instead. EPERM here would mean the gate
# still asks; "exec ok", that the kernel lets it through.
[ "$("$VIGILANTE" status --json | jq .gate.loaders_passed)" -eq 1 ] ||
	fail "status does not count the test's loader as passed"
normal=$(in_cgroup "$PROBE" --exec "$WORK/mnt/ld.so" 2>/dev/null | tr '\n' ' ')
[ "$normal" = "exec ok " ] || fail "a normal process could not run the loader: $normal"
weird=$(in_cgroup "$PROBE" --weird 4000 --exec "$WORK/mnt/ld.so" | tr '\n' ' ')
note "process above block, the loader run directly: $weird"
[ "$weird" = "exec killed " ] || fail "a blocked process ran the passed loader: $weird"

# A protected file replaced by a new one (as passwd replaces /etc/shadow), one
# created after the start, and the target of a protected symlink replaced in
# its own directory (alone, so that no other change there triggers the
# recheck) are gated too, once the daemon has seen the directory change.
gated_after() { # gated_after PATH...: the blocked probe's opens, retried for 5 s
	local args=() want= _
	for path in "$@"; do args+=(--open "$path"); want+="open EPERM "; done
	for _ in $(seq 50); do
		weird=$(in_cgroup "$PROBE" --weird 4000 "${args[@]}" | tr '\n' ' ')
		[ "$weird" = "$want" ] && return 0
		sleep 0.1
	done
	return 1
}
echo "new secret" > "$WORK/mnt/secret.new"
mv "$WORK/mnt/secret.new" "$WORK/mnt/secret"
echo "later" > "$WORK/mnt/later"
gated_after "$WORK/mnt/secret" "$WORK/mnt/later" || fail "a replaced or new protected file was not gated: $weird"
echo "new linked secret" > "$WORK/mnt/real/target.new"
mv "$WORK/mnt/real/target.new" "$WORK/mnt/real/target"
gated_after "$WORK/mnt/link" || fail "a protected symlink's replaced target was not gated: $weird"
# A protected file whose directories do not exist yet (root's first .ssh),
# and the same after they are deleted and made again.
for round in first again; do
	rm -rf "$WORK/mnt/keys"
	mkdir -p "$WORK/mnt/keys/deep"
	echo "key" > "$WORK/mnt/keys/deep/id"
	gated_after "$WORK/mnt/keys/deep/id" ||
		fail "a protected file in directories made after the start ($round) was not gated: $weird"
done
note "process above block: replaced, new and relinked protected files refused"
normal=$(in_cgroup "$PROBE" --open "$WORK/mnt/secret" --open "$WORK/mnt/later" --open "$WORK/mnt/link" \
	--open "$WORK/mnt/keys/deep/id" | tr '\n' ' ')
[ "$normal" = "open ok open ok open ok open ok " ] || fail "a normal process was refused a replaced protected file: $normal"

# `vigilante ps` shows a blocked process with its verdict and the reason:
# the n-gram, what it cost and when.
in_cgroup "$PROBE" --weird 4000 --sleep 30 > /dev/null &
STARTED_PIDS+=("$!")
for _ in $(seq 50); do "$VIGILANTE" ps | grep -q ' blocked .*precog_probe' && break; sleep 0.1; done
"$VIGILANTE" ps > "$WORK/ps.txt" || fail "vigilante ps failed"
grep -A1 ' blocked .*precog_probe' "$WORK/ps.txt" |
	grep -qE 'reason: uname -> uname -> uname -> uname \(costs [0-9]+ bits, its last call was syscall [0-9]+ of the process\)' ||
	fail "ps does not show the blocked probe with its reason: $(cat "$WORK/ps.txt")"

wait_quiet
stop_daemon || fail "vigilanted did not stop cleanly"
"$VIGILANTE" wal dump --json "$WORK/wal" > "$WORK/dump.jsonl"
has_event '.payload.type=="score" and .payload.level=="block"' "$WORK/dump.jsonl" || fail "no block record"
for what in exec open connect send socket; do
	has_event ".payload.type==\"decision\" and .payload.what==\"$what\" and .payload.refused==true" "$WORK/dump.jsonl" ||
		fail "no forensic record of the refused $what"
done
[ "$(jq -c 'select(.payload.what=="socket")' "$WORK/dump.jsonl" | wc -l)" -eq $((2 + pings)) ] ||
	fail "the refused sockets were not recorded once each, or a normal one was"
has_event '.payload.what=="socket" and .payload.socket_type=="raw" and .payload.protocol==1 and .payload.family=="inet"' "$WORK/dump.jsonl" ||
	fail "the raw socket's record does not say what it was"
has_event '.payload.what=="socket" and .payload.family=="packet" and .payload.socket_type=="raw" and .payload.refused==true' "$WORK/dump.jsonl" ||
	fail "the packet socket's record does not say what it was"
has_event '.payload.what=="connections" and .payload.closed >= 2 and .payload.refused==true and (.payload | has("error") | not)' "$WORK/dump.jsonl" ||
	fail "no forensic record of the blocked process's connections closed"
for what in connect send; do
	has_event ".payload.what==\"$what\" and .payload.family==\"unix\" and .payload.address==\"$WORK/no.sock\" and .payload.refused==true" "$WORK/dump.jsonl" ||
		fail "no forensic record of the refused Unix $what, with its path"
done
for killed in "$WORK/ungated/true" "$WORK/mnt/ld.so"; do
	has_event ".payload.type==\"decision\" and .payload.ungated==true and .payload.refused==true and .payload.path==\"$killed\"" "$WORK/dump.jsonl" ||
		fail "no forensic record of the exec of $killed killed at the exec"
done
[ "$(jq -c 'select(.payload.ungated==true)' "$WORK/dump.jsonl" | wc -l)" -eq 2 ] ||
	fail "an exec inside the gate or by a normal process was recorded as outside it"
ipv6_sends=$(jq -c 'select(.payload.what=="send" and .payload.family != "unix" and (.payload.address | contains(":")))' "$WORK/dump.jsonl" | wc -l)
[ "$(jq -c 'select(.payload.what=="send" and .payload.family != "unix")' "$WORK/dump.jsonl" | wc -l)" -eq $((1 + ipv6_sends)) ] && [ "$ipv6_sends" -le 1 ] ||
	fail "the normal process's datagram was recorded, or the blocked one's twice"
reason=$(jq -c 'select(.payload.type=="score" and .payload.level=="block") | .payload.reason.ngram' "$WORK/dump.jsonl" | head -n 1)
note "block reason: $reason"

# Monitor: the same process is allowed everything, and the decisions are logged.
policy monitor
start_daemon "$WORK/policy.yaml"
[ "$("$VIGILANTE" status --json | jq -r .gate.ungated_exec)" = report ] ||
	fail "status does not say that execs outside the gate are only recorded"
weird=$(attempt --weird 4000)
note "monitor mode: $weird"
[ "$weird" = "exec ok open ok connect ECONNREFUSED send ok " ] || fail "monitor mode refused: $weird"
weird=$(ungated --weird 4000)
[ "$weird" = "exec ok " ] || fail "monitor mode killed an exec outside the gate: $weird"
weird=$(in_cgroup "$PROBE" --weird 4000 --socket raw --socket packet | tr '\n' ' ')
[ "$weird" = "socket ok socket ok " ] || fail "monitor mode refused a raw or packet socket: $weird"
held=$(in_cgroup "$PROBE" --hold tcp --weird 4000 --sleep 1 --send-held tcp | tr '\n' ' ')
[ "$held" = "hold ok held ok " ] || fail "monitor mode closed a connection: $held"
weird=$(in_cgroup "$PROBE" --weird 4000 --unix "$WORK/no.sock" | tr '\n' ' ')
[ "$weird" = "unix ENOENT " ] || fail "monitor mode refused a Unix connect: $weird"
wait_quiet
stop_daemon || fail "vigilanted did not stop cleanly"
"$VIGILANTE" wal dump --json "$WORK/wal" > "$WORK/dump.jsonl"
for what in exec open connect; do
	has_event ".payload.type==\"decision\" and .payload.what==\"$what\" and .payload.refused==false and .payload.mode==\"monitor\"" "$WORK/dump.jsonl" ||
		[ $what = connect ] || fail "monitor mode did not log the $what decision"
done
has_event '.payload.type=="decision" and .payload.what=="connect" and .payload.refused==false' "$WORK/dump.jsonl" ||
	fail "monitor mode did not log the connect"
has_event '.payload.type=="decision" and .payload.what=="send" and .payload.refused==false' "$WORK/dump.jsonl" ||
	fail "monitor mode did not log the datagram"
has_event '.payload.type=="decision" and .payload.what=="socket" and .payload.family=="inet" and .payload.refused==false' "$WORK/dump.jsonl" ||
	fail "monitor mode did not log the raw socket"
has_event '.payload.type=="decision" and .payload.what=="socket" and .payload.family=="packet" and .payload.refused==false' "$WORK/dump.jsonl" ||
	fail "monitor mode did not log the packet socket"
has_event '.payload.type=="decision" and .payload.family=="unix" and .payload.refused==false' "$WORK/dump.jsonl" ||
	fail "monitor mode did not log the Unix connect"
has_event '.payload.type=="decision" and .payload.ungated==true and .payload.refused==false and .payload.mode=="monitor"' "$WORK/dump.jsonl" ||
	fail "monitor mode did not log the exec outside the gate"
