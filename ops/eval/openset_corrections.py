#!/usr/bin/python3
"""How false-alarm corrections compare with simply raising the threshold, on an open-set export.

    edgecl eval -b speech ... --unknown DIR --talk windows --export EXPORT      (writes taught.npy, stream.npy, stream.tsv)
    /usr/bin/python3 ops/eval/openset_corrections.py EXPORT [N]

Replays the stream through the rule of `ncm-centred` with the open-set gate (CL2N: centre by the mean of the taught,
non-background examples; cosine to each class mean; reject below the threshold or when a background class wins), in
numpy, three ways: no corrections; the first N false accepts taught into one `_background` class; the same taught
into `_background:<the label they were answered with>` (what EdgeCL does). Two correction policies: the first N false
accepts of any untaught material (what `eval --corrections N` does), and the first N false accepts of near misses
only (a household where one lookalike word keeps triggering). Every figure is on the stream after the last
correction; the uncorrected rule at higher thresholds is the fair comparison (same false rejects).
"""
import sys
import numpy as np


def load(d):
    taught = np.load(f"{d}/taught.npy")
    labels = np.array(open(f"{d}/taught.labels.txt", encoding="utf-8").read().split("\n")[:-1])
    stream = np.load(f"{d}/stream.npy")
    rows = [line.split("\t") for line in open(f"{d}/stream.tsv", encoding="utf-8").read().split("\n")[:-1]]
    keep = ~np.char.startswith(labels, "_background")
    return (taught[keep], labels[keep], stream, np.array([r[1] == "1" for r in rows]),
            np.array([r[3] for r in rows]), np.array([r[4] == "1" for r in rows]))


def l2(x):
    return x / np.maximum(np.linalg.norm(x, axis=-1, keepdims=True), 1e-12)


def replay(taught, labels, stream, correct, mode, n, threshold):
    sums = {k: taught[labels == k].sum(0) for k in sorted(set(labels))}
    counts = {k: int((labels == k).sum()) for k in sums}
    centre = taught.mean(0)
    accepted = np.zeros(len(stream), bool)
    made, last = 0, -1

    def prototypes():
        keys = list(sums)
        return keys, l2(np.stack([sums[k] / counts[k] for k in keys]) - centre)

    keys, means = prototypes()
    for i, row in enumerate(stream):
        cos = means @ l2(row - centre)
        best = int(cos.argmax())
        accepted[i] = not keys[best].startswith("_background") and cos[best] >= threshold
        if mode != "none" and accepted[i] and correct[i] and made < n:
            key = "_background" if mode == "single" else "_background:" + keys[best]
            sums[key] = sums.get(key, 0) + row
            counts[key] = counts.get(key, 0) + 1
            made, last = made + 1, i
            keys, means = prototypes()
    return accepted, last


def main():
    d = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 10
    taught, labels, stream, known, group, window = load(d)
    for policy, correct in [("any untaught", ~known), ("near misses only", group == "near")]:
        runs = {m: replay(taught, labels, stream, correct, m, n, 0.40) for m in ("none", "single", "per-class")}
        rest = np.arange(len(stream)) > max(last for _, last in runs.values())
        print(f"\n{n} corrections of {policy}; figures on the {rest.sum()} rows after the last one")
        print("| rule | threshold | false rejects | near misses accepted | other untaught clips | talk windows |")
        print("|---|---|---|---|---|---|")

        def row(name, threshold, accepted):
            pct = lambda m: 100 * accepted[rest & m].mean()
            clips = ~known & ~window & (group != "near")
            print(f"| {name} | {threshold:.2f} | {100 - pct(known):.1f} % | {pct(group == 'near'):.1f} % | {pct(clips):.1f} % | {pct(window):.1f} % |")

        for m in ("none", "single", "per-class"):
            row({"none": "no correction", "single": "one `_background`", "per-class": "`_background:<label>`"}[m], 0.40, runs[m][0])
        for t in (0.44, 0.48):
            row("no correction", t, replay(taught, labels, stream, correct, "none", n, t)[0])


if __name__ == "__main__":
    main()
