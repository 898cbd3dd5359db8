#!/bin/bash
# Cuts the ADFA-LD normal validation traces into N parts of consecutive file
# names:
#
#   scripts/adfa-parts.sh DATA OUT [N]      (N: 2 by default)
#
# makes OUT/part0 (the first names) .. OUT/partN-1 (the last), each a
# directory of symbolic links to the trace files under
# DATA/Validation_Data_Master. Consecutive names, not every N-th trace: the
# validation set was recorded over time, and a part's programs are only
# partly in the others, as a later recording's would be. scripts/model-cv.sh
# trains on all parts but one and tests on that one.
set -euo pipefail

[ $# -eq 2 ] || [ $# -eq 3 ] || { echo "usage: $0 DATA OUT [N]" >&2; exit 2; }
data=$(realpath -e "$1")
out=$2
parts=${3:-2}
[[ $parts =~ ^[1-9][0-9]*$ ]] || { echo "$0: N must be a positive integer, not '$parts'" >&2; exit 2; }
mapfile -t validation < <(find "$data/Validation_Data_Master" -type f -name '*.txt' | sort)
count=${#validation[@]}
[ "$count" -ge "$parts" ] || { echo "$0: $count validation traces under $data, fewer than $parts parts" >&2; exit 1; }
for ((p = 0; p < parts; p++)); do
	begin=$((count * p / parts)) end=$((count * (p + 1) / parts))
	rm -rf "$out/part$p"
	mkdir -p "$out/part$p"
	ln -s "${validation[@]:begin:end-begin}" "$out/part$p/"
done
