#!/usr/bin/env bash
# Regenerates the committed seed corpus (ops/fuzz/corpus/<target>/): the harness writes what the project's own writers
# make (fleet entries, commands, state files and stores, checkpoints, WAV, PNM, .npy, manifests, ONNX, calibration pairs), ImageMagick
# the PNG/JPEG seeds, and device.json seeds are the shipped device/configs. Found crashes live in corpus/*/regressions.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=ops/fuzz/corpus
dotnet build tests/EdgeCL.Fuzz -c Release --nologo -v q
dotnet tests/EdgeCL.Fuzz/bin/Release/net10.0/EdgeCL.Fuzz.dll seeds "$out"

mkdir -p "$out/image-png" "$out/image-jpeg" "$out/device-config"
command -v convert >/dev/null || { echo "make-seeds: ImageMagick's convert is needed for the PNG/JPEG seeds" >&2; exit 1; }
# -strip: no dates or tool names, so the bytes are the same on every run; the PNGn: prefixes keep the colour types.
im() { convert -size 8x6 "$@"; }
im gradient:red-blue -strip PNG24:"$out/image-png/rgb.png"
im gradient:white-black -strip -colorspace Gray PNG8:"$out/image-png/grey.png"
im gradient:red-blue -alpha set -channel A -evaluate set 50% -strip PNG32:"$out/image-png/rgba.png"
im gradient:red-blue -colors 4 -strip PNG8:"$out/image-png/palette.png"
im gradient:red-blue -interlace PNG -strip PNG24:"$out/image-png/interlaced.png"
im gradient:red-blue -depth 16 -strip PNG48:"$out/image-png/deep16.png"
head -c 60 "$out/image-png/rgb.png" > "$out/image-png/truncated-rgb.png"
im gradient:red-blue -quality 80 -strip "$out/image-jpeg/baseline.jpg"
im gradient:red-blue -interlace JPEG -strip "$out/image-jpeg/progressive.jpg"
im gradient:white-black -colorspace Gray -strip "$out/image-jpeg/grey.jpg"
im gradient:red-blue -sampling-factor 1x1 -strip "$out/image-jpeg/444.jpg"
head -c 200 "$out/image-jpeg/baseline.jpg" > "$out/image-jpeg/truncated-baseline.jpg"

cp device/configs/*.json "$out/device-config/"
printf '{"device_id": "pi-01", "unknown_key": 1, "learner": 7}' > "$out/device-config/mistakes.json"
printf '\xef\xbb\xbf{"device_id": "pi-01"' > "$out/device-config/truncated-bom.json"
du -sh "$out"
