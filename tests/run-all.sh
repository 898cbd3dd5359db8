#!/usr/bin/env bash
# Every test: unit tests (plain and ASan+UBSan builds), the fuzz targets on
# their committed corpora, then the integration tests against the real kernel with the sanitizer build of the daemon and
# CLI. Prints one summary line: "tests: N passed, N failed".
set -u
build=${1:-build}
cd "$(dirname "$0")/.."
passed=0 failed=0

tally() { # tally LOGFILE
	local line
	line=$(grep -E '^[a-z]+: [0-9]+ passed, [0-9]+ failed$' "$1" | tail -n 1)
	[ -n "$line" ] || { failed=$((failed + 1)); return; }
	passed=$((passed + $(echo "$line" | sed -E 's/.* ([0-9]+) passed.*/\1/')))
	failed=$((failed + $(echo "$line" | sed -E 's/.* ([0-9]+) failed$/\1/')))
}

log=$(mktemp)
tests/run-unit.sh "$build"/tests/test_* "$build"/asan/tests/test_* | tee "$log"
tally "$log"
fuzz/run.sh replay "$build" | tee "$log"
tally "$log"
VG_BIN="$build/asan" HELPERS="$build/tests/helpers" tests/integration/run.sh | tee "$log"
tally "$log"
rm -f "$log"
echo "tests: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
