#!/usr/bin/env bash
# Runs EdgeCL's whole test suite: setup (packages, models, data; skip with EDGECL_SKIP_SETUP=1), then every test project.
# Ends with one summary line 'tests: N passed, N failed, N skipped'.
set -euo pipefail
cd "$(dirname "$0")/.."
# ONNX Runtime (1.29+) queues telemetry on Linux unless this is in the native environment before it starts (#18).
export ORT_DISABLE_TELEMETRY=1
[[ "${EDGECL_SKIP_SETUP:-0}" == 1 ]] || bash ops/setup.sh

log=$(mktemp)
trap 'rm -f "$log"' EXIT
set +e
dotnet test EdgeCL.sln -c Release --nologo 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
# Sum the per-assembly summaries ("Passed!  - Failed: 0, Passed: 28, Skipped: 0, Total: 28").
read -r passed failed skipped < <(grep -E '(Passed|Failed)! +- Failed:' "$log" | sed -E 's/.*Failed: *([0-9]+), Passed: *([0-9]+), Skipped: *([0-9]+).*/\2 \1 \3/' |
  awk '{p+=$1; f+=$2; s+=$3} END {print p+0, f+0, s+0}')

# Coverage-guided fuzzing (ops/fuzz): every parser under afl-fuzz for a few seconds, after its seeds and regressions
# are replayed; each target counts as one test, failed on any crash, hang or state change. EDGECL_FUZZ_SECONDS=0 skips.
fuzz_seconds="${EDGECL_FUZZ_SECONDS:-3}"
if [[ "$fuzz_seconds" == 0 ]]; then
  skipped=$((skipped + 1))
elif ! command -v afl-fuzz >/dev/null; then
  echo "tests: fuzzing skipped: afl-fuzz is not installed (ops/setup.sh installs afl++)" >&2
  skipped=$((skipped + 1))
else
  fuzz_out="${EDGECL_FUZZ_OUT:-artifacts/fuzz}"
  rm -f "$fuzz_out/summary.tsv"
  bash ops/fuzz/run-all.sh "$fuzz_seconds" || status=1
  read -r fuzz_passed fuzz_failed < <(awk -F'\t' 'NR > 1 {if ($6 == "0" && $7 == "0") p++; else f++} END {print p+0, f+0}' "$fuzz_out/summary.tsv" 2>/dev/null || echo "0 1")
  (( fuzz_passed + fuzz_failed > 0 )) || fuzz_failed=1
  passed=$((passed + fuzz_passed)) failed=$((failed + fuzz_failed))
fi
echo "tests: ${passed} passed, ${failed} failed, ${skipped} skipped"
if [[ $status -ne 0 && $failed -eq 0 ]]; then echo "tests: dotnet test exited $status (build error?)" >&2; fi
exit "$status"
