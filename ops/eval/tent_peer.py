#!/usr/bin/python3
"""Peer run: PyTorch Tent on EdgeCL's `digits` CNN, on the exact corrupted image stream EdgeCL's eval used.

The stream is *exported*, not regenerated: `edgecl eval -b digits ... --export DIR` writes every step of draw 0 as the
backbone saw it (decoded, corrupted with EdgeCL's seed, before preprocessing) to DIR/stream.images.npy with
stream.labels.txt, stream.domains.txt and stream.labelled.txt (see src/EdgeCL.Eval/PeerExport.cs).

The network is models/digits/train.py's DigitsCNN with the weights read from models/digits/digits-cnn.onnx (the names
match its state_dict). The classifier is the same head EdgeCL evaluates: nearest class mean over the labelled steps
(CL2N: centred by the support mean, cosine, softmax at temperature 0.1), prototypes computed once on the frozen
source model. Tent (Wang et al., ICLR 2021; DequanWang/tent): train-mode BN with batch statistics, only BN affine
parameters trainable, Adam lr 1e-3, betas (0.9, 0.999), one step per batch, the counted prediction from the same
forward pass before the step, no reset (continual). Batch 128 is Tent's default; at batch 1 the BatchNorm1d of the
head cannot use batch statistics of one vector, so it keeps its source statistics (only its affine parameters adapt).

    /usr/bin/python3 ops/eval/tent_peer.py DIR [--batch 128] [--batch 1] [--limit N] [--threads 2]

Prints online accuracy per domain and overall, samples/s of the adaptation loop (forward + backward + step) and the
process's peak RSS (ru_maxrss, whole process: Python + torch + data).
"""
import argparse
import os
import resource
import sys
import time

import numpy as np
import onnx
import torch
import torch.nn.functional as F
from onnx import numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "models", "digits"))
from train import DigitsCNN, MEAN, STD  # noqa: E402

TEMPERATURE = 0.1


def load_model():
    m = onnx.load(os.path.join(REPO, "models", "digits", "digits-cnn.onnx"))
    weights = {i.name[len("net."):]: torch.from_numpy(numpy_helper.to_array(i).copy()) for i in m.graph.initializer}
    net = DigitsCNN()
    state = net.state_dict()
    missing = [k for k in state if k not in weights and not k.endswith("num_batches_tracked")]
    if missing:
        raise SystemExit(f"tent_peer: the ONNX model lacks {missing}; retrain with models/digits/train.py")
    for k in state:
        if k in weights:
            state[k] = weights[k].reshape(state[k].shape)
    net.load_state_dict(state)
    return net


def lines(path):
    with open(path) as f:
        return f.read().split("\n")[:-1]


def preprocess(pixels):
    x = torch.from_numpy(pixels.astype(np.float32) / 255.0).reshape(-1, 1, 28, 28)
    return (x - MEAN) / STD


def head(embeddings, centre, prototypes):
    q = F.normalize(embeddings - centre, dim=1)
    return q @ prototypes.t() / TEMPERATURE


def configure_tent(net, batch):
    net.train()
    params = []
    for m in net.modules():
        if isinstance(m, torch.nn.BatchNorm2d) or (isinstance(m, torch.nn.BatchNorm1d) and batch > 1):
            m.track_running_stats = False
            m.running_mean = None
            m.running_var = None
        if isinstance(m, (torch.nn.BatchNorm1d, torch.nn.BatchNorm2d)):
            m.requires_grad_(True)
            params += [m.weight, m.bias]
        if isinstance(m, torch.nn.BatchNorm1d) and batch == 1:
            m.eval()  # one vector has no batch statistics: source statistics, affine still adapted
    for p in net.parameters():
        p.requires_grad_(False)
    for p in params:
        p.requires_grad_(True)
    return torch.optim.Adam(params, lr=1e-3, betas=(0.9, 0.999), weight_decay=0.0)


def run(args, batch, images, labels, domains, labelled, classes):
    net = load_model()
    net.eval()
    support = np.flatnonzero(labelled)
    with torch.no_grad():
        emb = net(preprocess(images[support]))
    y_support = np.array([classes.index(labels[i]) for i in support])
    centre = emb.mean(0, keepdim=True)
    prototypes = F.normalize(torch.stack([emb[y_support == c].mean(0) for c in range(len(classes))]) - centre, dim=1)
    stream = np.flatnonzero(~labelled)
    if args.limit:
        stream = stream[:args.limit]
    y = np.array([classes.index(labels[i]) for i in stream])
    correct = np.zeros(len(stream), dtype=bool)
    if batch == 0:  # static: the source model, no adaptation
        start = time.perf_counter()
        with torch.no_grad():
            for s in range(0, len(stream), 256):
                idx = stream[s:s + 256]
                pred = head(net(preprocess(images[idx])), centre, prototypes).argmax(1).numpy()
                correct[s:s + len(idx)] = pred == y[s:s + len(idx)]
        elapsed = time.perf_counter() - start
    else:
        optimizer = configure_tent(net, batch)
        start = time.perf_counter()
        for s in range(0, len(stream), batch):
            idx = stream[s:s + batch]
            if batch > 1 and len(idx) < 2:
                break
            if args.bn_adapt:
                # BN-adapt (Schneider et al., 2020): the batch's own statistics, no gradient step.
                with torch.no_grad():
                    logits = head(net(preprocess(images[idx])), centre, prototypes)
            else:
                logits = head(net(preprocess(images[idx])), centre, prototypes)
                loss = -(logits.softmax(1) * logits.log_softmax(1)).sum(1).mean()
                loss.backward()
                optimizer.step()
                optimizer.zero_grad()
            correct[s:s + len(idx)] = logits.argmax(1).detach().numpy() == y[s:s + len(idx)]
        elapsed = time.perf_counter() - start
    name = "static (source BN, no adaptation)" if batch == 0 else f"{'bn-adapt' if args.bn_adapt else 'tent'} batch {batch}"
    print(f"\n{name}: online accuracy {100 * correct.mean():.1f} % over {len(stream)} unlabelled samples, "
          f"{len(stream) / elapsed:.0f} samples/s, peak RSS so far {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    doms = np.array([domains[i] for i in stream])
    per = []
    for d in dict.fromkeys(doms):
        per.append(f"{d} {100 * correct[doms == d].mean():.1f}")
    print("  per domain: " + "  ".join(per))
    return correct


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("export")
    ap.add_argument("--batch", type=int, action="append", help="Tent batch size (repeatable; 0 = static); default 0 and 128")
    ap.add_argument("--bn-adapt", action="store_true", help="BN-adapt instead of Tent: test-batch BN statistics, no gradient steps")
    ap.add_argument("--limit", type=int, default=0, help="first N unlabelled samples only (0 = all)")
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    images = np.load(os.path.join(args.export, "stream.images.npy"))
    labels = lines(os.path.join(args.export, "stream.labels.txt"))
    domains = lines(os.path.join(args.export, "stream.domains.txt"))
    labelled = np.array([t == "1" for t in lines(os.path.join(args.export, "stream.labelled.txt"))])
    classes = sorted(set(labels))
    print(f"stream: {len(labels)} steps ({labelled.sum()} labelled), classes {classes}, torch {torch.__version__}, "
          f"{args.threads} threads")
    for batch in args.batch or [0, 128]:
        run(args, batch, images, labels, domains, labelled, classes)


if __name__ == "__main__":
    main()
