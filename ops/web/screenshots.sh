#!/usr/bin/env bash
# Screenshots of the device page and the fleet page, at desktop and phone width, for the README.
# Starts three demo agents (digits backbone, image-folder sources) on an embedded broker, teaches two classes, sends
# recognitions, stops one agent, serves the fleet page, sends a command to the running agent (done) and one to the
# stopped agent (pending), then has headless chromium draw both pages. Writes docs/screenshots/*.png.
#   ops/web/screenshots.sh            (uses the Release build of src/EdgeCL.Cli; EDGECL=/path/to/edgecl to use another;
#                                      MEASURE=1 also prints the fleet page's idle resident memory)
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
export ORT_DISABLE_TELEMETRY=1
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
[[ -x $CHROMIUM ]] || { echo "screenshots: $CHROMIUM is missing; ops/setup.sh installs chromium" >&2; exit 1; }
if [[ -z ${EDGECL:-} ]]; then
  dotnet build src/EdgeCL.Cli -c Release --nologo -v q >/dev/null
  EDGECL=$ROOT/src/EdgeCL.Cli/bin/Release/net10.0/edgecl
fi
OUT=$ROOT/docs/screenshots
mkdir -p "$OUT"
WORK=$(mktemp -d /tmp/edgecl-screens.XXXXXX)
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
BROKER=$(free_port); DEVICE_WEB=$(free_port); FLEET_WEB=$(free_port)

# Keys: one signing key per device (the operator-key command makes the same kind of key), the operator's key, a trust folder.
mkdir -p "$WORK/keys" "$WORK/trust/operators"
for name in kitchen hall porch; do "$EDGECL" fleet operator-key "$name" --out "$WORK/keys" >/dev/null; cp "$WORK/keys/$name.pem" "$WORK/trust/"; done
"$EDGECL" fleet operator-key ops --out "$WORK/keys" >/dev/null
cp "$WORK/keys/ops.pem" "$WORK/trust/operators/"
for name in kitchen hall porch; do
  head -c 18 /dev/urandom | base64 > "$WORK/$name.password"
  "$EDGECL" broker passwd "$WORK/users" "$name" < "$WORK/$name.password" >/dev/null
done
head -c 18 /dev/urandom | base64 > "$WORK/ops.password"
"$EDGECL" broker passwd "$WORK/users" ops --operator < "$WORK/ops.password" >/dev/null

config() { # name broker web
  cat > "$WORK/$1.json" <<JSON
{
  "version": 1, "device_id": "$1", "fleet": "home", "backbone": "digits", "models_root": "$ROOT/models", "threads": 1,
  "state_dir": "$WORK/$1-state",
  "learner": { "method": "ncm-test-centred", "adapt": true },
  "sync": { "broker": "$2", "embedded_port": $BROKER, "embedded_users_file": "$WORK/users", "user": "$1",
            "password_file": "$WORK/$1.password", "signing_key": "$WORK/keys/$1.key", "trust_dir": "$WORK/trust" },
  "sources": [ { "type": "image-folder", "path": "$WORK/$1-inbox", "labels_from_folders": true, "poll_ms": 100 } ],
  "web": { "listen": "$3" },
  "status": { "interval_seconds": 1 }
}
JSON
  mkdir -p "$WORK/$1-inbox"
}
config kitchen embedded "127.0.0.1:$DEVICE_WEB"
config hall "mqtt://127.0.0.1:$BROKER" off
config porch "mqtt://127.0.0.1:$BROKER" off

wait_for() { # what command...
  local what=$1; shift
  for _ in $(seq 1 150); do if "$@" >/dev/null 2>&1; then return 0; fi; sleep 0.2; done
  echo "screenshots: $what did not happen in 30 s" >&2; exit 1
}
start_agent() { "$EDGECL" run --config "$WORK/$1.json" > "$WORK/$1.log" 2>&1 & PIDS+=($!); eval "${1^^}_PID=$!"; }
start_agent kitchen
wait_for "the kitchen page" curl -sf "http://127.0.0.1:$DEVICE_WEB/api/state"
start_agent hall
start_agent porch

# Examples: noisy copies of the two sample digits, taught on kitchen (seven) and hall (nine, and a few sevens).
/usr/bin/python3 - "$ROOT/models/digits/samples" "$WORK" <<'PY'
import sys, os, random
samples, work = sys.argv[1], sys.argv[2]
def read(path):
    data = open(path, "rb").read()
    parts = data.split(maxsplit=4)
    return int(parts[1]), int(parts[2]), bytearray(parts[4])
def write(path, w, h, pixels):
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(b"P5\n%d %d\n255\n" % (w, h) + bytes(pixels))
    os.rename(tmp, path)
random.seed(1)
plan = [("kitchen", "seven", "7_0000.pgm", 6), ("hall", "nine", "9_0000.pgm", 6), ("hall", "seven", "7_0000.pgm", 3)]
for device, label, source, n in plan:
    w, h, base = read(os.path.join(samples, source))
    folder = os.path.join(work, f"{device}-inbox", label)
    os.makedirs(folder, exist_ok=True)
    for i in range(n):
        write(os.path.join(folder, f"{label}-{i}.pgm"), w, h, [max(0, min(255, p + random.randint(-25, 25))) for p in base])
PY
wait_for "kitchen to learn both classes" sh -c "curl -sf http://127.0.0.1:$DEVICE_WEB/api/state | grep -q '\"label\":\"nine\"'"
sleep 2
kill "$PORCH_PID"   # porch goes offline: its retained status says so

"$EDGECL" fleet serve --broker "mqtt://127.0.0.1:$BROKER" --fleet home --user ops --password "$(cat "$WORK/ops.password")" \
  --operator-key "$WORK/keys/ops.key" --trust "$WORK/trust" --web "127.0.0.1:$FLEET_WEB" > "$WORK/fleet.log" 2>&1 &
FLEET_PID=$!
PIDS+=($FLEET_PID)
wait_for "the fleet page" curl -sf "http://127.0.0.1:$FLEET_WEB/api/fleet"
wait_for "three devices on the fleet page" sh -c "curl -sf http://127.0.0.1:$FLEET_WEB/api/fleet | grep -q '\"device\":\"porch\"'"
token=$(curl -sf "http://127.0.0.1:$FLEET_WEB/api/fleet" | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
command() { curl -sf -X POST -H "Origin: http://127.0.0.1:$FLEET_WEB" -H "X-EdgeCL-Token: $token" "http://127.0.0.1:$FLEET_WEB/api/command?$1" >/dev/null; }
command "device=hall&command=reset_adaptation"
command "device=porch&command=reset_adaptation"

# Recognitions for the kitchen page: queries dropped into its inbox while the page is open (its live table shows what
# happens while it is open).
feed() {
  /usr/bin/python3 - "$ROOT/models/digits/samples" "$WORK/kitchen-inbox" "$1" <<'PY'
import sys, os, random, time
samples, inbox, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
random.seed(count)
for i in range(count):
    if not os.path.isdir(inbox):
        break  # the script is done
    source = "7_0000.pgm" if i % 3 else "9_0000.pgm"
    data = open(os.path.join(samples, source), "rb").read().split(maxsplit=4)
    pixels = bytes(max(0, min(255, p + random.randint(-40, 40))) for p in data[4])
    path = os.path.join(inbox, f"query-{time.time_ns()}.pgm")
    try:
        open(path + ".tmp", "wb").write(b"P5\n%s %s\n255\n" % (data[1], data[2]) + pixels)
        os.rename(path + ".tmp", path)
    except FileNotFoundError:
        break  # the script is done
    time.sleep(0.25)
PY
}
wait_for "the command to hall to be done" sh -c "curl -sf http://127.0.0.1:$FLEET_WEB/api/fleet | grep -q '\"state\":\"done\"'"

# The pages keep an event stream open, so chromium is driven over DevTools: each page is drawn once it shows its data.
FLEET_READY="document.getElementById('stream').textContent === 'live' && document.querySelectorAll('#devices tbody tr').length === 3"
feed 80 & FEED=$!
DEVICE_READY="document.getElementById('stream').textContent === 'live' && document.querySelectorAll('#live tbody tr').length >= 6"
/usr/bin/python3 ops/web/devtools_shot.py "$CHROMIUM" "$WORK/chromium" \
  "http://127.0.0.1:$FLEET_WEB/" "$OUT/fleet-desktop.png" 1280 760 "$FLEET_READY" \
  "http://127.0.0.1:$FLEET_WEB/" "$OUT/fleet-phone.png" 390 1000 "$FLEET_READY" \
  "http://127.0.0.1:$DEVICE_WEB/" "$OUT/device-desktop.png" 1280 900 "$DEVICE_READY" \
  "http://127.0.0.1:$DEVICE_WEB/" "$OUT/device-phone.png" 390 1400 "$DEVICE_READY"
kill "$FEED" 2>/dev/null || true
wait "$FEED" 2>/dev/null || true
if [[ ${MEASURE:-0} == 1 ]]; then
  # The fleet page's resident memory with no page open (3 devices, 2 classes, 2 commands): median of 5, 1 s apart.
  sleep 5
  for _ in 1 2 3 4 5; do awk '/VmRSS/ {print $2}' "/proc/$FLEET_PID/status"; sleep 1; done | sort -n | sed -n 3p | awk '{printf "fleet serve idle RSS: %.1f MiB\n", $1 / 1024}'
fi
