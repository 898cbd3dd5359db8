#!/usr/bin/env bash
# Runs the fuzz targets built in BUILD/fuzz.
#   fuzz/run.sh replay BUILD          every committed corpus file through its
#                                     target once (a test: "fuzz: N passed, N failed")
#   fuzz/run.sh explore BUILD SECONDS each target for SECONDS from the committed
#                                     corpus; new inputs go to BUILD/fuzz/corpus/NAME/,
#                                     failing ones to BUILD/fuzz/crashes/ (commit a fixed
#                                     one to fuzz/corpus/NAME/ as a regression input)
set -u
mode=${1:?usage: fuzz/run.sh replay|explore BUILD [SECONDS]}
build=${2:?usage: fuzz/run.sh replay|explore BUILD [SECONDS]}
seconds=${3:-60}
cd "$(dirname "$0")/.."
passed=0 failed=0

for bin in "$build"/fuzz/fuzz_*; do
	[ -x "$bin" ] && [ -f "$bin" ] || continue
	name=$(basename "$bin" | sed 's/^fuzz_//')
	corpus=fuzz/corpus/$name
	mkdir -p "$corpus"
	dict=()
	[ -f "fuzz/$name.dict" ] && dict=(-dict="fuzz/$name.dict")
	log=$(mktemp)
	case $mode in
	replay)
		# -runs=0 with a directory: each file once, exit status non-zero on a finding.
		"$bin" -runs=0 "$corpus" >"$log" 2>&1
		;;
	explore)
		mkdir -p "$build/fuzz/crashes" "$build/fuzz/corpus/$name"
		"$bin" "${dict[@]}" -max_total_time="$seconds" -max_len=65536 -timeout=10 \
			-artifact_prefix="$build/fuzz/crashes/$name-" "$build/fuzz/corpus/$name" "$corpus" \
			>"$log" 2>&1
		;;
	*)
		echo "fuzz/run.sh: unknown mode '$mode' (replay or explore)" >&2
		exit 2
		;;
	esac
	if [ $? -eq 0 ]; then
		passed=$((passed + 1))
		echo "ok   $name ($(ls "$corpus" | wc -l) inputs)"
	else
		failed=$((failed + 1))
		echo "FAIL $name"
		grep -E 'fuzz: |ERROR: |SUMMARY: |Test unit written' "$log" | head -n 20
	fi
	rm -f "$log"
done
echo "fuzz: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
