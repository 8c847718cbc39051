#!/usr/bin/env bash
# Fuzzes every target for SECONDS each, one after another on one core, and prints a table:
#   ops/fuzz/run-all.sh SECONDS
# Before fuzzing, every committed seed and regression input is replayed in-process (a crash there fails at once).
# Exit 1 when any target crashed or hung. Totals go to artifacts/fuzz/summary.tsv.
set -euo pipefail
cd "$(dirname "$0")/../.."
[[ $# -eq 1 ]] || { echo "usage: ops/fuzz/run-all.sh SECONDS" >&2; exit 2; }
seconds=$1
out="${EDGECL_FUZZ_OUT:-artifacts/fuzz}"
bash ops/fuzz/build.sh >/dev/null
export EDGECL_FUZZ_PREBUILT=1
harness=(dotnet "$out/bin/EdgeCL.Fuzz.dll")
mapfile -t targets < <("${harness[@]}" list)

failed=0
declare -A replay_failed=()
for t in "${targets[@]}"; do
  if ! "${harness[@]}" "$t" --replay "ops/fuzz/corpus/$t" > "$out/$t.replay.log" 2>&1; then
    echo "corpus replay failed: $t" >&2; cat "$out/$t.replay.log" >&2; failed=1; replay_failed[$t]=1
  fi
done

summary="$out/summary.tsv"
printf 'target\texecutions\tseconds\tpaths\tedges\tcrashes\thangs\ttimeouts\n' > "$summary"
for t in "${targets[@]}"; do
  bash ops/fuzz/run.sh "$t" "$seconds" > "$out/$t.run.log" 2>&1 || failed=1
  stats="$out/findings/$t/default/fuzzer_stats"
  if [[ -n "${replay_failed[$t]:-}" ]]; then
    printf '%s\t-\t-\t-\t-\treplay\t-\t-\n' "$t" >> "$summary"
  elif [[ -f $stats ]]; then
    hangs=$(cat "$out/findings/$t/confirmed_hangs" 2>/dev/null || echo "?")
    awk -F' *: *' -v t="$t" -v h="$hangs" '{v[$1]=$2} END {printf "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", t, v["execs_done"], v["run_time"], v["corpus_count"], v["edges_found"], v["saved_crashes"], h, v["saved_hangs"]}' "$stats" >> "$summary"
  else
    printf '%s\t-\t-\t-\t-\tfailed\t-\t-\n' "$t" >> "$summary"; failed=1
  fi
  grep -E '^(CRASH|HANG)' "$out/$t.run.log" >&2 || true
done
awk -F'\t' 'NR == 1 {printf "%-14s %12s %8s %7s %7s %8s %6s %9s\n", $1, $2, $3, $4, $5, $6, $7, $8; next}
  {printf "%-14s %12s %8s %7s %7s %8s %6s %9s\n", $1, $2, $3, $4, $5, $6, $7, $8; e += $2; c += $6; h += $7; p += $4; o += $8}
  END {printf "%-14s %12d %8s %7d %7s %8d %6d %9d\n", "total", e, "", p, "", c, h, o}' "$summary"
if (( failed )); then echo "fuzz: FAILED (crash, hang or a target that did not run; logs in $out)"; exit 1; fi
echo "fuzz: ${#targets[@]} targets, 0 crashes, 0 hangs"
