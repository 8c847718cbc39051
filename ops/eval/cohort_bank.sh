#!/usr/bin/env bash
# The cohort bank of the cohort-normalisation experiment (README, "Open-set recognition": tried on independent sets 1-3,
# not built): 800 dictionary words drawn at random (seed 7, 3-9 letters, none of the dev or check sets' words) in two
# dev-set voices each, and 130 clips of noise, hum, tones and plucked notes, as OUT/words and OUT/noise in the
# support/<class>/ layout that ops/eval/KwsEmbed embeds.
#
#   ops/eval/cohort_bank.sh OUT
#   dotnet run -c Release --project ops/eval/KwsEmbed -- models/speech/backbone.json OUT/words OUT/words-emb
#   dotnet run -c Release --project ops/eval/KwsEmbed -- models/speech/backbone.json OUT/noise OUT/noise-emb
#   /usr/bin/python3 ops/eval/openset_cohort.py OUT EXPORT [EXPORT ...]
#
# Needs espeak-ng, sox and the wamerican word list (apt-get install espeak-ng sox wamerican). Deterministic.
set -euo pipefail
if [[ $# -ne 1 ]]; then
  echo "usage: $0 OUT   (writes OUT/words/support/bank and OUT/noise/support/bank)" >&2
  exit 2
fi
OUT="$1"
for tool in espeak-ng sox; do
  command -v "$tool" >/dev/null || { echo "cohort_bank: $tool not found; install it with: apt-get install espeak-ng sox wamerican" >&2; exit 1; }
done
[[ -f /usr/share/dict/words ]] || { echo "cohort_bank: /usr/share/dict/words not found; install it with: apt-get install wamerican" >&2; exit 1; }
HERE="$(cd "$(dirname "$0")" && pwd)"
WORDS="$OUT/words/support/bank" NOISE="$OUT/noise/support/bank"
mkdir -p "$WORDS" "$OUT/words/test/bank" "$NOISE" "$OUT/noise/test/bank"

# Words: the draw excludes every word that make-keywords.sh and make-independent.sh use, so no check-set word (taught,
# near miss or other) is in the bank.
/usr/bin/python3 - "$HERE/../data" > "$OUT/words.jobs" <<'PY'
import random, re, sys
excluded = set()
for script in ("make-independent.sh", "make-keywords.sh"):
    excluded |= set(re.findall(r"[a-z]+", open(f"{sys.argv[1]}/{script}").read()))
words = [w.strip() for w in open("/usr/share/dict/words")]
words = [w for w in words if re.fullmatch(r"[a-z]{3,9}", w) and w not in excluded]
random.seed(7)
random.shuffle(words)
voices = ["en-us+m3", "en-gb+f2", "en-gb-x-rp", "en-029+m3", "en-us+f2", "en-gb+m3"]  # dev-set voices
for i, word in enumerate(words[:800]):
    for j, (speed, pitch) in enumerate(((140, 40), (185, 65))):
        print(word, voices[(2 * i + j) % len(voices)], speed, pitch)
PY
while read -r word voice speed pitch; do
  dest="$WORDS/${word}__${voice//+/_}__s$speed.wav"
  [[ -f "$dest" ]] && continue
  espeak-ng -v "$voice" -s "$speed" -p "$pitch" -w "$OUT/tmp.wav" "$word"
  sox -D -v 0.7 "$OUT/tmp.wav" -r 16000 -c 1 -b 16 "$dest" pad 0.3 0.3 trim 0 1.5
done < "$OUT/words.jobs"

# Noise: stationary noises (plain, low-passed, high-passed, telephone band) at three levels, mains hum, tones, plucked
# notes and note sequences, noise bursts. -R: repeatable.
n=0
clip() { n=$((n + 1)); sox -D -R -n -r 16000 -c 1 -b 16 "$NOISE/$(printf %03d $n)_$1.wav" "${@:2}"; }
for kind in whitenoise pinknoise brownnoise tpdfnoise; do
  for vol in 0.02 0.1 0.5; do
    clip "${kind}_$vol" synth 1.5 $kind vol $vol
    clip "${kind}_lp_$vol" synth 1.5 $kind lowpass 800 vol $vol
    clip "${kind}_hp_$vol" synth 1.5 $kind highpass 2500 vol $vol
    clip "${kind}_bp_$vol" synth 1.5 $kind sinc 300-3400 vol $vol
  done
done
for f in 50 60 100 120; do for vol in 0.05 0.3; do clip "hum${f}_$vol" synth 1.5 sine $f sine $((f * 2)) sine $((f * 3)) vol $vol; done; done
for f in 200 330 440 523 700 880 1000 1500 2000 3000 4000 6000; do
  clip "sine$f" synth 1.5 sine $f vol 0.3; clip "square$f" synth 1.5 square $f vol 0.1; clip "saw$f" synth 1.5 sawtooth $f vol 0.1
done
for i in $(seq 0 11); do f=$((220 + i * 37)); clip "pluck$i" synth 1.5 pluck $f pluck $((f * 3 / 2)) vol 0.5; clip "tremolo$i" synth 1.5 sine $((300 + i * 91)) tremolo 6 80 vol 0.3; done
for i in $(seq 0 7); do
  clip "notes$i" synth 0.25 pluck $((196 + i * 23)) : synth 0.25 pluck $((262 + i * 19)) : synth 0.25 pluck $((330 + i * 29)) \
    : synth 0.25 pluck $((392 + i * 17)) : synth 0.25 pluck $((440 + i * 13)) : synth 0.25 pluck $((523 + i * 11)) vol 0.6
done
for i in $(seq 0 5); do clip "burst$i" synth 0.$((i + 1)) whitenoise vol 0.3 pad 0.$((3 + i)) 0 : synth 0.$((i + 1)) brownnoise vol 0.5; done
# KwsEmbed warms up on a test clip.
cp "$(ls "$WORDS"/*.wav | head -1)" "$OUT/words/test/bank/"; cp "$(ls "$NOISE"/*.wav | head -1)" "$OUT/noise/test/bank/"
rm -f "$OUT/tmp.wav"
echo "cohort_bank: $(ls "$WORDS" | wc -l) word clips, $(ls "$NOISE" | wc -l) noise clips under $OUT"
