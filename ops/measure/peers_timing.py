#!/usr/bin/python3
"""The Python half of ops/measure/peers.py: times faiss, numpy (OpenBLAS) and scikit-learn on the files in WORKDIR.

    /usr/bin/python3 ops/measure/peers_timing.py WORKDIR ROUNDS OUT.json

peers.py runs it as a child with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE removed from the child's environment only,
so OpenBLAS picks its kernel for this CPU itself; the kernel it picked is recorded (threadpoolctl). Every peer runs
on one thread, batch 1 (one query per call); each round runs every peer over all queries in turn, and the median
of the rounds is written.
"""
import json
import os
import sys
import time

import faiss
import numpy as np
from sklearn.neighbors import NearestCentroid
from threadpoolctl import threadpool_info, threadpool_limits


def per_query(count, rounds, ops):
    """Interleaved rounds: ops maps name -> fn(i); returns name -> (median, min) ns per query."""
    times = {name: [] for name in ops}
    for name, op in ops.items():
        for i in range(min(count, 16)):
            op(i)  # warm-up
    for _ in range(rounds):
        for name, op in ops.items():
            start = time.perf_counter_ns()
            for i in range(count):
                op(i)
            times[name].append((time.perf_counter_ns() - start) / count)
    return {name: (float(np.median(t)), float(np.min(t))) for name, t in times.items()}


def l2n(a):
    n = np.linalg.norm(a, axis=-1, keepdims=True)
    return a / np.where(n == 0, 1, n)


def knn(workdir, d, k, rounds):
    m = np.load(os.path.join(workdir, f"knn{d}.matrix.npy"))
    q = np.load(os.path.join(workdir, f"knn{d}.queries.npy"))
    index = faiss.IndexFlatIP(d)
    index.add(m)
    out = {"faiss_topk": [], "numpy_topk": []}
    sink = []

    def faiss_search(i):
        return index.search(q[i:i + 1], k)

    def numpy_search(i):
        s = m @ q[i]
        top = np.argpartition(s, -k)[-k:]
        return top[np.argsort(-s[top], kind="stable")]

    def numpy_read(i):
        sink.append(m.sum())

    with threadpool_limits(limits=1):
        times = per_query(len(q), rounds, {"faiss": faiss_search, "numpy": numpy_search, "numpy_seqread": numpy_read})
        for i in range(len(q)):
            out["faiss_topk"].append(faiss_search(i)[1][0].tolist())
            out["numpy_topk"].append(numpy_search(i).tolist())
    for name, (median, low) in times.items():
        out[f"{name}_ns"], out[f"{name}_min_ns"] = median, low
    out["faiss_index_bytes"] = int(len(faiss.serialize_index(index)))
    return out


def nmc(workdir, d, rounds):
    xs = np.load(os.path.join(workdir, f"nmc{d}.support.npy"))
    with open(os.path.join(workdir, f"nmc{d}.labels.txt"), encoding="utf-8") as f:
        ys = np.array([line.rstrip("\n") for line in f])
    xq = np.load(os.path.join(workdir, f"nmc{d}.queries.npy"))
    # CL2N as in tests/fidelity/check_sklearn.py: centre by the support mean, L2-normalise centroids and queries.
    centre = xs.mean(0)
    model = NearestCentroid(metric="euclidean").fit(xs - centre, ys)
    model.centroids_ = l2n(model.centroids_).astype(np.float32)
    centroids, classes = model.centroids_, model.classes_

    def sklearn_predict(i):
        return model.predict(l2n(xq[i:i + 1] - centre))[0]

    def numpy_predict(i):
        return classes[int(np.argmax(centroids @ l2n(xq[i] - centre)))]

    with threadpool_limits(limits=1):
        times = per_query(len(xq), rounds, {"sklearn_nmc": sklearn_predict, "numpy_nmc": numpy_predict})
        predictions = [str(sklearn_predict(i)) for i in range(len(xq))]
    scores = l2n(xq - centre) @ centroids.T
    out = {"sklearn_predictions": predictions, "classes": [str(c) for c in classes], "scores": scores.tolist()}
    for name, (median, low) in times.items():
        out[f"{name}_ns"], out[f"{name}_min_ns"] = median, low
    return out


def main(workdir, rounds, out_path):
    with open(os.path.join(workdir, "plan.json"), encoding="utf-8") as f:
        plan = json.load(f)
    faiss.omp_set_num_threads(1)
    result = {"knn": {}, "nmc": {}}
    for d in plan["knn_dims"]:
        result["knn"][str(d)] = knn(workdir, d, plan["k"], rounds)
    for d in plan["nmc_dims"]:
        result["nmc"][str(d)] = nmc(workdir, d, rounds)
    result["blas"] = [{key: str(v) for key, v in info.items()} for info in threadpool_info()]
    result["env"] = {key: os.environ.get(key, "(unset)") for key in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")}
    result["versions"] = {"numpy": np.__version__, "faiss": faiss.__version__}
    with open(out_path, "w", encoding="utf-8") as f:
        json.dump(result, f)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), sys.argv[3])
