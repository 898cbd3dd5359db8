#!/usr/bin/env bash
# The honeypot's story, end to end: a supervised workload's process does
# quick reconnaissance, is flagged by its in-kernel score, reads /etc/shadow
# and gets the decoy, again through '..', a symbolic link, a relative path
# from /etc and /proc/self/root, and its stat sees the decoy's size; the
# real file's content never reaches it, while an unflagged process of the
# same workload reads the real file; the forensic log holds each step in
# order; in monitor mode (after a reload) the flagged process reads the
# real file and the decoy it would have had is logged. /etc/shadow here is
# a test-owned file bind-mounted over it in a private mount namespace: the
# host's own file is never involved.
. "$(dirname "$0")/lib.sh"

PROBE=$(realpath "$HELPERS/precog_probe")
make_test_cgroup
mount_test_tmpfs "$WORK/files"
OUT="$WORK/files/out"
mkdir -p "$OUT"
echo "root:REAL-SECRET-NEVER-LEAK:19000:0:99999:7:::" > "$WORK/files/shadow"
chmod 600 "$WORK/files/shadow"

write_policy "$WORK/policy.yaml" "$(honeypot_policy enforce)"
DAEMON_SHADOW=$WORK/files/shadow
start_daemon "$WORK/policy.yaml"

# The flagged part: run by a process whose score crossed the flag threshold
# (it inherits the verdict of the probe that forked it).
cat > "$WORK/files/steal.sh" <<SH
#!/bin/sh
cat /etc/shadow > $OUT/absolute
cat /etc/../etc/shadow > $OUT/dotdot
ln -s /etc/shadow $OUT/link
cat $OUT/link > $OUT/symlink
cd /etc && cat shadow > $OUT/relative && cat ../etc/./shadow > $OUT/relative_dotdot
cat /proc/self/root/etc/shadow > $OUT/proc_self_root
stat -c %s /etc/shadow > $OUT/stat_size
SH
cat > "$WORK/files/workload.sh" <<SH
#!/bin/sh
cat /etc/shadow > $OUT/unflagged_before
$PROBE --weird 4000 --exec $WORK/files/steal.sh > $OUT/probe
cat /etc/shadow > $OUT/unflagged_after
SH
chmod +x "$WORK/files/steal.sh" "$WORK/files/workload.sh"

in_cgroup unshare -m --propagation private sh -c "
	mount --bind '$WORK/files/shadow' /etc/shadow &&
	exec '$VIGILANTE' run --name '$RUN_PREFIX-story' -- '$WORK/files/workload.sh'" \
	> "$WORK/run.out" 2>&1 || fail "vigilante run failed: $(cat "$WORK/run.out")"

decoy=$(ls "$WORK"/decoys/shadow-* 2>/dev/null | head -1)
[ -n "$decoy" ] || fail "no shadow decoy was generated in $WORK/decoys"
grep -q '^root:\$6\$' "$decoy" || fail "the decoy is not a shadow file: $(head -c 200 "$decoy")"
note "decoy: $decoy ($(wc -c < "$decoy") bytes)"

for f in unflagged_before unflagged_after; do
	cmp -s "$OUT/$f" "$WORK/files/shadow" || fail "an unflagged process did not read the real file ($f)"
done
for f in absolute dotdot symlink relative relative_dotdot proc_self_root; do
	[ -e "$OUT/$f" ] || fail "the flagged script did not reach step $f"
	cmp -s "$OUT/$f" "$decoy" || fail "$f: the flagged process did not get the decoy: $(head -c 100 "$OUT/$f")"
done
if grep -rq REAL-SECRET-NEVER-LEAK "$OUT" --exclude=unflagged_before --exclude=unflagged_after; then
	fail "the real file's content reached a flagged process"
fi
[ "$(cat "$OUT/stat_size")" = "$(stat -c %s "$decoy")" ] ||
	fail "stat of /etc/shadow by a flagged process gave $(cat "$OUT/stat_size") bytes, not the decoy's"

# The timeline: supervise, then the crossing, then the decoys, then what was read.
wait_quiet
"$VIGILANTE" wal dump --json "$WORK/wal" > "$WORK/wal.jsonl" || fail "wal dump failed"
jq -c '.payload | select(.type == "honeypot" or (.type == "score" and .level == "flag"))
	| [.event // .type, .pid, .asked // "", .bytes // 0]' "$WORK/wal.jsonl" > "$WORK/timeline"
note "timeline: $(tr '\n' ' ' < "$WORK/timeline")"
steps=$(jq -r '.[0]' "$WORK/timeline" | uniq | tr '\n' ' ')
case "$steps" in
"supervise score decoy_open "*) ;;
*) fail "the forensic log's order is not supervise, flagged, decoys: $steps" ;;
esac
opens=$(jq -r 'select(.[0] == "decoy_open") | .[2]' "$WORK/timeline" | sort | tr '\n' ' ')
for asked in /etc/shadow /etc/../etc/shadow "$OUT/link" shadow ../etc/./shadow /proc/self/root/etc/shadow; do
	case " $opens " in *" $asked "*) ;; *) fail "no decoy_open record for '$asked' (have: $opens)" ;; esac
done
has_event '.payload.type == "honeypot" and .payload.event == "decoy_stat"' "$WORK/wal.jsonl" ||
	fail "no decoy_stat record"
read_bytes=$(jq -s '[.[].payload | select(.type == "honeypot" and .event == "decoy_read") | .bytes] | add // 0' "$WORK/wal.jsonl")
[ "$read_bytes" -ge $((6 * $(stat -c %s "$decoy"))) ] ||
	fail "the decoy_read records count $read_bytes bytes, less than the six reads"
"$VIGILANTE" wal verify "$WORK/wal" > /dev/null || fail "the forensic log does not verify"

# `honeypot log --pid` of the flagged probe: its own crossing, then every
# descendant's decoys (the script, each cat), not the unflagged workload's.
probe=$(jq -r 'select(.[0] == "score") | .[1]' "$WORK/timeline" | head -1)
"$VIGILANTE" honeypot log --wal "$WORK/wal" --pid "$probe" > "$WORK/log.txt" || fail "honeypot log failed"
note "honeypot log --pid $probe: $(wc -l < "$WORK/log.txt") lines"
grep -q "score crossed flag" "$WORK/log.txt" || fail "honeypot log lacks the crossing: $(cat "$WORK/log.txt")"
[ "$(grep -c ' -> shadow decoy ' "$WORK/log.txt")" -eq 7 ] ||
	fail "honeypot log --pid does not show the 7 decoyed calls: $(cat "$WORK/log.txt")"
grep -q "workload .* started" "$WORK/log.txt" && fail "honeypot log --pid $probe shows the workload's start"
"$VIGILANTE" honeypot log --wal "$WORK/wal" --json | jq -e -s 'length >= 15' > /dev/null ||
	fail "honeypot log --json is not one object per record"
# Monitor mode (a reload): the flagged process reads the real file, and the
# decoy it would have had is logged, not served.
sed -i 's/^  mode: enforce$/  mode: monitor/' "$WORK/policy.yaml"
kill -HUP "$DAEMON_PID"
for _ in $(seq 50); do
	grep -q "policy reloaded" "$WORK/daemon.err" && break
	sleep 0.1
done
grep -q "policy reloaded" "$WORK/daemon.err" || fail "reload to honeypot monitor mode refused"
printf '#!/bin/sh\ncat /etc/shadow > %s/monitored\n' "$OUT" > "$WORK/files/read.sh"
chmod +x "$WORK/files/read.sh"
in_cgroup unshare -m --propagation private sh -c "
	mount --bind '$WORK/files/shadow' /etc/shadow &&
	exec '$VIGILANTE' run --name '$RUN_PREFIX-monitor' -- '$PROBE' --weird 4000 --exec '$WORK/files/read.sh'" \
	> "$WORK/run2.out" 2>&1 || fail "vigilante run (monitor) failed: $(cat "$WORK/run2.out")"
cmp -s "$OUT/monitored" "$WORK/files/shadow" || fail "monitor mode served a flagged process something else"
wait_quiet
"$VIGILANTE" wal dump --json "$WORK/wal" > "$WORK/wal.jsonl" || fail "wal dump failed"
has_event '.payload.event == "decoy_open" and .payload.served == false' "$WORK/wal.jsonl" ||
	fail "monitor mode did not log the decoy it would have served"
stop_daemon || fail "vigilanted exited with an error"
note "ok: 6 decoyed opens, 1 decoyed stat, $read_bytes decoy bytes read, real file only to the unflagged; in monitor mode the real file, the decoy logged"
