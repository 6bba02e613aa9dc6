"""Threads: one shared Client, the GIL released during sends, close during a send."""

from __future__ import annotations

import ctypes
import threading
from typing import Any, Dict, List, Optional

import pytest

from coveo_ua import Client, ClientClosedError, Result, _ffi
from support import FAST_RETRIES, TOKEN, Emulator, assert_progress_while, custom_event

THREADS = 8
EVENTS_PER_THREAD = 50
JOIN_DEADLINE_S = 120.0


def test_threads_share_one_client_and_every_event_arrives_once(emu: Emulator) -> None:
    results: Dict[str, Result] = {}
    failures: List[BaseException] = []
    guard = threading.Lock()
    start = threading.Barrier(THREADS, timeout=30)

    def worker(client: Client, thread_no: int) -> None:
        try:
            start.wait()
            for i in range(EVENTS_PER_THREAD):
                value = f"t{thread_no}-e{i}"
                result = client.send_custom(custom_event(value))
                with guard:
                    results[value] = result
        except BaseException as exc:  # reported by the main thread
            with guard:
                failures.append(exc)

    with Client(TOKEN, emu.url, **FAST_RETRIES) as client:
        workers = [threading.Thread(target=worker, args=(client, n)) for n in range(THREADS)]
        for thread in workers:
            thread.start()
        for thread in workers:
            thread.join(JOIN_DEADLINE_S)
        assert not any(t.is_alive() for t in workers), "a sender thread did not finish in time"
    assert not failures, f"sends failed: {failures[:3]}"

    expected = {f"t{n}-e{i}" for n in range(THREADS) for i in range(EVENTS_PER_THREAD)}
    assert set(results) == expected
    assert all(r.http_status == 200 and r.attempts == 1 for r in results.values())
    logged = [e["body"]["eventValue"] for e in emu.events()]
    assert len(logged) == THREADS * EVENTS_PER_THREAD, "the emulator logged a different number of events"
    assert set(logged) == expected
    # Each client-side visitor id is the one the emulator recorded for that event.
    by_value = {e["body"]["eventValue"]: e["visitorId"] for e in emu.events()}
    assert all(results[v].visitor_id == by_value[v] for v in expected)


def test_the_library_is_loaded_so_that_calls_release_the_gil() -> None:
    # ctypes drops the GIL around calls of CDLL functions, keeps it for PyDLL.
    assert isinstance(_ffi.lib, ctypes.CDLL) and not isinstance(_ffi.lib, ctypes.PyDLL)
    assert not (_ffi.lib._func_flags_ & ctypes._FUNCFLAG_PYTHONAPI)  # type: ignore[attr-defined]


def _send_in_background(client: Client) -> "tuple[threading.Thread, threading.Event, List[Any]]":
    done = threading.Event()
    outcome: List[Any] = []

    def send() -> None:
        try:
            outcome.append(client.send_custom(custom_event("slow")))
        except BaseException as exc:
            outcome.append(exc)
        finally:
            done.set()

    thread = threading.Thread(target=send)
    thread.start()
    return thread, done, outcome


def test_other_threads_progress_while_a_send_is_blocked(emu: Emulator) -> None:
    emu.add_fault(delay_ms=5000)  # processed normally, after a long pause
    requests_before = emu.stats()["requests"]
    with Client(TOKEN, emu.url, **FAST_RETRIES) as client:
        thread, done, outcome = _send_in_background(client)
        try:
            # Once the emulator holds the request, the sender is inside the C call.
            emu.wait_for_requests(requests_before + 1)
            assert_progress_while(done, "in a send")
        finally:
            thread.join(JOIN_DEADLINE_S)
    assert isinstance(outcome[0], Result) and outcome[0].http_status == 200


def test_close_during_a_send_lets_the_send_finish_then_refuses_new_ones(emu: Emulator) -> None:
    emu.add_fault(delay_ms=1500)
    requests_before = emu.stats()["requests"]
    client = Client(TOKEN, emu.url, **FAST_RETRIES)
    thread, done, outcome = _send_in_background(client)
    emu.wait_for_requests(requests_before + 1)
    client.close()  # must not free the C client under the running send
    assert client.closed
    with pytest.raises(ClientClosedError):
        client.send_custom(custom_event())
    thread.join(JOIN_DEADLINE_S)
    assert done.is_set()
    first: Optional[Any] = outcome[0] if outcome else None
    assert isinstance(first, Result) and first.http_status == 200, f"the in-flight send got {first!r}"
    assert client._handle is None, "the last send out should have freed the C client"
    client.close()
