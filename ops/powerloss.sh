#!/usr/bin/env bash
# Power-loss simulation of the state store (issue 12, "storage faults"): a writer that learns examples through StateStore
# runs under the LD_PRELOAD shim ops/faults/powerloss.c, which journals every write, truncate, fsync and directory
# operation on the state folder; the power is cut at a random call, a disk image is rebuilt with unsynced writes lost,
# reordered or torn (tests/EdgeCL.Storage.Tests/Faults/PowerCutDisk.cs says what is modelled), and the real StateStore
# must open it with every acknowledged example and none counted twice. Then the same with EIO/ENOSPC on random writes
# and fsyncs. CI runs the same tests with 20 and 14 runs.
#   ops/powerloss.sh [runs] [seed]      runs per campaign (default 1000); the seed repeats a campaign
set -euo pipefail
cd "$(dirname "$0")/.."
export EDGECL_POWERLOSS_CUTS=${1:-1000}
[[ -n "${2:-}" ]] && export EDGECL_POWERLOSS_SEED=$2
bash ops/faults/build.sh >/dev/null
echo "powerloss: $EDGECL_POWERLOSS_CUTS runs per campaign"
set +e
dotnet test tests/EdgeCL.Storage.Tests -c Release --nologo --filter "FullyQualifiedName~Faults.PowerLossTests" --logger "console;verbosity=detailed" 2>&1 |
  grep -E -A1 "runs|Total tests|Passed|Failed|Error Message|acknowledged| error " | grep -vE "^\s+at |^--$"
status=${PIPESTATUS[0]}
exit "$status"
