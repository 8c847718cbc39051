#!/usr/bin/env bash
# ops/measure/gpu.sh - the GPU check: CUDA/TensorRT provider self-tests, embedding throughput of both backbones on
# CUDA vs CPU (batch 1 and 64), an eval run on CUDA, and CUDA embeddings against CPU ones; prints one table.
#
#   ops/measure/gpu.sh [--bin DIR] [--out DIR] [--runs N]
#
#   --bin DIR   a published CUDA folder with edgecl in it (default: artifacts/publish/linux-x64-cuda, built with
#               ./publish.sh --cuda --no-smoke when it is not there; that needs the .NET SDK and the NuGet feed)
#   --out DIR   work folder for the generated inputs and outputs (default: artifacts/gpu-check)
#   --runs N    runs per throughput cell; the table shows the median (default 3)
#
# Inputs are made here, so the check needs nothing outside the checkout: the two digit samples in models/digits/samples
# copied with seeded pixel noise (320 per class), and seeded synthetic 1.5 s WAV clips for the speech backbone (its
# models come from models/speech/fetch.sh; without them the speech rows say so). Where CUDA cannot run, every "cuda"
# cell names the provider that actually ran (the CPU fallback) so the table never passes a CPU number off as a GPU one.
#
# Tolerance: CUDA and CPU embeddings agree when max |Δ| <= 1e-3 × max |CPU value| (cuDNN picks other convolution
# algorithms and may use TF32, so bit equality is not expected; a wrong kernel is off by far more).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BIN=
OUT="$ROOT/artifacts/gpu-check"
RUNS=3
while [ $# -gt 0 ]; do
  case "$1" in
    --bin) BIN=$2; shift 2 ;;
    --out) OUT=$2; shift 2 ;;
    --runs) RUNS=$2; shift 2 ;;
    -h|--help) sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "gpu.sh: error: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
export ORT_DISABLE_TELEMETRY=1 DOTNET_CLI_TELEMETRY_OPTOUT=1
PY=$(command -v python3) || { echo "gpu.sh: error: python3 is needed (standard library only) to make inputs and compare .npy files" >&2; exit 1; }
say() { echo "gpu.sh: $*" >&2; }

# --- 1. build what it needs ---------------------------------------------------------------------------------------
if [ -z "$BIN" ]; then
  BIN="$ROOT/artifacts/publish/linux-x64-cuda"
  if [ ! -x "$BIN/edgecl" ]; then
    say "building the CUDA publish: ./publish.sh --cuda --no-smoke"
    "$ROOT/publish.sh" --cuda --no-smoke >&2
  fi
fi
EDGECL="$BIN/edgecl"
[ -x "$EDGECL" ] || { echo "gpu.sh: error: no edgecl in $BIN" >&2; exit 1; }
MODELS="$ROOT/models"
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)

# --- 2. inputs (seeded, made here) ---------------------------------------------------------------------------------
"$PY" - "$ROOT/models/digits/samples" "$OUT/data" <<'PY'
import math, os, random, struct, sys, wave
samples, out = sys.argv[1], sys.argv[2]
rng = random.Random(13)
def read_pgm(path):
    data = open(path, 'rb').read()
    parts, i = [], 0
    while len(parts) < 4:  # P5 width height maxval, whitespace separated
        while data[i:i+1].isspace(): i += 1
        j = i
        while not data[j:j+1].isspace(): j += 1
        parts.append(data[i:j]); i = j
    w, h = int(parts[1]), int(parts[2])
    return w, h, data[i+1:i+1+w*h]
for name in sorted(os.listdir(samples)):
    label = name.split('_')[0]
    w, h, pixels = read_pgm(os.path.join(samples, name))
    folder = os.path.join(out, 'digits', label); os.makedirs(folder, exist_ok=True)
    for k in range(320):
        noisy = bytes(max(0, min(255, p + rng.randint(-24, 24))) for p in pixels)
        with open(os.path.join(folder, f'{label}_{k:03d}.pgm'), 'wb') as f:
            f.write(b'P5\n%d %d\n255\n' % (w, h) + noisy)
for label, freq in (('low', 220.0), ('high', 880.0)):
    folder = os.path.join(out, 'speech', label); os.makedirs(folder, exist_ok=True)
    for k in range(64):
        with wave.open(os.path.join(folder, f'{label}_{k:03d}.wav'), 'wb') as f:
            f.setnchannels(1); f.setsampwidth(2); f.setframerate(16000)
            f.writeframes(b''.join(struct.pack('<h', int(6000 * math.sin(2 * math.pi * freq * (1 + 0.01 * k) * t / 16000) + rng.gauss(0, 300)))
                                   for t in range(24000)))
PY

# --- 3. provider self-tests ----------------------------------------------------------------------------------------
DOCTOR=$("$EDGECL" doctor --providers tensorrt,cuda,cpu -b digits --models "$MODELS" 2>&1 || true)
say "edgecl doctor:"; printf '%s\n' "$DOCTOR" >&2
verdict() { printf '%s\n' "$DOCTOR" | awk -v p="$1" '$1 == p { $1 = ""; sub(/^ +/, ""); print; exit }'; }

# --- 4. throughput: median samples/s and the provider that ran ------------------------------------------------------
json_field() { "$PY" -c 'import json,sys; d=json.load(sys.stdin); print(d[sys.argv[1]])' "$1"; }
declare -A RATE RAN
throughput() {  # KEY BACKBONE DATA PROVIDERS BATCH
  local key=$1 backbone=$2 data=$3 providers=$4 batch=$5 rates=() r json
  for ((r = 0; r < RUNS; r++)); do
    json=$("$EDGECL" embed -b "$backbone" --models "$MODELS" -d "$data" -o "$OUT/$key.npy" --providers "$providers" --batch "$batch" --json 2>/dev/null) || { RATE[$key]="failed"; RAN[$key]="-"; return; }
    rates+=("$(printf '%s' "$json" | json_field samples_per_second)")
  done
  RATE[$key]=$(printf '%s\n' "${rates[@]}" | sort -g | awk '{ a[NR] = $1 } END { printf "%.0f", a[int((NR + 1) / 2)] }')
  RAN[$key]=$(printf '%s' "$json" | json_field provider | tr 'A-Z' 'a-z')
}
SPEECH=1
[ -f "$MODELS/speech/embedding_model.onnx" ] || { SPEECH=0; say "models/speech/*.onnx missing (run models/speech/fetch.sh): speech rows skipped"; }
for p in cuda cpu; do
  chain=$p; [ "$p" = cpu ] || chain=cuda,cpu
  for b in 1 64; do throughput "digits-$p-$b" digits "$OUT/data/digits" "$chain" "$b"; done
  # The speech backbone runs clip by clip (its 9 windows in one batch); --batch does not change it.
  if [ "$SPEECH" = 1 ]; then throughput "speech-$p-1" speech "$OUT/data/speech" "$chain" 1; fi
done

# --- 5. eval on CUDA -----------------------------------------------------------------------------------------------
t0=$(date +%s.%N)
EVAL_JSON=$("$EDGECL" eval -b digits --models "$MODELS" -d "$OUT/data/digits" --providers cuda,cpu --shifts clean,gaussian_noise:3 \
  --methods ncm --shots 5 --no-plots -o "$OUT/eval" --json 2>"$OUT/eval.stderr") && EVAL_RC=0 || EVAL_RC=$?
EVAL_S=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
EVAL_FALLBACK=$(grep -c 'running on Cpu' "$OUT/eval.stderr" || true)

# --- 6. CUDA vs CPU embeddings -------------------------------------------------------------------------------------
"$EDGECL" embed -b digits --models "$MODELS" -d "$OUT/data/digits" -o "$OUT/cmp-cuda.npy" --providers cuda,cpu --batch 64 --json >"$OUT/cmp-cuda.json" 2>/dev/null
"$EDGECL" embed -b digits --models "$MODELS" -d "$OUT/data/digits" -o "$OUT/cmp-cpu.npy" --providers cpu --batch 1 --json >"$OUT/cmp-cpu.json" 2>/dev/null
CMP=$("$PY" - "$OUT/cmp-cuda.npy" "$OUT/cmp-cpu.npy" <<'PY'
import ast, struct, sys
def load(path):
    data = open(path, 'rb').read()
    n = struct.unpack('<H', data[8:10])[0]
    header = ast.literal_eval(data[10:10 + n].decode('latin1'))
    assert header['descr'] == '<f4', header
    body = data[10 + n:]
    return struct.unpack('<%df' % (len(body) // 4), body)
a, b = load(sys.argv[1]), load(sys.argv[2])
delta = max(abs(x - y) for x, y in zip(a, b)); scale = max(abs(y) for y in b)
print('%.3g %.3g %s' % (delta, scale, 'yes' if delta <= 1e-3 * scale else 'NO'))
PY
)
CMP_RAN=$(json_field provider <"$OUT/cmp-cuda.json" | tr 'A-Z' 'a-z')

# --- 7. the table ---------------------------------------------------------------------------------------------------
cell() { if [ "${RAN[$1]:-}" = "" ]; then printf 'skipped'; else printf '%s/s (%s)' "${RATE[$1]}" "${RAN[$1]}"; fi; }
ratio() { awk -v a="${RATE[$1]:-0}" -v b="${RATE[$2]:-0}" -v ra="${RAN[$1]:-}" 'BEGIN { if (b > 0 && a > 0) printf "%.2f%s", a / b, (ra == "cpu" ? " (no GPU: CPU vs CPU)" : ""); else printf "-" }'; }
{
  echo
  echo "GPU check ($(date -u +%FT%TZ), $(nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | head -n 1 || echo 'no nvidia-smi'), edgecl from $BIN)"
  printf '%-34s %s\n' "tensorrt self-test" "$(verdict tensorrt)"
  printf '%-34s %s\n' "cuda self-test" "$(verdict cuda)"
  printf '%-34s %-28s %-28s %s\n' "embedding throughput" "cuda (provider that ran)" "cpu" "cuda/cpu"
  for key in digits-1 digits-64 speech-1; do
    b=${key%%-*}; n=${key##*-}
    printf '%-34s %-28s %-28s %s\n' "  $b, batch $n" "$(cell "$b-cuda-$n")" "$(cell "$b-cpu-$n")" "$(ratio "$b-cuda-$n" "$b-cpu-$n")"
  done
  printf '%-34s %s\n' "  speech, batch 64" "not run: speech is not batched across clips (time-major mel output; 9 windows per run)"
  printf '%-34s %s\n' "eval on cuda (digits, 2 shifts)" "exit $EVAL_RC in $EVAL_S s$([ "$EVAL_FALLBACK" = 0 ] || echo ', fell back to CPU (one line on stderr)')"
  set -- $CMP
  printf '%-34s %s\n' "cuda vs cpu embeddings" "max |Δ| $1 (scale $2), within 1e-3 × scale: $3; the cuda side ran on $CMP_RAN"
}
