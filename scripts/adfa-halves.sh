#!/bin/bash
# Cuts the ADFA-LD normal validation traces in two halves by file name:
#
#   scripts/adfa-halves.sh DATA OUT
#
# makes OUT/half0 (the first half) and OUT/half1 (the rest), each a
# directory of symbolic links to the trace files under
# DATA/Validation_Data_Master. One half trains, the other calibrates or
# tests: `make model` and scripts/model-cv.sh cut them the same way.
set -euo pipefail

[ $# -eq 2 ] || { echo "usage: $0 DATA OUT" >&2; exit 2; }
data=$(realpath -e "$1")
out=$2
mapfile -t validation < <(find "$data/Validation_Data_Master" -type f -name '*.txt' | sort)
[ ${#validation[@]} -ge 2 ] || { echo "$0: no validation traces under $data" >&2; exit 1; }
half=$((${#validation[@]} / 2))
rm -rf "$out/half0" "$out/half1"
mkdir -p "$out/half0" "$out/half1"
ln -s "${validation[@]:0:half}" "$out/half0/"
ln -s "${validation[@]:half}" "$out/half1/"
