"""A Queue at interpreter exit and across fork (os.fork, libc's fork,
multiprocessing), each in a fresh Python process (the scripts below), so
that neither an exit nor a fork happens in the pytest process itself; and
the lanes of processes that ended without a close, adopted by a new queue."""

from __future__ import annotations

import collections
import dataclasses
import json
import os
import subprocess
import sys
import time
import types
from pathlib import Path
from typing import Any, Dict

import pytest

from support import TOKEN, Emulator, assert_counter_identity, closed_port_endpoint

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

# What every fork script below starts with: the emulator's control API, an
# event, the counters as a dict, a bounded wait. Forked children end by an
# alarm if something hangs, so none outlives a failed test.
PRELUDE = r"""
import dataclasses, json, os, signal, sys, threading, time, urllib.request
import coveo_ua

TOKEN, ENDPOINT = sys.argv[1], sys.argv[2]
ROOT = ENDPOINT[: -len("/rest/ua")]
# Generous timeouts: on a busy machine a slow answer must not be taken for a
# lost one and sent again (the tests count each event exactly once).
OPTIONS = dict(queue_backoff=(0.02, 0.2), backoff=(0.005, 0.02), max_retries=1, close_timeout=5.0,
               timeout=10.0, deadline=30.0)
CHILD_DEADLINE_S = 50

def control(method, path, body=None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(f"{ROOT}/_emulator/{path}", data=data, method=method,
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as answer:
        answer.read()

def event(value):
    return {"eventType": "fork-test", "eventValue": value, "language": "en"}

def counters(queue):
    return dataclasses.asdict(queue.counters)

def wait_until(check, what, seconds=30):
    end = time.monotonic() + seconds
    while not check():
        if time.monotonic() > end:
            raise AssertionError(f"{what} did not happen within {seconds} s")
        time.sleep(0.005)
"""

# The parent's events wait (the service answers 503) while two forked
# children enqueue through the parent's queue. The service comes back; each
# child flushes and reports its counters, then ends with sys.exit (its atexit
# closes its queue); the parent flushes its own. (A fork that runs none of
# Python's fork hooks is uWSGI's, in test_prefork_servers.py.)
FORK_SCRIPT = PRELUDE + r"""
CHILDREN, EACH = 2, 5

queue = coveo_ua.Queue(TOKEN, ENDPOINT, **OPTIONS)
control("POST", "faults", {"status": 503, "count": 0})
for i in range(EACH):
    queue.enqueue_custom(event(f"parent-{i}"))
wait_until(lambda: queue.counters.attempts > 0, "a first try of the parent's events")
children = []
for c in range(CHILDREN):
    go_read, go_write = os.pipe()
    report_read, report_write = os.pipe()
    pid = os.fork()
    if pid == 0:
        signal.alarm(CHILD_DEADLINE_S)
        report = {}
        try:
            report["first"] = counters(queue)
            for i in range(EACH):
                queue.enqueue_custom(event(f"child{c}-{i}"))
            os.write(report_write, b"enqueued\n")
            os.read(go_read, 1)
            report["flushed"] = queue.flush(30)
            report["counters"] = counters(queue)
        except BaseException as exc:
            report["error"] = f"{type(exc).__name__}: {exc}"
        os.write(report_write, (json.dumps(report) + "\n").encode())
        sys.exit(0)
    os.close(go_read)
    os.close(report_write)
    children.append((pid, go_write, os.fdopen(report_read)))
enqueued = [reports.readline().strip() for _, _, reports in children]
control("DELETE", "faults")
for _, go, _ in children:
    os.write(go, b"g")
reports = [json.loads(reports.readline() or "{}") for _, _, reports in children]
exits = [os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) for pid, _, _ in children]
flushed = queue.flush(30)
print(json.dumps({"enqueued": enqueued, "children": reports, "exits": exits, "flushed": flushed,
                  "counters": counters(queue)}))
queue.close()
"""

# The same with multiprocessing's fork start method. The children enqueue
# and return without flush or close: multiprocessing ends them with
# os._exit, and only the close its exit finalizers run delivers what one
# worker thread could not send in the time (the service answers 300 ms late).
MULTIPROCESSING_SCRIPT = PRELUDE + r"""
import multiprocessing
CHILDREN, EACH = 2, 5

def child(c, go, reports):
    signal.alarm(CHILD_DEADLINE_S)
    go.wait(30)
    first = counters(queue)
    for i in range(EACH):
        queue.enqueue_custom(event(f"mp{c}-{i}"))
    reports.put({"child": c, "first": first, "after": counters(queue)})

if __name__ == "__main__":
    queue = coveo_ua.Queue(TOKEN, ENDPOINT, **{**OPTIONS, "workers": 1})
    control("POST", "faults", {"status": 503, "count": 0})
    for i in range(EACH):
        queue.enqueue_custom(event(f"parent-{i}"))
    wait_until(lambda: queue.counters.attempts > 0, "a first try of the parent's events")
    context = multiprocessing.get_context("fork")
    go, reports = context.Event(), context.SimpleQueue()
    processes = [context.Process(target=child, args=(c, go, reports)) for c in range(CHILDREN)]
    for process in processes:
        process.start()
    control("DELETE", "faults")
    control("PUT", "latency", {"latency_ms": 300})
    go.set()
    for process in processes:
        process.join(CHILD_DEADLINE_S)
    exits = [process.exitcode for process in processes]
    child_reports = sorted((reports.get() for _ in processes), key=lambda r: r["child"])
    control("PUT", "latency", {"latency_ms": 0})
    flushed = queue.flush(30)
    print(json.dumps({"children": child_reports, "exits": exits, "flushed": flushed,
                      "counters": counters(queue)}))
    queue.close()
"""

# A thread of the parent holds the queue's lock for this process and the
# module's lock while the main thread forks: the child must use its own.
LOCK_HELD_SCRIPT = PRELUDE + r"""
queue = coveo_ua.Queue(TOKEN, ENDPOINT, **OPTIONS)
holding, release = threading.Event(), threading.Event()

def hold():
    with queue._here().cond, coveo_ua._lifetime._lock():
        holding.set()
        release.wait(60)

threading.Thread(target=hold).start()
holding.wait(10)
pid = os.fork()
if pid == 0:
    signal.alarm(CHILD_DEADLINE_S)
    queue.enqueue_custom(event("child of a held lock"))
    sys.exit(0 if queue.flush(30) else 3)
_, status = os.waitpid(pid, 0)
release.set()
print(json.dumps({"child_exit": os.waitstatus_to_exitcode(status)}))
queue.close()
"""

# A blocking Client made before the fork: the parent's pool holds a
# keep-alive connection and another parent thread holds the Client's lock at
# the fork. Each child's answers must be its own (the answer names the
# request's clientId), and the parent's too.
CLIENT_SCRIPT = PRELUDE + r"""
import uuid
client = coveo_ua.Client(TOKEN, ENDPOINT, timeout=10.0)

def own_answer(tag):
    client_id = str(uuid.uuid4())
    result = client.send_custom(dict(event(tag), clientId=client_id))
    return json.loads(result.body)["clientId"] == client_id

assert own_answer("parent before")
holding, release = threading.Event(), threading.Event()

def hold():
    with client._lock:
        holding.set()
        release.wait(60)

threading.Thread(target=hold).start()
holding.wait(10)
pids = []
for w in range(3):
    pid = os.fork()
    if pid == 0:
        signal.alarm(CHILD_DEADLINE_S)
        wrong = sum(not own_answer(f"child{w}-{i}") for i in range(20))
        client.close()
        os._exit(min(wrong, 100))
    pids.append(pid)
release.set()
parent_wrong = sum(not own_answer(f"parent-{i}") for i in range(20))
exits = [os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) for pid in pids]
print(json.dumps({"exits": exits, "parent_wrong": parent_wrong}))
client.close()
"""

# A child that never uses the queue and one that does, on a spool: the
# library's log (with process ids) shows what each started.
UNUSED_SCRIPT = PRELUDE + r"""
import logging
SPOOL = sys.argv[3]
logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(process)d %(message)s")
queue = coveo_ua.Queue(TOKEN, ENDPOINT, spool_dir=SPOOL, **OPTIONS)
exits, pids = [], []
for use in (False, True):
    pid = os.fork()
    if pid == 0:
        signal.alarm(CHILD_DEADLINE_S)
        if use:
            queue.enqueue_custom(event("used in a child"))
            queue.flush(30)
        sys.exit(0)
    exits.append(os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]))
    pids.append(pid)
lanes = sorted(name for name in os.listdir(SPOOL) if name.startswith("lane-"))
print(json.dumps({"parent": os.getpid(), "unused": pids[0], "used": pids[1], "exits": exits, "lanes": lanes}))
queue.close()
"""

# Rounds of eight forked children, released at once through a pipe, each
# making its first call on the parent's queue (which makes the child's lane
# in the shared spool directory) and flushing: as a pre-fork server's workers
# taking their first requests together.
STARTING_TOGETHER_SCRIPT = PRELUDE + r"""
SPOOL, ROUNDS, CHILDREN = sys.argv[3], 5, 8
queue = coveo_ua.Queue(TOKEN, ENDPOINT, spool_dir=SPOOL, **OPTIONS)
refused = []
for r in range(ROUNDS):
    go_read, go_write = os.pipe()
    report_read, report_write = os.pipe()
    pids = []
    for c in range(CHILDREN):
        pid = os.fork()
        if pid == 0:
            signal.alarm(CHILD_DEADLINE_S)
            os.read(go_read, 1)
            try:
                queue.enqueue_custom(event(f"together{r}-{c}"))
                line = "ok" if queue.flush(30) else "not flushed"
            except coveo_ua.UAError as exc:
                line = f"{type(exc).__name__}: {exc.message}"
            os.write(report_write, (line + "\n").encode())
            sys.exit(0)
        pids.append(pid)
    os.close(report_write)
    time.sleep(0.2)  # every child waits on the pipe
    os.write(go_write, b"g" * CHILDREN)
    with os.fdopen(report_read) as reports:
        refused += [line.strip() for line in reports if line.strip() != "ok"]
    for pid in pids:
        os.waitpid(pid, 0)
print(json.dumps({"refused": refused, "calls": ROUNDS * CHILDREN}))
queue.close()
"""

# Eight forked children enqueue into their lanes of one spool directory
# while the service is unreachable (one after the other: children starting
# together are the test above), hold their lanes until all have enqueued,
# then end with os._exit: no close. The parent ends the same way.
EIGHT_LANES_SCRIPT = PRELUDE + r"""
SPOOL, PROCESSES, EACH = sys.argv[3], 8, 25
queue = coveo_ua.Queue(TOKEN, ENDPOINT, spool_dir=SPOOL, **{**OPTIONS, "workers": 1})
ready_read, ready_write = os.pipe()
go_read, go_write = os.pipe()
pids, refused = [], []
for c in range(PROCESSES):
    pid = os.fork()
    if pid == 0:
        signal.alarm(CHILD_DEADLINE_S)
        try:
            for i in range(EACH):
                queue.enqueue_custom(event(f"lane{c}-{i}"))
            os.write(ready_write, b"r")
        except coveo_ua.UAError as exc:
            os.write(ready_write, f"{type(exc).__name__}: {exc.message}".encode()[:500])
            os._exit(1)
        os.read(go_read, 1)
        os._exit(0)
    pids.append(pid)
    said = os.read(ready_read, 500)
    if said != b"r":
        refused.append(said.decode(errors="replace"))
os.write(go_write, b"g" * PROCESSES)
exits = [os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) for pid in pids]
print(json.dumps({"exits": exits, "each": EACH, "refused": refused}), flush=True)
os._exit(0)
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


def _report(child: "subprocess.CompletedProcess[str]") -> Dict[str, Any]:
    """The JSON line a script printed last, once it exited with 0."""
    assert child.returncode == 0, f"exit status {child.returncode}; stderr:\n{child.stderr[-4000:]}"
    return dict(json.loads(child.stdout.strip().splitlines()[-1]))


def _assert_counters(counters: Dict[str, int], enqueued: int, delivered: int, recovered: int = 0) -> None:
    assert_counter_identity(types.SimpleNamespace(**counters))
    got = (counters["enqueued"], counters["delivered"], counters["recovered"], counters["pending"])
    assert got == (enqueued, delivered, recovered, 0), counters


def _assert_fresh(counters: Dict[str, int]) -> None:
    """A child's first counters: its own queue, just started, with nothing counted yet."""
    counted = {name: value for name, value in counters.items() if name != "workers"}
    assert set(counted.values()) == {0}, f"a child's counters start from zero: {counters}"
    assert counters["workers"] > 0, f"the child's own queue runs workers: {counters}"


def test_forked_children_use_the_parents_queue_as_their_own(emu: Emulator) -> None:
    report = _report(_run(FORK_SCRIPT, TOKEN, emu.url))
    assert report["exits"] == [0, 0] and report["enqueued"] == ["enqueued", "enqueued"], report
    for seen in report["children"]:
        assert "error" not in seen, seen
        _assert_fresh(seen["first"])
        assert seen["flushed"] is True
        _assert_counters(seen["counters"], enqueued=5, delivered=5)
    assert report["flushed"] is True
    _assert_counters(report["counters"], enqueued=5, delivered=5)
    expected = [f"parent-{i}" for i in range(5)] + [f"child{c}-{i}" for c in range(2) for i in range(5)]
    # Each exactly once: no child sent one of the parent's events, nor the parent a child's.
    assert collections.Counter(emu.logged_values()) == collections.Counter(expected)


def test_multiprocessing_children_use_the_parents_queue_and_their_exit_closes_it(emu: Emulator) -> None:
    report = _report(_run(MULTIPROCESSING_SCRIPT, TOKEN, emu.url))
    assert report["exits"] == [0, 0], report
    for seen in report["children"]:
        _assert_fresh(seen["first"])
        after = seen["after"]
        assert after["enqueued"] == 5 and after["recovered"] == 0, after
        assert_counter_identity(types.SimpleNamespace(**after))
    assert report["flushed"] is True
    _assert_counters(report["counters"], enqueued=5, delivered=5)
    expected = [f"parent-{i}" for i in range(5)] + [f"mp{c}-{i}" for c in range(2) for i in range(5)]
    assert collections.Counter(emu.logged_values()) == collections.Counter(expected), (
        "a child's events still in memory when it returned are delivered by the close its exit runs"
    )


def test_a_child_never_waits_on_a_lock_a_parent_thread_held_at_the_fork(emu: Emulator) -> None:
    report = _report(_run(LOCK_HELD_SCRIPT, TOKEN, emu.url))
    assert report["child_exit"] == 0, f"the child ended with {report['child_exit']} (-14: it hung)"
    assert emu.logged_values() == ["child of a held lock"]


def test_a_client_made_before_a_fork_answers_each_process_its_own(emu: Emulator) -> None:
    report = _report(_run(CLIENT_SCRIPT, TOKEN, emu.url))
    # An exit of -14 is a child that hung on the lock; a positive one counts
    # answers meant for another process.
    assert report["exits"] == [0, 0, 0], report
    assert report["parent_wrong"] == 0, report
    assert len(emu.logged_values()) == 1 + 3 * 20 + 20


def test_a_child_that_never_uses_the_queue_starts_nothing(emu: Emulator, tmp_path: Path) -> None:
    spool = tmp_path / "spool"
    child = _run(UNUSED_SCRIPT, TOKEN, emu.url, str(spool))
    report = _report(child)
    assert report["exits"] == [0, 0], report
    lines = child.stderr.splitlines()
    said = {name: [line for line in lines if line.startswith(f"{report[name]} ")] for name in ("unused", "used")}
    assert said["unused"] == [], f"the child that never used the queue started it: {said['unused']}"
    assert any("recovered from" in line for line in said["used"]), f"the using child's start: {said['used']}"
    assert any("queue closed" in line for line in said["used"]), f"its exit closed it: {said['used']}"
    assert len(report["lanes"]) == 1, f"only the parent's lane is left: {report['lanes']}"
    assert emu.logged_values() == ["used in a child"]


def test_children_starting_their_queues_at_once_on_one_spool_are_all_taken(emu: Emulator, tmp_path: Path) -> None:
    # Forked children copy their parent's random state: a lane's temporary
    # name made of a random number alone collided when they started their
    # queues at once ("File exists"), and their first enqueue was refused.
    report = _report(_run(STARTING_TOGETHER_SCRIPT, TOKEN, emu.url, str(tmp_path / "spool")))
    assert report["refused"] == [], f"{len(report['refused'])} of {report['calls']} first calls refused: " \
                                    f"{report['refused'][:3]}"
    assert len(emu.logged_values()) == report["calls"]


def test_lanes_left_by_eight_killed_processes_are_adopted_by_one_new_queue(
    emu: Emulator, make_queue: Any, tmp_path: Path
) -> None:
    spool = tmp_path / "spool"
    report = _report(_run(EIGHT_LANES_SCRIPT, TOKEN, closed_port_endpoint(), str(spool)))
    assert report["refused"] == [] and report["exits"] == [0] * 8, report
    each = report["each"]
    lanes = [p.name for p in spool.iterdir() if p.name.startswith("lane-")]
    assert len(lanes) == 9, f"eight children's lanes and the parent's: {sorted(lanes)}"
    queue = make_queue(spool_dir=spool)
    assert queue.counters.recovered == 8 * each
    assert queue.flush(PROCESS_DEADLINE_S)
    _assert_counters(dataclasses.asdict(queue.counters), enqueued=0, delivered=8 * each, recovered=8 * each)
    expected = [f"lane{c}-{i}" for c in range(8) for i in range(each)]
    assert collections.Counter(emu.logged_values()) == collections.Counter(expected)
    assert queue.close() is True
    assert [p.name for p in spool.iterdir() if p.name.startswith("lane-")] == [], "settled lanes are removed"
