#!/usr/bin/env python3
"""Profiles the device agent as it runs on a device: `edgecl run` with the speech backbone, taught through a watched
folder, listening to 16 kHz PCM on a FIFO (what `arecord | edgecl run` gives it).

Measures, for the binary given (the AOT one by default):
  * idle: RSS and CPU while the microphone streams near-silence in real time (VAD runs on every 80 ms chunk);
  * busy: RSS and CPU while keywords of the dev test set are spoken back to back in real time;
  * talk: RSS and CPU while continuous talk plays in real time (--talk-seconds, from the first talk file of
    --talk-dir; 0 skips it), and how the agent answered its utterances (the isolated-word rule's reasons);
  * latency: wall time from the end of a keyword's speech (last sample above 2 % of the clip's peak, written to the
    FIFO at real-time pace) to the agent's 'recognised' line on stdout; and the accuracy of those predictions.

Standard library only.  Usage:
  ops/measure/agent_profile.py [--binary artifacts/publish/linux-x64/edgecl] [--words 12] [--seconds-idle 20] [--rounds 2]
                               [--early on|off]  (the pcm source's vad.early_embed; default: the binary's default)
                               [--talk-seconds 30] [--talk-dir ~/.cache/edgecl/data/independent2/unknown/speech]
"""
import argparse, array, json, os, pathlib, random, re, statistics, subprocess, sys, tempfile, threading, time, wave

ROOT = pathlib.Path(__file__).resolve().parents[2]
DATA = pathlib.Path(os.environ.get("EDGECL_DATA", pathlib.Path.home() / ".cache/edgecl/data")) / "keywords"
RATE, HOP = 16000, 1280


def read_wav(path):
    with wave.open(str(path)) as w:
        assert w.getframerate() == RATE and w.getsampwidth() == 2 and w.getnchannels() == 1, path
        return array.array("h", w.readframes(w.getnframes()))


def speech_end(samples):
    peak = max(1, max(abs(s) for s in samples))
    for i in range(len(samples) - 1, -1, -1):
        if abs(samples[i]) > 0.02 * peak:
            return i + 1
    return len(samples)


def proc_stats(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    ticks = int(fields[11]) + int(fields[12])
    rss = hwm = 0
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1]) * 1024
            elif line.startswith("VmHWM:"):
                hwm = int(line.split()[1]) * 1024
    return ticks / os.sysconf("SC_CLK_TCK"), rss, hwm


class Feeder:
    """Writes PCM to the FIFO at real-time pace, 80 ms per write, from a queue of (samples, tag)."""

    def __init__(self, fifo):
        self.fd = os.open(fifo, os.O_WRONLY)
        self.next = time.monotonic()
        self.rng = random.Random(1)

    def write(self, samples):
        for i in range(0, len(samples), HOP):
            chunk = samples[i:i + HOP]
            if len(chunk) < HOP:
                chunk = chunk + array.array("h", [0] * (HOP - len(chunk)))
            self.next += HOP / RATE
            delay = self.next - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            os.write(self.fd, chunk.tobytes())
        return time.monotonic()

    def silence(self, seconds):
        n = int(seconds * RATE)
        return self.write(array.array("h", (self.rng.randint(-3, 3) for _ in range(n))))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", default=str(ROOT / "artifacts/publish/linux-x64/edgecl"))
    ap.add_argument("--words", type=int, default=12)
    ap.add_argument("--shots", type=int, default=5)
    ap.add_argument("--seconds-idle", type=float, default=20)
    ap.add_argument("--rounds", type=int, default=2, help="test clips per word spoken in the busy phase")
    ap.add_argument("--early", choices=["on", "off"], help="set the pcm source's vad.early_embed (default: leave it unset)")
    ap.add_argument("--talk-seconds", type=float, default=30, help="seconds of continuous talk in the talk phase (0: none)")
    ap.add_argument("--talk-dir", default=str(DATA.parent / "independent2/unknown/speech"), help="folder of talk WAVs (16 kHz mono)")
    args = ap.parse_args()
    binary = pathlib.Path(args.binary)
    if not binary.exists():
        sys.exit(f"{binary} is missing; run ./publish.sh (or pass --binary).")
    words = sorted(p.name for p in (DATA / "support").iterdir())[: args.words]
    work = pathlib.Path(tempfile.mkdtemp(prefix="edgecl-profile-"))
    teach = work / "teach"
    for w in words:
        (teach / w).mkdir(parents=True)
        for clip in sorted((DATA / "support" / w).glob("*.wav"))[: args.shots]:
            (teach / w / clip.name).write_bytes(clip.read_bytes())
    fifo = work / "mic.pcm"
    os.mkfifo(fifo)
    config = {
        "device_id": "profile", "backbone": "speech", "models_root": str(ROOT / "models"), "state_dir": str(work / "state"),
        "learner": {"method": "ncm-test-centred"},
        "sources": [
            {"type": "folder", "path": str(teach), "labels_from_folders": True, "poll_ms": 100},
            {"type": "pcm", "path": str(fifo)},
        ],
    }
    if args.early:
        config["sources"][1]["vad"] = {"early_embed": args.early == "on"}
    (work / "device.json").write_text(json.dumps(config))
    agent = subprocess.Popen([str(binary), "run", "--verbose", "--config", str(work / "device.json")], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines, learned, recognised = [], [], []
    def reader():
        for line in agent.stdout:
            now = time.monotonic()
            lines.append(line.rstrip())
            if "learned label=" in line:
                learned.append(now)
            m = re.search(r"recognised label=(\S+)", line)
            if m:
                recognised.append((now, m.group(1)))
    threading.Thread(target=reader, daemon=True).start()
    feeder = Feeder(fifo)  # blocks until the agent opens the FIFO
    expected = len(words) * args.shots
    t0 = time.monotonic()
    while len(learned) < expected:
        if agent.poll() is not None or time.monotonic() - t0 > 120:
            print("\n".join(lines[-20:])); sys.exit("agent did not learn the teaching set")
        feeder.silence(0.08)
    print(f"taught {len(words)} words x {args.shots} shots in {learned[-1] - t0:.1f} s")

    feeder.silence(2)
    c0, _, _ = proc_stats(agent.pid); w0 = time.monotonic()
    rss_idle = []
    while time.monotonic() - w0 < args.seconds_idle:
        feeder.silence(1.0)
        rss_idle.append(proc_stats(agent.pid)[1])
    c1, _, _ = proc_stats(agent.pid); w1 = time.monotonic()
    idle_cpu = 100 * (c1 - c0) / (w1 - w0)

    clips = [(w, c) for w in words for c in sorted((DATA / "test" / w).glob("*.wav"))[: args.rounds]]
    random.Random(2).shuffle(clips)
    ends, rss_busy = [], []
    c0, _, _ = proc_stats(agent.pid); w0 = time.monotonic()
    for word, clip in clips:
        samples = read_wav(clip)
        end = speech_end(samples)
        before = len(recognised)
        feeder.write(samples[:end])
        ends.append((time.monotonic(), word, before))
        feeder.write(samples[end:])
        feeder.silence(0.6)
        rss_busy.append(proc_stats(agent.pid)[1])
    c1, _, hwm = proc_stats(agent.pid); w1 = time.monotonic()
    busy_cpu = 100 * (c1 - c0) / (w1 - w0)
    busy_seconds = w1 - w0
    feeder.silence(1.5)

    talk = None
    talk_files = sorted(pathlib.Path(args.talk_dir).glob("*.wav")) if args.talk_seconds > 0 else []
    if args.talk_seconds > 0 and not talk_files:
        sys.exit(f"no talk WAVs in {args.talk_dir}; pass --talk-dir or --talk-seconds 0")
    if talk_files:
        samples = read_wav(talk_files[0])[: int(args.talk_seconds * RATE)]
        first_line = len(lines)
        c0, _, _ = proc_stats(agent.pid); w0 = time.monotonic()
        rss_talk = []
        for i in range(0, len(samples), RATE):
            feeder.write(samples[i:i + RATE])
            rss_talk.append(proc_stats(agent.pid)[1])
        c1, _, _ = proc_stats(agent.pid); w1 = time.monotonic()
        feeder.silence(1.5)
        answered = lines[first_line:]
        reasons = {}
        for line in answered:
            if "recognised label=" in line:
                reasons["accepted"] = reasons.get("accepted", 0) + 1
            elif re.search(r"\bunknown (score|reason)=", line):
                m = re.search(r"reason=(\S+)", line)
                key = m.group(1) if m else "unknown"
                reasons[key] = reasons.get(key, 0) + 1
        talk = (statistics.median(rss_talk), 100 * (c1 - c0) / (w1 - w0), w1 - w0, reasons, talk_files[0].name)

    latencies, correct, missed = [], 0, 0
    for i, (end_time, word, before) in enumerate(ends):
        after = [r for r in recognised[before:] if r[0] >= end_time]
        limit = ends[i + 1][0] if i + 1 < len(ends) else float("inf")
        # Only until the next word's speech has ended: a word answered unknown must not take the next word's line.
        hits = [r for r in after if r[0] < limit]
        if not hits:
            missed += 1
            continue
        latencies.append(1000 * (hits[0][0] - end_time))
        correct += hits[0][1] == word
    agent.terminate()
    agent.wait(20)
    mib = lambda b: b / 1048576
    print(f"binary              {binary}" + (f" (early_embed {args.early})" if args.early else ""))
    print(f"idle  (silence)     RSS median {mib(statistics.median(rss_idle)):.1f} MiB, CPU {idle_cpu:.1f} % of one core over {args.seconds_idle:.0f} s")
    print(f"busy  (keywords)    RSS median {mib(statistics.median(rss_busy)):.1f} MiB, CPU {busy_cpu:.1f} % of one core over {busy_seconds:.0f} s; peak RSS {mib(hwm):.1f} MiB")
    if talk:
        rss, cpu, seconds, reasons, name = talk
        answers = ", ".join(f"{k} {v}" for k, v in sorted(reasons.items()))
        print(f"talk  ({name})  RSS median {mib(rss):.1f} MiB, CPU {cpu:.1f} % of one core over {seconds:.0f} s; answers: {answers or 'none'}")
    if latencies:
        q = statistics.quantiles(latencies, n=20) if len(latencies) > 1 else latencies
        print(f"latency speech end -> prediction: median {statistics.median(latencies):.0f} ms, p95 {q[-1]:.0f} ms, min {min(latencies):.0f}, max {max(latencies):.0f} ({len(latencies)} words)")
    print(f"words spoken {len(ends)}, predicted {len(latencies)} ({missed} missed by the VAD or merged), correct {correct} ({100 * correct / len(ends):.1f} %)")
    print(f"exit code {agent.returncode} after SIGTERM")


if __name__ == "__main__":
    main()
