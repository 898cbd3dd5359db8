#!/usr/bin/env bash
# Syscall vaccines reach supervised workloads: `vigilante run` compiles the
# vaccines against its command's program (by content) into a seccomp filter
# installed before the command runs; another program is not affected. The
# programs are test-owned copies of uname(1) on the test's own tmpfs.
. "$(dirname "$0")/lib.sh"

make_test_cgroup
mount_test_tmpfs "$WORK/mnt"
cp "$(command -v uname)" "$WORK/mnt/vaccinated-uname"
cp "$(command -v uname)" "$WORK/mnt/other-uname"
echo "# not the same content" >> "$WORK/mnt/other-uname"

write_policy "$WORK/policy.yaml" "vaccination: {mode: enforce, ttl: 1h}
$(honeypot_policy monitor)"
start_daemon "$WORK/policy.yaml"

"$VIGILANTE" vaccine add --syscall uname --program "$WORK/mnt/vaccinated-uname" > "$WORK/add.out" ||
	fail "vaccine add --syscall failed: $(cat "$WORK/add.out")"
id=$("$VIGILANTE" vaccine list --json | jq -r '.vaccines[] | select(.kind == "syscall") | .id')
"$VIGILANTE" vaccine show "$id" --seccomp > "$WORK/filter.pfc" || fail "vaccine show --seccomp failed"
grep -q "uname" "$WORK/filter.pfc" || fail "the generated filter does not name uname: $(head -20 "$WORK/filter.pfc")"

in_cgroup "$VIGILANTE" run --name "$RUN_PREFIX-vaccinated" -- "$WORK/mnt/vaccinated-uname" -s \
	> "$WORK/vaccinated.out" 2> "$WORK/vaccinated.err" &&
	fail "the vaccinated program ran its uname() under vigilante run: $(cat "$WORK/vaccinated.out")"
grep -q "refused by vaccines" "$WORK/vaccinated.err" || fail "vigilante run did not say what it refused"
grep -qi "not permitted" "$WORK/vaccinated.err" || fail "uname did not fail with EPERM: $(cat "$WORK/vaccinated.err")"
in_cgroup "$VIGILANTE" run --name "$RUN_PREFIX-other" -- "$WORK/mnt/other-uname" -s > "$WORK/other.out" 2>&1 ||
	fail "another program was refused: $(cat "$WORK/other.out")"
[ "$(cat "$WORK/other.out")" = "$(uname -s)" ] || fail "the other program printed '$(cat "$WORK/other.out")'"
stop_daemon || fail "vigilanted exited with an error"
note "ok: uname refused to the vaccinated program under vigilante run, not to another"
