#!/usr/bin/python3
"""Cohort normalisation of the open-set score, tried and not built (README, "Open-set recognition").

    /usr/bin/python3 ops/eval/openset_cohort.py BANK EXPORT [EXPORT ...]

BANK is the folder of ops/eval/cohort_bank.sh with the two embeddings beside it (BANK/words-emb.{f32,tsv},
BANK/noise-emb.{f32,tsv}). Each EXPORT comes from `edgecl eval -b speech --data SET/support --test SET/test --unknown
SET/unknown --talk windows --shots 8 --shifts clean,babble:5,brown:5,reverb+white:10,telephone --methods ncm-centred
--export DIR`. The score is CL2N's cosine to the winning class minus the mean of its K largest cosines to the bank (all
centred by the taught mean), as in speaker verification's cohort normalisation. Thresholds: the 5 % false-reject
point of the clean condition, held over the whole stream. Prints per condition: false rejects of taught words,
untaught words accepted, noise clips accepted; the whole stream; and the whole stream at the plain rule's false rejects.
"""
import os
import sys
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from openset_covariance import l2, load_export  # noqa: E402


def bank(prefix):
    rows = [r.split("\t") for r in open(prefix + ".tsv").read().split("\n")[:-1]]
    x = np.fromfile(prefix + ".f32", np.float32).reshape(len(rows), -1)
    return x[[r[0] == "support" for r in rows]]


def line(name, score, threshold, cond, known, group, window, stream_frr):
    accepted = score >= threshold
    word, noise = ~known & ~window & (group != "noise"), ~known & ~window & (group == "noise")
    cells = [f"{100 * np.mean(~accepted[known & (cond == k)]):4.1f}/{100 * accepted[word & (cond == k)].mean():4.1f}/"
             f"{100 * accepted[noise & (cond == k)].mean():4.1f}" for k in sorted(set(cond))]
    # The whole stream again at one false-reject rate for every score (the plain rule's at 0.40), so they compare.
    same = score >= np.quantile(score[known], stream_frr)
    print(f"  {name:26s} {threshold:+.3f} | {' | '.join(cells)} || {100 * np.mean(~accepted[known]):4.1f}/"
          f"{100 * accepted[word].mean():4.1f}/{100 * accepted[noise].mean():4.1f} || {100 * same[word].mean():4.1f}/{100 * same[noise].mean():4.1f}")


def report(words, noise, export):
    t, tl, s, cond, known, _, group, window, _ = load_export(export)
    classes = sorted(set(tl))
    c = t.mean(0)
    q = l2(s - c)
    plain = (q @ l2(np.stack([t[tl == k].mean(0) for k in classes]) - c).T).max(1)
    clean = known & (cond == 0)
    frr = np.mean(plain[known] < 0.40)
    print(f"{export}: per condition (clean, babble:5, brown:5, reverb+white:10, telephone) and the whole stream, "
          f"false rejects / untaught words accepted / noise accepted, %; then words / noise accepted over the whole stream "
          f"at {100 * frr:.1f} % false rejects")
    line("cosine, 0.40", plain, 0.40, cond, known, group, window, frr)
    line("cosine, clean 5 %", plain, np.quantile(plain[clean], 0.05), cond, known, group, window, frr)
    for name, rows in (("words", words), ("words + noise", np.vstack([words, noise]))):
        b = l2(rows - c)
        for k in (10, 30):
            score = plain - np.sort(q @ b.T, 1)[:, -k:].mean(1)
            line(f"cohort {name}, K {k}", score, np.quantile(score[clean], 0.05), cond, known, group, window, frr)


if __name__ == "__main__":
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    words, noise = bank(os.path.join(sys.argv[1], "words-emb")), bank(os.path.join(sys.argv[1], "noise-emb"))
    for export in sys.argv[2:]:
        report(words, noise, export)
