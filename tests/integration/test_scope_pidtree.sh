# Process-tree scope: the root's descendants are watched, nothing else is;
# the filter is in the kernel (the daemon never sees the other events).
. "$(dirname "$0")/lib.sh"

make_test_cgroup
mkfifo "$WORK/go"
# The tree's root waits on a fifo, so the daemon can mark it first.
sh -c 'read x < "$1"; /bin/echo inside-tree > /dev/null; sh -c "/bin/echo grandchild > /dev/null"' sh "$WORK/go" &
root=$!
STARTED_PIDS+=("$root")
# Precognition off: its connect gate would hang on the root cgroup.
PRECOG_MODE=off write_policy "$WORK/policy.yaml"
sed -i "s|^  kind: cgroup|  kind: pidtree\n  pid: $root|; /^  cgroup:/d" "$WORK/policy.yaml"
start_daemon "$WORK/policy.yaml"

/bin/echo outside-tree > /dev/null
echo go > "$WORK/go"
wait "$root"
wait_quiet
events=$WORK/events.jsonl
has_event '.type=="exec" and .argv[1]=="inside-tree"' "$events" || fail "no exec event from the tree's root"
has_event '.type=="exec" and .argv[1]=="grandchild"' "$events" || fail "no exec event from a grandchild"
grep -q outside-tree "$events" && fail "an exec outside the tree was reported"
total=$("$VIGILANTE" status --sample 0 --json | jq .events_total)
[ "$total" -lt 20 ] || fail "$total events from a tree of 4 processes: the kernel filter leaks"
note "$total events from the tree, none from outside"
stop_daemon || fail "vigilanted did not stop cleanly"
