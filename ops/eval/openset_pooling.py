#!/usr/bin/python3
"""One mean of the window embeddings against segments in time order (`speech` against `speech-ordered`), side by side
on the same open-set stream (README, "Open-set recognition", "Keeping the order in time").

    /usr/bin/python3 ops/eval/openset_pooling.py EXPORT [EXPORT ...]

Each EXPORT comes from `edgecl eval -b BACKBONE --data SET/support --test SET/test --unknown SET/unknown --talk windows --shots 8
--shifts clean,babble:5,brown:5,reverb+white:10,telephone --methods ncm-centred --export DIR` (the stream order is
seeded, so the exports of two backbones hold the same items in the same order). Static CL2N (centre by the taught
mean, cosine to the class means), as `ncm-centred`. Prints per export: closed-set accuracy per condition and the mean
of the shifted ones; at 5 % false rejects of the clean condition, the clean untaught clips accepted per group and talk
activations per hour; the same over the whole stream at 22 % false rejects (the plain rule's at 0.40 on these sets).
"""
import os
import sys
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from openset_covariance import l2, activations_per_hour, load_export  # noqa: E402


def report(d):
    t, tl, s, cond, known, label, group, window, path = load_export(d)
    classes = sorted(set(tl))
    c = t.mean(0)
    cos = l2(s - c) @ l2(np.stack([t[tl == k].mean(0) for k in classes]) - c).T
    predicted, score = np.array(classes)[cos.argmax(1)], cos.max(1)
    acc = [100 * np.mean(predicted[known & (cond == k)] == label[known & (cond == k)]) for k in sorted(set(cond))]
    print(f"{d}: dimension {s.shape[1]}; closed-set accuracy per condition {', '.join(f'{a:.1f}' for a in acc)}; "
          f"shifted mean {np.mean(acc[1:]):.1f}")
    for scope, mask, frr in (("clean", cond == 0, 0.05), ("all", np.ones(len(s), bool), 0.22)):
        threshold = np.quantile(score[known & mask], frr)
        accepted = score >= threshold
        pct = lambda g: 100 * accepted[mask & ~known & (group == g) & ~window].mean()
        talk = np.where(mask & window)[0]
        print(f"  {scope:5s} threshold {threshold:.3f}  false rejects {100 * np.mean(~accepted[known & mask]):4.1f} %  "
              f"near {pct('near'):.1f} %  other {pct('other'):.1f} %  noise {pct('noise'):.1f} %  "
              f"talk {activations_per_hour(accepted, talk, window, cond, path):.0f}/h")


if __name__ == "__main__":
    for export in sys.argv[1:]:
        report(export)
