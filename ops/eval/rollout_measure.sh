#!/usr/bin/env bash
# Backbone rollout (#14, docs/rollout.md): accuracy after moving learned prototypes between the two speech spaces
# (speech, 96-d single mean; speech-ordered, 288-d time order), both directions, on the dev keyword set and on
# independent set 2 (kept out of tuning), per exemplar budget. Prints the Markdown tables of `edgecl rollout measure`.
#   ops/eval/rollout_measure.sh [DATA]        (DATA defaults to ~/.cache/edgecl/data)
# Calibration pairs: independent set 1's unknown/other clips, less "morning" (a class of set 2), linked into a temp folder.
set -euo pipefail
DATA="${1:-$HOME/.cache/edgecl/data}"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(dirname "$(dirname "$HERE")")"
EDGECL="${EDGECL:-$REPO/src/EdgeCL.Cli/bin/Release/net10.0/edgecl}"
export ORT_DISABLE_TELEMETRY=1
CAL="$(mktemp -d)"
trap 'rm -rf "$CAL"' EXIT
for f in "$DATA"/independent/unknown/other/*.wav; do
  case "$(basename "$f")" in morning__*) ;; *) ln -s "$f" "$CAL/";; esac
done
for set in keywords independent2; do
  budgets="0,1,2,4,8,all"; [ "$set" = independent2 ] && budgets="0,1,2,4,all"  # set 2 has 8 support clips a class
  for pair in "speech speech-ordered" "speech-ordered speech"; do
    read -r from to <<< "$pair"
    echo "### $set: $from → $to"
    echo
    "$EDGECL" rollout measure --from "$from" --to "$to" --data "$DATA/$set/support" --test "$DATA/$set/test" \
      --calibration "$CAL" --budgets "$budgets" --seeds 5
    echo
  done
done
