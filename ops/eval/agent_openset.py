#!/usr/bin/python3
"""Open-set figures as a device lives: the real agent (`edgecl run`), taught through a watched folder, hearing one
unbroken 16 kHz PCM stream on a FIFO (what `arecord | edgecl run` gives it) in which taught words, untaught words,
noise and long stretches of continuous talk follow each other in a seeded order. The agent's own Silero VAD cuts
the stream into utterances, as on a device; each recognised/unknown line is mapped back to the item it came from by
its stream time. The clean condition only: shifts are the offline evaluation's job (`edgecl eval --unknown`).

    /usr/bin/python3 ops/eval/agent_openset.py SET [--binary CMD] [--method ncm-test-centred] [--threshold 0.4] [--seed 1]
        [--backbone speech-ordered] [--gap 0.8] [--no-gate | --min-pause MS] [--min-pause-after-talk MS] [--babble DIR [--babble-db 10]] [--dump answers.jsonl]

SET is a folder with support/<word>/*.wav (all taught), test/<word>/*.wav and unknown/<group>/*.wav (files over 3 s
are continuous talk), e.g. `ops/data/make-independent.sh OUT 2`. Needs sox. The stream is fed as fast as the agent
reads it (the pipe blocks; nothing is dropped), so the figures do not depend on this machine's speed.
Prints: taught words accepted/wrong/unknown/missed by the VAD; untaught clips accepted per group; activations
(accepted utterances) per hour of continuous talk.
"""
import argparse, collections, json, os, pathlib, random, re, shutil, subprocess, sys, tempfile, threading, time

ROOT = pathlib.Path(__file__).resolve().parents[2]
RATE = 16000


def pcm(path):
    """The file as 16 kHz mono signed 16-bit raw bytes (sox converts every layout the sets use)."""
    return subprocess.run(["sox", str(path), "-t", "raw", "-r", str(RATE), "-e", "signed", "-b", "16", "-c", "1", "-"],
                          check=True, capture_output=True).stdout


def quiet(seconds, rng):
    # A live microphone's floor: a few LSB of noise, never digital silence.
    return b"".join(rng.randint(-3, 3).to_bytes(2, "little", signed=True) for _ in range(int(seconds * RATE)))


def active_rms(x):
    """RMS of the samples above 2 % of the peak: the level of the speech, not of the silence around it."""
    import numpy as np
    a = np.abs(x)
    return float(np.sqrt(np.mean(x[a > 0.02 * a.max()].astype(np.float64) ** 2)))


def babble_writer(args, data, words):
    """A write function that adds the talk of --babble, looped, at --babble-db below the taught test clips."""
    import numpy as np
    talk = np.concatenate([np.frombuffer(pcm(p), np.int16) for p in sorted(pathlib.Path(args.babble).glob("*.wav"))])
    clips = np.concatenate([np.frombuffer(pcm(p), np.int16) for w in words for p in sorted((data / "test" / w).glob("*.wav"))])
    gain = active_rms(clips) / active_rms(talk) * 10 ** (-args.babble_db / 20)
    talk = talk.astype(np.float32) * gain
    at = [0]
    print(f"babble: {len(talk) / RATE / 60:.1f} min of talk from {args.babble}, {args.babble_db:g} dB below the taught words", flush=True)

    def write(fd, chunk):
        x = np.frombuffer(chunk, np.int16).astype(np.float32)
        idx = (np.arange(len(x)) + at[0]) % len(talk)
        at[0] += len(x)
        os.write(fd, np.clip(x + talk[idx], -32768, 32767).astype(np.int16).tobytes())

    return write


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("set")
    ap.add_argument("--binary", default=f"dotnet {ROOT}/src/EdgeCL.Cli/bin/Release/net10.0/edgecl.dll")
    ap.add_argument("--method", default="ncm-test-centred")
    ap.add_argument("--backbone", default="speech", help="a folder under models/ (speech, speech-ordered)")
    ap.add_argument("--threshold", type=float)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--gap", type=float, default=0.8, help="seconds of microphone floor between items")
    ap.add_argument("--no-gate", action="store_true",
                    help="answer words run into talk too (recognition.min_pause_before_ms and max_word_ms 0): the figures before the isolated-word gate")
    ap.add_argument("--min-pause", type=int, help="recognition.min_pause_before_ms (default 400)")
    ap.add_argument("--min-pause-after-talk", type=int, help="recognition.min_pause_after_talk_ms (the pause after an utterance the rule answered unknown)")
    ap.add_argument("--foreground-db", type=float, help="vad.foreground_db of the pcm source (default 15)")
    ap.add_argument("--babble", help="a folder of long talk recordings (e.g. another set's unknown/speech) mixed under the "
                    "whole stream after teaching, as a television or other people talking in the room")
    ap.add_argument("--babble-db", type=float, default=10.0,
                    help="how far the babble's active-speech level sits below the taught test clips' (dB; default 10)")
    ap.add_argument("--dump", help="write every answer as JSON Lines (item kind, group, file, label, score, speech span)")
    args = ap.parse_args()
    if not shutil.which("sox"):
        sys.exit("sox is missing: apt-get install sox (ops/setup.sh installs it)")
    data = pathlib.Path(args.set)
    binary = args.binary.split()
    work = pathlib.Path(tempfile.mkdtemp(prefix="edgecl-agent-openset-"))
    teach = work / "teach"
    words = sorted(p.name for p in (data / "support").iterdir() if p.is_dir())
    taught = 0
    for w in words:
        (teach / w).mkdir(parents=True)
        for clip in sorted((data / "support" / w).glob("*.wav")):
            (teach / w / clip.name).write_bytes(clip.read_bytes())
            taught += 1
    fifo = work / "mic.pcm"
    os.mkfifo(fifo)
    config = {
        "device_id": "openset", "backbone": args.backbone, "models_root": str(ROOT / "models"), "state_dir": str(work / "state"),
        "learner": {"method": args.method},
        "sources": [
            {"type": "folder", "path": str(teach), "labels_from_folders": True, "poll_ms": 100},
            {"type": "pcm", "path": str(fifo)} | ({"vad": {"foreground_db": args.foreground_db}} if args.foreground_db is not None else {}),
        ],
    }
    recognition = {}
    if args.threshold is not None:
        recognition["threshold"] = args.threshold
    if args.no_gate:
        recognition.update(min_pause_before_ms=0, min_pause_after_talk_ms=0, max_word_ms=0)
    if args.min_pause is not None:
        recognition["min_pause_before_ms"] = args.min_pause
    if args.min_pause_after_talk is not None:
        recognition["min_pause_after_talk_ms"] = args.min_pause_after_talk
    if recognition:
        config["recognition"] = recognition
    (work / "device.json").write_text(json.dumps(config))
    help_text = subprocess.run(binary + ["run", "--help"], capture_output=True, text=True).stdout
    verbose = ["--verbose"] if "--verbose" in help_text else []  # per-recognition lines are debug where a summary exists
    env = dict(os.environ, ORT_DISABLE_TELEMETRY="1")
    agent = subprocess.Popen(binary + ["run", "--config", str(work / "device.json")] + verbose,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    lines, learned, answers = [], [], []
    # A talk utterance the agent's source did not embed (the isolated-word rule) has a reason and no score.
    pattern = re.compile(r"^.*?(recognised label=(?P<label>\S+) score=(?P<score>\S+)|unknown score=(?P<uscore>\S+) best=(?P<best>\S+)"
                         r"|unknown reason=(?P<gated>\S+) \(not embedded\))"
                         r".*origin=utterance \d+ at (?P<a>[0-9.]+)-(?P<b>[0-9.]+) s")
    last_line = [time.monotonic()]

    def reader():
        for line in agent.stdout:
            last_line[0] = time.monotonic()
            lines.append(line.rstrip())
            if "learned label=" in line:
                learned.append(line)
            m = pattern.match(line)
            if m:
                a, b = float(m.group("a")), float(m.group("b"))
                answers.append((m.group("label"), (a + b) / 2, dict(
                    label=m.group("label"), best=m.group("best") or m.group("label"),
                    score=None if m.group("gated") else float(m.group("score") or m.group("uscore")), start=a, end=b,
                    reason=(re.search(r" reason=(\S+)", line) or [None, None])[1])))

    threading.Thread(target=reader, daemon=True).start()
    fd = os.open(fifo, os.O_WRONLY)  # blocks until the agent opens it
    rng = random.Random(args.seed)
    t0 = time.monotonic()
    position = 0  # samples written so far: the agent's utterance times count from the first one
    while len(learned) < taught:
        if agent.poll() is not None or time.monotonic() - t0 > 300:
            print("\n".join(lines[-20:]))
            sys.exit(f"the agent learned {len(learned)} of {taught} examples")
        chunk = quiet(0.08, rng)
        os.write(fd, chunk)
        position += len(chunk) // 2
    print(f"taught {len(words)} words, {taught} examples, in {time.monotonic() - t0:.0f} s; streaming (method {args.method})", flush=True)

    items = [("known", w, p) for w in words for p in sorted((data / "test" / w).glob("*.wav"))]
    for group in sorted(p.name for p in (data / "unknown").iterdir() if p.is_dir()):
        items += [("unknown", group, p) for p in sorted((data / "unknown" / group).glob("*.wav"))]
    random.Random(args.seed).shuffle(items)
    spans = []
    write = os.write if not args.babble else babble_writer(args, data, words)
    lead = quiet(1.0, rng)
    write(fd, lead)
    position += len(lead) // 2
    for kind, label, path in items:
        audio = pcm(path)
        spans.append((position / RATE, (position + len(audio) // 2) / RATE, kind, label, path))
        write(fd, audio)
        position += len(audio) // 2
        gap = quiet(args.gap, rng)
        write(fd, gap)
        position += len(gap) // 2
    write(fd, quiet(3.0, rng))
    while time.monotonic() - last_line[0] < 10:
        time.sleep(1)
    os.close(fd)
    agent.terminate()
    agent.wait(30)
    shutil.rmtree(work, ignore_errors=True)

    # Each answer belongs to the item whose span (plus the gap after it) holds the utterance's middle.
    starts = [s[0] for s in spans]
    per_item = collections.defaultdict(list)
    import bisect
    dump = open(args.dump, "w") if args.dump else None
    for label, middle, record in answers:
        i = bisect.bisect_right(starts, middle) - 1
        if i >= 0:
            per_item[i].append(label)
            if dump:
                s = spans[i]
                dump.write(json.dumps(dict(record, kind=s[2], group=s[3], file=str(s[4]), item=i,
                                           item_start=s[0], item_end=s[1])) + "\n")
    if dump:
        dump.close()
    known = [(i, s) for i, s in enumerate(spans) if s[2] == "known"]
    correct = sum(1 for i, s in known if s[3] in per_item[i])
    wrong = sum(1 for i, s in known if s[3] not in per_item[i] and any(l is not None for l in per_item[i]))
    missed = sum(1 for i, s in known if not per_item[i])
    rejected = len(known) - correct - wrong - missed
    print(f"taught words ({len(known)} clips): accepted right {100 * correct / len(known):.1f} %, accepted wrong {100 * wrong / len(known):.1f} %, "
          f"unknown {100 * rejected / len(known):.1f} %, no utterance {100 * missed / len(known):.1f} %")
    groups = collections.defaultdict(lambda: [0, 0, 0.0, 0])
    for i, s in enumerate(spans):
        if s[2] != "unknown":
            continue
        g = groups[s[3]]
        accepted = sum(1 for l in per_item[i] if l is not None)
        g[0] += 1
        g[1] += accepted > 0
        g[2] += s[1] - s[0]
        g[3] += accepted
    for name, (n, hit, seconds, activations) in sorted(groups.items()):
        if seconds / n > 3:
            print(f"untaught {name}: {seconds / 60:.1f} min of continuous audio, {activations} accepted utterances = {activations / (seconds / 3600):.0f} per hour")
        else:
            print(f"untaught {name}: {hit} of {n} clips accepted ({100 * hit / n:.1f} %)")
    print(f"utterances answered {len(answers)}; agent exit code {agent.returncode}")


if __name__ == "__main__":
    main()
