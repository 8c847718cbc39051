#!/usr/bin/env bash
# Publishes the fuzzing harness (tests/EdgeCL.Fuzz) and instruments the assemblies it fuzzes with SharpFuzz, so
# afl-fuzz sees which branches each input reaches. Prints the folder of the instrumented build.
set -euo pipefail
cd "$(dirname "$0")/../.."
bin="${EDGECL_FUZZ_OUT:-artifacts/fuzz}/bin"
rm -rf "$bin"
dotnet publish tests/EdgeCL.Fuzz -c Release --nologo -v q -o "$bin" >&2
dotnet tool restore >/dev/null
# The project's parsers, and StbImageSharp (the PNG/JPEG/BMP/GIF decoder they hand images to).
for dll in EdgeCL.Core EdgeCL.Storage EdgeCL.Sync EdgeCL.Onnx EdgeCL.Device EdgeCL.Eval StbImageSharp; do
  dotnet tool run sharpfuzz "$bin/$dll.dll" >/dev/null
done
touch "$bin/.instrumented"
echo "$bin"
