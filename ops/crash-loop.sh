#!/usr/bin/env bash
# Kills the device agent with SIGKILL at random instants, N times (default 1000), while it learns files from a watched
# folder and syncs them to a broker; then checks that no acknowledged example was lost or counted twice, that the state
# loads after every kill and that the broker converged. CI runs the same test with 50 kills.
#   ops/crash-loop.sh [kills] [--aot]     --aot kills the published binary (artifacts/publish/linux-x64/edgecl; ./publish.sh first)
set -euo pipefail
cd "$(dirname "$0")/.."
kills=${1:-1000}
export EDGECL_CRASH_KILLS=$kills
if [[ "${2:-}" == "--aot" ]]; then
  export EDGECL_CRASH_BINARY=$PWD/artifacts/publish/linux-x64/edgecl
  [[ -x $EDGECL_CRASH_BINARY ]] || { echo "crash-loop: $EDGECL_CRASH_BINARY is missing; run ./publish.sh first." >&2; exit 2; }
fi
echo "crash-loop: $kills kills${EDGECL_CRASH_BINARY:+ of $EDGECL_CRASH_BINARY}"
set +e
dotnet test tests/EdgeCL.Cli.Tests -c Release --nologo --filter "FullyQualifiedName~CrashLoopTests" --logger "console;verbosity=detailed" 2>&1 |
  grep -E "kills|written|Total tests|Passed|Failed|error|Assert|Expected|Actual"
status=${PIPESTATUS[0]}
exit "$status"
