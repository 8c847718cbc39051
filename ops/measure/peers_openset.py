#!/usr/bin/python3
"""The open-set row of ops/measure/peers.py: inputs, the Python timing child and the table.

    /usr/bin/python3 ops/measure/peers_openset.py WORKDIR ROUNDS OUT.json    (the timing child; peers.py runs it)

EdgeCL (tests/EdgeCL.Benchmarks mode openset-peer: an ncm-centred NcmLearner with LearnerOptions.OpenSet, one
global cosine threshold) against a numpy reference of the same rule (CL2N: centre by the support mean,
L2-normalise, cosine to the normalised class means, accept when the best cosine >= threshold), scikit-learn's
NearestCentroid.predict followed by the same thresholded cosine in numpy, and LocalOutlierFactor(novelty=True)
fitted on the CL2N support (score_samples: timed and used as an AUROC reference; it takes no threshold).
Queries are the known rows (taught classes) followed by the unknown rows (untaught classes). Every peer runs on
one thread, batch 1, in interleaved rounds; the median of the rounds is written.
"""
import json
import os
import re
import sys
import time

TIE = 1e-5
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OPTIONS_CS = os.path.join(ROOT, "src", "EdgeCL.Core", "Learning", "OpenSet", "OpenSetOptions.cs")


def default_threshold():
    """OpenSetOptions.DefaultThreshold, read from the source so the two cannot drift apart."""
    with open(OPTIONS_CS, encoding="utf-8") as f:
        match = re.search(r"DefaultThreshold\s*=\s*([-0-9.]+)f", f.read())
    if not match:
        raise ValueError(f"no DefaultThreshold in {OPTIONS_CS}")
    return float(match.group(1))


def write_inputs(np, work, queries, threshold, centres=None, export=None, seed=17):
    """Writes openset{d}.support/.labels/.queries/.unknown; returns the plan entry (dims, sources, threshold).

    Synthetic (centres: d -> the NMC row's 100 class centres, whose support nmc{d}.support.npy is reused): known
    queries are new draws from those classes (spread 0.7, as the support), unknown ones draws from 100 other
    centres. Exported (export: support, labels, test, test_labels): a third of the classes (seeded) are held out;
    their support rows are dropped, and their test rows are the unknown queries.
    """
    rng = np.random.default_rng(seed)  # its own generator: the other rows' inputs stay as they were
    dims, sources = [], {}
    if export is not None:
        classes = sorted(set(export["labels"]))
        held = set(rng.permutation(classes)[: max(1, len(classes) // 3)].tolist())
        taught = [i for i, y in enumerate(export["labels"]) if y not in held]
        tl = np.asarray(export["test_labels"])
        known_mask = ~np.isin(tl, sorted(held))
        d = export["support"].shape[1]
        sets = {d: (export["support"][taught], [export["labels"][i] for i in taught],
                    export["test"][known_mask], export["test"][~known_mask])}
        sources[d] = f"exported ({len(classes) - len(held)} classes taught, held out as unknown: {', '.join(sorted(held))})"
    else:
        sets = {}
        for d, c in centres.items():
            xs = np.load(os.path.join(work, f"nmc{d}.support.npy"))
            with open(os.path.join(work, f"nmc{d}.labels.txt"), encoding="utf-8") as f:
                ys = [line.rstrip("\n") for line in f if line.strip()]
            y = np.arange(queries) % len(c)
            xk = c[y] + 0.7 * rng.standard_normal((queries, d))
            xu = rng.standard_normal((len(c), d))[y] + 0.7 * rng.standard_normal((queries, d))
            sets[d] = (xs, ys, xk, xu)
            sources[d] = f"synthetic ({len(c)} taught Gaussian classes, unknown: {len(c)} untaught ones)"
    for d, (xs, ys, xk, xu) in sets.items():
        np.save(os.path.join(work, f"openset{d}.support.npy"), np.asarray(xs, dtype=np.float32))
        with open(os.path.join(work, f"openset{d}.labels.txt"), "w", encoding="utf-8") as f:
            f.write("\n".join(ys) + "\n")
        np.save(os.path.join(work, f"openset{d}.queries.npy"), np.asarray(xk, dtype=np.float32))
        np.save(os.path.join(work, f"openset{d}.unknown.npy"), np.asarray(xu, dtype=np.float32))
        dims.append(d)
    return {"dims": dims, "sources": {str(d): s for d, s in sources.items()}, "threshold": threshold}


def auroc(np, known, unknown):
    """P(score of a known query > score of an unknown one), ties counted half (Mann-Whitney U / (n_k n_u))."""
    k = np.asarray(known, dtype=np.float64)[:, None]
    u = np.asarray(unknown, dtype=np.float64)[None, :]
    return float(((k > u).sum() + 0.5 * (k == u).sum()) / (k.size * u.size))


def l2n(np, a):
    n = np.linalg.norm(a, axis=-1, keepdims=True)
    return a / np.where(n == 0, 1, n)


def reference(np, xs, ys, xq, t):
    """The rule in float64: best CL2N cosine, its class, and the verdict."""
    xs = xs.astype(np.float64)
    centre = xs.mean(0)
    classes = sorted(set(ys))
    labels = np.asarray(ys)
    means = np.stack([xs[labels == c].mean(0) for c in classes]) - centre
    s = l2n(np, xq.astype(np.float64) - centre) @ l2n(np, means).T
    best = s.argmax(1)
    score = s[np.arange(len(xq)), best]
    return score, [classes[j] for j in best], score >= t


def child(workdir, rounds, out_path):
    import numpy as np
    from sklearn.neighbors import LocalOutlierFactor, NearestCentroid
    from threadpoolctl import threadpool_limits
    from peers_timing import per_query

    with open(os.path.join(workdir, "plan.json"), encoding="utf-8") as f:
        plan = json.load(f)["openset"]
    t = plan["threshold"]
    result = {}
    for d in plan["dims"]:
        xs = np.load(os.path.join(workdir, f"openset{d}.support.npy"))
        with open(os.path.join(workdir, f"openset{d}.labels.txt"), encoding="utf-8") as f:
            ys = np.array([line.rstrip("\n") for line in f if line.strip()])[: len(xs)]
        xq = np.vstack([np.load(os.path.join(workdir, f"openset{d}.{name}.npy")) for name in ("queries", "unknown")])
        centre = xs.mean(0)
        # scikit-learn keeps its float64 centroids and LOF is fitted on float64: with float32 on both sides its
        # euclidean distances take a chunked upcast path that measured ~9 ms per query at d=512 (0.7 ms in float64).
        model = NearestCentroid(metric="euclidean").fit(xs - centre, ys)
        model.centroids_ = l2n(np, model.centroids_)
        index = {c: i for i, c in enumerate(model.classes_)}
        centroids = model.centroids_.astype(np.float32)  # the numpy reference's, float32 like EdgeCL's
        lof = LocalOutlierFactor(novelty=True).fit(l2n(np, xs - centre).astype(np.float64))

        def numpy_open(i):
            s = centroids @ l2n(np, xq[i] - centre)
            return s[int(np.argmax(s))] >= t

        def sklearn_open(i):
            z = l2n(np, xq[i:i + 1] - centre)
            return model.centroids_[index[model.predict(z)[0]]] @ z[0] >= t

        def lof_score(i):
            return lof.score_samples(l2n(np, xq[i:i + 1] - centre))[0]

        with threadpool_limits(limits=1):
            times = per_query(len(xq), rounds, {"numpy_openset": numpy_open, "sklearn_openset": sklearn_open, "lof": lof_score})
            out = {"numpy_accepted": [bool(numpy_open(i)) for i in range(len(xq))],
                   "sklearn_accepted": [bool(sklearn_open(i)) for i in range(len(xq))]}
        score, predicted, accepted = reference(np, xs, ys, xq, t)
        out.update({"ref_score": score.tolist(), "ref_predicted": predicted, "ref_accepted": accepted.tolist(),
                    "lof_score": lof.score_samples(l2n(np, xq - centre)).tolist(), "lof_neighbours": int(lof.n_neighbors_)})
        for name, (median, low) in times.items():
            out[f"{name}_ns"], out[f"{name}_min_ns"] = median, low
        result[str(d)] = out
    with open(out_path, "w", encoding="utf-8") as f:
        json.dump(result, f)


def report(np, plan, runs, work):
    """Prints the open-set table; returns True when every acceptance decision agrees with the reference."""
    us = lambda ns: f"{ns / 1000:.1f} µs"  # noqa: E731
    ratio = lambda v: f"{np.median(v):.2f}× ({min(v):.2f}–{max(v):.2f})"  # noqa: E731
    t = plan["threshold"]
    print(f"\n### Open-set head, batch 1: accept when the best CL2N cosine ≥ {t:g} "
          "(median over repeats of median ns per query; ratios: median (min–max over repeats))\n")
    print("| d | data | taught classes | known + unknown queries | EdgeCL NcmLearner.Predict (open set) | numpy CL2N + threshold "
          "| sklearn NearestCentroid + cosine threshold | sklearn LOF score_samples | numpy / EdgeCL | sklearn NC / EdgeCL "
          "| LOF / EdgeCL | known accepted | unknown accepted | AUROC EdgeCL score | AUROC LOF | decisions agree with reference "
          "(numpy, sklearn NC) | max \\|Δcos\\| | B/query |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    ok, summary = True, {}
    for d in plan["dims"]:
        e = [r["edgecl"][d] for r in runs]
        p = [r["python"][str(d)] for r in runs]
        ours, last, peer = [x["openset_ns"] for x in e], e[-1], p[-1]
        nk, nu = last["known"], last["unknown"]
        acc = np.asarray(last["accepted"])
        score = np.asarray(last["score"], dtype=np.float64)
        ref = np.asarray(peer["ref_score"])
        ref_acc = np.asarray(peer["ref_accepted"])
        tie = np.abs(ref - t) < TIE
        agree = int((acc == ref_acc).sum())
        ties = int(((acc != ref_acc) & tie).sum())
        peers_agree = [int((np.asarray(peer[k]) == ref_acc).sum()) for k in ("numpy_accepted", "sklearn_accepted")]
        same_class = int(sum(a == b for a, b in zip(last["predicted"], peer["ref_predicted"])))
        delta = float(np.max(np.abs(score - ref)))
        a_ours = auroc(np, score[:nk], score[nk:])
        lof = np.asarray(peer["lof_score"])
        a_lof = auroc(np, lof[:nk], lof[nk:])
        alloc = max(x["openset_alloc_bytes"] for x in e)
        nm, sk, lo = ([x[f"{k}_ns"] for x in p] for k in ("numpy_openset", "sklearn_openset", "lof"))
        print(f"| {d} | {plan['sources'][str(d)].split(' ')[0]} | {last['classes']} | {nk} + {nu} | {us(np.median(ours))} "
              f"| {us(np.median(nm))} | {us(np.median(sk))} | {us(np.median(lo))} | {ratio([a / b for a, b in zip(nm, ours)])} "
              f"| {ratio([a / b for a, b in zip(sk, ours)])} | {ratio([a / b for a, b in zip(lo, ours)])} "
              f"| {int(acc[:nk].sum())}/{nk} | {int(acc[nk:].sum())}/{nu} | {a_ours:.4f} | {a_lof:.4f} (k={peer['lof_neighbours']}) "
              f"| {agree}/{nk + nu} ({ties} ties; {peers_agree[0]}, {peers_agree[1]}) | {delta:.1e} | {alloc:.0f} |")
        near = int((np.abs(ref - t) < 0.02).sum())
        summary[d] = {"edgecl_ns": float(np.median(ours)), "numpy_ns": float(np.median(nm)), "sklearn_ns": float(np.median(sk)),
                      "lof_ns": float(np.median(lo)), "agree": agree, "ties": ties, "peers_agree": peers_agree,
                      "same_nearest_class": same_class, "max_delta_cos": delta, "auroc_edgecl": a_ours, "auroc_lof": a_lof,
                      "known_accepted": int(acc[:nk].sum()), "unknown_accepted": int(acc[nk:].sum()), "alloc_bytes": alloc,
                      "within_0.02_of_threshold": near, "queries": nk + nu}
        ok &= agree + ties == nk + nu and alloc == 0
    print()
    for d, s in summary.items():
        print(f"d={d}: {plan['sources'][str(d)]}; nearest class identical to the float64 reference on "
              f"{s['same_nearest_class']}/{s['queries']} queries; "
              f"{s['within_0.02_of_threshold']} reference scores within 0.02 of the threshold")
    with open(os.path.join(work, "peers_openset.json"), "w", encoding="utf-8") as f:
        json.dump({"threshold": t, "rows": summary}, f)
    print(f"Open-set checks {'passed' if ok else 'FAILED'} (decisions agree up to |Δcos| < {TIE:g} ties, 0 B per query)")
    return ok


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    child(sys.argv[1], int(sys.argv[2]), sys.argv[3])
