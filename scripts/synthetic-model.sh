#!/bin/bash
# Trains the synthetic model the integration tests and the benchmarks score
# with, so that whether their probes cross a threshold does not depend on what
# the built-in model was trained on:
#   normal: a loop of read write openat close fstat mmap mprotect brk lseek
#           poll futex read write close (x86_64 numbers);
#   attack: uname, over and over.
# A uname run climbs to the top of the score scale (960); other programs
# score about half of it.
#
#   scripts/synthetic-model.sh VIGILANTE DIR   prints the model's path (DIR/model)
set -euo pipefail
[ $# -eq 2 ] || { echo "usage: synthetic-model.sh VIGILANTE DIR" >&2; exit 2; }
vigilante=$1 dir=$2
if [ ! -f "$dir/model" ]; then
	mkdir -p "$dir/normal" "$dir/attack"
	for _ in $(seq 200); do echo "0 1 257 3 5 9 10 12 8 7 202 0 1 3"; done > "$dir/normal/trace"
	for _ in $(seq 200); do echo "63 63 63 63 63 63 63 63 63 63 63 63 63 63"; done > "$dir/attack/trace"
	# Its thresholds go unused (the callers' policies set theirs); one
	# trace is too few to cross-fit them, so they are set on it.
	"$vigilante" model train --abi x86_64 --normal "$dir/normal" --attack "$dir/attack" \
		--calibrate "$dir/normal" -o "$dir/model" > "$dir/train.out" 2>&1 ||
		{ echo "synthetic-model.sh: training failed: $(cat "$dir/train.out")" >&2; exit 1; }
fi
echo "$dir/model"
