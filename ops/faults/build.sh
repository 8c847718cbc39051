#!/usr/bin/env bash
# Builds the power-loss shim (ops/faults/powerloss.c) into artifacts/faults/powerloss.so with Debian's gcc (or $CC);
# prints the library's path. Skips the build when the library is newer than its source.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=artifacts/faults/powerloss.so
if [[ ! -f $out || ops/faults/powerloss.c -nt $out ]]; then
  cc=${CC:-gcc}
  command -v "$cc" >/dev/null || { echo "faults: $cc not found; install it (sudo apt-get install -y gcc libc6-dev)" >&2; exit 2; }
  mkdir -p artifacts/faults
  "$cc" -shared -fPIC -O2 -Wall -Wextra -Werror -o "$out.tmp" ops/faults/powerloss.c -ldl -lpthread
  mv "$out.tmp" "$out"
fi
echo "$PWD/$out"
