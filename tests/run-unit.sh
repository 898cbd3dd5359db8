#!/usr/bin/env bash
# Runs the cmocka unit-test binaries given as arguments, counting test cases;
# a binary that dies before its summary counts as one failure.
set -u
passed=0 failed=0
for t in "$@"; do
	out=$(timeout 300 "$t" 2>&1)
	rc=$?
	p=$(echo "$out" | sed -nE 's/^\[  PASSED  \] ([0-9]+) test.*/\1/p' | tail -n 1)
	f=$(echo "$out" | sed -nE 's/^\[  FAILED  \] ([0-9]+) test.*/\1/p' | tail -n 1)
	p=${p:-0} f=${f:-0}
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1
	fi
	passed=$((passed + p))
	failed=$((failed + f))
	if [ "$f" -ne 0 ]; then
		echo "$out"
		echo "unit: FAIL $t ($f failed, exit $rc)"
	else
		echo "unit: ok   $t ($p cases)"
	fi
done
echo "unit: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
