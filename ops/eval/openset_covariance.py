#!/usr/bin/python3
"""The shared-covariance open-set score, tried offline (not built into EdgeCL; README, "Open-set recognition").

    /usr/bin/python3 ops/eval/openset_covariance.py dev DEV_EXPORT          # pick the shrinkage on the dev set
    /usr/bin/python3 ops/eval/openset_covariance.py stream OPENSET_EXPORT    # measure on an open-set stream

DEV_EXPORT: `edgecl eval -b speech --data KW/support --test KW/test --methods ncm-centred --export DIR` (support.npy,
test.npy and labels). `dev` splits the 12 dev words 6 taught / 6 untaught (10 seeded splits, 8 shots), and reports
accuracy, untaught accepted at 5 % false rejects and AUROC for the plain CL2N cosine and for the cosine after whitening
by the pooled within-class scatter of the taught shots, shrunk by lam * mean eigenvalue.
OPENSET_EXPORT: `edgecl eval ... --unknown DIR --talk windows --export DIR` (these scripts count talk in windows). `stream` scores every stream row with the winner of the
plain cosine (classification unchanged) and either gate; thresholds at 5 % clean false rejects (clean rows) and at the
plain rule's whole-stream false rejects at 0.40 (all rows); talk activations count a run of accepted windows once.
"""
import sys
import numpy as np
from sklearn.metrics import roc_auc_score


def l2(x):
    return x / np.maximum(np.linalg.norm(x, axis=-1, keepdims=True), 1e-12)


def whitener(x, y, lam):
    """W with W^T W = (S + lam * tr(S)/d * I)^-1, S the pooled within-class scatter of x."""
    s = np.zeros((x.shape[1],) * 2)
    for k in set(y):
        z = x[y == k] - x[y == k].mean(0)
        s += z.T @ z
    s /= len(x)
    s += lam * np.trace(s) / s.shape[0] * np.eye(s.shape[0])
    return np.linalg.cholesky(np.linalg.inv(s)).T


def dev(d):
    x = np.concatenate([np.load(f"{d}/support.npy"), np.load(f"{d}/test.npy")])
    y = np.array(open(f"{d}/support.labels.txt").read().split() + open(f"{d}/test.labels.txt").read().split())
    classes = sorted(set(y))
    for lam in (None, 0.1, 0.3, 1.0, 3.0):
        rng = np.random.default_rng(0)
        acc, fa, auc = [], [], []
        for _ in range(10):
            taught = rng.permutation(classes)[:6]
            shots = np.array([i for k in taught for i in rng.choice(np.where(y == k)[0], 8, replace=False)])
            c = x[shots].mean(0)
            m = np.stack([x[shots][y[shots] == k].mean(0) for k in taught]) - c
            q = np.setdiff1d(np.arange(len(x)), shots)
            z = x[q] - c
            if lam is not None:
                w = whitener(x[shots], y[shots], lam)
                m, z = m @ w.T, z @ w.T
            cos = l2(z) @ l2(m).T
            score, known = cos.max(1), np.isin(y[q], taught)
            threshold = np.quantile(score[known], 0.05)
            fa.append(np.mean(score[~known] >= threshold))
            auc.append(roc_auc_score(known, score))
            acc.append(np.mean(np.array(taught)[cos[known].argmax(1)] == y[q][known]))
        name = "cosine" if lam is None else f"shared covariance, lam {lam}"
        print(f"{name:28s} accuracy {100 * np.mean(acc):.1f} %  untaught accepted at 5 % FRR {100 * np.mean(fa):.1f} %  AUROC {np.mean(auc):.3f}")


def activations_per_hour(accepted, rows, window, cond, path):
    acts, prev = 0, None
    for i in rows:
        key = (cond[i], path[i])
        if accepted[i] and not (prev is not None and prev[0] == key and prev[1] and prev[2] == i - 1):
            acts += 1
        prev = (key, accepted[i], i)
    return acts / (len(rows) * 0.75 / 3600)


def load_export(d):
    """An `eval --unknown --export` folder: taught vectors and labels (background classes left out), the stream's
    vectors, and per stream row its condition, known flag, label, group, continuous-window flag and file."""
    t = np.load(f"{d}/taught.npy")
    tl = np.array(open(f"{d}/taught.labels.txt").read().split("\n")[:-1])
    keep = ~np.char.startswith(tl, "_background")
    rows = [r.split("\t") for r in open(f"{d}/stream.tsv").read().split("\n")[:-1]]
    return (t[keep], tl[keep], np.load(f"{d}/stream.npy"), np.array([int(r[0]) for r in rows]),
            np.array([r[1] == "1" for r in rows]), np.array([r[2] for r in rows]), np.array([r[3] for r in rows]),
            np.array([r[4] == "1" for r in rows]), np.array([r[6] for r in rows]))


def stream(d, lam=1.0):
    t, tl, s, cond, known, _, group, window, path = load_export(d)
    classes = sorted(set(tl)); c = t.mean(0)
    m = np.stack([t[tl == k].mean(0) for k in classes]) - c
    plain = l2(s - c) @ l2(m).T
    winner = plain.argmax(1)
    for name, w in (("cosine", None), (f"shared covariance, lam {lam}", whitener(t, tl, lam))):
        mm, z = (m, s - c) if w is None else (m @ w.T, (s - c) @ w.T)
        score = (l2(z) @ l2(mm).T)[np.arange(len(s)), winner]
        for scope, mask, frr in (("clean", cond == 0, 0.05), ("all", np.ones(len(s), bool), np.mean(plain.max(1)[known] < 0.40))):
            threshold = np.quantile(score[known & mask], frr)
            a = score >= threshold
            pct = lambda g: 100 * a[mask & ~known & (group == g) & ~window].mean()
            talk = np.where(mask & window)[0]
            print(f"{name:28s} {scope:5s} FRR {100 * np.mean(~a[known & mask]):4.1f} %  near {pct('near'):.1f} %  other {pct('other'):.1f} %  "
                  f"noise {pct('noise'):.1f} %  talk windows {100 * a[talk].mean():.1f} %  {activations_per_hour(a, talk, window, cond, path):.0f}/h")


if __name__ == "__main__":
    {"dev": dev, "stream": stream}[sys.argv[1]](sys.argv[2])
