#!/usr/bin/env bash
# The ordered speech backbone runs the same two openWakeWord models as models/speech (same files, same checksums;
# CC BY-NC-SA 4.0, never committed): fetch them there and link them here.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
bash "$HERE/../speech/fetch.sh" >/dev/null
for f in melspectrogram.onnx embedding_model.onnx silero_vad.onnx; do  # the VAD too: the pcm source looks beside the backbone
  # A hard link costs no space; a copy where the folders sit on different file systems.
  ln -f "$HERE/../speech/$f" "$HERE/$f" 2>/dev/null || cp -f "$HERE/../speech/$f" "$HERE/$f"
done
echo "models/speech-ordered: melspectrogram.onnx, embedding_model.onnx, silero_vad.onnx present (from models/speech, verified there)."
