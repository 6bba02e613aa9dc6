"""A Queue at interpreter exit and across os.fork, each in a fresh Python
process (the scripts below), so that neither an exit nor a fork happens in
the pytest process itself."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import types
from typing import Any, Dict, List

from support import TOKEN, Emulator, assert_counter_identity

# A deadlocked exit would never end: far above what a prompt one takes.
PROCESS_DEADLINE_S = 60.0
LATENCY_MS = 200

# Exits with a queue open and events pending, while a daemon thread is still
# enqueueing; on_failure prints what it hears of on stdout, the library's log
# goes to stderr. The atexit handler registered before coveo_ua is imported
# runs after coveo_ua's own: it prints the final counters and tries to make
# a queue then.
EXIT_SCRIPT = r"""
import atexit, dataclasses, json, logging, sys, threading, time

# on_failure runs on a worker and on the closing thread at once: one line at a time.
said = threading.Lock()

def say(*words):
    with said:
        print(*words, flush=True)

def make_a_queue_too_late():
    say("FINAL", json.dumps(dataclasses.asdict(queue.counters)))
    try:
        coveo_ua.Queue(TOKEN, ENDPOINT)
        say("LATE made")
    except RuntimeError as exc:
        say("LATE refused", exc)

atexit.register(make_a_queue_too_late)
import coveo_ua

TOKEN, ENDPOINT, COUNT = sys.argv[1], sys.argv[2], int(sys.argv[3])
logging.basicConfig(level=logging.DEBUG, stream=sys.stderr, format="%(levelname)s %(name)s %(message)s")

def on_failure(kind, event_json, error):
    say("FAILED", json.loads(event_json)["eventValue"], type(error).__name__)

queue = coveo_ua.Queue(TOKEN, ENDPOINT, workers=2, timeout=120, deadline=300, on_failure=on_failure,
                       close_timeout=1.0)
for i in range(COUNT):
    queue.enqueue_custom({"eventType": "exit-test", "eventValue": f"exit-{i}", "language": "en"})

def keep_enqueueing():
    while True:
        try:
            queue.enqueue_custom({"eventType": "exit-test", "eventValue": "late", "language": "en"})
        except coveo_ua.QueueClosedError:
            say("DAEMON closed")
            return
        time.sleep(0.005)

threading.Thread(target=keep_enqueueing, daemon=True).start()
say("ENQUEUED")
# No close: the interpreter's exit must close the queue.
"""

# Forks with a queue open; the child tries every call on the parent's queue,
# reports through a pipe and ends with sys.exit (atexit handlers run in it).
FORK_SCRIPT = r"""
import dataclasses, json, os, sys, time
import coveo_ua

TOKEN, ENDPOINT = sys.argv[1], sys.argv[2]

def event(value):
    return {"eventType": "fork-test", "eventValue": value, "language": "en"}

queue = coveo_ua.Queue(TOKEN, ENDPOINT, close_timeout=5.0)
queue.enqueue_custom(event("before fork"))
assert queue.flush(60)
read_end, write_end = os.pipe()
pid = os.fork()
if pid == 0:
    outcome = {}
    calls = {
        "enqueue": lambda: queue.enqueue_custom(event("from the child")),
        "flush": lambda: queue.flush(30),
        "close": lambda: queue.close(30),
        "counters": lambda: queue.counters,
    }
    for name, call in calls.items():
        started = time.monotonic()
        try:
            call()
            result = "returned"
        except BaseException as exc:
            result = f"{type(exc).__name__}: {getattr(exc, 'message', exc)}"
        outcome[name] = {"result": result, "seconds": time.monotonic() - started}
    os.write(write_end, json.dumps(outcome).encode())
    sys.exit(0)
os.close(write_end)
with os.fdopen(read_end) as pipe:
    child = json.loads(pipe.read() or "{}")
_, status = os.waitpid(pid, 0)
queue.enqueue_custom(event("after fork"))
flushed = queue.flush(60)
print(json.dumps({"child": child, "child_exit": os.waitstatus_to_exitcode(status), "parent_flush": flushed,
                  "counters": dataclasses.asdict(queue.counters)}))
queue.close()
"""


def _run(script: str, *args: str) -> "subprocess.CompletedProcess[str]":
    return subprocess.run(
        [sys.executable, "-c", script, *args],
        capture_output=True,
        text=True,
        timeout=PROCESS_DEADLINE_S,
        env=dict(os.environ),
    )


def test_exit_closes_an_open_queue_delivering_or_reporting_every_event(emu: Emulator) -> None:
    count = 10
    emu.set_latency(LATENCY_MS)  # a slow service: the exit's grace cannot deliver everything
    emu.add_fault(count=1, action="stall", delay_ms=60000)  # and one request never ends
    started = time.monotonic()
    child = _run(EXIT_SCRIPT, TOKEN, emu.url, str(count))
    elapsed = time.monotonic() - started
    emu.set_latency(0)
    # Requests cut off by the exit were read already: they wait out their
    # latency and may be recorded after all (at least once). Let them land
    # here rather than in the next test's event log.
    time.sleep(LATENCY_MS * 2 / 1000)
    assert child.returncode == 0, f"exit status {child.returncode}; stderr:\n{child.stderr}"
    lines = child.stdout.splitlines()
    assert "ENQUEUED" in lines, child.stdout
    reported: Dict[str, str] = {}
    failed_lines = [line.split() for line in lines if line.startswith("FAILED ")]
    for _, value, error in failed_lines:
        reported[value] = error
    final = [json.loads(line[len("FINAL ") :]) for line in lines if line.startswith("FINAL ")]
    assert len(final) == 1, child.stdout
    assert_counter_identity(types.SimpleNamespace(**final[0]))
    assert final[0]["pending"] == 0 and final[0]["failed"] == len(failed_lines), "each failure reported once"
    expected = {f"exit-{i}" for i in range(count)}
    delivered = set(emu.logged_values()) & expected
    assert delivered | (set(reported) & expected) == expected, (
        f"lost at exit: {sorted(expected - delivered - set(reported))}"
    )
    assert reported, "the stalled event can only have been given up at exit"
    assert set(reported.values()) == {"QueueClosedError"}, reported
    assert "INFO coveo_ua.queue queue closed" in child.stderr, "the log callback did not run at exit"
    assert any(line.startswith("DAEMON ") for line in lines), "the enqueueing thread never saw the close"
    assert any(line.startswith("LATE refused") for line in lines), lines
    # A close of 1 s plus the library's stop grace, against a 60 s stall.
    assert elapsed < PROCESS_DEADLINE_S / 2, f"the process took {elapsed:.1f} s to exit"


def test_a_forked_child_gets_queue_closed_at_once_and_the_parent_goes_on(emu: Emulator) -> None:
    child = _run(FORK_SCRIPT, TOKEN, emu.url)
    assert child.returncode == 0, f"exit status {child.returncode}; stderr:\n{child.stderr}"
    report: Dict[str, Any] = json.loads(child.stdout.strip().splitlines()[-1])
    outcome = report["child"]
    assert set(outcome) == {"enqueue", "flush", "close", "counters"}, report
    for name, seen in outcome.items():
        assert seen["result"].startswith("QueueClosedError: "), f"{name} in the child: {seen['result']}"
        assert seen["seconds"] < 30, f"{name} in the child waited {seen['seconds']:.1f} s"
    assert "fork" in outcome["enqueue"]["result"], "the library says why: a fork"
    assert report["child_exit"] == 0
    assert report["parent_flush"] is True
    logged: List[str] = [e["body"]["eventValue"] for e in emu.events() if e["body"]["eventType"] == "fork-test"]
    assert logged == ["before fork", "after fork"]
    counters = report["counters"]
    assert (counters["enqueued"], counters["delivered"], counters["refused"]) == (2, 2, 0)
    assert_counter_identity(types.SimpleNamespace(**counters))
