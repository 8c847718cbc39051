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
echo "tests: ${passed} passed, ${failed} failed, ${skipped} skipped"
if [[ $status -ne 0 && $failed -eq 0 ]]; then echo "tests: dotnet test exited $status (build error?)" >&2; fi
exit "$status"
