#!/usr/bin/env python3
"""Fleet sync cost against fleet size on one real mosquitto (issue 14, item 3).

Runs `edgecl fleet simulate --overlap` (every device teaches every class) at several fleet sizes, with devices receiving
every entry (direct, only at small sizes: its cost grows with devices x classes) and with N aggregators (devices receive
aggregates and their receipts). Devices publish their entries and receive aggregates in bundles (one message per flush
and per publish cycle); --per-class measures one message per class, as before bundles. For each run: seconds to identical state, messages / bytes / signature checks
received per device (median), the aggregators' totals, and mosquitto's peak RSS (sampled from /proc every 0.2 s).

  /usr/bin/python3 ops/measure/fleet_scale.py [--sizes 100,1000,10000] [--direct-sizes 10,30,100] [--classes 100]
      [--aggregators 1] [--per-class] [--changes N] [--out ops/measure/fleet-scale] [--binary PATH]

Writes OUT/fleet-scale.csv and OUT/fleet-scale.svg (per-device KiB received and seconds to identical, against devices).
Needs mosquitto (ops/setup.sh installs it) and a built edgecl (dotnet build EdgeCL.sln -c Release). EdgeCL ships Native
AOT, and the JIT build's tier-up is part of its seconds: to measure what ships, run ./publish.sh --rid linux-x64 and pass
--binary artifacts/publish/linux-x64/edgecl (README, "Fleet at scale").
"""
import argparse, csv, json, os, pathlib, resource, socket, subprocess, sys, tempfile, threading, time

ROOT = pathlib.Path(__file__).resolve().parents[2]


def edgecl(explicit):
    # The build output by default: a published binary left from an earlier commit would measure old code.
    p = pathlib.Path(explicit) if explicit else ROOT / "src/EdgeCL.Cli/bin/Release/net10.0/edgecl"
    if not p.exists():
        sys.exit(f"fleet_scale: no edgecl binary at {p}; run: dotnet build EdgeCL.sln -c Release")
    return str(p)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def raise_fd_limit():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 65536), hard))


def rss_kib(pid):
    try:
        for line in open(f"/proc/{pid}/status"):
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def cpu_seconds(pid):
    # utime + stime of the broker so far (fields 14 and 15 of /proc/PID/stat, in clock ticks).
    try:
        fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except OSError:
        return 0


def run(binary, devices, classes, aggregators, dim, samples, timeout, per_class=False, changes=0):
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        conf = pathlib.Path(tmp) / "mosquitto.conf"
        # Anonymous on loopback: the simulation measures traffic, not logins (the ACL tests cover those).
        conf.write_text(f"listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\nmax_queued_messages 0\n"
                        "max_inflight_messages 100\nmax_connections -1\nlog_type error\n")
        broker = subprocess.Popen(["mosquitto", "-c", str(conf)], preexec_fn=raise_fd_limit, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        peak = [0]
        stop = threading.Event()

        def sample():
            while not stop.is_set():
                peak[0] = max(peak[0], rss_kib(broker.pid))
                time.sleep(0.2)
        threading.Thread(target=sample, daemon=True).start()
        time.sleep(0.3)
        try:
            cmd = [binary, "fleet", "simulate", "--broker", f"mqtt://127.0.0.1:{port}", "--devices", str(devices), "--classes", str(classes),
                   "--dim", str(dim), "--samples", str(samples), "--overlap", "--fp16", "--aggregators", str(aggregators),
                   "--timeout", str(timeout), "--json"] + (["--per-class"] if per_class else []) + (["--changes", str(changes)] if changes and aggregators else [])
            started = time.time()
            out = subprocess.run(cmd, capture_output=True, text=True, preexec_fn=raise_fd_limit, env={**os.environ, "ORT_DISABLE_TELEMETRY": "1"})
            wall = time.time() - started
            if out.returncode != 0:
                print(f"  failed ({out.returncode}): {out.stderr.strip()[-400:]}", file=sys.stderr)
                return None
            r = json.loads(out.stdout)
            r["WallSeconds"] = wall
            r["BrokerPeakRssMiB"] = peak[0] / 1024
            r["BrokerCpuSeconds"] = cpu_seconds(broker.pid)
            return r
        finally:
            stop.set()
            broker.terminate()
            broker.wait()


def svg(path, rows):
    import math
    w, h, pad = 520, 240, 48
    xs = [r["devices"] for r in rows]
    x0, x1 = math.log10(min(xs)), math.log10(max(xs))
    panels = [("KiB received per device (median)", "kib_per_device"), ("seconds to identical state", "seconds")]
    body = []
    for p, (title, key) in enumerate(panels):
        oy = p * (h + 30)
        ys = [r[key] for r in rows if r[key] > 0]
        y0, y1 = math.log10(min(ys)), math.log10(max(ys))
        y1 = y1 if y1 > y0 else y0 + 1

        def X(v):
            return pad + (math.log10(v) - x0) / max(1e-9, x1 - x0) * (w - 2 * pad)

        def Y(v):
            return oy + h - pad / 2 - (math.log10(v) - y0) / (y1 - y0) * (h - pad)
        body.append(f'<text x="{pad}" y="{oy + 14}" font-size="12">{title} against devices (log-log)</text>')
        body.append(f'<line x1="{pad}" y1="{oy + h - pad / 2}" x2="{w - pad}" y2="{oy + h - pad / 2}" stroke="#888"/>')
        for mode, colour in (("direct", "#c33"), ("aggregated", "#36c")):
            pts = [(X(r["devices"]), Y(r[key])) for r in rows if r["mode"] == mode and r[key] > 0]
            if pts:
                body.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{" ".join(f"{x:.1f},{y:.1f}" for x, y in pts)}"/>')
                for (x, y), r in zip(pts, [r for r in rows if r["mode"] == mode and r[key] > 0]):
                    body.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{colour}"/><text x="{x + 4:.1f}" y="{y - 4:.1f}" font-size="9">{r[key]:.3g}</text>')
        for v in sorted(set(xs)):
            body.append(f'<text x="{X(v) - 8:.1f}" y="{oy + h - pad / 2 + 12}" font-size="9">{v}</text>')
    body.append(f'<text x="{pad}" y="30" font-size="10" fill="#c33">red: direct (every entry)</text><text x="{pad + 150}" y="30" font-size="10" fill="#36c">blue: aggregated</text>')
    path.write_text(f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{2 * (h + 30)}">' + "".join(body) + "</svg>\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default="100,1000,10000")
    ap.add_argument("--direct-sizes", default="10,30,100")
    ap.add_argument("--classes", type=int, default=100)
    ap.add_argument("--aggregators", type=int, default=1)
    ap.add_argument("--dim", type=int, default=96)
    ap.add_argument("--samples", type=int, default=2)
    ap.add_argument("--timeout", type=int, default=1800)
    ap.add_argument("--out", default=str(ROOT / "ops/measure/fleet-scale"))
    ap.add_argument("--replot", action="store_true", help="only redraw OUT/fleet-scale.svg from OUT/fleet-scale.csv")
    ap.add_argument("--changes", type=int, default=0, help="aggregated runs: then N single-class changes, one at a time (steady state)")
    ap.add_argument("--per-class", action="store_true", help="devices publish entries and receive aggregates one message per class (as before bundles)")
    ap.add_argument("--binary", help="edgecl to run (default: the Release build output; e.g. artifacts/publish/linux-x64/edgecl)")
    a = ap.parse_args()
    out = pathlib.Path(a.out)
    if a.replot:
        with open(out / "fleet-scale.csv") as f:
            rows = [{**r, "devices": int(r["devices"]), "kib_per_device": float(r["kib_per_device"]), "seconds": float(r["seconds"])} for r in csv.DictReader(f)]
        svg(out / "fleet-scale.svg", rows)
        return
    binary = edgecl(a.binary)
    out.mkdir(parents=True, exist_ok=True)
    plan = [("direct", int(n), 0) for n in a.direct_sizes.split(",") if n] + [("aggregated", int(n), a.aggregators) for n in a.sizes.split(",") if n]
    rows = []
    for mode, n, aggs in plan:
        print(f"{mode}: {n} devices x {a.classes} classes{f', {aggs} aggregator(s)' if aggs else ''} ...", flush=True)
        r = run(binary, n, a.classes, aggs, a.dim, a.samples, a.timeout, a.per_class, a.changes)
        if r is None:
            continue
        pd, ag = r.get("per_device") or {}, r.get("aggregator_cost") or {}
        row = {"mode": mode, "devices": n, "classes": a.classes, "aggregators": aggs, "transport": "per-class" if a.per_class else "bundles", "entries": r["entries"],
               "seconds": round(r["seconds_to_identical_from_first_update"], 3), "seconds_after_last_update": round(r["seconds_to_identical_after_last_update"], 3),
               "identical": r["identical"], "messages_per_device": pd.get("messages_median", 0), "kib_per_device": round(pd.get("bytes_median", 0) / 1024, 1),
               "verifications_per_device": pd.get("verifications_median", 0),
               "signature_checks_per_device": pd.get("signature_checks_median", pd.get("verifications_median", 0)),
               "signatures_made_per_device": pd.get("signatures_made_median", r["entries"] / n),
               "verify_ms_per_device": round(pd.get("signature_checks_median", pd.get("verifications_median", 0)) * r.get("verify_microseconds", 0) / 1000, 1),
               "aggregator_signature_checks": ag.get("signature_checks", ag.get("verifications", 0)), "aggregator_signatures": ag.get("signatures_made", 0),
               "aggregator_all_entries_seconds": round(ag.get("seconds_to_all_entries", 0), 2),
               "aggregator_first_aggregates_seconds": round(ag.get("seconds_to_first_aggregates") or 0, 2), "half_the_devices_seconds": round(ag.get("seconds_to_half_the_devices", 0), 2), "publish_seconds": round(r.get("publish_seconds", 0), 2),
               "cpu_seconds": round(r.get("cpu_seconds", 0), 1), "gc_pause_seconds": round(r.get("gc_pause_seconds", 0), 1),
               "allocated_mib": round(r.get("allocated_mib", 0)), "broker_cpu_seconds": round(r["BrokerCpuSeconds"], 1),
               "aggregator_entries": ag.get("entries_received", 0), "aggregates": ag.get("aggregates_published", 0), "receipts": ag.get("receipts_published", 0),
               "broker_peak_rss_mib": round(r["BrokerPeakRssMiB"], 1), "wall_seconds": round(r["WallSeconds"], 1), "drops": r["drops"]}
        ch = r.get("changes") or {}
        row.update({"changes": ch.get("count", 0), "change_seconds": round(ch.get("seconds_median", 0), 3),
                    "change_messages_per_device": ch.get("messages_per_change_median", 0), "change_bytes_per_device": round(ch.get("bytes_per_change_median", 0))})
        rows.append(row)
        print("  " + ", ".join(f"{k}={v}" for k, v in row.items() if k not in ("mode", "devices", "classes")), flush=True)
    if not rows:
        sys.exit("fleet_scale: no run succeeded")
    with open(out / "fleet-scale.csv", "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0].keys()))
        w.writeheader()
        w.writerows(rows)
    svg(out / "fleet-scale.svg", rows)
    print(f"wrote {out / 'fleet-scale.csv'} and {out / 'fleet-scale.svg'}")


if __name__ == "__main__":
    main()
