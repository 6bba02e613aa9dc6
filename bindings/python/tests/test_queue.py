"""Queue against the emulator: delivery reconciled event by event, outages,
capacity, close, the spool, refusals and options.

Every queue comes from the `make_queue` fixture, which closes it at the end
of the test and checks ENQUEUED + RECOVERED = DELIVERED + FAILED + PENDING.
"""

from __future__ import annotations

import collections
import inspect
import json
import threading
import time
from typing import Any, List

import pytest

from coveo_ua import (
    Client,
    EventKind,
    InvalidArgumentError,
    InvalidObjectError,
    MissingParameterError,
    Queue,
    QueueClosedError,
    QueueFullError,
    SpoolFailedError,
)
from support import (
    FAST_RETRIES,
    TOKEN,
    Emulator,
    FailureLog,
    assert_counter_identity,
    closed_port_endpoint,
    custom_event,
    search_event,
)

# Generous: a loaded 2-core machine must never turn a success into a timeout.
FLUSH_S = 60.0
THREADS = 8
EVENTS_PER_THREAD = 100
OUTAGE_EVENTS = 100
# What one send costs at most when each event retries on its own (1 + max_retries).
ATTEMPTS_PER_EVENT = 1 + FAST_RETRIES["max_retries"]

def test_events_from_eight_threads_are_each_delivered_once(emu: Emulator, make_queue: Any) -> None:
    queue = make_queue()
    failures: List[BaseException] = []
    start = threading.Barrier(THREADS, timeout=30)

    def produce(thread_no: int) -> None:
        try:
            start.wait()
            for i in range(EVENTS_PER_THREAD):
                queue.enqueue_custom(custom_event(f"t{thread_no}-e{i}"))
        except BaseException as exc:  # reported by the main thread
            failures.append(exc)

    producers = [threading.Thread(target=produce, args=(n,)) for n in range(THREADS)]
    for thread in producers:
        thread.start()
    for thread in producers:
        thread.join(FLUSH_S)
    assert not failures, f"enqueues failed: {failures[:3]}"
    assert queue.flush(FLUSH_S)

    total = THREADS * EVENTS_PER_THREAD
    expected = {f"t{n}-e{i}" for n in range(THREADS) for i in range(EVENTS_PER_THREAD)}
    logged = emu.events()
    counts = collections.Counter(e["body"]["eventValue"] for e in logged)
    assert set(counts) == expected, "the emulator logged other events than those enqueued"
    assert all(n == 1 for n in counts.values()), "an event was delivered twice without any fault"
    assert all(e["kind"] == "custom" and e["body"]["eventType"] == "python-test" for e in logged)
    counters = queue.counters
    assert (counters.enqueued, counters.delivered, counters.failed, counters.refused) == (total, total, 0, 0)
    assert (counters.pending, counters.recovered, counters.attempts) == (0, 0, total)
    assert_counter_identity(counters)


def test_a_503_window_is_ridden_out_with_a_few_probes(emu: Emulator, make_queue: Any) -> None:
    queue = make_queue()
    emu.add_fault(duration_ms=1500, status=503)
    values = [f"503-{i}" for i in range(OUTAGE_EVENTS)]
    for value in values:
        queue.enqueue_custom(custom_event(value))
    assert queue.flush(FLUSH_S)

    assert sorted(emu.logged_values()) == sorted(values)
    stats = emu.stats()
    answered_503 = stats["faults_applied"]
    assert answered_503 >= 1, "the outage window was never hit"
    # Each event retrying on its own would have cost ATTEMPTS_PER_EVENT 503s
    # apiece; the shared pause costs fewer than one per event.
    assert answered_503 < OUTAGE_EVENTS, f"{answered_503} requests were answered 503 for {OUTAGE_EVENTS} events"
    assert stats["requests_by_kind"]["custom"] == OUTAGE_EVENTS + answered_503
    counters = queue.counters
    assert (counters.delivered, counters.failed, counters.attempts) == (OUTAGE_EVENTS, 0, stats["requests"])
    assert_counter_identity(counters)


def test_a_refused_connection_window_is_ridden_out_with_a_few_attempts(emu: Emulator, make_queue: Any) -> None:
    queue = make_queue()
    emu.refuse_connections(1500)
    values = [f"refused-{i}" for i in range(OUTAGE_EVENTS)]
    for value in values:
        queue.enqueue_custom(custom_event(value))
    assert queue.flush(FLUSH_S)

    assert sorted(emu.logged_values()) == sorted(values)
    counters = queue.counters
    # Refused connections never reach the emulator: the queue's own count of
    # attempts says what the outage cost.
    wasted = counters.attempts - counters.delivered
    assert wasted >= 1, "no attempt met the refused window"
    assert wasted < OUTAGE_EVENTS, f"{wasted} attempts were refused for {OUTAGE_EVENTS} events"
    assert (counters.delivered, counters.failed) == (OUTAGE_EVENTS, 0)
    assert_counter_identity(counters)


def test_a_full_queue_refuses_at_once(make_queue: Any) -> None:
    # Nothing can be delivered to a closed port, so what is taken stays pending.
    queue = make_queue(closed_port_endpoint(), capacity=(3, 1 << 20), workers=1)
    for i in range(3):
        queue.enqueue_custom(custom_event(f"held-{i}"))
    with pytest.raises(QueueFullError) as caught:
        queue.enqueue_custom(custom_event("one too many"))
    assert "full" in caught.value.message and caught.value.attempts == 0
    counters = queue.counters
    assert (counters.enqueued, counters.refused, counters.pending) == (3, 1, 3)

    by_size = make_queue(closed_port_endpoint(), capacity=(100, 100), workers=1)
    by_size.enqueue_custom(custom_event("fits"))
    with pytest.raises(QueueFullError):
        by_size.enqueue_custom(custom_event("over the bytes"))


def test_close_with_a_hanging_service_gives_every_left_event_to_on_failure(emu: Emulator, make_queue: Any) -> None:
    failed = FailureLog()
    queue = make_queue(workers=2, timeout=120, deadline=300, on_failure=failed)
    emu.add_fault(count=0, action="stall", delay_ms=60000)
    values = [f"hang-{i}" for i in range(10)]
    for value in values:
        queue.enqueue_custom(custom_event(value))
    emu.wait_for_requests(2)  # both workers are held by the service

    started = time.monotonic()
    assert queue.close(0.5) is False
    elapsed = time.monotonic() - started
    # The service would hold the requests for a minute; the close cuts them off.
    assert 0.5 <= elapsed < 10, f"close(0.5) took {elapsed:.2f} s"
    assert failed.values() == sorted(values)
    assert all(kind is EventKind.CUSTOM and type(error) is QueueClosedError for kind, _, error in failed.calls)
    counters = queue.counters
    assert (counters.delivered, counters.failed, counters.pending) == (0, 10, 0)

    again = time.monotonic()
    assert queue.close(0.5) is False, "a second close answers as the first"
    assert time.monotonic() - again < 0.5
    assert len(failed.calls) == 10 and queue.counters == counters


def test_a_closed_queue_refuses_and_keeps_its_final_counters(emu: Emulator, make_queue: Any) -> None:
    queue = make_queue()
    queue.enqueue_custom(custom_event("before close"))
    assert queue.close(FLUSH_S) is True
    assert queue.closed and repr(queue) == "<coveo_ua.Queue closed>"
    final = queue.counters
    assert (final.enqueued, final.delivered, final.pending) == (1, 1, 0)
    with pytest.raises(QueueClosedError):
        queue.enqueue_custom(custom_event("after close"))
    assert queue.flush(1) is True, "nothing is left, so a flush has nothing to wait for"
    assert queue.counters == final
    assert queue.close() is True
    assert emu.logged_values() == ["before close"]


def test_the_spool_carries_events_to_the_next_queue(emu: Emulator, make_queue: Any, tmp_path: Any) -> None:
    spool = tmp_path / "spool"
    failed = FailureLog()
    first = make_queue(closed_port_endpoint(), spool_dir=spool, on_failure=failed)
    values = [f"spooled-{i}" for i in range(7)]
    for value in values:
        first.enqueue_custom(custom_event(value))
    assert first.close(0.05) is False
    left = first.counters
    assert (left.pending, left.failed) == (7, 0), "a close with a spool keeps what is left there"
    assert failed.calls == []
    with pytest.raises(QueueClosedError):
        first.flush(1)

    second = make_queue(spool_dir=spool)
    assert second.counters.recovered == 7
    assert second.flush(FLUSH_S)
    assert sorted(emu.logged_values()) == sorted(values)
    counters = second.counters
    assert (counters.enqueued, counters.recovered, counters.delivered, counters.pending) == (0, 7, 7, 0)


def test_live_queues_share_a_spool_and_one_under_a_file_is_refused(
    emu: Emulator, make_queue: Any, tmp_path: Any
) -> None:
    shared = tmp_path / "shared"
    queues = [make_queue(spool_dir=shared) for _ in range(2)]
    lanes = [p.name for p in shared.iterdir() if p.name.startswith("lane-")]
    assert len(lanes) == 2, f"one lane per live queue: {sorted(lanes)}"
    for i, queue in enumerate(queues):
        queue.enqueue_custom(custom_event(f"shared-{i}"))
        assert queue.flush(FLUSH_S)
        assert (queue.counters.enqueued, queue.counters.delivered) == (1, 1)
    assert sorted(emu.logged_values()) == ["shared-0", "shared-1"]
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    with pytest.raises(SpoolFailedError) as under_file:
        make_queue(spool_dir=blocker / "spool")
    assert str(blocker) in under_file.value.message
    assert isinstance(under_file.value, OSError)


def test_spool_capacity_bounds_the_lane_and_memory_capacity_only_memory(
    make_queue: Any, tmp_path: Any
) -> None:
    # The service is down: nothing leaves. Memory holds 2 events; the lane
    # holds as many records as 1,000 bytes allow, each its JSON and 21 bytes.
    event = custom_event("x" * 40)
    record = len(json.dumps(event, separators=(",", ":"))) + 21
    queue = make_queue(closed_port_endpoint(), capacity=(2, 1 << 20), spool_dir=tmp_path / "spool",
                       spool_capacity=1000)
    taken = 0
    with pytest.raises(QueueFullError) as full:
        for _ in range(1000):
            queue.enqueue_custom(event)
            taken += 1
    assert taken == 1000 // record, f"{taken} events of {record} bytes in a 1,000-byte lane"
    assert "spool capacity 1000 bytes" in full.value.message
    counters = queue.counters
    assert (counters.enqueued, counters.refused, counters.pending) == (taken, 1, taken)


def test_refusals_raise_their_code_with_the_library_message(emu: Emulator, make_queue: Any) -> None:
    queue = make_queue()
    missing = {"eventValue": "v", "language": "en"}
    with pytest.raises(MissingParameterError) as refused:
        queue.enqueue_custom(missing)
    with pytest.raises(MissingParameterError) as sent, Client(TOKEN, emu.url, **FAST_RETRIES) as client:
        client.send_custom(missing)
    assert refused.value.message == sent.value.message, "the queue and a send refuse with the same words"
    assert (refused.value.error_type, refused.value.attempts) == ("MissingParameter", 0)
    with pytest.raises(MissingParameterError) as item:
        queue.enqueue_search_batch([search_event(), {**search_event(), "language": None}])
    assert "Item 1" in item.value.message
    with pytest.raises(InvalidObjectError):
        queue.enqueue_search_batch([])
    with pytest.raises(InvalidArgumentError) as kind:
        queue.enqueue(42, custom_event())
    assert "42" in kind.value.message
    with pytest.raises(InvalidArgumentError):
        queue.enqueue("nonsense", custom_event())  # refused by the binding: not counted
    queue.enqueue_search(search_event())
    queue.enqueue("search_batch", json.dumps([search_event(), search_event()]))
    assert queue.flush(FLUSH_S)
    counters = queue.counters
    assert (counters.refused, counters.enqueued, counters.delivered) == (4, 2, 2)
    assert [e["kind"] for e in emu.events()] == ["search", "search", "search"]


def test_queue_takes_the_client_options_as_client_does() -> None:
    # Queue spells out Client's parameters again (an explicit signature for
    # help() and type checkers) and hands them to the same client_settings:
    # names, order, kinds, defaults and annotations must stay the same.
    client = list(inspect.signature(Client.__init__).parameters.values())
    queue = list(inspect.signature(Queue.__init__).parameters.values())
    assert queue[: len(client)] == client


def test_queue_options_are_judged_by_the_library(emu: Emulator) -> None:
    refused_by_the_library = [
        ({"workers": 257}, "queue workers 257 is out of range"),
        ({"capacity": (0, 10)}, "queue capacity 0 events"),
        ({"max_age": 0}, "queue max age 0 ms is out of range"),
        ({"queue_backoff": (2, 1)}, "queue backoff 2000..1000 ms"),
        ({"spool_fsync_interval": 61}, "spool fsync interval 61000 ms is out of range"),
        ({"spool_capacity": 0}, "spool capacity 0 bytes"),
        ({"endpoint": "http://example.com/rest/ua"}, "plain http"),
    ]
    for options, words in refused_by_the_library:
        options = {"endpoint": emu.url, **options}
        with pytest.raises(InvalidArgumentError) as caught:
            Queue(TOKEN, **options)
        assert words in caught.value.message, f"{options}: {caught.value.message}"
        assert TOKEN not in str(caught.value)
    refused_by_the_binding = [
        ({"workers": "8"}, "workers must be an int"),
        ({"capacity": 5}, "capacity must be a pair"),
        ({"capacity": (1, -1)}, "capacity max_bytes -1 does not fit"),
        ({"spool_capacity": 1.5}, "spool_capacity must be an int"),
        ({"spool_capacity": 2**64}, "spool_capacity 18446744073709551616 does not fit"),
        ({"max_age": -1}, "max_age must be a finite number"),
        ({"queue_backoff": 1}, "queue_backoff must be a pair"),
        ({"on_failure": 5}, "on_failure must be callable"),
        ({"logger": "coveo_ua.queue"}, "logger must be a logging.Logger"),
        ({"close_timeout": float("nan")}, "close_timeout must be a finite number"),
    ]
    for options, words in refused_by_the_binding:
        with pytest.raises(InvalidArgumentError) as caught:
            Queue(TOKEN, emu.url, **options)
        assert words in caught.value.message, f"{options}: {caught.value.message}"
