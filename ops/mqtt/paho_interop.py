#!/usr/bin/env python3
"""Runs Eclipse Paho's MQTT interoperability client tests against one broker and prints one line per test.

usage: paho_interop.py PAHO_REPO PORT {3|5} [--skip TEST ...]
  PAHO_REPO  a checkout of eclipse/paho.mqtt.testing (its interoperability/ folder is used as is)
  PORT       the broker's port on 127.0.0.1
  3 | 5      client_test.py (MQTT 3.1.1) or client_test5.py (MQTT 5.0)

The suites parse their own options inside `unittest.main()`, so they are imported as modules here and given the host,
port and topic lists their __main__ blocks would set. Exit status: 0 when every test that ran passed.
"""
import importlib, os, signal, sys, unittest

repo, port, version = sys.argv[1], int(sys.argv[2]), sys.argv[3]
skip = set(sys.argv[sys.argv.index("--skip") + 1:]) if "--skip" in sys.argv else set()
sys.path.insert(0, os.path.join(repo, "interoperability"))
suite_module = importlib.import_module("client_test5" if version == "5" else "client_test")
suite_module.host, suite_module.port = "127.0.0.1", port
suite_module.topics = ("TopicA", "TopicA/B", "Topic/C", "TopicA/C", "/TopicA")
suite_module.wildtopics = ("TopicA/+", "+/C", "#", "/#", "/+", "+/+", "TopicA/#")
suite_module.nosubscribe_topics = ("test/nosubscribe",)
if version == "5":
    suite_module.topic_prefix = ""

PER_TEST_SECONDS = 90  # a test that waits for a message that never comes would otherwise hang the run


class LineResult(unittest.TestResult):
    """Prints each test's verdict as soon as it is known (a long run shows its progress) and bounds each test's time."""

    def __init__(self):
        super().__init__()
        self.verdicts = {}

    def startTest(self, test):
        super().startTest(test)
        signal.alarm(PER_TEST_SECONDS)

    def stopTest(self, test):
        signal.alarm(0)
        name = test._testMethodName
        print(f"{version}\t{name}\t{self.verdicts.get(name, 'pass')}", flush=True)
        super().stopTest(test)

    def addFailure(self, test, err):
        super().addFailure(test, err)
        self.verdicts[test._testMethodName] = "FAIL"

    def addError(self, test, err):
        super().addError(test, err)
        self.verdicts[test._testMethodName] = "TIMEOUT" if err[0] is TimeoutError else "ERROR"


def on_alarm(signum, frame):
    raise TimeoutError(f"no result in {PER_TEST_SECONDS} s")


signal.signal(signal.SIGALRM, on_alarm)
loader = unittest.defaultTestLoader
tests = [t for t in loader.loadTestsFromTestCase(suite_module.Test) if t._testMethodName not in skip]
result = LineResult()
unittest.TestSuite(tests).run(result)
for name in sorted(skip):
    print(f"{version}\t{name}\tskipped")
failed = len(result.verdicts)
print(f"# MQTT {'5.0' if version == '5' else '3.1.1'}: {len(tests) - failed} of {len(tests)} passed, {len(skip)} skipped", file=sys.stderr)
sys.exit(0 if failed == 0 else 1)
