#!/bin/bash
# Cross-validates the precognition model's training on the ADFA-LD
# development split the way the held-out evaluation judges it: on normal
# traces it was not trained on and on an attack family it has never seen.
#
#   scripts/model-cv.sh [BUILD]      (BUILD: the build directory, default build)
#
# PARTS=N cuts the normal validation traces into N parts of consecutive names
# (default 2; scripts/adfa-parts.sh). For each part P and each attack family
# F: the model is trained on the normal training traces plus the other
# parts, and on the attack traces of the three other families; it is
# evaluated on P against F. Prints one line per fold and the mean AUC and
# detection rates over all folds. Nothing in a fold sees the traces it is
# evaluated on.
#
# NORMAL_ONLY=1 trains every fold on its normal traces alone (the surprise
# model), for comparison. SEED=N salts the n-gram hash (default 1).
set -euo pipefail

BUILD=${1:-build}
VIGILANTE=$BUILD/vigilante
DATA=$(realpath -m "$BUILD/adfa-ld")
WORK=$(mktemp -d "${TMPDIR:-/tmp}/vigilante-cv.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

[ -x "$VIGILANTE" ] || { echo "model-cv: $VIGILANTE not built (make)" >&2; exit 1; }
[ -d "$DATA" ] || tar -xJf data/adfa-ld-dev.tar.xz -C "$BUILD"

parts=${PARTS:-2}
scripts/adfa-parts.sh "$DATA" "$WORK" "$parts"
mapfile -t families < <(find "$DATA/Attack_Data_Master" -mindepth 1 -maxdepth 1 -type d -printf '%f\n' |
	sed 's/_[0-9]*$//' | sort -u)

printf '%-5s %-12s %6s %8s %8s %8s\n' part family auc 'dr@1%' 'dr@5%' 'dr@10%'
for ((test_part = 0; test_part < parts; test_part++)); do
	train_parts=()
	for ((p = 0; p < parts; p++)); do
		if [ "$p" -ne "$test_part" ]; then train_parts+=(--normal "$WORK/part$p"); fi
	done
	for family in "${families[@]}"; do
		train_attacks=() test_attacks=()
		for dir in "$DATA/Attack_Data_Master"/*/; do
			dir=${dir%/}
			name=$(basename "$dir")
			if [ "${name%_*}" = "$family" ]; then
				test_attacks+=(--attack "$dir")
			else
				train_attacks+=(--attack "$dir")
			fi
		done
		[ "${NORMAL_ONLY:-0}" = 1 ] && train_attacks=()
		model=$WORK/fold.model
		"$VIGILANTE" model train --seed "${SEED:-1}" --abi i386 \
			--normal "$DATA/Training_Data_Master" "${train_parts[@]}" \
			"${train_attacks[@]}" -o "$model" > /dev/null 2>&1
		"$VIGILANTE" model eval --model "$model" --abi i386 --json \
			--normal "$WORK/part$test_part" "${test_attacks[@]}" |
			jq -r --arg h "$test_part" --arg f "$family" \
				'[$h, $f, .auc, .dr_at_fpr["0.01"], .dr_at_fpr["0.05"], .dr_at_fpr["0.1"]] | @tsv'
	done
done | tee "$WORK/folds" | awk -F'\t' '{ printf "%-5s %-12s %6.3f %8.3f %8.3f %8.3f\n", $1, $2, $3, $4, $5, $6 }'
awk -F'\t' '{ a += $3; d1 += $4; d5 += $5; d10 += $6; n++ }
	END { printf "mean over %d folds: AUC %.3f, detection %.1f%% at 1%%, %.1f%% at 5%%, %.1f%% at 10%% false alarms\n",
		n, a / n, 100 * d1 / n, 100 * d5 / n, 100 * d10 / n }' "$WORK/folds"
