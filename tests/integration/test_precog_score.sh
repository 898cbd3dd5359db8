# One scoring implementation: the kernel's score for a process equals the
# userspace evaluator's score for the same syscall sequence, recorded from
# the kernel by `vigilante record`.
. "$(dirname "$0")/lib.sh"

PROBE=$HELPERS/precog_probe
make_test_cgroup
write_policy "$WORK/policy.yaml"
start_daemon "$WORK/policy.yaml"

echo hello > "$WORK/file"
in_cgroup "$VIGILANTE" record -o "$WORK/probe.trace" -- \
	"$PROBE" --open "$WORK/file" --weird 150 --connect 9 --open /nonexistent --weird 40 --open "$WORK/file" \
	> /dev/null 2> "$WORK/record.err" || fail "record failed: $(cat "$WORK/record.err")"
wait_quiet
stop_daemon || fail "vigilanted did not stop cleanly"

kernel=$(jq -r 'select(.type=="exit" and .comm=="precog_probe") | "\(.score) \(.max_score)"' "$WORK/events.jsonl")
[ -n "$kernel" ] || fail "no exit event for the probe"
user=$("$VIGILANTE" model score --model "$(test_model)" --abi x86_64 "$WORK/probe.trace" | sed -E 's/.* score=([0-9]+) max_score=([0-9]+)$/\1 \2/')
syscalls=$(wc -w < "$WORK/probe.trace")
note "$syscalls syscalls recorded; kernel score/max $kernel, userspace $user"
[ "$syscalls" -gt 200 ] || fail "only $syscalls syscalls recorded"
[ "$kernel" = "$user" ] || fail "kernel score/max '$kernel' != userspace '$user'"
[ "${kernel% *}" -gt 0 ] || fail "score 0: the comparison proves nothing"
