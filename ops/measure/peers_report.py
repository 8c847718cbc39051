"""The tables and agreement checks of ops/measure/peers.py (see its docstring)."""
import json
import os

TIE = 1e-5


def us(ns):
    return f"{ns / 1000:.1f} µs"


def median(np, values):
    return float(np.median(values))


def spread(np, values):
    return f"{median(np, values):.2f}× ({min(values):.2f}–{max(values):.2f})"


def topk_agreement(np, work, d, k, indices):
    """Queries whose k indices are k distinct rows each scoring at least the exact k-th best (float64) minus TIE."""
    m = np.load(os.path.join(work, f"knn{d}.matrix.npy")).astype(np.float64)
    q = np.load(os.path.join(work, f"knn{d}.queries.npy")).astype(np.float64)
    exact = q @ m.T
    kth = -np.partition(-exact, k - 1, axis=1)[:, k - 1]
    idx = np.asarray(indices).reshape(len(q), k)
    good = [len(set(row)) == k and all(exact[i, j] >= kth[i] - TIE for j in row) for i, row in enumerate(idx)]
    return int(sum(good)), len(q), idx


def read_limit(edgecl):
    """The fastest of the EdgeCL process's sequential-read loops over the same matrix (ns per read)."""
    return min(v for key, v in edgecl.items() if key.startswith("seqread_") and key.endswith("_ns") and not key.endswith("_min_ns"))


def report(np, args, plan, runs, state, machine):
    ok = True
    last = runs[-1]
    blas = last["python"]["blas"]
    kernel = ", ".join(f"{b.get('internal_api')} {b.get('version')} {b.get('architecture', '')}".strip() for b in blas)
    print(f"\nMachine: {machine}; {args.repeats} repeats × {args.rounds} rounds, {args.queries} queries, batch 1, one thread")
    print(f"Python peers: numpy {last['python']['versions']['numpy']}, faiss {last['python']['versions']['faiss']}, "
          f"BLAS {kernel} (child env {last['python']['env']})")
    print(f"\n### Top-{args.k} cosine search, {args.rows} rows (median over repeats of median ns per query; ratios: median (min–max over repeats))\n")
    print("| d | data | EdgeCL RowSearch.TopK | EdgeCL KnnLearner.Predict | faiss IndexFlatIP | numpy OpenBLAS | seq. read (limit) | numpy sum "
          "| faiss / EdgeCL | numpy / EdgeCL | EdgeCL / limit | Predict / limit | top-k agree (EdgeCL, faiss, numpy) | B/query |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    summary = {"machine": machine, "knn": {}, "nmc": {}, "state": state}
    for d in plan["knn_dims"]:
        e = [r["knn"][d] for r in runs]
        p = [r["python"]["knn"][str(d)] for r in runs]
        search = [x["search_ns"] for x in e]
        predict = [x["predict_ns"] for x in e]
        limit = [read_limit(x) for x in e]
        faiss = [x["faiss_ns"] for x in p]
        numpy_ = [x["numpy_ns"] for x in p]
        vs_faiss = [f / s for f, s in zip(faiss, search)]
        vs_numpy = [n / s for n, s in zip(numpy_, search)]
        vs_limit = [s / b for s, b in zip(search, limit)]
        predict_limit = [s / b for s, b in zip(predict, limit)]
        agree = [topk_agreement(np, args.work, d, args.k, idx)[0] for idx in
                 (last["knn"][d]["topk"], last["python"]["knn"][str(d)]["faiss_topk"], last["python"]["knn"][str(d)]["numpy_topk"])]
        same = int(np.sum(np.all(np.asarray(last["knn"][d]["topk"]).reshape(-1, args.k)
                                 == np.asarray(last["python"]["knn"][str(d)]["faiss_topk"]), axis=1)))
        alloc = max(x["search_alloc_bytes"] for x in e)
        source = plan["sources"][str(d)] if str(d) in plan["sources"] else plan["sources"][d]
        print(f"| {d} | {source.split(' ')[0]} | {us(median(np, search))} | {us(median(np, predict))} | {us(median(np, faiss))} "
              f"| {us(median(np, numpy_))} | {us(median(np, limit))} | {us(median(np, [x['numpy_seqread_ns'] for x in p]))} "
              f"| {spread(np, vs_faiss)} | {spread(np, vs_numpy)} | {spread(np, vs_limit)} | {spread(np, predict_limit)} "
              f"| {agree[0]}, {agree[1]}, {agree[2]} / {args.queries} ({same} identical to faiss) | {alloc:.0f} |")
        goal_faiss, goal_limit = median(np, vs_faiss) >= 1.5, median(np, vs_limit) <= 1.5
        summary["knn"][d] = {"edgecl_search_ns": median(np, search), "edgecl_predict_ns": median(np, predict),
                             "faiss_ns": median(np, faiss), "numpy_ns": median(np, numpy_), "limit_ns": median(np, limit),
                             "faiss_over_edgecl": vs_faiss, "numpy_over_edgecl": vs_numpy, "edgecl_over_limit": vs_limit,
                             "agree": agree, "goal_faiss": goal_faiss, "goal_limit": goal_limit,
                             "edgecl_knn_learner_bytes": e[-1]["knn_learner_bytes"], "matrix_bytes": e[-1]["matrix_bytes"],
                             "faiss_index_bytes": p[-1]["faiss_index_bytes"]}
        ok &= all(a == args.queries for a in agree)
    print()
    for d, s in summary["knn"].items():
        print(f"d={d}: goal ≥ 1.5× faiss {'met' if s['goal_faiss'] else 'NOT met'}; goal within 1.5× of the bandwidth limit "
              f"{'met' if s['goal_limit'] else 'NOT met'}. Memory: matrix {s['matrix_bytes']:,} B; EdgeCL KnnLearner "
              f"{s['edgecl_knn_learner_bytes']:,} B (KnnLearner.MemoryBytes: raw + centred rows at capacity); faiss IndexFlatIP serialised {s['faiss_index_bytes']:,} B")

    print("\n### NMC predict, batch 1 (cosine, CL2N centring)\n")
    print("| d | classes | EdgeCL PrototypeMemory.Predict | sklearn NearestCentroid.predict | numpy NMC | sklearn / EdgeCL | numpy / EdgeCL | predictions identical to sklearn |")
    print("|---|---|---|---|---|---|---|---|")
    for d in plan["nmc_dims"]:
        e = [r["nmc"][d] for r in runs]
        p = [r["python"]["nmc"][str(d)] for r in runs]
        ours = [x["nmc_predict_ns"] for x in e]
        sk = [x["sklearn_nmc_ns"] for x in p]
        nm = [x["numpy_nmc_ns"] for x in p]
        identical, ties = nmc_agreement(np, last["nmc"][d]["predictions"], p[-1])
        n = len(last["nmc"][d]["predictions"])
        print(f"| {d} | {e[-1]['classes']} | {us(median(np, ours))} | {us(median(np, sk))} | {us(median(np, nm))} "
              f"| {spread(np, [a / b for a, b in zip(sk, ours)])} | {spread(np, [a / b for a, b in zip(nm, ours)])} "
              f"| {identical}/{n} ({ties} float32 ties) |")
        summary["nmc"][d] = {"edgecl_ns": median(np, ours), "sklearn_ns": median(np, sk), "numpy_ns": median(np, nm), "identical": identical, "ties": ties}
        ok &= identical + ties == n

    print(f"\n### Adaptation state per method: IAdaptationCheckpoint bytes after {state['classes']} classes and "
          f"{state['observed']} unlabelled queries, d={state['dim']}\n")
    print("| method | checkpoint bytes | = d-float vectors | resident rows (AdaNPC) |")
    print("|---|---|---|---|")
    for m in state["methods"]:
        resident = f"{m['resident_row_bytes']:,} B, {m['test_rows']} test rows" if "resident_row_bytes" in m else ""
        print(f"| {m['name']} | {m['checkpoint_bytes']:,} | {m['checkpoint_bytes'] / (4 * state['dim']):.1f} | {resident} |")
    with open(os.path.join(args.work, "peers.json"), "w", encoding="utf-8") as f:
        json.dump(summary, f, default=str)
    print(f"\nAll agreement checks {'passed' if ok else 'FAILED'}; summary in {os.path.join(args.work, 'peers.json')}")
    return ok


def nmc_agreement(np, ours, peer):
    """Identical predictions, and disagreements where the two classes' cosines differ by < TIE (float32 ties)."""
    index = {c: i for i, c in enumerate(peer["classes"])}
    scores = np.asarray(peer["scores"])
    identical = ties = 0
    for row, (a, b) in enumerate(zip(ours, peer["sklearn_predictions"])):
        if a == b:
            identical += 1
        elif a in index and abs(scores[row, index[a]] - scores[row, index[b]]) < TIE:
            ties += 1
    return identical, ties
