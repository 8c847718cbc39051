#!/usr/bin/env bash
# Fuzzes one parser with AFL++ for a bounded time: ops/fuzz/run.sh TARGET SECONDS
# TARGET is one of `ops/fuzz/run.sh list`. Seeds: ops/fuzz/corpus/TARGET (with its regressions/); findings (queue,
# crashes, hangs, fuzzer_stats) under artifacts/fuzz/findings/TARGET. Each saved crash or hang is replayed in-process
# at the end to print its exception; each timeout is replayed alone and counts as a hang only when it is slow again.
# Exit 1 when any crash or hang was found.
# Builds and instruments the harness first unless EDGECL_FUZZ_PREBUILT=1 (run-all.sh builds once).
set -euo pipefail
cd "$(dirname "$0")/../.."
out="${EDGECL_FUZZ_OUT:-artifacts/fuzz}"
bin="$out/bin"
harness=(dotnet "$bin/EdgeCL.Fuzz.dll")
command -v afl-fuzz >/dev/null || { echo "run.sh: afl-fuzz not found; apt-get install afl++ (ops/setup.sh does)" >&2; exit 1; }
if [[ "${EDGECL_FUZZ_PREBUILT:-0}" != 1 || ! -f "$bin/.instrumented" ]]; then bash ops/fuzz/build.sh >/dev/null; fi
if [[ "${1:-}" == list ]]; then "${harness[@]}" list; exit 0; fi
[[ $# -eq 2 ]] || { echo "usage: ops/fuzz/run.sh TARGET SECONDS | list" >&2; exit 2; }
target=$1 seconds=$2
seeds="ops/fuzz/corpus/$target"
[[ -d "$seeds" ]] || { echo "run.sh: no seed corpus $seeds; targets: $("${harness[@]}" list | tr '\n' ' ')" >&2; exit 2; }

# afl-fuzz wants one flat folder of seeds: the corpus and its regressions together.
input="$out/seeds/$target"
findings="$out/findings/$target"
rm -rf "$input" "$findings"
mkdir -p "$input" "$(dirname "$findings")"
find "$seeds" -type f ! -name 'README*' -exec cp -t "$input" {} +

# dotnet is not compiled with AFL's instrumentation (SharpFuzz's fork server reports coverage instead); the machine is
# shared, so no CPU pinning and no core-dump or CPU-governor checks. -t: an input slower than 10 s is a hang (every
# input here takes milliseconds; 2 s flagged a few tiny PNGs while other builds loaded the 2 cores, none slow on replay).
export AFL_SKIP_BIN_CHECK=1 AFL_NO_UI=1 AFL_SKIP_CPUFREQ=1 AFL_NO_AFFINITY=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1
export AFL_QUIET=1 AFL_FORKSRV_INIT_TMOUT=60000 ORT_DISABLE_TELEMETRY=1 DOTNET_CLI_TELEMETRY_OPTOUT=1
afl-fuzz -V "$seconds" -t 10000 -m none -i "$input" -o "$findings" -- "${harness[@]}" "$target" > "$out/$target.log" 2>&1 || {
  echo "run.sh: afl-fuzz failed on $target; see $out/$target.log" >&2; tail -5 "$out/$target.log" >&2; exit 1; }

stats="$findings/default/fuzzer_stats"
get() { awk -F' *: *' -v k="$1" '$1 == k {print $2}' "$stats"; }
crashes=$(get saved_crashes) timeouts=$(get saved_hangs)
# A timeout counts as a hang only when the input is slow again on its own: on a shared machine a niced run can be
# starved for seconds (every timeout seen so far replayed in under a second).
hangs=0
for f in "$findings"/default/hangs/id:*; do
  [[ -f $f ]] || continue
  if ! timeout 60 "${harness[@]}" "$target" --replay "$f" > "$f.replay" 2>&1; then hangs=$((hangs + 1)); cat "$f.replay"; fi
done
echo "$hangs" > "$findings/confirmed_hangs"
printf '%s: %s executions in %s s, %s paths (corpus), %s edges, %s crashes, %s hangs (%s timeouts under afl-fuzz)\n' \
  "$target" "$(get execs_done)" "$(get run_time)" "$(get corpus_count)" "$(get edges_found)" "$crashes" "$hangs" "$timeouts"
if (( crashes > 0 )); then
  for f in "$findings"/default/crashes/id:*; do
    [[ -f $f ]] && timeout 60 "${harness[@]}" "$target" --replay "$f" | head -8 || true
  done
fi
(( crashes + hangs == 0 ))
