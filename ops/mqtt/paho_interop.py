#!/usr/bin/env python3
"""Runs Eclipse Paho's MQTT interoperability client tests against one broker and prints one line per test.

usage: paho_interop.py PAHO_REPO PORT {3|5} [--skip TEST ...]
  PAHO_REPO  a checkout of eclipse/paho.mqtt.testing (its interoperability/ folder is used as is)
  PORT       the broker's port on 127.0.0.1
  3 | 5      client_test.py (MQTT 3.1.1) or client_test5.py (MQTT 5.0)

stdout: "VERSION<TAB>TEST<TAB>pass|flaky|FAIL|TIMEOUT|skipped" per test (flaky: failed, then passed on a rerun); the suites' own output and each failure's
traceback go to stderr. Each test runs in its own process with a time limit: some tests loop until the broker
disconnects them, and their client swallows exceptions, so nothing in-process could stop one. The suites parse their
own options inside `unittest.main()`, so they are imported as modules here and given the host, port and topic lists
their __main__ blocks would set. Exit status: 0 when every test that ran passed.
"""
import importlib, os, subprocess, sys, unittest

PER_TEST_SECONDS = 120

repo, port, version = sys.argv[1], int(sys.argv[2]), sys.argv[3]
sys.path.insert(0, os.path.join(repo, "interoperability"))


def load():
    suite_module = importlib.import_module("client_test5" if version == "5" else "client_test")
    suite_module.host, suite_module.port = "127.0.0.1", port
    suite_module.topics = ("TopicA", "TopicA/B", "Topic/C", "TopicA/C", "/TopicA")
    suite_module.wildtopics = ("TopicA/+", "+/C", "#", "/#", "/+", "+/+", "TopicA/#")
    suite_module.nosubscribe_topics = ("test/nosubscribe",)
    suite_module.topic_prefix = ""
    return suite_module


if "--one" in sys.argv:
    # Child: one test, its output to stderr; exit 0 when it passed.
    name = sys.argv[sys.argv.index("--one") + 1]
    sys.stdout = sys.stderr
    result = unittest.TextTestRunner(stream=sys.stderr, verbosity=2).run(unittest.TestSuite([load().Test(name)]))
    sys.exit(0 if result.wasSuccessful() else 1)

skip = set(sys.argv[sys.argv.index("--skip") + 1:]) if "--skip" in sys.argv else set()
names = [n for n in unittest.defaultTestLoader.getTestCaseNames(load().Test) if n not in skip]
failed = 0


def run_one(name):
    print(f"=== {name}", file=sys.stderr, flush=True)
    try:
        code = subprocess.run([sys.executable, __file__, repo, str(port), version, "--one", name],
                              stdout=sys.stderr, stderr=sys.stderr, timeout=PER_TEST_SECONDS).returncode
        return "pass" if code == 0 else "FAIL"
    except subprocess.TimeoutExpired:
        return "TIMEOUT"


for name in names:
    verdict = run_one(name)
    if verdict != "pass" and run_one(name) == "pass":
        verdict = "flaky"  # failed, then passed alone: several tests race the broker (they do not wait for UNSUBACK)
    failed += verdict not in ("pass", "flaky")
    print(f"{version}\t{name}\t{verdict}", flush=True)
skipped = sorted(skip & set(unittest.defaultTestLoader.getTestCaseNames(load().Test)))  # only this suite's tests
for name in skipped:
    print(f"{version}\t{name}\tskipped")
print(f"# MQTT {'5.0' if version == '5' else '3.1.1'}: {len(names) - failed} of {len(names)} passed (flaky included), {len(skipped)} skipped", file=sys.stderr)
sys.exit(0 if failed == 0 else 1)
