#!/usr/bin/python3
"""Few-shot NCM on the keyword set (feasibility.md §4 protocol), from KwsEmbed's output.

    /usr/bin/python3 ops/eval/kws_ncm.py EMB_PREFIX

Support: k clips per word drawn from the support split (12 training voices); test: every clip of the test split
(12 unseen voices). 20 random draws (seed 0). NCM = CL2N (centre by the support mean, L2-normalise, cosine to the
class means); NCM (L2 only) skips the centring. Prints mean and standard deviation over draws, in percent.
"""
import sys
import numpy as np

prefix = sys.argv[1]
meta = [line.rstrip("\n").split("\t") for line in open(prefix + ".tsv")]
x = np.fromfile(prefix + ".f32", dtype="<f4").reshape(len(meta), -1).astype(np.float64)
split = np.array([m[0] for m in meta])
words = sorted(set(m[1] for m in meta))
y = np.array([words.index(m[1]) for m in meta])
S, T = split == "support", split == "test"
xs, ys, xt, yt = x[S], y[S], x[T], y[T]


def l2n(a):
    return a / np.linalg.norm(a, axis=-1, keepdims=True)


def ncm(sup, sup_y, test, centre):
    c = sup.mean(0) if centre else 0.0
    s, t = l2n(sup - c), l2n(test - c)
    means = l2n(np.stack([s[sup_y == k].mean(0) for k in range(len(words))]))
    return (t @ means.T).argmax(1)


rng = np.random.default_rng(0)
for k in (1, 5):
    res = {"NCM (CL2N)": [], "NCM (L2 only)": []}
    for _ in range(20):
        idx = np.concatenate([rng.choice(np.flatnonzero(ys == c), k, replace=False) for c in range(len(words))])
        for name, centre in (("NCM (CL2N)", True), ("NCM (L2 only)", False)):
            res[name].append(100.0 * (ncm(xs[idx], ys[idx], xt, centre) == yt).mean())
    for name, acc in res.items():
        print(f"k={k} {name}: {np.mean(acc):.1f} ± {np.std(acc):.1f} (test clips {T.sum()}, {len(words)} words, 20 draws)")
