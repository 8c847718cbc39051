#!/usr/bin/env bash
# The speech front end measured four ways on the dev set and the independent check set: file centring or sound
# centring (placement clip|speech) x dither 2 LSB or none. Static ncm-centred, one unbroken stream over the conditions.
#   ops/eval/frontend.sh OUT [conditions]   (one condition alone runs the class-incremental protocol: not comparable)
# Needs ops/setup.sh (dev set, models) and ops/data/make-independent.sh ~/.cache/edgecl/data/independent.
set -euo pipefail
OUT=$1; CONDITIONS=${2:-clean,babble:5,brown:5,reverb,white:10,telephone}
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(dirname "$(dirname "$HERE")")"
EDGECL="${EDGECL:-$REPO/src/EdgeCL.Cli/bin/Release/net10.0/edgecl}"
DATA="${EDGECL_DATA:-$HOME/.cache/edgecl/data}"
export ORT_DISABLE_TELEMETRY=1
[[ -f "$DATA/independent/.complete" ]] || bash "$REPO/ops/data/make-independent.sh" "$DATA/independent"
mkdir -p "$OUT"
for placement in clip speech; do
  for dither in 2 0; do
    v="$OUT/manifest-$placement-d$dither"
    mkdir -p "$v"
    for f in "$REPO"/models/speech/*.onnx; do ln -sf "$f" "$v/"; done
    # The shipped manifest with the two front-end settings replaced.
    /usr/bin/python3 - "$REPO/models/speech/backbone.json" "$v/backbone.json" "$placement" "$dither" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
m["speech"]["placement"] = sys.argv[3]
m["speech"]["ditherLsb"] = float(sys.argv[4])
json.dump(m, open(sys.argv[2], "w"), indent=2)
PY
    for set in keywords:5:3 independent:8:1; do
      IFS=: read -r name shots draws <<< "$set"
      "$EDGECL" eval -b "$v/backbone.json" --data "$DATA/$name/support" --test "$DATA/$name/test" --shifts "$CONDITIONS" \
        --shots "$shots" --draws "$draws" --methods ncm-centred --holdout 0 --eval-every 0 --no-plots \
        --out "$OUT/$name-$placement-d$dither" > "$OUT/$name-$placement-d$dither.log" 2>&1 \
        || { echo "frontend: $name $placement dither $dither failed; see $OUT/$name-$placement-d$dither.log" >&2; exit 1; }
    done
  done
done
/usr/bin/python3 - "$OUT" <<'PY'
import json, sys, glob, os
rows = []
for f in sorted(glob.glob(os.path.join(sys.argv[1], "*", "report.json"))):
    r = json.load(open(f)); e = r["methods"]["ncm-centred"]["online_error"]
    acc = {k: 100 * (1 - v) for k, v in e.items()}
    shifted = [v for k, v in acc.items() if k != "clean"]
    rows.append((os.path.basename(os.path.dirname(f)), acc, sum(shifted) / len(shifted) if shifted else float("nan")))
conds = list(rows[0][1])
print("| set-placement-dither | " + " | ".join(conds) + " | shifted mean |")
print("|---" * (len(conds) + 2) + "|")
for name, acc, mean in rows:
    print(f"| {name} | " + " | ".join(f"{acc[c]:.1f}" for c in conds) + f" | {mean:.1f} |")
PY
