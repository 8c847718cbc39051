#!/usr/bin/env bash
# Power-loss simulation of the device's state (issue 12, "storage faults"). Processes run under the LD_PRELOAD shim
# ops/faults/powerloss.c, which journals every write, truncate, fsync and directory operation in the state folder and
# cuts the power at a random one; a disk image is rebuilt with unsynced writes lost, reordered or torn
# (tests/EdgeCL.Storage.Tests/Faults/PowerCutDisk.cs says what is and is not modelled), and the real code must open it
# with every acknowledged example stored once. Campaigns (EdgeCL.Storage.Tests/Faults): a writer learning through
# StateStore cut at random calls; the same with EIO/ENOSPC on random writes and fsyncs; every call of a first start;
# AtomicFile (key, checkpoint) cut and failed. Then the real agent (EdgeCL.Cli.Tests/PowerLossAgentTests).
# CI runs the same tests with 20/14/16 runs and 3 agent cuts.
#   ops/powerloss.sh [runs] [agent-cuts] [seed]     defaults: 1000 runs per campaign, 100 agent cuts
set -euo pipefail
cd "$(dirname "$0")/.."
export ORT_DISABLE_TELEMETRY=1
export EDGECL_POWERLOSS_CUTS=${1:-1000} EDGECL_POWERLOSS_AGENT_CUTS=${2:-100}
[[ -n "${3:-}" ]] && export EDGECL_POWERLOSS_SEED=$3
bash ops/faults/build.sh >/dev/null
echo "powerloss: $EDGECL_POWERLOSS_CUTS runs per campaign, $EDGECL_POWERLOSS_AGENT_CUTS agent cuts"
status=0
for target in "tests/EdgeCL.Storage.Tests Faults" "tests/EdgeCL.Cli.Tests PowerLossAgentTests"; do
  read -r project filter <<<"$target"
  set +e
  dotnet test "$project" -c Release --nologo --filter "FullyQualifiedName~$filter" --logger "console;verbosity=detailed" 2>&1 |
    grep -E -A1 "runs|cuts,|Total tests|Passed|Failed|Error Message| error " | grep -vE "^\s+at |^--$"
  ((PIPESTATUS[0] == 0)) || status=1
  set -e
done
exit "$status"
