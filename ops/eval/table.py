#!/usr/bin/python3
"""Prints online accuracy (%) per method and condition, mean ± std over draws, from per-condition report.json files.

   /usr/bin/python3 ops/eval/table.py OUT      (OUT/<condition>/report.json, as ops/eval/per_condition.sh writes)
"""
import json
import os
import sys

CONDITIONS = ["clean", "white-10", "white-0", "pink-10", "pink-0", "reverb"]


def load(out):
    rows = {}
    for c in CONDITIONS:
        path = os.path.join(out, c, "report.json")
        if not os.path.exists(path):
            continue
        report = json.load(open(path))
        for name in report["method_order"]:
            m = report["methods"][name]
            accs = []
            for d in m["draws"]:
                e = d["online_error"].get(c.replace("-", ":"))
                if e is not None:
                    accs.append(100.0 * (1.0 - e))
            rows.setdefault(name, {})[c] = accs
    return rows


def main():
    out = sys.argv[1]
    rows = load(out)
    print("| method | " + " | ".join(CONDITIONS) + " | mean shifted |")
    print("|---" * (len(CONDITIONS) + 2) + "|")
    static = rows.get("ncm-centred")
    for name, cells in rows.items():
        parts, shifted = [], []
        for c in CONDITIONS:
            a = cells.get(c)
            if not a:
                parts.append("–")
                continue
            mean = sum(a) / len(a)
            std = (sum((x - mean) ** 2 for x in a) / max(1, len(a) - 1)) ** 0.5
            delta = ""
            if static and c in static and name != "ncm-centred":
                s = sum(static[c]) / len(static[c])
                delta = f" ({mean - s:+.1f})"
            parts.append(f"{mean:.1f} ± {std:.1f}{delta}")
            if c != "clean":
                shifted.append(mean)
        print(f"| {name} | " + " | ".join(parts) + f" | {sum(shifted) / max(1, len(shifted)):.1f} |")


if __name__ == "__main__":
    main()
