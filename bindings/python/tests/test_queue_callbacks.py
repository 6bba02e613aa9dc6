"""Queue callbacks and threads: on_failure, the library's log through the
logging module, callbacks that raise or call back into their queue, and the
GIL released while a thread waits in flush."""

from __future__ import annotations

import json
import logging
import threading
import time
from typing import Any, List

import pytest

import coveo_ua
from coveo_ua import EventKind, MissingParameterError
from support import Emulator, Failure, assert_progress_while, custom_event

FLUSH_S = 60.0
LOGGER_NAME = coveo_ua.queue.LOGGER_NAME


def _records(caplog: Any, name: str = LOGGER_NAME) -> List[logging.LogRecord]:
    return [r for r in caplog.records if r.name == name]


def test_on_failure_gets_kind_json_and_error_and_may_enqueue(emu: Emulator, make_queue: Any) -> None:
    seen: List[Failure] = []

    def on_failure(kind: Any, event_json: str, error: coveo_ua.UAError) -> None:
        seen.append((kind, event_json, error))
        queue.enqueue_custom({**json.loads(event_json), "eventType": "fixed"})

    queue = make_queue(local_checks=False, on_failure=on_failure)
    broken = '{"eventValue":"no type","language":"en"}'
    queue.enqueue_custom(broken)
    assert queue.flush(FLUSH_S)
    assert queue.flush(FLUSH_S), "the event enqueued by on_failure is delivered too"
    assert len(seen) == 1
    kind, event_json, error = seen[0]
    assert kind is EventKind.CUSTOM and event_json == broken
    assert type(error) is MissingParameterError
    assert (error.http_status, error.error_type, error.attempts) == (400, "MissingParameter", 1)
    assert "eventType" in error.message
    assert [e["body"]["eventType"] for e in emu.events()] == ["fixed"]
    counters = queue.counters
    assert (counters.enqueued, counters.delivered, counters.failed) == (2, 1, 1)


@pytest.mark.parametrize("exception", [ValueError("boom"), SystemExit(3), KeyboardInterrupt()])
def test_an_on_failure_that_raises_does_not_stop_the_worker(
    emu: Emulator, make_queue: Any, caplog: Any, exception: BaseException
) -> None:
    calls: List[coveo_ua.UAError] = []

    def on_failure(kind: Any, event_json: str, error: coveo_ua.UAError) -> None:
        calls.append(error)
        raise exception

    queue = make_queue(workers=1, local_checks=False, on_failure=on_failure)
    queue.enqueue_custom({"eventValue": "no type", "language": "en"})
    queue.enqueue_custom(custom_event("after the raise"))
    assert queue.flush(FLUSH_S)
    assert len(calls) == 1 and isinstance(calls[0], MissingParameterError)
    assert emu.logged_values() == ["after the raise"], "the only worker died with the callback"
    reported = [r for r in caplog.records if r.name == coveo_ua.queue.LOGGER_NAME and r.exc_info]
    assert len(reported) == 1 and reported[0].exc_info[0] is type(exception)
    assert "on_failure" in reported[0].getMessage()


def test_flush_or_close_from_an_own_callback_raises_instead_of_hanging(make_queue: Any) -> None:
    outcomes: List[str] = []

    def on_failure(kind: Any, event_json: str, error: coveo_ua.UAError) -> None:
        for call in (lambda: queue.flush(1), lambda: queue.close(1)):
            try:
                call()
                outcomes.append("returned")
            except RuntimeError as exc:
                outcomes.append(str(exc))

    queue = make_queue(local_checks=False, on_failure=on_failure)
    queue.enqueue_custom({"eventValue": "no type", "language": "en"})
    assert queue.flush(FLUSH_S)
    assert len(outcomes) == 2 and all("own on_failure or log callback" in o for o in outcomes), outcomes
    assert not queue.closed


def test_library_messages_reach_the_logger_at_their_levels(emu: Emulator, make_queue: Any, caplog: Any) -> None:
    caplog.set_level(logging.DEBUG, logger=LOGGER_NAME)
    # No retries inside a send: the 503 ends it, and the queue pauses.
    queue = make_queue(workers=1, max_retries=0, local_checks=False)
    emu.add_fault(count=1, status=503)
    queue.enqueue_custom(custom_event("after a 503"))
    queue.enqueue_custom({"eventValue": "no type", "language": "en"})
    assert queue.flush(FLUSH_S)
    assert queue.close(FLUSH_S) is True
    records = _records(caplog)
    levels = {r.levelno for r in records}
    assert levels == {logging.ERROR, logging.WARNING, logging.INFO, logging.DEBUG}, records
    by_level = {level: [r.getMessage() for r in records if r.levelno == level] for level in levels}
    assert any("pauses" in m for m in by_level[logging.WARNING])
    assert any("sent again" in m for m in by_level[logging.DEBUG])
    assert any("delivery resumes" in m for m in by_level[logging.INFO])
    assert any("queue closed" in m for m in by_level[logging.INFO])
    assert any("failed for good" in m and "MISSING_PARAMETER" in m for m in by_level[logging.ERROR])
    assert emu.logged_values() == ["after a 503"]


def test_the_log_level_is_the_loggers_when_the_queue_is_made(emu: Emulator, make_queue: Any, caplog: Any) -> None:
    logger = logging.getLogger(f"{LOGGER_NAME}.level-test")
    logger.setLevel(logging.WARNING)
    try:
        queue = make_queue(workers=1, max_retries=0, logger=logger)
        # Too late: the library was asked for warnings and errors only.
        logger.setLevel(logging.DEBUG)
        emu.add_fault(count=1, status=503)
        queue.enqueue_custom(custom_event("after a 503"))
        assert queue.flush(FLUSH_S)
        assert queue.close(FLUSH_S) is True
    finally:
        logger.setLevel(logging.NOTSET)
    records = _records(caplog, logger.name)
    assert any("pauses" in r.getMessage() for r in records if r.levelno == logging.WARNING)
    assert all(r.levelno >= logging.WARNING for r in records), [r.getMessage() for r in records]
    assert not _records(caplog), "a queue given a logger logs nothing to the default one"


def test_other_threads_run_python_while_one_waits_in_flush(emu: Emulator, make_queue: Any) -> None:
    queue = make_queue(workers=1)
    emu.add_fault(delay_ms=5000)  # answered normally, after a long pause
    queue.enqueue_custom(custom_event("slow"))
    emu.wait_for_requests(1)  # the worker holds the request: a flush now waits for it
    entering, done = threading.Event(), threading.Event()
    outcome: List[Any] = []

    def flush() -> None:
        entering.set()
        try:
            outcome.append(queue.flush(FLUSH_S))
        finally:
            done.set()

    flusher = threading.Thread(target=flush)
    flusher.start()
    try:
        assert entering.wait(FLUSH_S)
        # Time for the flusher to get into the C call. Were the GIL held
        # there, this sleep could only end once the flush returned.
        time.sleep(0.2)
        assert_progress_while(done, "in flush")
    finally:
        flusher.join(FLUSH_S)
    assert outcome == [True] and emu.logged_values() == ["slow"]
