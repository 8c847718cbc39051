#!/usr/bin/env bash
# Generates EdgeCL's independent keyword check set with espeak-ng + SoX: words, voices, speeds, pitches, sample
# formats and file layouts that the dev set (make-keywords.sh) never uses. Keep it out of tuning: it exists to check
# that what was tuned on the dev set holds on material nobody looked at.
#
#   ops/data/make-independent.sh OUT [2|3]
#
# Variant 2 (second argument) is a second check set with its own words, voices and offsets, for confirming a change
# that variant 1 helped to find: variant 1 showed the placement problem, so only variant 2 was never looked at.
# Variant 3 was added when variant 2 had been looked at too (issue 11, the shrunk test centre).
#
#   OUT/support/<word>/*.wav   10 taught words x 8 clips (4 voices x 2 speed/pitch settings): what a user teaches
#   OUT/test/<word>/*.wav      the same words, 8 other voices x 3 settings (240 clips)
#   OUT/unknown/near/*.wav     near misses of the taught words ("thirty" for "three"), test voices (160 clips)
#   OUT/unknown/other/*.wav    other words (160 clips)
#   OUT/unknown/noise/*.wav    white/pink/brown noise and tone chords at several levels, 1.5 s (60 clips)
#   OUT/unknown/speech/*.wav   continuous non-keyword speech, ~7 min a file, 8 voices (about 1 hour)
#
# Layout: every word clip is a 1.5 s file with the word at a seeded offset and digital silence around it (silence
# inside the file, not only the front end's padding), stored at 16, 22.05, 44.1 or 48 kHz, mono or stereo, 16- or
# 24-bit, so the WAV reader and resampler are part of what is checked. Deterministic; idempotent (OUT/.complete).
set -euo pipefail

if [[ $# -lt 1 || $# -gt 2 || ( $# -eq 2 && "$2" != 2 && "$2" != 3 ) ]]; then
  echo "usage: $0 OUT [2|3]   (writes OUT/support, OUT/test and OUT/unknown; 2, 3 = the second, third variant)" >&2
  exit 2
fi
OUT="$1"
VARIANT="${2:-1}"
if [[ -f "$OUT/.complete" ]]; then
  echo "make-independent: $OUT already complete (delete $OUT/.complete to regenerate)."
  exit 0
fi
for tool in espeak-ng sox soxi; do
  command -v "$tool" >/dev/null || { echo "make-independent: $tool not found; install it with: apt-get install espeak-ng sox" >&2; exit 1; }
done

WORDS=(three seven red green open play pause kitchen window coffee)
NEAR=(thirty seventy bread greed oven plate paws chicken widow cough
      tree eleven rid grain opal pray purse kitten winter copy)
OTHER=(banana tomorrow computer hello water yellow morning table garden doctor
       station number message button purple silver dinner carpet pocket rabbit)
# Voices: accents x variants the dev set does not use (dev: base, m3, f2 / m7, f5, klatt4).
SUPPORT_VOICES=(en-us+m1 en-gb+f3 en-029+klatt2 en-gb-scotland+m6)
TEST_VOICES=(en-us-nyc+m2 en-gb-x-rp+f4 en-gb-x-gbclan+m8 en-gb-x-gbcwmd+klatt3 en-us+f1 en-gb+m4 en-029+f2 en-gb-scotland+klatt)
SUPPORT_SETTINGS=("120 35" "200 70")
TEST_SETTINGS=("110 50" "160 30" "215 80")
UNKNOWN_SETTINGS=("130 45" "190 65")
FORMATS=("16000 1 16" "22050 1 16" "44100 2 16" "48000 1 24")
if [[ "$VARIANT" == 2 ]]; then
  WORDS=(four nine blue orange start repeat volume camera lemon morning)
  NEAR=(forty ninety blew arrange star report value camel melon mourning
        for night glue orang starch repair valium cancer demon warning)
  OTHER=(pencil river sunday window coffee kitchen seven three planet doctor
         picture mountain silver button engine travel winter ladder copper village)
  SUPPORT_VOICES=(en-us+Andy en-gb+Annie en-029+Denis en-gb-scotland+Gene)
  TEST_VOICES=(en-us-nyc+Jacky en-gb-x-rp+Lee en-gb-x-gbclan+Mario en-gb-x-gbcwmd+Michael en-us+Alicia en-gb+Andrea en-029+Mike en-gb-scotland+klatt5)
  SUPPORT_SETTINGS=("130 45" "210 60")
  TEST_SETTINGS=("120 70" "170 40" "205 55")
  FORMATS=("16000 2 16" "32000 1 16" "44100 1 24" "48000 2 16")
elif [[ "$VARIANT" == 3 ]]; then
  # Variant 3: made after issue 11's shrunk-centre change was chosen, to confirm it on material nobody had seen.
  WORDS=(five eight yellow purple close next shadow honey paper garden)
  NEAR=(fife ate fellow people clothes neck shallow money pepper pardon
        hive hate mellow curtail cloak nest meadow funny vapour darden)
  OTHER=(rocket bottle monday spider candle forest basket hammer lizard marble
         napkin ocean pillow saddle tunnel velvet walnut zipper anchor blanket)
  SUPPORT_VOICES=(en-us+Adam en-gb+Linda en-029+Max en-gb-scotland+Steph)
  TEST_VOICES=(en-us-nyc+Paul en-gb-x-rp+Belinda en-gb-x-gbclan+Robert en-gb-x-gbcwmd+Quincy en-us+grandma en-gb+male5 en-029+female4 en-gb-scotland+klatt6)
  SUPPORT_SETTINGS=("140 40" "185 75")
  TEST_SETTINGS=("125 60" "150 25" "225 45")
  UNKNOWN_SETTINGS=("135 55" "180 35")
  FORMATS=("16000 1 24" "24000 1 16" "44100 2 16" "48000 1 16")
fi

mkdir -p "$OUT" || { echo "make-independent: cannot create $OUT; choose a writable folder." >&2; exit 1; }
WORK="$(mktemp -d "${TMPDIR:-/tmp}/make-independent.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

# A small stable hash (cksum) picks each clip's offset and format, so reruns give identical files.
pick() { local h; h=$(printf '%s' "$1" | cksum | cut -d' ' -f1); echo $(( h % $2 )); }
export -f pick

jobs="$WORK/jobs.txt"
: > "$jobs"
for w in "${WORDS[@]}"; do
  for v in "${SUPPORT_VOICES[@]}"; do for s in "${SUPPORT_SETTINGS[@]}"; do echo "word support/$w $w $v $s" >> "$jobs"; done; done
  for v in "${TEST_VOICES[@]}"; do for s in "${TEST_SETTINGS[@]}"; do echo "word test/$w $w $v $s" >> "$jobs"; done; done
done
for w in "${NEAR[@]}"; do for v in "${TEST_VOICES[@]}"; do for s in "${UNKNOWN_SETTINGS[@]:0:1}"; do echo "word unknown/near $w $v $s" >> "$jobs"; done; done; done
for w in "${OTHER[@]}"; do for v in "${TEST_VOICES[@]}"; do for s in "${UNKNOWN_SETTINGS[@]:1:1}"; do echo "word unknown/other $w $v $s" >> "$jobs"; done; done; done
for kind in whitenoise pinknoise brownnoise chord; do
  for level in 0.02 0.05 0.1 0.2 0.4; do for n in 1 2 3; do echo "noise unknown/noise $kind $level $n" >> "$jobs"; done; done
done
for i in 0 1 2 3 4 5 6 7; do echo "speech unknown/speech ${TEST_VOICES[$i]} $i" >> "$jobs"; done

# One word clip: espeak-ng at 22.05 kHz, then 1.5 s with the word at a seeded offset, in a seeded file format.
make_word() {
  local out="$1" work="$2" dir="$3" word="$4" voice="$5" speed="$6" pitch="$7"
  local name="${word}__${voice/+/_}__s${speed}p${pitch}"
  local tmp="$work/${dir//\//_}.$name" dest="$out/$dir/$name.wav"
  mkdir -p "$out/$dir"
  espeak-ng -v "$voice" -s "$speed" -p "$pitch" -w "$tmp.raw.wav" "$word" 2>"$tmp.err" \
    || { echo "make-independent: espeak-ng failed for $voice '$word': $(head -n 1 "$tmp.err")" >&2; return 1; }
  # Strip espeak's own leading/trailing silence, then place the word inside 1.5 s of digital silence.
  sox -D "$tmp.raw.wav" "$tmp.trim.wav" silence 1 0.01 0.1% reverse silence 1 0.01 0.1% reverse
  local len; len=$(soxi -D "$tmp.trim.wav")
  local spare; spare=$(awk -v l="$len" 'BEGIN { s = 1.5 - l; print (s > 0 ? s : 0) }')
  local key="$name"; [[ "$VARIANT" == 1 ]] || key="$name.v$VARIANT" # variant 1's offsets stay as first generated
  local frac; frac=$(pick "$key" 1000)
  local before; before=$(awk -v s="$spare" -v f="$frac" 'BEGIN { printf "%.4f", s * f / 1000 }')
  local after; after=$(awk -v s="$spare" -v b="$before" 'BEGIN { printf "%.4f", s - b }')
  read -r rate channels bits <<< "${FORMATS[$(pick "$name.fmt" ${#FORMATS[@]})]}"
  sox -D -v 0.7 "$tmp.trim.wav" -r "$rate" -c "$channels" -b "$bits" "$dest.part.wav" pad "$before" "$after" trim 0 1.5 2>"$tmp.err" \
    || { echo "make-independent: sox failed for $name: $(head -n 1 "$tmp.err")" >&2; return 1; }
  mv -f "$dest.part.wav" "$dest"
  rm -f "$tmp".*
}

# One noise clip: 1.5 s of coloured noise (repeatable since 2026-12-07; sets made before hold other noise) or a chord of
# three seeded tones, 16 kHz, at a given amplitude.
make_noise() {
  local out="$1" dir="$2" kind="$3" level="$4" n="$5"
  local dest="$out/$dir/${kind}__${level}__${n}.wav"
  mkdir -p "$out/$dir"
  if [[ "$kind" == chord ]]; then
    local f=$(( 110 + $(pick "$kind$level$n" 400) ))
    sox -D -R -n -r 16000 -c 1 -b 16 "$dest.part.wav" synth 1.5 sine "$f" sine "$((f * 5 / 4))" sine "$((f * 3 / 2))" vol "$level" fade 0.05 1.5 0.05
  else
    # -R: repeatable noise; clip n is the n-th 1.5 s of that stream, so the three clips of a level differ.
    sox -D -R -n -r 16000 -c 1 -b 16 "$dest.part.wav" synth "$(( n * 3 / 2 )).$(( n * 3 % 2 * 5 ))" "$kind" vol "$level" trim "$(( (n - 1) * 3 / 2 )).$(( (n - 1) * 3 % 2 * 5 ))"
  fi
  mv -f "$dest.part.wav" "$dest"
}

# One continuous-speech file: a voice reads about 7,000 characters of plain English prose, ~7 minutes, with every
# sentence that holds a taught word or a form of one removed. The prose is Debian's own licence texts
# (/usr/share/common-licenses, in every Debian install): long, varied and nothing like the keywords' phrasing.
make_speech() {
  local out="$1" work="$2" dir="$3" voice="$4" i="$5"
  local dest="$out/$dir/talk__${voice/+/_}.wav"
  local text="$work/talk$i.txt"
  mkdir -p "$out/$dir"
  cat /usr/share/common-licenses/{GPL-3,Apache-2.0,MPL-2.0,GFDL-1.3,Artistic,CC0-1.0} 2>/dev/null |
    tr -s '[:space:]' ' ' | sed 's/\([.;:]\) /\1\n/g' |
    grep -v -i -E "\\b($WORDS_RE)" |
    grep -E '^[A-Za-z ,.;:()-]{20,400}$' > "$text.all" || true
  [[ -s "$text.all" ]] || { echo "make-independent: no prose found under /usr/share/common-licenses (base-files)." >&2; return 1; }
  local lines; lines=$(wc -l < "$text.all")
  # Each voice starts at its own eighth of the prose and reads ~7,000 characters (wrapping round).
  { tail -n +$(( i * lines / 8 + 1 )) "$text.all"; cat "$text.all"; } | head -c 7000 > "$text"
  espeak-ng -v "$voice" -s $((140 + i * 8)) -p $((35 + i * 5)) -w "$work/talk$i.wav" -f "$text" 2>/dev/null
  sox -D -v 0.7 "$work/talk$i.wav" -r 16000 -c 1 -b 16 "$dest.part.wav"
  mv -f "$dest.part.wav" "$dest"
  rm -f "$text" "$text.all" "$work/talk$i.wav"
}
export -f make_word make_noise make_speech

run_job() {
  local out="$1" work="$2" kind="$3"; shift 3
  case "$kind" in
    word) make_word "$out" "$work" "$@" ;;
    noise) make_noise "$out" "$@" ;;
    speech) make_speech "$out" "$work" "$@" ;;
  esac
}
export -f run_job
WORDS_RE="$(IFS='|'; echo "${WORDS[*]}")"
export VARIANT WORDS_RE
export FORMATS_LIST="${FORMATS[*]}"
# Arrays do not cross export: rebuild FORMATS in each job from the exported string.
if ! xargs -P 2 -L 1 bash -c 'IFS=" " read -r -a _f <<< "$FORMATS_LIST"; FORMATS=(); for ((i=0;i<${#_f[@]};i+=3)); do FORMATS+=("${_f[i]} ${_f[i+1]} ${_f[i+2]}"); done; run_job "$@"' _ "$OUT" "$WORK" < "$jobs"; then
  echo "make-independent: some clips failed (see above); fix the cause and rerun $0 $OUT." >&2
  exit 1
fi

expected=$(wc -l < "$jobs")
count=$(find "$OUT" -name '*.wav' ! -name '*.part.wav' | wc -l)
if [[ "$count" -ne "$expected" ]]; then
  echo "make-independent: expected $expected files in $OUT but found $count; delete $OUT and rerun." >&2
  exit 1
fi
touch "$OUT/.complete"
echo "make-independent: wrote $count files to $OUT (support 80, test 240, unknown: near 160, other 160, noise 60, speech 8 long files)."
