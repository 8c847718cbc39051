#!/usr/bin/python3
"""Fidelity check: EdgeCL's nearest-mean and 1-NN predictions against scikit-learn on the same vectors.

    /usr/bin/python3 tests/fidelity/check_sklearn.py EXPORT_DIR

EXPORT_DIR is what `edgecl eval --export EXPORT_DIR` writes: support.npy/.labels.txt (the labelled steps),
test.npy/.labels.txt (the held-out samples), predictions.<method>.txt and export.json. For each exported method:

  ncm          NearestCentroid on the support; centroids L2-normalised; queries L2-normalised
               (argmin Euclidean distance between unit vectors = argmax cosine, EdgeCL's prototype score)
  ncm-centred  the same after subtracting the mean of all support vectors (CL2N)
  knn (k=1)    KNeighborsClassifier(n_neighbors=1) on L2-normalised, support-mean-centred vectors

Predictions must be identical. The only tolerated difference is an exact tie in float32: when the two classes'
cosine scores differ by less than 1e-5 (EdgeCL keeps float32 running means, sklearn float64 exact means).
Exit code 0 when every method agrees, 1 on a mismatch, 2 when numpy/sklearn are missing or the export is bad.
Debian: apt-get install python3-sklearn, and run with /usr/bin/python3 (not a pyenv python on PATH).
"""
import json
import os
import sys

try:
    import numpy as np
    from sklearn.neighbors import KNeighborsClassifier, NearestCentroid
except ImportError as error:  # the test suite must fail, not skip, without sklearn
    print(f"check_sklearn: {error}; install scikit-learn with: apt-get install python3-sklearn "
          "(and run this script with /usr/bin/python3)", file=sys.stderr)
    sys.exit(2)

TIE = 1e-5


def read_lines(path):
    with open(path, encoding="utf-8") as f:
        return [line.rstrip("\n") for line in f]


def l2n(a):
    n = np.linalg.norm(a, axis=1, keepdims=True)
    n[n == 0] = 1
    return a / n


def main(directory):
    try:
        meta = json.load(open(os.path.join(directory, "export.json"), encoding="utf-8"))
        xs = np.load(os.path.join(directory, "support.npy")).astype(np.float64)
        ys = np.array(read_lines(os.path.join(directory, "support.labels.txt")))
        xt = np.load(os.path.join(directory, "test.npy")).astype(np.float64)
        yt = np.array(read_lines(os.path.join(directory, "test.labels.txt")))
    except (OSError, ValueError) as error:
        print(f"check_sklearn: cannot read the export in {directory}: {error}", file=sys.stderr)
        return 2
    if len(xs) != len(ys) or len(xt) != len(yt):
        print("check_sklearn: rows and labels differ in length", file=sys.stderr)
        return 2

    failed = False
    checked = 0
    for method in meta["methods"]:
        name, learner, params = method["name"], method["learner"], method["parameters"]
        predictions = np.array(read_lines(os.path.join(directory, f"predictions.{name}.txt")))
        if learner in ("ncm", "ncm-centred"):
            centre = xs.mean(0) if learner == "ncm-centred" else np.zeros(xs.shape[1])
            model = NearestCentroid(metric="euclidean").fit(xs - centre, ys)
            model.centroids_ = l2n(model.centroids_)
            queries = l2n(xt - centre)
            reference = model.predict(queries)
            classes = list(model.classes_)
            scores = queries @ model.centroids_.T  # cosine to each class mean
            what = "NearestCentroid"
        elif learner == "knn" and params.get("knn.k", "1") == "1":
            centre = xs.mean(0)
            support = l2n(xs - centre)
            queries = l2n(xt - centre)
            model = KNeighborsClassifier(n_neighbors=1, metric="euclidean").fit(support, ys)
            reference = model.predict(queries)
            classes = sorted(set(ys))
            similarity = queries @ support.T
            scores = np.stack([similarity[:, ys == c].max(1) for c in classes], axis=1)  # best example per class
            what = "KNeighborsClassifier(n_neighbors=1)"
        else:
            print(f"{name}: skipped (no scikit-learn counterpart for learner '{learner}' with {params})")
            continue
        checked += 1
        index = {c: i for i, c in enumerate(classes)}
        mismatches = np.flatnonzero(reference != predictions)
        ties = 0
        for row in mismatches:
            if predictions[row] not in index:
                break
            gap = abs(scores[row, index[predictions[row]]] - scores[row, index[reference[row]]])
            if gap < TIE:
                ties += 1
        real = len(mismatches) - ties
        accuracy = float((predictions == yt).mean())
        status = "OK" if real == 0 else "MISMATCH"
        print(f"{name}: {len(predictions) - len(mismatches)}/{len(predictions)} predictions identical to sklearn {what}"
              f" ({ties} float32 ties); accuracy {100 * accuracy:.1f} %: {status}")
        if real:
            failed = True
            for row in mismatches[:5]:
                print(f"  row {row}: edgecl '{predictions[row]}', sklearn '{reference[row]}'")
    if checked == 0:
        print("check_sklearn: no method with a scikit-learn counterpart was exported (export ncm, ncm-centred or knn)", file=sys.stderr)
        return 2
    return 1 if failed else 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        sys.exit(2)
    sys.exit(main(sys.argv[1]))
