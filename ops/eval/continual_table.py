#!/usr/bin/python3
"""Per-condition online accuracy (%) of a continual run against its reset oracle (ops/eval/continual.sh).

   /usr/bin/python3 ops/eval/continual_table.py OUT     (OUT/continual/report.json, OUT/episodic/report.json)

Rows: methods in the continual stream, then the same methods reset at each boundary (the oracle). Columns: each
condition (pooled over rounds), the mean of the shifted conditions (all but the first condition), the worst
per-task difference from the first (static) method, and the share of the reset oracle's gain reached.
"""
import json
import os
import sys


def load(path):
    r = json.load(open(path))
    return r, r["method_order"]


def acc(m, key="online_error"):
    return {k: 100.0 * (1.0 - v) for k, v in m[key].items() if v is not None}


def main():
    out = sys.argv[1]
    cont, order = load(os.path.join(out, "continual", "report.json"))
    epi, _ = load(os.path.join(out, "episodic", "report.json"))
    conds = [d for d in cont["domains"] if d in cont["methods"][order[0]]["online_error"]]
    first = cont["protocol"]["shifts"][0] if cont["protocol"]["shifts"] else conds[0]
    shifted = [c for c in conds if c != "clean"] or conds
    static = cont["methods"][order[0]]
    s_acc, s_task = acc(static), acc(static, "online_error_by_task")
    s_mean = sum(s_acc[c] for c in shifted) / len(shifted)
    print(f"command: {cont['command']}")
    print(f"draws {cont['protocol']['draws']}, correlation {cont['protocol'].get('correlation', 0)}, rounds {cont['protocol']['rounds']}")
    print("| method | " + " | ".join(conds) + " | mean shifted | worst Δ (task) | detections | share of oracle gain |")
    print("|---" * (len(conds) + 5) + "|")
    for label, rep in (("", cont), (" (reset oracle)", epi)):
        for name in order:
            m = rep["methods"][name]
            a, t = acc(m), acc(m, "online_error_by_task")
            mean = sum(a[c] for c in shifted) / len(shifted)
            cells = [f"{a[c]:.1f}" + ("" if name == order[0] else f" ({a[c] - s_acc[c]:+.1f})") for c in conds]
            worst = min((t[k] - s_task[k] for k in t if k in s_task), default=0.0)
            share = ""
            if label == "" and name != order[0]:
                oracle = sum(acc(epi["methods"][name])[c] for c in shifted) / len(shifted) - s_mean
                share = f"{100 * (mean - s_mean) / oracle:.0f} % of {oracle:+.2f}" if oracle > 0 else f"oracle gain {oracle:+.2f}"
            det = m.get("shift_detections")
            print(f"| {name}{label} | " + " | ".join(cells) + f" | {mean:.2f} ({mean - s_mean:+.2f}) | {worst:+.1f} | {det if det is not None else '–'} | {share} |")


if __name__ == "__main__":
    main()
