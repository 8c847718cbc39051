#!/usr/bin/python3
"""EdgeCL against its peers, side by side in one run (issue 11, part 2).

    /usr/bin/python3 ops/measure/peers.py [--export DIR] [--rows 10000] [--queries 200] [--k 5]
                                          [--repeats 3] [--rounds 5] [--work DIR] [--build] [--threshold T]

Top-k cosine search at rows x 96 and rows x 512, batch 1, one thread: EdgeCL's kernel (RowSearch.TopK) and its
kNN memory (KnnLearner.Predict, knn.k = k) against faiss IndexFlatIP, numpy on OpenBLAS (matrix @ q + argpartition)
and one sequential read of the matrix (the bandwidth limit, timed in the EdgeCL process). NMC predict
(PrototypeMemory, cosine, CL2N) against scikit-learn NearestCentroid and a numpy NMC on the same CL2N vectors.
Each adaptive learner's state in bytes (its IAdaptationCheckpoint). The open-set head (ncm-centred with
OpenSetOptions, cosine threshold T, default OpenSetOptions.DefaultThreshold) against a numpy reference, scikit-learn
NearestCentroid + thresholded cosine and LocalOutlierFactor (ops/measure/peers_openset.py): acceptance decisions must
agree with the float64 reference up to |dcos| < 1e-5 ties, with AUROC of known against unknown queries. Results
must agree: top-k indices up to exact ties (checked against float64 scores), NMC predictions up to float32 ties
(|dcos| < 1e-5).

The EdgeCL process (tests/EdgeCL.Benchmarks, modes knn-peer / nmc-peer / state-bytes / openset-peer) and the Python
process (ops/measure/peers_timing.py; peers_openset.py for the open set) read the same .npy files and alternate `--repeats` times; each runs `--rounds`
interleaved rounds over all queries. Reported: the median over repeats of each process's median ns per query.
--export DIR uses `edgecl eval --export` vectors (96-d backbones) for the 96-d search and for NMC/state; the 512-d
matrix is always synthetic (no 512-d backbone ships). Without --export every input is synthetic (seeded).
Needs Debian's python3-faiss, -sklearn, -numpy, -threadpoolctl and libopenblas0-pthread; installs them when
missing (as root). Exit 0 when every check agrees, 1 on a disagreement, 2 on a setup error.
"""
import argparse
import json
import os
import platform
import subprocess
import sys

import peers_openset  # this folder is sys.path[0] when the script runs

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BENCH_DIR = os.path.join(ROOT, "tests", "EdgeCL.Benchmarks")
BENCH_DLL = os.path.join(BENCH_DIR, "bin", "Release", "net10.0", "EdgeCL.Benchmarks.dll")
PACKAGES = ["python3-faiss", "python3-sklearn", "python3-numpy", "python3-threadpoolctl", "libopenblas0-pthread"]
SYSTEM_PYTHON = "/usr/bin/python3"
TIE = 1e-5


def fail(message):
    print(f"peers: {message}", file=sys.stderr)
    sys.exit(2)


def setup():
    """Re-runs under Debian's python and installs the peers' packages when they are missing."""
    if os.path.realpath(sys.executable) != os.path.realpath(SYSTEM_PYTHON) and os.path.exists(SYSTEM_PYTHON):
        os.execv(SYSTEM_PYTHON, [SYSTEM_PYTHON] + sys.argv)  # the python first on PATH lacks Debian's packages
    missing = [p for p in PACKAGES if subprocess.run(["dpkg", "-s", p], capture_output=True).returncode != 0]
    if not missing:
        return
    command = ["apt-get", "install", "-y", "--no-install-recommends"] + missing
    if os.geteuid() != 0:
        fail(f"missing {' '.join(missing)}; install with: sudo {' '.join(command)}")
    print(f"peers: installing {' '.join(missing)}", flush=True)
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    if subprocess.run(command, env=env).returncode != 0:
        subprocess.run(["apt-get", "update"], env=env, check=True)
        subprocess.run(command, env=env, check=True)


def ensure_built(force):
    """Builds the benchmark executable when it is missing, older than its sources, or --build is given."""
    def newest(folder):
        return max((os.path.getmtime(os.path.join(d, f)) for d, _, fs in os.walk(folder) if "/obj" not in d and "/bin" not in d
                    for f in fs if f.endswith((".cs", ".csproj"))), default=0)
    stale = not os.path.exists(BENCH_DLL) or os.path.getmtime(BENCH_DLL) < max(newest(BENCH_DIR), newest(os.path.join(ROOT, "src", "EdgeCL.Core")))
    if force or stale:
        print("peers: building tests/EdgeCL.Benchmarks (Release)", flush=True)
        subprocess.run(["dotnet", "build", BENCH_DIR, "-c", "Release", "--nologo", "-v", "q"], check=True)


def write_inputs(args, work, np):
    """The .npy inputs both processes read, and plan.json."""
    rng = np.random.default_rng(11)

    def l2n(a):
        return (a / np.linalg.norm(a, axis=1, keepdims=True)).astype(np.float32)

    def clustered(n, d, classes, spread, centres=None):
        if centres is None:
            centres = rng.standard_normal((classes, d))
        y = np.arange(n) % classes
        return (centres[y] + spread * rng.standard_normal((n, d))).astype(np.float32), y

    export = None
    if args.export:
        try:
            export = {"support": np.load(os.path.join(args.export, "support.npy")).astype(np.float32),
                      "test": np.load(os.path.join(args.export, "test.npy")).astype(np.float32)}
            with open(os.path.join(args.export, "support.labels.txt"), encoding="utf-8") as f:
                export["labels"] = [line.rstrip("\n") for line in f]
            with open(os.path.join(args.export, "test.labels.txt"), encoding="utf-8") as f:
                export["test_labels"] = [line.rstrip("\n") for line in f]
        except (OSError, ValueError) as error:
            fail(f"cannot read the export in {args.export} (write one with edgecl eval --export DIR): {error}")
        if len(export["labels"]) != len(export["support"]) or export["support"].ndim != 2:
            fail(f"{args.export}: support.npy and support.labels.txt do not agree")
        if len(export["test_labels"]) != len(export["test"]):
            fail(f"{args.export}: test.npy and test.labels.txt do not agree")
    sources = {}
    for d in (96, 512):
        if export is not None and export["support"].shape[1] == d:
            # Tile the exported vectors to the wanted rows; copies after the first get a small jitter (5 % of the std).
            base = np.vstack([export["support"], export["test"]])
            m = base[np.arange(args.rows) % len(base)]
            m[len(base):] += 0.05 * base.std() * rng.standard_normal(m[len(base):].shape).astype(np.float32)
            q = export["test"][rng.choice(len(export["test"]), args.queries)]
            q = q + 0.05 * base.std() * rng.standard_normal(q.shape).astype(np.float32)
            sources[d] = f"exported {args.export} (tiled, jittered)"
        else:
            m, _ = clustered(args.rows, d, 100, 0.7)
            q, _ = clustered(args.queries, d, 100, 0.7)
            sources[d] = "synthetic (100 Gaussian clusters)"
        np.save(os.path.join(work, f"knn{d}.matrix.npy"), l2n(m))
        np.save(os.path.join(work, f"knn{d}.queries.npy"), l2n(q))
    nmc_dims, nmc_centres = [], {}
    if export is not None:
        d = export["support"].shape[1]
        sets = {d: (export["support"], export["labels"], export["test"][:max(args.queries, 1)])}
    else:
        sets = {}
        for d in (96, 512):
            nmc_centres[d] = rng.standard_normal((100, d))  # kept for the open-set row's known queries
            xs, ys = clustered(500, d, 100, 0.7, nmc_centres[d])  # 100 classes x 5 shots
            xq, _ = clustered(args.queries, d, 100, 0.7)
            sets[d] = (xs, [f"class-{c:03d}" for c in ys], xq)
    for d, (xs, ys, xq) in sets.items():
        np.save(os.path.join(work, f"nmc{d}.support.npy"), xs)
        with open(os.path.join(work, f"nmc{d}.labels.txt"), "w", encoding="utf-8") as f:
            f.write("\n".join(ys) + "\n")
        np.save(os.path.join(work, f"nmc{d}.queries.npy"), xq)
        nmc_dims.append(d)
    # Adaptation state: 12 classes x 5 shots (the keyword task), then 2,000 unlabelled queries under a mild shift
    # that the learners adapt to (their state grows to its caps); a stronger shift leaves the gated ones empty.
    if export is not None:
        xs, ys, xq = export["support"], export["labels"], export["test"]
    else:
        centres = rng.standard_normal((12, 96))
        y, yq = np.arange(60) % 12, np.arange(2000) % 12
        xs = centres[y] + 0.4 * rng.standard_normal((60, 96))
        xq = centres[yq] + 0.4 * rng.standard_normal((2000, 96)) + 0.1 * rng.standard_normal(96)
        ys = [f"k{c}" for c in y]
    np.save(os.path.join(work, "state.support.npy"), xs.astype(np.float32))
    with open(os.path.join(work, "state.labels.txt"), "w", encoding="utf-8") as f:
        f.write("\n".join(ys) + "\n")
    np.save(os.path.join(work, "state.queries.npy"), xq.astype(np.float32))
    plan = {"knn_dims": [96, 512], "nmc_dims": nmc_dims, "k": args.k, "sources": sources}
    plan["openset"] = peers_openset.write_inputs(np, work, args.queries, args.threshold, centres=nmc_centres, export=export)
    with open(os.path.join(work, "plan.json"), "w", encoding="utf-8") as f:
        json.dump(plan, f)
    return plan


def edgecl(mode, work, out, rounds, **files):
    command = ["dotnet", BENCH_DLL, mode, "--out", out, "--rounds", str(rounds)]
    for key, value in files.items():
        command += [f"--{key}", value if key in ("k", "threshold") else os.path.join(work, value)]
    subprocess.run(command, check=True, env=dict(os.environ, ORT_DISABLE_TELEMETRY="1"))
    with open(out, encoding="utf-8") as f:
        return json.load(f)


def python_peers(work, out, rounds):
    # OpenBLAS picks its own kernel in this child only: OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE stay set elsewhere.
    env = {k: v for k, v in os.environ.items() if k not in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")}
    subprocess.run([SYSTEM_PYTHON, os.path.join(os.path.dirname(__file__), "peers_timing.py"), work, str(rounds), out], check=True, env=env)
    with open(out, encoding="utf-8") as f:
        return json.load(f)


def open_set_hook(args, plan, np):
    """The open-set head (ops/measure/peers_openset.py): EdgeCL's openset-peer mode against the numpy reference,
    scikit-learn NearestCentroid + thresholded cosine and LocalOutlierFactor(novelty=True), processes alternated
    `--repeats` times like the rows above. True when every acceptance decision agrees with the reference."""
    entry = plan["openset"]
    runs = []
    for r in range(args.repeats):
        print(f"peers: open set, repeat {r + 1}/{args.repeats}", flush=True)
        run = {"edgecl": {}}
        for d in entry["dims"]:
            run["edgecl"][d] = edgecl("openset-peer", args.work, os.path.join(args.work, f"edgecl.openset{d}.json"), args.rounds,
                                      support=f"openset{d}.support.npy", labels=f"openset{d}.labels.txt",
                                      queries=f"openset{d}.queries.npy", unknown=f"openset{d}.unknown.npy", threshold=str(entry["threshold"]))
        out = os.path.join(args.work, "python.openset.json")
        subprocess.run([SYSTEM_PYTHON, os.path.join(os.path.dirname(__file__), "peers_openset.py"), args.work, str(args.rounds), out],
                       check=True, env={k: v for k, v in os.environ.items() if k not in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")})
        with open(out, encoding="utf-8") as f:
            run["python"] = json.load(f)
        runs.append(run)
    return peers_openset.report(np, entry, runs, args.work)


def main():
    setup()
    import numpy as np  # after setup: Debian's numpy
    from peers_report import report

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--export", help="edgecl eval --export directory (96-d vectors)")
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--k", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=3, help="EdgeCL and Python processes, alternated")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds inside each process")
    parser.add_argument("--work", default="/tmp/edgecl-peers")
    parser.add_argument("--build", action="store_true", help="rebuild the benchmark executable first")
    parser.add_argument("--threshold", type=float, default=None, help="open-set cosine threshold (default: OpenSetOptions.DefaultThreshold)")
    args = parser.parse_args()
    if args.threshold is None:
        args.threshold = peers_openset.default_threshold()
    if args.rows < args.k or args.queries < 1 or args.k < 1 or args.repeats < 1 or args.rounds < 1:
        fail("need rows >= k >= 1, queries >= 1, repeats >= 1, rounds >= 1")
    os.makedirs(args.work, exist_ok=True)
    plan = write_inputs(args, args.work, np)
    ensure_built(args.build)
    runs = []
    for r in range(args.repeats):
        print(f"peers: repeat {r + 1}/{args.repeats}", flush=True)
        run = {"knn": {}, "nmc": {}}
        for d in plan["knn_dims"]:
            run["knn"][d] = edgecl("knn-peer", args.work, os.path.join(args.work, f"edgecl.knn{d}.json"), args.rounds,
                                   matrix=f"knn{d}.matrix.npy", queries=f"knn{d}.queries.npy", k=str(args.k))
        for d in plan["nmc_dims"]:
            run["nmc"][d] = edgecl("nmc-peer", args.work, os.path.join(args.work, f"edgecl.nmc{d}.json"), args.rounds,
                                   support=f"nmc{d}.support.npy", labels=f"nmc{d}.labels.txt", queries=f"nmc{d}.queries.npy")
        run["python"] = python_peers(args.work, os.path.join(args.work, "python.json"), args.rounds)
        runs.append(run)
    state = edgecl("state-bytes", args.work, os.path.join(args.work, "edgecl.state.json"), 1,
                   support="state.support.npy", labels="state.labels.txt", queries="state.queries.npy")
    machine = f"{platform.platform()}, {os.cpu_count()} vCPU, {cpu_model()}"
    ok = report(np, args, plan, runs, state, machine)
    ok &= open_set_hook(args, plan, np)
    return 0 if ok else 1


def cpu_model():
    with open("/proc/cpuinfo", encoding="utf-8") as f:
        for line in f:
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor()


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    try:
        sys.exit(main())
    except subprocess.CalledProcessError as error:
        print(f"peers: {' '.join(map(str, error.cmd))} failed with exit code {error.returncode}", file=sys.stderr)
        sys.exit(2)
