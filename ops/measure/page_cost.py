#!/usr/bin/env python3
"""What the device page costs the agent (#18): CPU and RSS of `edgecl run` recognising 10 digit images a second from a
watched folder, with no page open and then with one page's event stream open (/api/events, read here), plus RSS idle,
and how long each recognition takes to reach that reader (the event's "t", stamped when the agent has the answer,
against this reader's clock on the same machine).

Standard library only.  Usage:
  ops/measure/page_cost.py [--edgecl artifacts/publish/linux-x64/edgecl] [--seconds 30] [--rate 10] [--no-page]
"""
import argparse, http.client, json, os, pathlib, re, shlex, shutil, subprocess, tempfile, threading, time

ROOT = pathlib.Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "models" / "digits" / "samples"
TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    fields = pathlib.Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def rss_mib(pid):
    for line in pathlib.Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--edgecl", default=str(ROOT / "artifacts/publish/linux-x64/edgecl"))
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--rate", type=float, default=10)
    parser.add_argument("--no-page", action="store_true", help="a binary without the page (the baseline)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="edgecl-pagecost-") as tmp:
        work = pathlib.Path(tmp)
        for label, name in (("seven", "7_0000.pgm"), ("nine", "9_0000.pgm")):
            (work / "inbox" / label).mkdir(parents=True)
            shutil.copy(SAMPLES / name, work / "inbox" / label / name)
        config = {"device_id": "pagecost", "backbone": "digits", "models_root": str(ROOT / "models"), "state_dir": str(work / "state"),
                  "learner": {"checkpoint_seconds": 60},
                  "sources": [{"type": "folder", "path": str(work / "inbox"), "labels_from_folders": True, "poll_ms": 20}]}
        if not args.no_page:
            config["web"] = {"listen": "127.0.0.1:0"}
        (work / "device.json").write_text(json.dumps(config))
        log = open(work / "log", "w")
        agent = subprocess.Popen(shlex.split(args.edgecl) + ["run", "--config", str(work / "device.json")], stdout=log, stderr=subprocess.STDOUT,
                                 env=dict(os.environ, ORT_DISABLE_TELEMETRY="1"))
        try:
            while "learned label=nine" not in (work / "log").read_text() or "learned label=seven" not in (work / "log").read_text():
                time.sleep(0.2)
            time.sleep(3)
            print(f"idle: RSS {rss_mib(agent.pid):.1f} MiB")
            stop = threading.Event()

            def feed():
                n = 0
                while not stop.is_set():
                    src = SAMPLES / ("7_0000.pgm" if n % 2 == 0 else "9_0000.pgm")
                    shutil.copy(src, work / "inbox" / f"q{n}.tmp")
                    os.rename(work / "inbox" / f"q{n}.tmp", work / "inbox" / f"q{n}.pgm")
                    n += 1
                    time.sleep(1 / args.rate)
            feeder = threading.Thread(target=feed, daemon=True)
            feeder.start()

            def window(name):
                time.sleep(2)
                c0, t0 = cpu_seconds(agent.pid), time.monotonic()
                time.sleep(args.seconds)
                c1, t1 = cpu_seconds(agent.pid), time.monotonic()
                print(f"{name}: CPU {100 * (c1 - c0) / (t1 - t0):.2f} % of one core, RSS {rss_mib(agent.pid):.1f} MiB ({args.rate:g} recognitions/s)")

            window("no page open")
            if not args.no_page:
                port = re.search(r"device page on http://127\.0\.0\.1:(\d+)", (work / "log").read_text()).group(1)
                delays = []  # ms from the agent stamping a recognition ("t") to this reader having its event
                conn = http.client.HTTPConnection("127.0.0.1", int(port))
                conn.request("GET", "/api/events")
                stream = conn.getresponse()

                def read_events():
                    event = None
                    for raw in stream:
                        line = raw.decode(errors="replace").rstrip("\n")
                        if line.startswith("event: "):
                            event = line[7:]
                        elif line.startswith("data: ") and event == "sample":
                            delays.append(time.time() * 1000 - json.loads(line[6:])["t"])

                threading.Thread(target=read_events, daemon=True).start()
                window("one page open")
                d = sorted(delays)  # the reader ends with the agent
                if d:
                    print(f"the page received {len(d)} sample events; recognition -> event at the reader: median {d[len(d) // 2]:.1f} ms, "
                          f"p95 {d[int(len(d) * 0.95)]:.1f} ms, max {d[-1]:.1f} ms")
            stop.set()
        finally:
            agent.terminate()
            agent.wait(30)


if __name__ == "__main__":
    main()
