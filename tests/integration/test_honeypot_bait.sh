# Honeytokens and decoy services, end to end with the real kernel: a
# honeytoken planted on the test's own tmpfs flags the process that opens it
# (flagged before its open returns), not one that only stats it and lists
# its directory; a connection to the decoy SSH port flags the process that
# made it and the session record holds what it sent; the decoy Redis
# answers PING with +PONG; a port in use is a warning, not a failure. A decoy
# tripped is an incident: the program that tripped it is vaccinated, as
# narrowly as that (it may not open that honeytoken, or reach that decoy
# port, again), and the vaccine is enforced.
# Every process that takes the bait is one the test started, in its cgroup.
. "$(dirname "$0")/lib.sh"

make_test_cgroup
mount_test_tmpfs "$WORK/mnt"
token=$WORK/mnt/home/.aws/credentials.bak
token2=$WORK/mnt/home/.git-credentials
ssh_port=22222 redis_port=26380 busy_port=26381 moved_ssh_port=22223

for port in $ssh_port $redis_port $busy_port $moved_ssh_port; do
	[ -z "$(ss -Hltn "sport = :$port")" ] || fail "port $port is in use here; the test needs it free"
done

# busy_port is held by a listener of the test's own: the daemon must warn.
PROBE=$HELPERS/bait_probe
"$PROBE" --listen $busy_port > "$WORK/busy.out" &
STARTED_PIDS+=($!)
for _ in $(seq 100); do [ -s "$WORK/busy.out" ] && break; sleep 0.05; done
[ -s "$WORK/busy.out" ] || fail "could not hold port $busy_port"

policy() { # policy MODE HONEYTOKENS SERVICES
	write_policy "$WORK/policy.yaml" "honeypot:
  mode: $1
  decoy_dir: $WORK/decoys
  decoys: {shadow: [], ssh_key: [], aws_credentials: [], git_credentials: []}
  honeytokens: $2
  services: $3
vaccination: {mode: enforce, ttl: 1h}"
}

# reload: SIGHUP, then wait for the daemon's policy record.
reload() {
	local before
	before=$("$VIGILANTE" events --json | jq -s '[.[] | select(.type=="policy")] | length')
	kill -HUP "$DAEMON_PID"
	for _ in $(seq 100); do
		[ "$("$VIGILANTE" events --json | jq -s '[.[] | select(.type=="policy")] | length')" -gt "$before" ] && return 0
		sleep 0.05
	done
	fail "the daemon did not reload its policy"
}

policy enforce "{aws_credentials: [$token]}" "{ssh: [$ssh_port], redis: [$redis_port, $busy_port]}"
start_daemon "$WORK/policy.yaml"

[ -f "$token" ] || fail "the honeytoken $token was not planted"
[ "$(stat -c %a "$token")" = 600 ] || fail "the honeytoken's mode is $(stat -c %a "$token"), expected 600"
grep -q "port $busy_port\|:$busy_port" "$WORK/daemon.err" || fail "no warning naming the port in use ($busy_port)"

# verdict PID: the kernel's verdict on a live process, "" if none.
verdict() {
	"$VIGILANTE" ps --json | jq -r --argjson pid "$1" '.processes[] | select(.pid == $pid) | .verdict // ""'
}

# started FILE: waits until a test process wrote its pid to FILE.
started() {
	for _ in $(seq 100); do
		[ -s "$1" ] && return 0
		sleep 0.05
	done
	fail "a test process did not start ($1)"
}

# A process that only looks: stat and a directory listing open no canary.
in_cgroup bash -c 'stat "$1" > /dev/null && ls -la "$(dirname "$1")" > /dev/null && echo $$ > "$2" && exec sleep 60' \
	_ "$token" "$WORK/lurker.pid" &
STARTED_PIDS+=($!)
# A process that opens the canary; it is flagged by the time its open
# returns, so before it writes its pid. (Whatever opens the canary is
# flagged, so the test reads it only through this process's fd.)
in_cgroup bash -c 'exec 3< "$1" && head -c 4096 <&3 > "$3" && echo $$ > "$2" && exec sleep 60' \
	_ "$token" "$WORK/thief.pid" "$WORK/thief.loot" &
STARTED_PIDS+=($!)
started "$WORK/lurker.pid"
started "$WORK/thief.pid"
lurker=$(cat "$WORK/lurker.pid") thief=$(cat "$WORK/thief.pid")
grep -q "aws_access_key_id" "$WORK/thief.loot" || fail "the honeytoken does not look like AWS credentials"
[ "$(verdict "$thief")" = flagged ] || fail "the process that opened the honeytoken is not flagged: '$(verdict "$thief")'"
[ -z "$(verdict "$lurker")" ] || fail "a process that only stat'ed the honeytoken is flagged"
note "honeytoken: opener $thief flagged, onlooker $lurker not"

# vaccine KIND JQ_CONDITION: a vaccine of that kind in force matches.
vaccine() {
	"$VIGILANTE" vaccine list --json | jq -e --arg kind "$1" "[.vaccines[] | select(.kind == \$kind) | select($2)] | length == 1" > /dev/null
}
for _ in $(seq 50); do vaccine file_open ".file == \"$token\" and .origin == \"honeytoken\"" && break; sleep 0.1; done
vaccine file_open ".file == \"$token\" and .origin == \"honeytoken\"" ||
	fail "no file_open vaccine for the honeytoken: $("$VIGILANTE" vaccine list --json | jq -c .)"
# The same program (bash) may not open that honeytoken again; the refused
# process is one the test started, and may be recorded touching it.
in_cgroup bash -c 'echo $$ > "$2"; exec 3< "$1"' _ "$token" "$WORK/refused.pid" 2> /dev/null &&
	fail "bash opened the honeytoken again despite its vaccine"
refused=$(cat "$WORK/refused.pid")
note "vaccinated: bash may not open $token (process $refused refused)"

# The decoy SSH: read the banner, send a client banner, hang up.
in_cgroup bash -c 'echo $$ > "$1"
	exec 3<> /dev/tcp/127.0.0.1/'$ssh_port' || exit 1
	IFS= read -r -t 5 banner <&3
	printf "%s\n" "$banner" > "$2"
	printf "SSH-2.0-vigilante_test_probe\r\n" >&3
	exec 3>&-
	exec sleep 60' _ "$WORK/ssh.pid" "$WORK/ssh.banner" &
STARTED_PIDS+=($!)
started "$WORK/ssh.pid"
for _ in $(seq 100); do [ -s "$WORK/ssh.banner" ] && break; sleep 0.05; done
ssh_client=$(cat "$WORK/ssh.pid")
[ "$(cat "$WORK/ssh.banner")" = $'SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r' ] ||
	fail "the decoy SSH banner is '$(cat "$WORK/ssh.banner")'"
[ "$(verdict "$ssh_client")" = flagged ] || fail "the decoy SSH client $ssh_client is not flagged"
note "decoy ssh: client $ssh_client flagged"
for _ in $(seq 50); do vaccine connect ".port == $ssh_port and .origin == \"decoy_service\"" && break; sleep 0.1; done
vaccine connect ".port == $ssh_port and .address == \"127.0.0.1\" and .origin == \"decoy_service\"" ||
	fail "no connect vaccine for the decoy SSH port: $("$VIGILANTE" vaccine list --json | jq -c .)"
in_cgroup bash -c 'exec 3<> /dev/tcp/127.0.0.1/'$ssh_port 2> /dev/null &&
	fail "bash reached the decoy SSH port again despite its vaccine"
note "vaccinated: bash may not connect to 127.0.0.1:$ssh_port"

# The decoy Redis: PING, then QUIT.
pong=$(in_cgroup bash -c 'exec 3<> /dev/tcp/127.0.0.1/'$redis_port' || exit 1
	printf "*1\r\n\$4\r\nPING\r\n" >&3
	IFS= read -r -t 5 reply <&3
	printf "%s" "$reply"
	printf "QUIT\r\n" >&3
	IFS= read -r -t 5 bye <&3')
[ "$pong" = $'+PONG\r' ] || fail "the decoy Redis answered PING with '$pong'"
note "decoy redis: PING -> +PONG"

"$VIGILANTE" status --sample 0 --json > "$WORK/status.json"
jq -e '.honeytokens.touches >= 1 and .decoy_services.sessions >= 2' "$WORK/status.json" > /dev/null ||
	fail "status does not count the touches and sessions: $(jq -c '{honeytokens, decoy_services}' "$WORK/status.json")"
"$VIGILANTE" status --sample 0 | grep -q "^decoy services: 2 sessions" || fail "status does not print the decoy sessions"

# Reload: a new honeytoken is planted and watched, the SSH decoy moves.
policy enforce "{aws_credentials: [$token], git_credentials: [$token2]}" "{ssh: [$moved_ssh_port], redis: [$redis_port]}"
reload
[ -f "$token2" ] || fail "the honeytoken $token2 was not planted at reload"
in_cgroup bash -c 'exec 3< "$1" && echo $$ > "$2" && exec sleep 60' _ "$token2" "$WORK/thief2.pid" &
STARTED_PIDS+=($!)
started "$WORK/thief2.pid"
thief2=$(cat "$WORK/thief2.pid")
[ "$(verdict "$thief2")" = flagged ] || fail "the opener of the honeytoken planted at reload is not flagged"
in_cgroup "$PROBE" --connect $moved_ssh_port > /dev/null || fail "no decoy SSH on port $moved_ssh_port after reload"
in_cgroup "$PROBE" --connect $ssh_port > /dev/null 2>&1 && fail "the decoy SSH still listens on $ssh_port after reload"
note "reload: honeytoken $token2 watched, decoy ssh moved to $moved_ssh_port"


# Honeypot off: the bait is withdrawn (the canaries stay on disk).
policy off "{aws_credentials: [$token]}" "{ssh: [$moved_ssh_port], redis: [$redis_port]}"
reload
in_cgroup "$PROBE" --connect $redis_port > /dev/null 2>&1 && fail "the decoy Redis still listens with the honeypot off"
# (sh, not bash: bash is vaccinated against this honeytoken.)
in_cgroup sh -c 'exec 3< "$1" && echo $$ > "$2" && exec sleep 60' _ "$token" "$WORK/reader.pid" &
STARTED_PIDS+=($!)
started "$WORK/reader.pid"
reader=$(cat "$WORK/reader.pid")
[ -z "$(verdict "$reader")" ] || fail "a honeytoken flagged its opener with the honeypot off"
note "honeypot off: services closed, honeytokens unwatched"

wait_quiet
stop_daemon || fail "vigilanted did not stop cleanly"
"$VIGILANTE" wal dump --json "$WORK/wal" > "$WORK/dump.jsonl"
has_event ".payload.type==\"honeypot\" and .payload.event==\"honeytoken\" and .payload.pid==$thief and .payload.path==\"$token\" and .payload.kind==\"aws_credentials\" and .payload.access==\"read\" and .payload.flagged==true" "$WORK/dump.jsonl" ||
	fail "no honeytoken record for the opener $thief"
has_event ".payload.event==\"flag\" and .payload.source==\"honeytoken\" and .payload.pid==$thief" "$WORK/dump.jsonl" ||
	fail "no flag record (source honeytoken) for $thief"
has_event ".payload.event==\"flag\" and .payload.pid==$lurker" "$WORK/dump.jsonl" &&
	fail "the onlooker $lurker was flagged"
has_event ".payload.event==\"flag\" and .payload.source==\"decoy_service\" and .payload.pid==$ssh_client and .payload.evidence.service==\"ssh\" and .payload.evidence.via==\"connect program\"" "$WORK/dump.jsonl" ||
	fail "no flag record (source decoy_service, from the connect program) for the SSH client $ssh_client"
[ "$(jq -s "[.[].payload | select(.event==\"flag\" and .pid==$ssh_client)] | length" "$WORK/dump.jsonl")" = 1 ] ||
	fail "the SSH client's flag is recorded more than once"
has_event ".payload.event==\"service_session\" and .payload.service==\"ssh\" and .payload.pid==$ssh_client and (.payload.received | contains(\"SSH-2.0-vigilante_test_probe\")) and .payload.end==\"closed\"" "$WORK/dump.jsonl" ||
	fail "no SSH session record with what the client sent"
has_event '.payload.event=="service_session" and .payload.service=="redis" and (.payload.received | contains("PING")) and .payload.end=="quit" and .payload.bytes_sent > 0' "$WORK/dump.jsonl" ||
	fail "no Redis session record"
has_event ".payload.event==\"honeytoken\" and .payload.pid!=$thief and .payload.pid!=$thief2 and .payload.pid!=$refused" "$WORK/dump.jsonl" &&
	fail "a process other than the test's openers is recorded touching a honeytoken"
has_event ".payload.event==\"honeytoken\" and .payload.pid==$thief2 and .payload.kind==\"git_credentials\"" "$WORK/dump.jsonl" ||
	fail "no record of the honeytoken planted at reload"
note "records: $(jq -c 'select(.payload.type=="honeypot") | .payload.event' "$WORK/dump.jsonl" | sort | uniq -c | tr -s ' \n' ' ')"
