#!/usr/bin/env bash
# Smoke test for a published edgecl binary (run by publish.sh; usable on its own).
#
#   ops/publish/smoke.sh [--model ONNX] [--input FILE] [--version-only] BINARY
#
# Runs `BINARY --version`, then the commands below that exercise ONNX Runtime
# (`model inspect`, `predict`). Commands the binary does not have yet, and inputs
# that are not in the checkout, are skipped with a SKIP line; anything that runs
# must exit 0. Extend it by adding a step at the end.
#
# A linux-arm64 binary on an x86-64 host runs under qemu-user:
#   qemu-aarch64-static -cpu cortex-a72 -L /usr/aarch64-linux-gnu BINARY ...
# ONNX Runtime's cpuinfo parses /proc/cpuinfo and crashes on the x86 host's text, so
# the script re-runs itself in a private mount namespace where
# ops/publish/cpuinfo-cortex-a72x4.txt is bind-mounted over /proc/cpuinfo
# (needs root). Without root, or where unshare/mount is refused, only --version
# runs (it does not load ONNX Runtime) and the script exits 3.
#
# Exit status: 0 all steps passed or were skipped, 1 a step failed, 2 usage,
# 3 only --version could run (cross-arch without an ARM /proc/cpuinfo).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
SELF="$HERE/$(basename "${BASH_SOURCE[0]}")"
FAKE_CPUINFO="$HERE/cpuinfo-cortex-a72x4.txt"
STEP_TIMEOUT=${EDGECL_SMOKE_TIMEOUT:-180}   # seconds per command (qemu is slow)

usage() { echo "usage: ops/publish/smoke.sh [--model ONNX] [--input FILE] [--version-only] BINARY" >&2; exit 2; }
say()  { echo "smoke: $*"; }
die()  { echo "smoke: FAIL: $*" >&2; exit 1; }

MODEL=${EDGECL_SMOKE_MODEL:-$ROOT/models/digits/digits-cnn.onnx}
INPUT=${EDGECL_SMOKE_INPUT:-}
VERSION_ONLY=0
BIN=
while [ $# -gt 0 ]; do
  case "$1" in
    --model) [ $# -ge 2 ] || usage; MODEL=$2; shift 2 ;;
    --input) [ $# -ge 2 ] || usage; INPUT=$2; shift 2 ;;
    --version-only) VERSION_ONLY=1; shift ;;
    -h|--help) usage ;;
    -*) echo "smoke: unknown option $1" >&2; usage ;;
    *) [ -z "$BIN" ] || usage; BIN=$1; shift ;;
  esac
done
[ -n "$BIN" ] || usage
[ -f "$BIN" ] || die "$BIN: no such file"
[ -x "$BIN" ] || die "$BIN: not executable"
BIN=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")
case "$MODEL" in /*) ;; *) MODEL=$PWD/$MODEL ;; esac

# --- how to run the binary -------------------------------------------------
machine=$(readelf -h "$BIN" 2>/dev/null | sed -n 's/^ *Machine: *//p')
case "$machine" in
  *AArch64*) target=aarch64 ;;
  *X86-64*|*"Advanced Micro Devices X86-64"*) target=x86_64 ;;
  *) die "$BIN: not an x86-64 or AArch64 ELF executable (Machine: ${machine:-unknown})" ;;
esac
host=$(uname -m)
RUN=()
if [ "$target" != "$host" ]; then
  [ "$target" = aarch64 ] || die "cannot run a $target binary on a $host host"
  command -v qemu-aarch64-static >/dev/null \
    || die "qemu-aarch64-static not found (apt-get install -y qemu-user-static)"
  # Prefer Debian's multiarch arm64 runtime (libc6:arm64 + libssl3:arm64, which .NET's crypto needs) when it is
  # installed; -L over the cross sysroot then must not be given (mixing the two libcs hangs the loader).
  if [ -e /lib/ld-linux-aarch64.so.1 ]; then
    RUN=(qemu-aarch64-static -cpu cortex-a72)
  else
    RUN=(qemu-aarch64-static -cpu cortex-a72 -L /usr/aarch64-linux-gnu)
    [ -e /usr/aarch64-linux-gnu/lib/libssl.so.3 ] || say "note: no arm64 libssl; commands that hash or sign abort. Install it: dpkg --add-architecture arm64 && apt-get update && apt-get install -y libssl3:arm64 libstdc++6:arm64"
  fi
  if [ "$VERSION_ONLY" = 0 ] && ! grep -q '^CPU implementer' /proc/cpuinfo; then
    if [ -z "${EDGECL_SMOKE_IN_NS:-}" ] && [ "$(id -u)" = 0 ] \
       && unshare -m true 2>/dev/null; then
      say "arm64 under qemu: private mount namespace with $(basename "$FAKE_CPUINFO") over /proc/cpuinfo"
      export EDGECL_SMOKE_IN_NS=1
      args=(--model "$MODEL")
      [ -z "$INPUT" ] || args+=(--input "$INPUT")
      set +e
      unshare -m -- sh -c 'mount --bind "$1" /proc/cpuinfo || exit 98; shift; exec "$@"' \
        sh "$FAKE_CPUINFO" bash "$SELF" "${args[@]}" "$BIN"
      rc=$?
      set -e
      [ "$rc" != 98 ] && exit "$rc"
      why="mount --bind over /proc/cpuinfo was refused"
    elif [ "$(id -u)" != 0 ]; then
      why="not root (unshare -m and mount --bind need root)"
    elif [ -n "${EDGECL_SMOKE_IN_NS:-}" ]; then
      why="the bind mount did not take effect"
    else
      why="unshare -m is not permitted here"
    fi
    say "NOTE: $why; ONNX Runtime would crash on the x86 host's /proc/cpuinfo under qemu,"
    say "      so only --version is tested for this arm64 binary."
    VERSION_ONLY=3
  fi
fi

# run NAME ARGS... : run the binary, echo its output indented, fail on non-zero exit.
run() {
  local name=$1; shift
  local out rc
  say "RUN  $name: edgecl $*"
  set +e
  out=$(cd "$(dirname "$BIN")" && timeout "$STEP_TIMEOUT" "${RUN[@]}" "$BIN" "$@" 2>&1)
  rc=$?
  set -e
  [ -z "$out" ] || printf '%s\n' "$out" | head -n 40 | sed 's/^/       | /'
  if [ "$rc" = 124 ]; then die "$name: timed out after ${STEP_TIMEOUT}s"; fi
  [ "$rc" = 0 ] || die "$name: exit status $rc"
  LAST_OUTPUT=$out
  say "PASS $name"
}
# has CMD... : true when `edgecl CMD... --help` succeeds (the command exists).
has() { (cd "$(dirname "$BIN")" && timeout "$STEP_TIMEOUT" "${RUN[@]}" "$BIN" "$@" --help >/dev/null 2>&1); }

# --- steps -------------------------------------------------------------------
run version --version
if [ "$VERSION_ONLY" != 0 ]; then
  say "done (--version only)"
  [ "$VERSION_ONLY" = 3 ] && exit 3
  exit 0
fi

# 1. model inspect: loads the model through ONNX Runtime.
if [ ! -f "$MODEL" ]; then
  say "SKIP model inspect: ${MODEL#"$ROOT"/} not found (the digits model arrives with models/digits/)"
elif ! has model inspect; then
  say "SKIP model inspect: this edgecl has no 'model inspect' command yet"
else
  run "model inspect" model inspect "$MODEL"
fi

# 2. predict: one inference. The input defaults to the first sample found under
#    models/digits/ (*.pgm / *.png); pass --input FILE or EDGECL_SMOKE_INPUT otherwise.
#    Teaches one class from the sample (learn), then classifies it (predict).
if [ -z "$INPUT" ] && [ -d "$ROOT/models/digits" ]; then
  INPUT=$(find "$ROOT/models/digits" -type f \( -name '*.pgm' -o -name '*.png' \) 2>/dev/null | sort | head -n 1)
fi
if [ ! -f "$MODEL" ]; then
  say "SKIP predict: no model"
elif ! has predict; then
  say "SKIP predict: this edgecl has no 'predict' command yet"
elif [ -z "$INPUT" ] || [ ! -f "$INPUT" ]; then
  say "SKIP predict: no input sample (pass --input FILE)"
else
  SMOKE_STATE="$(mktemp -d)/smoke.ecls"
  run learn learn --backbone "$MODEL" --state "$SMOKE_STATE" --file "$INPUT" --label smoke
  # A second class from another sample (when there is one), so predict has to choose.
  OTHER=$(find "$(dirname "$INPUT")" -maxdepth 1 -type f \( -name '*.pgm' -o -name '*.png' \) ! -path "$INPUT" | sort | head -n 1)
  [ -z "$OTHER" ] || run "learn other" learn --backbone "$MODEL" --state "$SMOKE_STATE" --file "$OTHER" --label other
  run predict predict "$INPUT" --backbone "$MODEL" --state "$SMOKE_STATE"
  printf '%s\n' "$LAST_OUTPUT" | grep -q "	smoke	" || die "predict: expected class 'smoke' for $INPUT"
  rm -rf "$(dirname "$SMOKE_STATE")"
fi

# 3. the device agent: validate a config, run it, teach it a file through a watched folder (embedded broker,
#    simulated GPIO with the SSD1306 display and WS2812B pixel: source-generated JSON, SQLite, MQTTnet, System.Device.Gpio
#    and Iot.Device.Bindings all under AOT), stop it with SIGTERM.
#    With the digits model it also has two camera sources that cannot work here: a missing /dev/video63 and /dev/null
#    (the V4L2 capture's open and ioctl stubs under AOT): each must say so in one line while the agent learns.
if [ ! -f "$MODEL" ] || ! has run; then
  say "SKIP agent: no model or no 'run' command"
elif [ -z "$INPUT" ] || [ ! -f "$INPUT" ]; then
  say "SKIP agent: no input sample"
else
  AGENT_DIR=$(mktemp -d)
  mkdir -p "$AGENT_DIR/inbox"
  CAMERAS=""
  [ "$(basename "$MODEL")" != digits-cnn.onnx ] || CAMERAS=',
    { "type": "camera", "path": "/dev/video63", "width": 28, "height": 28 },
    { "type": "camera", "path": "/dev/null", "width": 28, "height": 28 }'
  cat > "$AGENT_DIR/device.json" <<JSON
{ "device_id": "smoke", "backbone": "$MODEL", "state_dir": "state",
  "sync": { "broker": "embedded", "embedded_port": $((20000 + $$ % 20000)) },
  "sources": [ { "type": "image-folder", "path": "inbox", "labels_from_folders": true, "poll_ms": 50 }$CAMERAS ],
  "gpio": { "driver": "simulated", "teach_button": { "pin": 17 }, "leds": { "learning": 22 },
            "display": { "type": "ssd1306" }, "status_pixel": { "type": "ws2812b" } },
  "status": { "interval_seconds": 0.5 } }
JSON
  run "agent --check" run --config "$AGENT_DIR/device.json" --check
  say "RUN  agent: edgecl run --config $AGENT_DIR/device.json (teach a file, then SIGTERM)"
  (cd "$(dirname "$BIN")" && exec "${RUN[@]}" "$BIN" run --config "$AGENT_DIR/device.json" > "$AGENT_DIR/agent.log" 2>&1) &
  AGENT_PID=$!
  mkdir -p "$AGENT_DIR/inbox/smoke"
  cp "$INPUT" "$AGENT_DIR/inbox/smoke/a.tmp" && mv "$AGENT_DIR/inbox/smoke/a.tmp" "$AGENT_DIR/inbox/smoke/a.${INPUT##*.}"
  for _ in $(seq 1 $((STEP_TIMEOUT * 5))); do
    grep -q "learned label=smoke" "$AGENT_DIR/agent.log" 2>/dev/null && break
    kill -0 "$AGENT_PID" 2>/dev/null || break
    sleep 0.2
  done
  kill -TERM "$AGENT_PID" 2>/dev/null || true
  set +e; wait "$AGENT_PID"; rc=$?; set -e
  sed 's/^/       | /' "$AGENT_DIR/agent.log" | head -n 20
  grep -q "learned label=smoke" "$AGENT_DIR/agent.log" || die "agent: the taught file was not learned"
  [ "$rc" = 0 ] || die "agent: exit status $rc after SIGTERM (expected 0)"
  # Iot.Device.Bindings' SSD1306 and WS2812B drivers under AOT (on the simulated buses).
  grep -q "status display: SSD1306 128x64 on I2C bus 1 at 0x3C" "$AGENT_DIR/agent.log" || die "agent: the status display did not open"
  grep -q "status pixel: ws2812b x1 on SPI 0.0" "$AGENT_DIR/agent.log" || die "agent: the status pixel did not open"
  if [ -n "$CAMERAS" ]; then
    grep -q "no camera at /dev/video63: the device node does not exist" "$AGENT_DIR/agent.log" || die "agent: no 'no camera at /dev/video63' line"
    grep -q "camera:/dev/null: the camera is not available" "$AGENT_DIR/agent.log" || die "agent: no line for the /dev/null camera"
  fi
  say "PASS agent"
  rm -rf "$AGENT_DIR"
fi

say "all steps passed"
