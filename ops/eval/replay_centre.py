#!/usr/bin/python3
"""Replays ncm-test-centred offline on an exported stream, over many re-drawn orders (issue 11's correlated-order work).

    edgecl eval ... --export DIR        (writes DIR/stream.embeddings.npy, stream.labels.txt, stream.domains.txt, stream.labelled.txt)
    /usr/bin/python3 ops/eval/replay_centre.py DIR --correlation 0.1 --orders 8

A replica of TestStreamCentre + ShiftDetector + LabelAutocorrelation + the class-balanced update + the shrunk query
centre + the guard with the learner's default settings (it reproduced the C# learner's per-condition accuracies and detection counts exactly on
the exported dev, independent-set-1 and MNIST-C streams). The unlabelled steps of each task are re-ordered with
RoTTA's Dirichlet sampler (as LabelCorrelation; numpy's generator, so not EdgeCL's orders) or shuffled
(--correlation 0), and the variants below are compared with static ncm-centred on the same orders: the mean
difference per task, the mean over the shifted tasks (all but clean), the worst mean task and the worst single task.
The embeddings are those of draw 0 (one support draw); export with other --seed values for other draws.
"""
import argparse
import collections
import math

import numpy as np

VARIANTS = {
    "before (adapted-head labels, fixed h)": dict(head="adapted", detect_correlation=0.0),
    "adapted-head labels, h(1+rho)": dict(head="adapted", detect_correlation=1.0),
    "static-head labels, fixed h": dict(head="static", detect_correlation=0.0),
    "static-head labels, h(1+rho), no shrinkage": dict(head="static", detect_correlation=1.0),
    "shrunk centre, beta 10": dict(head="static", detect_correlation=1.0, shrink=2.0, shrink_correlation=10.0),
    "now (static-head labels, h(1+rho), shrunk centre, beta 3)": dict(head="static", detect_correlation=1.0, shrink=2.0, shrink_correlation=3.0),
}


def load(d):
    X = np.load(f"{d}/stream.embeddings.npy").astype(np.float64)
    lines = lambda name: open(f"{d}/{name}").read().split("\n")[:-1]
    labels, domains = lines("stream.labels.txt"), lines("stream.domains.txt")
    labelled = np.array([v == "1" for v in lines("stream.labelled.txt")])
    tasks, seen, previous = [], collections.Counter(), None
    for domain, is_labelled in zip(domains, labelled):
        if not is_labelled and domain != previous:
            seen[domain] += 1
            previous = domain
        tasks.append(f"{domain}#{max(seen[domain], 1)}")
    return X, labels, tasks, labelled


class Detector:  # ShiftDetector
    def __init__(self, h=8.0, k=0.5, baseline=30):
        self.h, self.k, self.baseline, self.alarms = h, k, baseline, 0
        self.restart()

    def restart(self):
        self.seen, self.mean, self.m2, self.up, self.down = 0, 0.0, 0.0, 0.0, 0.0

    def update(self, v, scale):
        if self.seen < self.baseline:
            self.seen += 1
            d = v - self.mean
            self.mean += d / self.seen
            self.m2 += d * (v - self.mean)
            return False
        var = self.m2 / (self.seen - 1)
        sigma = math.sqrt(max(var, 1e-12 + 1e-6 * self.mean ** 2))
        z = (v - self.mean) / sigma
        self.up, self.down = max(0, self.up + z - self.k), max(0, self.down - z - self.k)
        h = self.h * max(scale, 1)
        if self.up > h or self.down > h:
            self.alarms += 1
            self.restart()
            return True
        rate = 1 / (4 * self.baseline)
        step = min(max(v - self.mean, -3 * sigma), 3 * sigma)
        self.mean += rate * step
        self.m2 = (self.seen - 1) * ((1 - rate) * (var + rate * step * step))
        return False


class Autocorrelation:  # LabelAutocorrelation
    def __init__(self, classes, window=30, prior=1.0):
        self.window, self.prior, self.strength = window, prior, prior
        self.histogram, self.seen, self.previous, self.agree = np.zeros(classes), 0, -1, 0.0

    def record(self, p):
        self.seen += 1
        slow = max(1 / self.seen, 1 / (2 * self.window))
        one = np.zeros_like(self.histogram)
        one[p] = 1
        self.histogram += slow * (one - self.histogram)
        e = (self.histogram ** 2).sum()
        if self.previous >= 0:
            self.agree += max(1 / (self.seen - 1), 1 / self.window) * ((p == self.previous) - self.agree)
        self.previous = p
        self.strength = self.prior if self.seen < self.window else 0 if e >= 1 else min(max((self.agree - e) / (1 - e) / 0.5, 0), 1)


class Centre:  # TestStreamCentre
    def __init__(self, d, detector, warm=10, decay=0.01, clip=3.0):
        self.mean, self.distance, self.count, self.squared, self.weights = np.zeros(d), 0.0, 0, 0.0, 0.0
        self.detector, self.warm, self.decay, self.clip = detector, warm, decay, clip

    def is_warm(self):
        return self.count >= self.warm

    def reset(self):
        self.mean[:], self.distance, self.count, self.squared, self.weights = 0, 0.0, 0, 0.0, 0.0
        self.detector.restart()

    def variance(self):  # EstimateVariance: mean squared distance x sum of squared weights
        return self.squared * self.weights

    def update(self, x, scale):
        n = self.count + 1
        delta = x - self.mean
        dist = np.linalg.norm(delta)
        if self.count >= self.warm and self.detector.update(dist, scale):
            self.mean[:], self.distance, self.count, self.squared, self.weights, n = 0, 0.0, 0, 0.0, 0.0, 1
            delta = x - self.mean
            dist = np.linalg.norm(delta)
        rate = max(1 / n, self.decay)
        clipping = self.clip > 0 and self.count >= self.warm and self.distance > 0
        weight = rate * (self.clip * self.distance / dist if clipping and dist > self.clip * self.distance else 1)
        self.mean += weight * delta
        clipped = min(dist, self.clip * self.distance if clipping else dist)
        self.distance += rate * (clipped - self.distance)
        if n > 1:
            self.squared += rate * (clipped * clipped - self.squared)
        self.weights = (1 - weight) ** 2 * self.weights + weight ** 2
        self.count = n


def normalise(v):
    n = np.linalg.norm(v, axis=-1, keepdims=True)
    return v / np.where(n > 0, n, 1)


def run(X, labels, tasks, labelled, head=None, detect_correlation=0.0, shrink=0.0, shrink_correlation=0.0, temperature=0.1,
        guard_window=100, collapse=3):
    """Online accuracy per task of ncm-test-centred (head = 'adapted' | 'static'), or of static ncm-centred (head None)."""
    classes = sorted({l for l, f in zip(labels, labelled) if f})
    index = {c: i for i, c in enumerate(classes)}
    C = len(classes)
    support = X[labelled]
    y = np.array([index[l] for l, f in zip(labels, labelled) if f])
    means = np.stack([support[y == c].mean(0) for c in range(C)])
    counts = np.bincount(y, minlength=C)
    labelled_centre = (means * counts[:, None]).sum(0) / counts.sum()
    prototypes = normalise(means - labelled_centre)
    centre = Centre(X.shape[1], Detector())
    order = Autocorrelation(C)
    g_hist, g_seen, g_entropy = np.zeros(C), 0, 0.0
    correct = collections.defaultdict(list)
    for t in np.where(~labelled)[0]:
        x = X[t]
        static_scores = prototypes @ normalise(x - labelled_centre)
        ps = int(static_scores.argmax())
        if head is None:
            correct[tasks[t]].append(ps == index[labels[t]])
            continue
        query_centre = labelled_centre
        if centre.is_warm():
            # FeatureCentring.ShrinkQueryCentre: m + s (c - m), s = max(0, 1 - kappa v (1 + beta rho) / |c - m|^2).
            offset = centre.mean - labelled_centre
            s = 1.0
            if shrink > 0:
                size = offset @ offset
                s = max(0.0, 1 - shrink * centre.variance() * (1 + shrink_correlation * order.strength) / size) if size > 0 else 0.0
            query_centre = labelled_centre + s * offset
        scores = prototypes @ normalise(x - query_centre)
        p = int(scores.argmax())
        probabilities = np.exp((scores - scores.max()) / temperature)
        probabilities /= probabilities.sum()
        entropy = -(probabilities * np.log(np.maximum(probabilities, 1e-30))).sum()
        correct[tasks[t]].append(p == index[labels[t]])
        order.record(p)
        alpha = order.strength
        swapped = p if head == "adapted" else ps
        sample = x - alpha * (means[swapped] - labelled_centre) if alpha > 0 else x
        centre.update(sample, 1 + detect_correlation * alpha)
        # HealthMonitor with ncm-test-centred's guard (collapse factor 3, entropy 0.98, window 100, action reset).
        g_seen += 1
        rate = max(1 / g_seen, 1 / guard_window)
        g_entropy += rate * (entropy / math.log(C) - g_entropy)
        one = np.zeros(C)
        one[p] = 1
        g_hist += rate * (one - g_hist)
        if g_seen >= guard_window and (g_hist.max() > min(0.95, collapse / C) or g_entropy > 0.98):
            centre.reset()
            g_hist[:], g_seen, g_entropy = 0, 0, 0.0
    return {k: 100 * np.mean(v) for k, v in correct.items()}, centre.detector.alarms


def reorder(X, labels, tasks, labelled, gamma, seed):
    rng = np.random.default_rng(seed)
    index = list(np.where(labelled)[0])
    for task in dict.fromkeys(t for t, f in zip(tasks, labelled) if not f):
        members = [i for i in range(len(labelled)) if not labelled[i] and tasks[i] == task]
        if gamma <= 0:
            index += list(rng.permutation(members))
            continue
        by_class = collections.defaultdict(list)
        for i in members:
            by_class[labels[i]].append(i)
        slots = [[] for _ in range(min(len(by_class), 100))]
        for c in sorted(by_class):
            m = list(rng.permutation(by_class[c]))
            cuts = (np.cumsum(rng.dirichlet([gamma] * len(slots))) * len(m)).astype(int)
            start = 0
            for s in range(len(slots)):
                end = len(m) if s == len(slots) - 1 else min(len(m), cuts[s])
                if end > start:
                    slots[s].append(m[start:end])
                start = max(start, end)
        for slot in slots:
            for j in rng.permutation(len(slot)):
                index += slot[j]
    index = np.array(index)
    return X[index], [labels[i] for i in index], [tasks[i] for i in index], labelled[index]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("export")
    ap.add_argument("--correlation", type=float, default=0.1, help="Dirichlet concentration; 0 = shuffled")
    ap.add_argument("--orders", type=int, default=8, help="re-drawn orders; 0 = the exported order as it is (one run)")
    a = ap.parse_args()
    data = load(a.export)
    names = list(dict.fromkeys(t for t, f in zip(data[2], data[3]) if not f))
    shifted = np.array([not n.startswith("clean#") for n in names])
    rows = collections.defaultdict(list)
    for seed in range(max(a.orders, 1)):
        stream = reorder(*data, a.correlation, seed) if a.orders > 0 else data
        static, _ = run(*stream)
        rows["static"].append((np.array([static[n] for n in names]), 0))
        for name, kw in VARIANTS.items():
            acc, alarms = run(*stream, **kw)
            rows[name].append((np.array([acc[n] - static[n] for n in names]), alarms))
    wide = len(names) <= 8
    what = f"correlation {a.correlation}, {a.orders} orders" if a.orders > 0 else "the exported order"
    print(f"{a.export}: {what}; online % (static) and mean difference from static")
    print("| method | " + (" | ".join(names) + " | " if wide else "") + "mean shifted | worst task (mean) | worst task (one order) | detections |")
    print("|---" * ((len(names) if wide else 0) + 5) + "|")
    base = np.mean([r[0] for r in rows["static"]], 0)
    print("| static | " + (" | ".join(f"{v:.1f}" for v in base) + " | " if wide else "") + f"{base[shifted].mean():.2f} | | | |")
    for name in VARIANTS:
        m = np.mean([r[0] for r in rows[name]], 0)
        worst_one = min(r[0].min() for r in rows[name])
        print(f"| {name} | " + (" | ".join(f"{v:+.1f}" for v in m) + " | " if wide else "")
              + f"{m[shifted].mean():+.2f} | {m.min():+.1f} ({names[int(m.argmin())]}) | {worst_one:+.1f} | {np.mean([r[1] for r in rows[name]]):.1f} |")


if __name__ == "__main__":
    main()
