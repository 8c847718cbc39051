#!/usr/bin/python3
"""Oracle NCM (feasibility.md §4) on embeddings exported by `edgecl eval --export`, and the share of the oracle gap a
method recovers.

The oracle takes its k prototypes per class from the *test* samples of the same condition (target-domain labels, which
no deployable method has), centres by their mean (CL2N) and is evaluated on the rest of that condition: an upper
bound for what adaptation can reach. Numbers are means over --draws random prototype draws.

    edgecl eval -b speech --data KW/support --test KW/test --shifts clean,white:10,white:0,pink:10,pink:0,reverb \
        --shots 5 --draws 1 --holdout 0 --eval-every 0 --no-plots --methods ncm-centred --export /tmp/export
    /usr/bin/python3 ops/eval/oracle.py /tmp/export --shots 5 [--compare OUT --method NAME]

--compare OUT reads OUT/<condition>/report.json (ops/eval/per_condition.sh) and prints, per shifted condition,
static ncm-centred, the method, the oracle, and (method − static)/(oracle − static).
"""
import argparse
import json
import os

import numpy as np


def load(export):
    x = np.load(os.path.join(export, "test.npy")).astype(np.float64)
    labels = np.array(open(os.path.join(export, "test.labels.txt")).read().split("\n")[:-1])
    domains = np.array(open(os.path.join(export, "test.domains.txt")).read().split("\n")[:-1])
    return x, labels, domains


def cl2n_ncm(support, support_labels, queries, classes):
    centre = support.mean(axis=0)
    protos = np.stack([support[support_labels == c].mean(axis=0) for c in classes]) - centre
    protos /= np.linalg.norm(protos, axis=1, keepdims=True)
    q = queries - centre
    q /= np.linalg.norm(q, axis=1, keepdims=True)
    return np.array(classes)[np.argmax(q @ protos.T, axis=1)]


def oracle(x, labels, domains, domain, shots, draws, seed):
    rng = np.random.default_rng(seed)
    mask = domains == domain
    xd, yd = x[mask], labels[mask]
    classes = sorted(set(yd))
    accs = []
    for _ in range(draws):
        chosen = np.zeros(len(yd), dtype=bool)
        for c in classes:
            idx = np.flatnonzero(yd == c)
            chosen[rng.choice(idx, size=shots, replace=False)] = True
        pred = cl2n_ncm(xd[chosen], yd[chosen], xd[~chosen], classes)
        accs.append(100.0 * np.mean(pred == yd[~chosen]))
    return float(np.mean(accs)), float(np.std(accs, ddof=1)) if draws > 1 else 0.0


def online(out, condition, method):
    path = os.path.join(out, condition.replace(":", "-"), "report.json")
    if not os.path.exists(path):
        return None
    report = json.load(open(path))
    m = report["methods"].get(method)
    if m is None:
        return None
    vals = [100.0 * (1.0 - d["online_error"][condition]) for d in m["draws"] if d["online_error"].get(condition) is not None]
    return float(np.mean(vals)) if vals else None


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("export")
    ap.add_argument("--shots", type=int, default=5)
    ap.add_argument("--draws", type=int, default=20)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--compare", help="per-condition eval output folder (ops/eval/per_condition.sh)")
    ap.add_argument("--method", action="append", help="method to compare (repeatable)")
    args = ap.parse_args()
    x, labels, domains = load(args.export)
    conditions = list(dict.fromkeys(domains))
    results = {d: oracle(x, labels, domains, d, args.shots, args.draws, args.seed) for d in conditions}
    print(f"oracle NCM, {args.shots} shots from the test condition, {args.draws} draws")
    print("| condition | oracle |")
    print("|---|---|")
    for d in conditions:
        print(f"| {d} | {results[d][0]:.1f} ± {results[d][1]:.1f} |")
    if not args.compare:
        return
    for method in args.method or []:
        print(f"\n{method} vs static ncm-centred and the oracle ({args.shots} shots)")
        print("| condition | static | method | oracle | gain | share of the oracle gap |")
        print("|---|---|---|---|---|---|")
        gains, gaps = [], []
        for d in conditions:
            if d == "clean":
                continue
            s, m = online(args.compare, d, "ncm-centred"), online(args.compare, d, method)
            if s is None or m is None:
                continue
            o = results[d][0]
            gains.append(m - s)
            gaps.append(o - s)
            share = f"{100 * (m - s) / (o - s):.0f} %" if o - s > 0 else "–"
            print(f"| {d} | {s:.1f} | {m:.1f} | {o:.1f} | {m - s:+.1f} | {share} |")
        if gains:
            print(f"| mean of shifted | | | | {np.mean(gains):+.1f} | {100 * np.sum(gains) / np.sum(gaps):.0f} % (of the summed gap) |")


if __name__ == "__main__":
    main()
