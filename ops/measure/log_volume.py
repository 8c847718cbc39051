#!/usr/bin/env python3
"""Bytes the device agent logs per 1,000 recognitions (#18): `edgecl run` taught two digit classes, then fed N image
files through a `files` source; counts the bytes it writes to stdout/stderr during the recognition run (start-up and
stop lines included; they are printed separately so the per-sample part can be told apart).

Standard library only.  Usage:
  ops/measure/log_volume.py [--edgecl "artifacts/publish/linux-x64/edgecl"] [--samples 1000] [--rounds 3]
  e.g. --edgecl "dotnet src/EdgeCL.Cli/bin/Release/net10.0/edgecl.dll"
"""
import argparse, json, os, pathlib, shlex, statistics, subprocess, tempfile, time

ROOT = pathlib.Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "models" / "digits" / "samples"


def run(edgecl, work, sources, until):
    config = {"device_id": "logvol", "backbone": "digits", "models_root": str(ROOT / "models"), "state_dir": str(work / "state"),
              "learner": {"method": "ncm-test-centred", "checkpoint_seconds": 0}, "sources": sources, "status": {"interval_seconds": 0.2}}
    (work / "device.json").write_text(json.dumps(config))
    env = dict(os.environ, ORT_DISABLE_TELEMETRY="1")
    with open(work / "log", "wb") as log:
        agent = subprocess.Popen(edgecl + ["run", "--config", str(work / "device.json")], stdout=log, stderr=subprocess.STDOUT, env=env)
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            time.sleep(0.2)
            status = work / "state" / "status.json"
            try:
                health = json.loads(status.read_text()).get("health", {})
            except (OSError, ValueError):
                continue
            if until(health):
                break
        agent.terminate()
        agent.wait(60)
    return (work / "log").read_bytes()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--edgecl", default=str(ROOT / "artifacts/publish/linux-x64/edgecl"))
    parser.add_argument("--samples", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    edgecl = shlex.split(args.edgecl)
    per_round = []
    for _ in range(args.rounds):
        with tempfile.TemporaryDirectory(prefix="edgecl-logvol-") as tmp:
            work = pathlib.Path(tmp)
            teach = [{"type": "files", "paths": [str(SAMPLES / "7_0000.pgm")], "label": "seven"},
                     {"type": "files", "paths": [str(SAMPLES / "9_0000.pgm")], "label": "nine"}]
            run(edgecl, work, teach, lambda h: h.get("learned", 0) >= 2)
            queries = [str(SAMPLES / ("7_0000.pgm" if i % 2 == 0 else "9_0000.pgm")) for i in range(args.samples)]
            log = run(edgecl, work, [{"type": "files", "paths": queries}], lambda h: h.get("recognised", 0) >= args.samples)
            lines = log.decode("utf-8", "replace").splitlines()
            fixed = sum(len(l.encode()) + 1 for l in lines if " summary " not in l and ("started" in l or "stop" in l or "listening" in l or "device page" in l or "head rebuilt" in l or "restored" in l))
            per_round.append((len(log), len(lines), fixed))
            print(f"round: {len(log)} bytes, {len(lines)} lines for {args.samples} recognitions ({fixed} bytes of start-up/stop lines)")
    total = statistics.median(r[0] for r in per_round)
    fixed = statistics.median(r[2] for r in per_round)
    print(f"median: {total:.0f} bytes in all; {(total - fixed) * 1000 / args.samples:.0f} bytes per 1,000 recognitions beyond start-up/stop")


if __name__ == "__main__":
    main()
