#!/usr/bin/env bash
# A compromised-but-signed device against the fleet merge (#14 item 5, docs/fleet-aggregation.md "A compromised device"):
# honest devices learn a few examples per class, one compromised device publishes another class's mean (x1, x10) under
# every label claiming 10^6 examples; test accuracy of the merged fleet prototypes per merge policy. Prints Markdown tables.
#   ops/measure/fleet_cap.sh [DATA]        (DATA defaults to ~/.cache/edgecl/data)
# Sets: the dev keyword set (speech, 24 support clips a class: devices taught 1/2/3/5/8), independent set 2 (kept out of
# tuning; 8 support clips a class: devices taught 1/1/2/4), digits (image backbone; the first 40 images of each class
# are support, the next 200 test, linked into a temp folder).
set -euo pipefail
DATA="${1:-$HOME/.cache/edgecl/data}"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(dirname "$(dirname "$HERE")")"
EDGECL="${EDGECL:-$REPO/src/EdgeCL.Cli/bin/Release/net10.0/edgecl}"
export ORT_DISABLE_TELEMETRY=1
COMMON=(--caps 0,1,2,4,8,16 --max-norms 0,p95 --scales 1,10 --draws 20)

echo "### dev keyword set (speech)"; echo
"$EDGECL" fleet measure-cap -b speech -d "$DATA/keywords/support" --test "$DATA/keywords/test" --shots 1,2,3,5,8 "${COMMON[@]}"
echo; echo "### independent set 2 (speech)"; echo
"$EDGECL" fleet measure-cap -b speech -d "$DATA/independent2/support" --test "$DATA/independent2/test" --shots 1,1,2,4 "${COMMON[@]}"

SPLIT="$(mktemp -d)"
trap 'rm -rf "$SPLIT"' EXIT
for class in "$DATA"/digits/*/; do
  name="$(basename "$class")"
  mkdir -p "$SPLIT/support/$name" "$SPLIT/test/$name"
  mapfile -t files < <(find "$class" -maxdepth 1 -type f -name '*.pgm' | sort)
  for f in "${files[@]:0:40}"; do ln -s "$f" "$SPLIT/support/$name/"; done
  for f in "${files[@]:40:200}"; do ln -s "$f" "$SPLIT/test/$name/"; done
done
echo; echo "### digits (image backbone)"; echo
"$EDGECL" fleet measure-cap -b digits -d "$SPLIT/support" --test "$SPLIT/test" --shots 1,2,3,5,8 "${COMMON[@]}"
