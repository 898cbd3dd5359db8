#!/usr/bin/env bash
# A supervised workload outlives its daemon: `vigilante run` keeps a copy of
# the workload's seccomp listener; after `kill -9` of the daemon the
# workload's opens go on (unwatched, said on stderr) instead of hanging or
# failing, and once the daemon is back the workload is supervised again: a
# flagged process of it gets the decoy. /etc/shadow is a test-owned file
# bind-mounted over it in a private mount namespace.
. "$(dirname "$0")/lib.sh"

make_test_cgroup
mount_test_tmpfs "$WORK/files"
OUT="$WORK/files/out"
mkdir -p "$OUT"
echo "root:REAL-SECRET-NEVER-LEAK:19000:0:99999:7:::" > "$WORK/files/shadow"
mkfifo "$WORK/files/steps"
cat > "$WORK/files/workload.sh" <<SH
#!/bin/sh
echo \$\$ > $OUT/pid
while read -r step < $WORK/files/steps; do
	[ "\$step" = quit ] && exit 0
	cat /etc/shadow > $OUT/\$step 2> $OUT/\$step.err
	echo done > $OUT/\$step.done
done
SH
chmod +x "$WORK/files/workload.sh"

write_policy "$WORK/policy.yaml" "$(honeypot_policy enforce)"
DAEMON_SHADOW=$WORK/files/shadow
start_daemon "$WORK/policy.yaml"

in_cgroup unshare -m --propagation private sh -c "
	mount --bind '$WORK/files/shadow' /etc/shadow &&
	exec '$VIGILANTE' run --name '$RUN_PREFIX-restart' -- '$WORK/files/workload.sh'" \
	> "$WORK/run.out" 2> "$WORK/run.err" &
RUN_PID=$!
STARTED_PIDS+=("$RUN_PID")

step() { # step NAME: has the workload read /etc/shadow into $OUT/NAME
	echo "$1" > "$WORK/files/steps"
	for _ in $(seq 100); do [ -e "$OUT/$1.done" ] && return 0; sleep 0.05; done
	fail "the workload did not finish step $1 in 5 s (hung?): $(cat "$WORK/run.err")"
}

for _ in $(seq 100); do [ -s "$OUT/pid" ] && break; sleep 0.05; done
[ -s "$OUT/pid" ] || fail "the workload did not start: $(cat "$WORK/run.err")"
step before
cmp -s "$OUT/before" "$WORK/files/shadow" || fail "an unflagged process did not read the real file"

kill -KILL "$DAEMON_PID"
wait "$DAEMON_PID" 2>/dev/null
DAEMON_PID=
step gone
cmp -s "$OUT/gone" "$WORK/files/shadow" || fail "with the daemon gone, the open failed: $(cat "$OUT/gone.err")"
grep -q "the daemon is gone" "$WORK/run.err" || fail "vigilante run did not say the daemon was gone"

start_daemon "$WORK/policy.yaml"
for _ in $(seq 100); do grep -q "supervised again" "$WORK/run.err" && break; sleep 0.05; done
grep -q "supervised again" "$WORK/run.err" || fail "the workload was not handed back: $(cat "$WORK/run.err")"
"$VIGILANTE" flag --reason "restart test" "$(cat "$OUT/pid")" || fail "vigilante flag failed"
step flagged
decoy=$(ls "$WORK"/decoys/shadow-* | head -1)
cmp -s "$OUT/flagged" "$decoy" || fail "after the restart a flagged process did not get the decoy: $(head -c 100 "$OUT/flagged")"

echo quit > "$WORK/files/steps"
wait "$RUN_PID" || fail "the workload failed: $(cat "$WORK/run.err")"
"$VIGILANTE" wal dump --json "$WORK/wal" > "$WORK/wal.jsonl" || fail "wal dump failed"
has_event '.payload.event == "supervise" and .payload.resumed == true' "$WORK/wal.jsonl" ||
	fail "no resumed supervise record"
stop_daemon || fail "vigilanted exited with an error"
note "ok: opens went on while the daemon was gone; supervised again after its restart"
