# Learning on the live host: `vigilante learn` profiles a program whose
# normal behaviour the general model finds anomalous; with the profile
# loaded, vigilanted lets that program do what it always does, while a
# different program (other bytes, same behaviour) is still blocked.
. "$(dirname "$0")/lib.sh"

make_test_cgroup
mount_test_tmpfs "$WORK/mnt"
cp "$HELPERS/precog_probe" "$WORK/mnt/learned"
cp "$HELPERS/precog_probe" "$WORK/mnt/other"
echo "other bytes" >> "$WORK/mnt/other" # same code, another program
cp /bin/true "$WORK/mnt/true"
echo "test secret" > "$WORK/mnt/secret"

"$VIGILANTE" learn --cgroup "$TEST_CGROUP" --duration 3 -o "$WORK/profiles" 2> "$WORK/learn.err" &
learner=$!
STARTED_PIDS+=("$learner")
sleep 1.5
in_cgroup "$WORK/mnt/learned" --weird 4000 > /dev/null
wait "$learner" || fail "learn failed: $(cat "$WORK/learn.err")"
grep -q "$WORK/mnt/learned" "$WORK/learn.err" || fail "the program was not learned: $(cat "$WORK/learn.err")"
note "$(grep -c 'n-gram cells' "$WORK/learn.err") programs learned"

PRECOG_MODE=enforce EXEC_GATE="[$WORK/mnt]" PROTECTED="[$WORK/mnt/secret]" \
	write_policy "$WORK/policy.yaml" "" 
sed -i "s|^  protected_paths:|  profiles: $WORK/profiles\n  protected_paths:|" "$WORK/policy.yaml"
start_daemon "$WORK/policy.yaml"
grep -q "1 of 1 program profiles in use" "$WORK/daemon.err" || fail "the profile was not installed: $(cat "$WORK/daemon.err")"

attempt() { in_cgroup "$1" --weird 4000 --exec "$WORK/mnt/true" --open "$WORK/mnt/secret" --connect 9 | tr '\n' ' '; }
learned=$(attempt "$WORK/mnt/learned")
other=$(attempt "$WORK/mnt/other")
note "learned program: $learned"
note "other program:   $other"
[ "$learned" = "exec ok open ok connect ECONNREFUSED " ] || fail "the profiled program was refused: $learned"
[ "$other" = "exec EPERM open EPERM connect EPERM " ] || fail "an unprofiled program was not refused: $other"
stop_daemon || fail "vigilanted did not stop cleanly"

# A damaged profiles file is refused at start, naming the file.
printf 'x' >> "$WORK/profiles"
rc=0
"$VIGILANTED" --policy "$WORK/policy.yaml" 2> "$WORK/bad.err" || rc=$?
[ "$rc" -eq 1 ] || fail "vigilanted started with a damaged profiles file (exit $rc)"
grep -q "$WORK/profiles: corrupted" "$WORK/bad.err" || fail "no clear error: $(cat "$WORK/bad.err")"
