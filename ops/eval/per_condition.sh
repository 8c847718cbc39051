#!/usr/bin/env bash
# Runs `edgecl eval` once per condition (a fresh learner per condition: k clean shots, then that condition's
# unlabelled stream, the protocol of feasibility.md §4) and prints online accuracy per method and condition.
#   ops/eval/per_condition.sh OUT SHOTS DRAWS METHODS [extra eval args...]
# e.g. ops/eval/per_condition.sh /tmp/k5 5 3 ncm-centred,adanpc,t3a
set -euo pipefail
OUT=$1; SHOTS=$2; DRAWS=$3; METHODS=$4; shift 4
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(dirname "$(dirname "$HERE")")"
EDGECL="${EDGECL:-$REPO/src/EdgeCL.Cli/bin/Release/net10.0/edgecl}"
DATA="${EDGECL_DATA:-$HOME/.cache/edgecl/data/keywords}"
for c in clean white:10 white:0 pink:10 pink:0 reverb; do
  "$EDGECL" eval -b speech --data "$DATA/support" --test "$DATA/test" --shifts "$c" --shots "$SHOTS" --draws "$DRAWS" \
    --holdout 0 --eval-every 0 --no-plots --methods "$METHODS" --out "$OUT/${c/:/-}" "$@" > "$OUT.${c/:/-}.log" 2>&1 \
    || { echo "condition $c failed: see $OUT.${c/:/-}.log" >&2; exit 1; }
done
/usr/bin/python3 "$HERE/table.py" "$OUT"
