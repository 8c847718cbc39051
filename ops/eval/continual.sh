#!/usr/bin/env bash
# One unbroken stream (--protocol continual) and the reset oracle (--protocol episodic: the same stream, the learner
# reset at each condition boundary) for the same methods, then the per-condition table with the oracle's share.
#   ops/eval/continual.sh OUT METHODS [extra eval args...]
# e.g. ops/eval/continual.sh /tmp/cont ncm-centred,ncm-test-centred -b speech --data KW/support --test KW/test \
#        --shifts clean,babble:5,brown:5,reverb+white:10,telephone --shots 5 --draws 3 --holdout 0 --correlation 0.1
# The first method is the static baseline; the oracle runs with the adaptive methods' shift detection off.
set -euo pipefail
OUT=$1; METHODS=$2; shift 2
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(dirname "$(dirname "$HERE")")"
EDGECL="${EDGECL:-$REPO/src/EdgeCL.Cli/bin/Release/net10.0/edgecl}"
export ORT_DISABLE_TELEMETRY=1
mkdir -p "$OUT"
"$EDGECL" eval --protocol continual --methods "$METHODS" --eval-every 0 --no-plots --out "$OUT/continual" "$@" > "$OUT/continual.log" 2>&1 \
  || { echo "continual run failed: see $OUT/continual.log" >&2; exit 1; }
OFF=()
for m in ${METHODS//,/ }; do
  case "$m" in *test-centred*) OFF+=(--param "$m.detect=0");; esac
done
"$EDGECL" eval --protocol episodic --methods "$METHODS" --eval-every 0 --no-plots --out "$OUT/episodic" "${OFF[@]}" "$@" > "$OUT/episodic.log" 2>&1 \
  || { echo "episodic run failed: see $OUT/episodic.log" >&2; exit 1; }
/usr/bin/python3 "$HERE/continual_table.py" "$OUT"
