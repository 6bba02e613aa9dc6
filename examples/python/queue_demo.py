#!/usr/bin/env python3
"""The delivery queue: events handed off in microseconds while the service is
slow, an outage ridden out with a few probes, and a failure heard of through
on_failure.

Run beside an emulator (`make demo` does it): UA_ENDPOINT, UA_TOKEN and
UA_ORG name the service; the emulator's control API makes it slow, then
down, and is put back to normal at the end.
"""

from __future__ import annotations

import logging
import statistics
import sys
import time
from typing import Any, Dict, List

from coveo_ua import Queue, QueueCounters, UAError
from demo_env import ENDPOINT, ORG, TOKEN, emulator

SLOW_MS = 200
SLOW_EVENTS = 80
OUTAGE_MS = 1500
OUTAGE_EVENTS = 200
# The queue's pause starts at 0.1 s and doubles up to 0.5 s: an outage of
# seconds costs the service a probe now and then.
OPTIONS: Dict[str, Any] = {"org": ORG, "timeout": 5.0, "max_retries": 2, "queue_backoff": (0.1, 0.5)}


class FirstLines(logging.Handler):
    """Prints the first few of the library's messages and counts the rest."""

    def __init__(self, shown: int) -> None:
        super().__init__(logging.WARNING)
        self.shown, self.seen = shown, 0

    def emit(self, record: logging.LogRecord) -> None:
        self.seen += 1
        if self.seen <= self.shown:
            print(f"  log {record.levelname.lower()}: {record.getMessage()}")


def event(value: str) -> Dict[str, Any]:
    return {"eventType": "demo", "eventValue": value, "language": "en"}


def show(counters: QueueCounters) -> None:
    print(
        f"  counters: enqueued {counters.enqueued}, delivered {counters.delivered}, failed {counters.failed},"
        f" refused {counters.refused}, pending {counters.pending}, attempts {counters.attempts}"
    )


def enqueue_timed(queue: Queue, prefix: str, count: int) -> List[float]:
    """Enqueues `count` events; the microseconds each call took."""
    took = []
    for i in range(count):
        started = time.perf_counter()
        queue.enqueue_custom(event(f"{prefix}-{i}"))
        took.append((time.perf_counter() - started) * 1e6)
    return took


def slow_service(queue: Queue) -> bool:
    emulator("PUT", "latency", {"latency_ms": SLOW_MS})
    took = enqueue_timed(queue, "slow", SLOW_EVENTS)
    print(
        f"1. {SLOW_EVENTS} events enqueued while each answer takes {SLOW_MS} ms: median"
        f" {statistics.median(took):.1f} us, slowest {max(took):.0f} us per enqueue"
    )
    started = time.monotonic()
    delivered = queue.flush(30)
    print(f"  flush: {'all delivered' if delivered else 'timed out'} after {time.monotonic() - started:.1f} s")
    emulator("PUT", "latency", {"latency_ms": 0})
    show(queue.counters)
    return delivered


def outage(queue: Queue, log: FirstLines) -> bool:
    emulator("DELETE", "stats")
    emulator("POST", "faults", {"duration_ms": OUTAGE_MS, "status": 503})
    enqueue_timed(queue, "outage", OUTAGE_EVENTS)
    print(f"\n2. {OUTAGE_EVENTS} events enqueued into a {OUTAGE_MS / 1000} s outage (every answer a 503):")
    delivered = queue.flush(30)
    stats = emulator("GET", "stats")
    per_event = OUTAGE_EVENTS * (1 + OPTIONS["max_retries"])
    print(
        f"  flush: {'all delivered' if delivered else 'timed out'}; the service answered"
        f" {stats['faults_applied']} requests with 503 (each event retrying alone: up to {per_event});"
        f" {log.seen} warning(s) logged"
    )
    show(queue.counters)
    return delivered


def failure_callback() -> bool:
    heard: List[UAError] = []

    def on_failure(kind: Any, event_json: str, error: UAError) -> None:
        print(f"  on_failure: {kind.name.lower()} event {event_json}")
        print(f"    {type(error).__name__}: {error.message} (HTTP {error.http_status})")
        heard.append(error)

    print("\n3. local checks off, an event without eventType: the service refuses it")
    with Queue(TOKEN, ENDPOINT, local_checks=False, on_failure=on_failure, **OPTIONS) as checkless:
        checkless.enqueue_custom({"eventValue": "no type", "language": "en"})
        checkless.flush(30)
        show(checkless.counters)
    return len(heard) == 1


def main() -> int:
    log = FirstLines(shown=2)
    logging.getLogger("coveo_ua.queue").addHandler(log)
    logging.getLogger("coveo_ua.queue").propagate = False
    try:
        with Queue(TOKEN, ENDPOINT, **OPTIONS) as queue:
            ok = slow_service(queue) and outage(queue, log)
            final = queue.counters
        ok = failure_callback() and ok
    finally:
        # Leave the emulator as it was found, whatever happened.
        emulator("PUT", "latency", {"latency_ms": 0})
        emulator("DELETE", "faults")
    expected = SLOW_EVENTS + OUTAGE_EVENTS
    if not ok or final.delivered != expected or final.enqueued + final.recovered != final.delivered + final.failed:
        print(f"\nqueue_demo: expected {expected} delivered events and one failure", file=sys.stderr)
        return 1
    print(f"\nevery event accounted for: {final.delivered} delivered, {final.failed} failed, {final.pending} pending")
    return 0


if __name__ == "__main__":
    sys.exit(main())
