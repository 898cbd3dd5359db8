#!/usr/bin/env bash
# Runs every tests/integration/test_*.sh as root with a timeout each; prints
# one line per test and a summary line.
set -u
cd "$(dirname "$0")/../.."
if [ "$(id -u)" -ne 0 ]; then
	echo "integration: needs root (BPF, cgroups, fanotify)" >&2
	exit 1
fi
logs=${TEST_LOGS:-build/test-logs}
mkdir -p "$logs"
passed=0 failed=0
for t in tests/integration/test_*.sh; do
	start=$(date +%s.%N)
	if timeout --kill-after=10 "${TEST_TIMEOUT:-300}" bash "$t" > "$logs/$(basename "$t" .sh).log" 2>&1; then
		passed=$((passed + 1))
		printf 'ok   %-40s %6.1fs\n' "$(basename "$t" .sh)" "$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN{print b-a}')"
	else
		failed=$((failed + 1))
		printf 'FAIL %-40s\n' "$(basename "$t" .sh)"
		sed 's/^/    /' "$logs/$(basename "$t" .sh).log" | tail -n 60
	fi
done
echo "integration: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
