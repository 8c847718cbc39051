#!/usr/bin/env bash
# Generates the spoken-keyword dev set with espeak-ng + SoX (feasibility.md §3).
#
#   ops/data/make-keywords.sh OUT
#
# 12 words x 24 voices x 2 speed/pitch settings = 576 raw 16 kHz mono 16-bit clips, in two folder-per-class sets:
#   OUT/support/<word>/<word>__<accent>__<variant>__s<speed>p<pitch>.wav   training voices: en-us, en-gb, en-gb-x-rp,
#                                                                          en-029 x base, m3, f2 (24 clips/word)
#   OUT/test/<word>/...                                                    disjoint test voices: en-gb-scotland,
#                                                                          en-gb-x-gbclan, en-gb-x-gbcwmd, en-us-nyc
#                                                                          x m7, f5, klatt4 (24 clips/word, 288 total)
# Clips are stored raw (no padding, no dither): centring in 1.5 s and dither are the speech front end's job.
# Deterministic: espeak-ng is deterministic and sox runs with -D (no dither). -v 0.7 avoids clipping in the
# 22.05 -> 16 kHz resample (espeak output is near full scale). Idempotent: skips when OUT/.complete exists.
set -euo pipefail

if [[ $# -ne 1 ]]; then
  echo "usage: $0 OUT   (writes OUT/support/<word>/*.wav and OUT/test/<word>/*.wav)" >&2
  exit 2
fi
OUT="$1"

if [[ -f "$OUT/.complete" ]]; then
  echo "make-keywords: $OUT already complete (delete $OUT/.complete to regenerate)."
  exit 0
fi
for tool in espeak-ng sox; do
  command -v "$tool" >/dev/null || { echo "make-keywords: $tool not found; install it with: apt-get install espeak-ng sox" >&2; exit 1; }
done

WORDS=(yes no up down left right on off stop go lights music)
SUPPORT_ACCENTS=(en-us en-gb en-gb-x-rp en-029)
SUPPORT_VARIANTS=(base m3 f2)
TEST_ACCENTS=(en-gb-scotland en-gb-x-gbclan en-gb-x-gbcwmd en-us-nyc)
TEST_VARIANTS=(m7 f5 klatt4)
SETTINGS=("140 40" "185 65")   # espeak-ng -s speed -p pitch

mkdir -p "$OUT" || { echo "make-keywords: cannot create $OUT; choose a writable folder." >&2; exit 1; }
WORK="$(mktemp -d "${TMPDIR:-/tmp}/make-keywords.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

# One job line per clip: split word accent variant speed pitch.
jobs="$WORK/jobs.txt"
: > "$jobs"
add_jobs() {
  local split="$1"; shift
  local -n accents="$1" variants="$2"
  local w a v s
  for w in "${WORDS[@]}"; do
    mkdir -p "$OUT/$split/$w"
    for a in "${accents[@]}"; do
      for v in "${variants[@]}"; do
        for s in "${SETTINGS[@]}"; do
          echo "$split $w $a $v $s" >> "$jobs"
        done
      done
    done
  done
}
add_jobs support SUPPORT_ACCENTS SUPPORT_VARIANTS
add_jobs test TEST_ACCENTS TEST_VARIANTS

# One clip: espeak-ng to a private 22.05 kHz temp file, sox to 16 kHz mono 16-bit, rename into place.
make_clip() {
  local out="$1" work="$2" split="$3" word="$4" accent="$5" variant="$6" speed="$7" pitch="$8"
  local voice="$accent"
  [[ "$variant" == base ]] || voice="$accent+$variant"
  local name="${word}__${accent}__${variant}__s${speed}p${pitch}"
  local tmp="$work/$split.$name.wav" dest="$out/$split/$word/$name.wav"
  if ! espeak-ng -v "$voice" -s "$speed" -p "$pitch" -w "$tmp" "$word" 2>"$tmp.err"; then
    echo "make-keywords: espeak-ng failed for voice $voice word '$word': $(head -n 1 "$tmp.err")" >&2; return 1
  fi
  if ! sox -D -v 0.7 "$tmp" -r 16000 -c 1 -b 16 "$dest.part.wav" 2>"$tmp.err"; then
    echo "make-keywords: sox failed for $name: $(head -n 1 "$tmp.err")" >&2; return 1
  fi
  mv -f "$dest.part.wav" "$dest"
  rm -f "$tmp" "$tmp.err"
}
export -f make_clip

if ! xargs -P 2 -L 1 bash -c 'make_clip "$0" "$1" "$2" "$3" "$4" "$5" "$6" "$7"' "$OUT" "$WORK" < "$jobs"; then
  echo "make-keywords: some clips failed (see above); fix the cause and rerun $0 $OUT." >&2
  exit 1
fi

expected=$(wc -l < "$jobs")
count=$(find "$OUT/support" "$OUT/test" -name '*.wav' ! -name '*.part.wav' | wc -l)
if [[ "$count" -ne "$expected" ]]; then
  echo "make-keywords: expected $expected clips in $OUT but found $count; delete $OUT and rerun." >&2
  exit 1
fi
touch "$OUT/.complete"
echo "make-keywords: wrote $count clips to $OUT (support: 12 training voices, test: 12 unseen voices)."
