#!/usr/bin/python3
"""Soak: a long unbroken stream through the real agent (`edgecl run`), sampling its memory, threads, open files and
accuracy along the way (issue #12: RSS flat within 5 % after warm-up, no thread or file growth, accuracy never more
than 2 points below static).

    /usr/bin/python3 ops/measure/soak.py [--samples 1000000] [--paired] [--method LEARNER] [--param KEY=VALUE] [--binary CMD] [--out artifacts/soak]

The agent runs as shipped for a camera (the `digits` backbone, the default learner `ncm-test-centred` with adaptation
on, a raw-frames FIFO source, a watched teach folder, the embedded broker with sync on, the device page on loopback).
It is taught 10 shots per digit (5-9 are classes the backbone never saw), then hears 28x28 gray frames of the other
MNIST digits (~9,900 images, drawn again and again) in label-correlated runs of 1-30 frames, with the condition
changing unannounced every 100,000 frames between clean and dim + noisy (pixels x 0.6 + Gaussian noise, sigma 25).
A static agent (adaptation off) first hears 20,000 frames of such a stream (10,000 in each condition): its accuracy
per condition is the baseline. With --paired the static agent hears the very same stream (every frame, same order and
conditions), and each window is compared with the static agent's accuracy on the same frames: a window's own mix of
digits and runs no longer counts against adaptation. --method runs the adaptive agent with another learner (e.g. lame,
lame-test-centred); the static agent is the same either way. Writes OUT/soak.csv (one row per 10,000 answers) and OUT/soak.svg, prints a summary.
"""
import argparse, json, os, pathlib, re, shutil, socket, subprocess, sys, tempfile, threading, time
import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[2]
DATA = pathlib.Path(os.environ.get("EDGECL_DATA", pathlib.Path.home() / ".cache" / "edgecl" / "data")) / "digits"
SHOTS, WINDOW, PERIOD = 10, 10_000, 100_000
ANSWER = re.compile(r"(recognised label=(?P<label>\S+)|unknown score=\S+ best=(?P<best>\S+)).*origin=frame (?P<n>\d+)")


def read_pgm(path):
    raw = path.read_bytes()
    parts = raw.split(maxsplit=4)  # P5 width height maxval data
    w, h = int(parts[1]), int(parts[2])
    return np.frombuffer(parts[4][-w * h:], np.uint8).reshape(h, w)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stream(pools, total, seed, period):
    """Yields (label, condition, frame bytes): runs of one digit, the condition flipping every `period` frames."""
    rng = np.random.default_rng(seed)
    labels = sorted(pools)
    n = 0
    while n < total:
        label = labels[rng.integers(len(labels))]
        for _ in range(min(int(rng.integers(1, 31)), total - n)):
            img = pools[label][rng.integers(len(pools[label]))].astype(np.float32)
            condition = (n // period) % 2
            if condition:
                img = np.clip(img * 0.6 + rng.normal(0, 25, img.shape), 0, 255)
            yield label, condition, img.astype(np.uint8).tobytes()
            n += 1


def run_agent(binary, work, adapt, total, period, files, pools, seed, sample_every=5.0, method="ncm-test-centred", parameters=None):
    """Runs one agent (its own teach folder, state and FIFO) over `total` frames; returns (answers by frame number,
    truth, conditions, process samples)."""
    name = "adapt" if adapt else "static"
    teach, fifo, state = work / f"teach-{name}", work / f"frames-{name}.fifo", work / f"state-{name}"
    for label, paths in files.items():
        (teach / label).mkdir(parents=True)
        for p in paths[:SHOTS]:
            shutil.copy(p, teach / label / p.name)
    os.mkfifo(fifo)
    config = {
        "device_id": "soak", "backbone": "digits", "models_root": str(ROOT / "models"), "state_dir": str(state),
        "providers": "cpu", "threads": 1,
        "learner": {"method": method, "adapt": adapt, "checkpoint_seconds": 30, **({"parameters": parameters} if parameters else {})},
        "sync": {"broker": "embedded", "embedded_port": free_port()},
        "web": {"listen": f"127.0.0.1:{free_port()}"},
        "sources": [
            {"type": "image-folder", "path": str(teach), "labels_from_folders": True, "poll_ms": 100, "done_dir": "done"},
            {"type": "raw-frames", "path": str(fifo), "width": 28, "height": 28, "pixel_format": "gray8"},
        ],
    }
    (work / f"{name}.json").write_text(json.dumps(config))
    env = dict(os.environ, ORT_DISABLE_TELEMETRY="1")
    agent = subprocess.Popen(binary + ["run", "--config", str(work / f"{name}.json"), "--verbose"],
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    answers, learned, tail = {}, [0], []

    def reader():
        for line in agent.stdout:
            m = ANSWER.search(line)
            if m:
                answers[int(m.group("n"))] = (m.group("label"), m.group("best"))
            elif "learned label=" in line:
                learned[0] += 1
            else:
                tail.append(line.rstrip())
                del tail[:-20]

    threading.Thread(target=reader, daemon=True).start()
    t0 = time.monotonic()
    while learned[0] < SHOTS * len(pools):
        if agent.poll() is not None or time.monotonic() - t0 > 300:
            sys.exit("the agent did not learn the shots:\n" + "\n".join(tail))
        time.sleep(0.2)
    samples, truth, conditions = [], [], []
    stop = threading.Event()

    def sampler():
        proc = pathlib.Path(f"/proc/{agent.pid}")
        while not stop.is_set():
            try:
                status = (proc / "status").read_text()
                rss = int(re.search(r"VmRSS:\s+(\d+)", status).group(1)) / 1024
                threads = int(re.search(r"Threads:\s+(\d+)", status).group(1))
                fds = len(os.listdir(proc / "fd"))
                samples.append((time.monotonic() - t0, len(answers), rss, threads, fds))
            except (OSError, AttributeError):
                pass
            stop.wait(sample_every)

    threading.Thread(target=sampler, daemon=True).start()
    fd = os.open(fifo, os.O_WRONLY)
    batch = []
    for label, condition, frame in stream(pools, total, seed, period):
        truth.append(label)
        conditions.append(condition)
        batch.append(frame)
        if len(batch) == 1000:
            os.write(fd, b"".join(batch))
            batch = []
    if batch:
        os.write(fd, b"".join(batch))
    os.close(fd)
    while len(answers) < total and agent.poll() is None:
        last = len(answers)
        time.sleep(5)
        if len(answers) == last:
            break
    stop.set()
    agent.terminate()
    agent.wait(60)
    return answers, truth, conditions, samples


def accuracy(answers, truth, lo, hi, conditions=None, condition=None):
    idx = [i for i in range(lo, hi) if condition is None or conditions[i] == condition]
    right = sum(1 for i in idx if answers.get(i + 1, (None, None))[0] == truth[i])  # frames count from 1
    return 100 * right / max(len(idx), 1)


def svg(path, rows, static):
    """A two-panel line plot (RSS and accuracy against samples) without plotting libraries."""
    w, h, pad = 800, 260, 50
    xs = [r[0] for r in rows]
    xmax = max(xs) or 1

    def panel(y0, values, label, lo, hi, colour, refs=()):
        pts = " ".join(f"{pad + (w - 2 * pad) * x / xmax:.1f},{y0 + h - pad - (h - 2 * pad) * (v - lo) / (hi - lo or 1):.1f}" for x, v in zip(xs, values))
        out = [f'<text x="{pad}" y="{y0 + 20}" font-size="14">{label}</text>',
               f'<rect x="{pad}" y="{y0 + pad}" width="{w - 2 * pad}" height="{h - 2 * pad}" fill="none" stroke="#999"/>',
               f'<polyline points="{pts}" fill="none" stroke="{colour}" stroke-width="1.5"/>',
               f'<text x="5" y="{y0 + pad + 5}" font-size="11">{hi:.0f}</text><text x="5" y="{y0 + h - pad}" font-size="11">{lo:.0f}</text>']
        for v, name in refs:
            y = y0 + h - pad - (h - 2 * pad) * (v - lo) / (hi - lo or 1)
            out.append(f'<line x1="{pad}" x2="{w - pad}" y1="{y:.1f}" y2="{y:.1f}" stroke="#c33" stroke-dasharray="4"/>'
                       f'<text x="{w - pad + 3}" y="{y:.1f}" font-size="10">{name}</text>')
        return out

    rss = [r[2] for r in rows]
    acc = [r[5] for r in rows]
    body = panel(0, rss, "RSS (MiB) against samples", 0, max(rss) * 1.2, "#236")
    body += panel(h, acc, f"accuracy per {WINDOW:,} samples (%), adaptation on; static baselines dashed", 50, 100, "#262",
                  [(v, f"static {name}") for v, name in zip(static, ("clean", "dim+noise"))])
    body.append(f'<text x="{w / 2}" y="{2 * h + 15}" font-size="12">samples answered (max {xmax:,.0f})</text>')
    path.write_text(f'<svg xmlns="http://www.w3.org/2000/svg" width="{w + 40}" height="{2 * h + 25}">' + "".join(body) + "</svg>\n")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--samples", type=int, default=1_000_000)
    ap.add_argument("--static-samples", type=int, default=20_000)
    ap.add_argument("--binary", default=f"dotnet {ROOT}/src/EdgeCL.Cli/bin/Release/net10.0/edgecl.dll")
    ap.add_argument("--out", default=str(ROOT / "artifacts" / "soak"))
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--method", default="ncm-test-centred", help="the adapting agent's learner (the static one runs it with adaptation off)")
    ap.add_argument("--param", action="append", default=[], metavar="KEY=VALUE",
                    help="a learner parameter for the adaptive agent, e.g. ncm-test-centred.shrink=0 (repeatable)")
    ap.add_argument("--paired", action="store_true",
                    help="the static agent hears the same --samples frames; compare window by window on the same frames")
    args = ap.parse_args()
    bad = [p for p in args.param if "=" not in p or not p.split("=", 1)[0]]
    if bad:  # before anything runs, not after the static agent's minutes
        sys.exit(f"soak.py: --param '{bad[0]}' is not KEY=VALUE (e.g. ncm-test-centred.shrink=0)")
    binary = args.binary.split()
    if not (DATA / "0").is_dir():
        sys.exit(f"{DATA} is missing: run ops/setup.sh (it generates the digits set)")
    files = {str(d): sorted((DATA / str(d)).glob("*.pgm")) for d in range(10)}
    work = pathlib.Path(tempfile.mkdtemp(prefix="edgecl-soak-"))
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    try:
        pools = {label: np.stack([read_pgm(p) for p in paths[SHOTS:]]) for label, paths in files.items()}

        if args.paired:
            static_answers, truth, conditions, _ = run_agent(binary, work, False, args.samples, PERIOD, files, pools, args.seed)
        else:
            static_answers, truth, conditions, _ = run_agent(binary, work, False, args.static_samples, args.static_samples // 2, files, pools, args.seed)
        n = len(truth)
        static = [accuracy(static_answers, truth, 0, n, conditions, c) for c in (0, 1)]
        shown = [f"{v:.1f} %" if c in conditions else "none" for c, v in zip((0, 1), static)]
        print(f"static (adaptation off), {n:,} frames: clean {shown[0]}, dim+noise {shown[1]} "
              f"(answered {len(static_answers):,})", flush=True)

        started = time.monotonic()
        parameters = dict(p.split("=", 1) for p in args.param)
        answers, truth, conditions, samples = run_agent(binary, work, True, args.samples, PERIOD, files, pools, args.seed, method=args.method,
                                                        parameters=parameters)
        seconds = time.monotonic() - started
        rows = []
        for lo in range(0, len(truth), WINDOW):
            hi = min(lo + WINDOW, len(truth))
            # The process sample taken nearest to the moment this window's last answer arrived.
            at = min(samples, key=lambda s: abs(s[1] - hi)) if samples else (0, 0, 0, 0, 0)
            paired = accuracy(static_answers, truth, lo, hi) if args.paired else static[conditions[lo]]
            rows.append((hi, at[0], at[2], at[3], at[4], accuracy(answers, truth, lo, hi), conditions[lo], paired))
        with open(out / "soak.csv", "w") as f:
            f.write("samples,seconds,rss_mib,threads,open_files,accuracy_pct,condition,static_pct\n")
            for r in rows:
                f.write(f"{r[0]},{r[1]:.1f},{r[2]:.1f},{r[3]},{r[4]},{r[5]:.2f},{r[6]},{r[7]:.2f}\n")
        svg(out / "soak.svg", [(r[0], 0, r[2], r[3], r[4], r[5]) for r in rows], static)

        warm = [r for r in rows if r[0] > 0.1 * len(truth)] or rows
        rss = [r[2] for r in warm]
        median = float(np.median(rss))
        threads, fds = [r[3] for r in warm], [r[4] for r in warm]
        worst = min(r[5] - r[7] for r in rows)
        deltas = sorted(r[5] - r[7] for r in rows)
        print(f"adaptive agent: {len(answers):,} of {len(truth):,} frames answered in {seconds:.0f} s ({len(answers) / seconds:.0f}/s)")
        print(f"RSS after warm-up (last 90 %): median {median:.1f} MiB, min {min(rss):.1f} ({100 * (min(rss) / median - 1):+.1f} %), "
              f"max {max(rss):.1f} ({100 * (max(rss) / median - 1):+.1f} %)")
        print(f"threads {min(threads)}..{max(threads)}, open files {min(fds)}..{max(fds)} after warm-up")
        against = "static on the same frames" if args.paired else "static of its condition"
        print(f"accuracy per {WINDOW:,} frames: min {min(r[5] for r in rows):.1f} %, worst against {against} {worst:+.1f} points, "
              f"median {deltas[len(deltas) // 2]:+.1f}, windows below -1: {sum(d < -1 for d in deltas)} of {len(deltas)}")
        print(f"wrote {out / 'soak.csv'} and {out / 'soak.svg'}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
