"""AsyncClient and the queue's async waits (pytest-asyncio): the loop keeps
ticking while sends and flushes wait on the emulator, cancelling a task
cancels its wait, and failures are the same exception classes as Client's."""

from __future__ import annotations

import asyncio
import gc
import inspect
import multiprocessing
import threading
import time
from typing import Any, Callable, Dict, List, Tuple

import pytest

from coveo_ua import (
    AsyncClient,
    Client,
    ClientClosedError,
    InvalidArgumentError,
    InvalidTokenError,
    MissingParameterError,
    Result,
    ServerError,
)
from coveo_ua._waits import WaitThreads
from coveo_ua.async_client import THREAD_NAME
from support import FAST_RETRIES, TOKEN, Emulator, click_event, custom_event, search_event, view_event

#: What the emulator makes every request wait in the responsiveness tests.
SLOW_MS = 500
#: The ticker's period.
TICK_S = 0.010
#: Ticks a wait of SLOW_MS must see to show the loop was free: a loop blocked
#: by the wait sees at most one (the ticker runs again only once it ends); a
#: free one about SLOW_MS / TICK_S = 50, and still dozens on a machine so
#: loaded that single gaps between ticks reach a few hundred milliseconds.
MIN_TICKS = 5


class Ticker:
    """A task that records when it ticks, every TICK_S, until stopped."""

    def __init__(self) -> None:
        self.times: List[float] = []
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        while True:
            self.times.append(time.monotonic())
            await asyncio.sleep(TICK_S)

    def ticks_between(self, start: float, end: float) -> int:
        """Ticks strictly between two moments of time.monotonic()."""
        return sum(start < t < end for t in self.times)

    async def stop(self) -> None:
        self._task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await self._task


async def ticks_during(ticker: Ticker, wait: Any) -> Tuple[Any, int, float]:
    """Awaits `wait`: (its value, the ticks meanwhile, seconds it took)."""
    started = time.monotonic()
    value = await wait
    ended = time.monotonic()
    return value, ticker.ticks_between(started, ended), ended - started


def _async_client(emu: Emulator, **options: Any) -> AsyncClient:
    settings: Dict[str, Any] = dict(FAST_RETRIES)
    settings.update(options)
    return AsyncClient(TOKEN, emu.url, **settings)


def test_async_client_takes_the_client_arguments() -> None:
    client = list(inspect.signature(Client.__init__).parameters.values())
    async_client = list(inspect.signature(AsyncClient.__init__).parameters.values())
    assert async_client[: len(client)] == client
    assert [p.name for p in async_client[len(client) :]] == ["max_concurrency"]


async def test_every_send_method_is_awaited_and_logged(emu: Emulator) -> None:
    collect = {"t": "event", "ec": "case", "ea": "open"}
    async with _async_client(emu) as client:
        results = [
            await client.send_search(search_event()),
            await client.send_click(click_event()),
            await client.send_custom(custom_event("async")),
            await client.send_view(view_event()),
            await client.send_search_batch([search_event(), search_event()]),
            await client.send_collect(collect),
            await client.send("custom", custom_event("by-name"), deadline=5.0),
        ]
    assert all(isinstance(r, Result) and r.http_status == 200 for r in results)
    logged = emu.events()
    assert [e["kind"] for e in logged] == ["search", "click", "custom", "view", "search", "search", "collect", "custom"]
    assert [r.visitor_id for r in results[:4]] == [e["visitorId"] for e in logged[:4]]
    assert client.closed


async def test_the_loop_keeps_ticking_while_sends_wait(emu: Emulator) -> None:
    emu.set_latency(SLOW_MS)
    async with _async_client(emu) as client:
        ticker = Ticker()
        sends = asyncio.gather(*(client.send_custom(custom_event(f"slow-{i}")) for i in range(3)))
        _, ticks, waited = await ticks_during(ticker, sends)
        await ticker.stop()
    assert waited >= SLOW_MS / 1000, "the sends did wait for the emulator"
    assert ticks >= MIN_TICKS, f"the loop ticked {ticks} times while sends waited {waited * 1000:.0f} ms"
    assert len(emu.events()) == 3


async def test_the_ticker_sees_a_blocking_send(emu: Emulator) -> None:
    # The control of the test above: Client.send on the loop's thread stops
    # the ticker for the whole round trip, and the ticker shows it.
    emu.set_latency(SLOW_MS)
    with Client(TOKEN, emu.url, **FAST_RETRIES) as client:
        ticker = Ticker()
        await asyncio.sleep(2 * TICK_S)

        async def blocking_send() -> None:
            client.send_custom(custom_event("blocking"))

        _, ticks, waited = await ticks_during(ticker, blocking_send())
        await ticker.stop()
    assert waited >= SLOW_MS / 1000
    assert ticks <= 1, f"a blocking send of {waited * 1000:.0f} ms let the loop tick {ticks} times"


async def test_sends_overlap_instead_of_queueing(emu: Emulator) -> None:
    emu.set_latency(SLOW_MS)
    async with _async_client(emu) as client:
        started = time.monotonic()
        await asyncio.gather(*(client.send_custom(custom_event(f"c{i}")) for i in range(8)))
        waited = time.monotonic() - started
    assert waited < 8 * SLOW_MS / 1000 / 2, f"8 sends of {SLOW_MS} ms took {waited:.2f} s: they did not overlap"
    assert len(emu.events()) == 8


async def test_failures_raise_the_client_exception_classes(emu: Emulator) -> None:
    async with _async_client(emu) as client:
        with pytest.raises(MissingParameterError) as missing:
            await client.send_custom({"eventValue": "v", "language": "en"})
        assert (missing.value.attempts, missing.value.error_type) == (0, "MissingParameter")
        emu.add_fault(status=503, count=0)
        with pytest.raises(ServerError) as server:
            await client.send_custom(custom_event())
        assert (server.value.http_status, server.value.attempts) == (503, 3)
        emu.clear_faults()
        with pytest.raises(InvalidArgumentError):
            await client.send("nonsense", custom_event())
    async with AsyncClient("xx-not-known", emu.url, **FAST_RETRIES) as stranger:
        with pytest.raises(InvalidTokenError) as token:
            await stranger.send_view(view_event())
        assert "xx-not-known" not in str(token.value)
    with pytest.raises(ClientClosedError):
        await client.send_custom(custom_event())
    with pytest.raises(InvalidArgumentError):
        AsyncClient(TOKEN, emu.url, max_concurrency=0)
    assert emu.events() == []


async def test_cancelling_a_send_returns_at_once_and_the_request_runs_to_its_end(emu: Emulator) -> None:
    emu.set_latency(1000)
    async with _async_client(emu, max_concurrency=1) as client:
        in_flight = asyncio.ensure_future(client.send_custom(custom_event("in-flight")))
        waiting = asyncio.ensure_future(client.send_custom(custom_event("never-sent")))
        await asyncio.to_thread(emu.wait_for_requests, 1)
        for task in (in_flight, waiting):
            task.cancel()
        for task in (in_flight, waiting):
            with pytest.raises(asyncio.CancelledError):
                await task
        assert emu.events() == [], "cancelling waited for the request's answer"
        # The request already sent completes on its thread; the one a thread
        # had not taken yet is never made.
        deadline = time.monotonic() + 10
        while not emu.events() and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.3)  # a second request, had it been made, shows by now
        assert emu.logged_values() == ["in-flight"]
        assert emu.stats()["requests"] == 1
        emu.set_latency(0)
        assert (await client.send_custom(custom_event("after"))).http_status == 200


async def test_wait_for_cancels_a_slow_send(emu: Emulator) -> None:
    emu.set_latency(1000)
    async with _async_client(emu) as client:
        started = time.monotonic()
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(client.send_custom(custom_event("timed-out")), timeout=0.1)
        assert emu.events() == [], "wait_for waited for the answer"
        # The request was on its way: it still arrives.
        while not emu.events() and time.monotonic() < started + 10:
            await asyncio.sleep(0.05)
    assert emu.logged_values() == ["timed-out"]


async def test_queue_flush_and_close_async_leave_the_loop_free(emu: Emulator, make_queue: Callable[..., Any]) -> None:
    emu.set_latency(SLOW_MS)
    queue = make_queue(workers=4)
    for i in range(4):
        queue.enqueue_custom(custom_event(f"q{i}"))
    ticker = Ticker()
    flushed, flush_ticks, flush_s = await ticks_during(ticker, queue.flush_async(30.0))
    queue.enqueue_custom(custom_event("at-close"))
    closed, close_ticks, close_s = await ticks_during(ticker, queue.close_async(30.0))
    await ticker.stop()
    assert (flushed, closed) == (True, True)
    assert min(flush_s, close_s) >= SLOW_MS / 1000, "both waited for the emulator"
    assert flush_ticks >= MIN_TICKS, f"the loop ticked {flush_ticks} times in a flush of {flush_s * 1000:.0f} ms"
    assert close_ticks >= MIN_TICKS, f"the loop ticked {close_ticks} times in a close of {close_s * 1000:.0f} ms"
    assert sorted(emu.logged_values()) == ["at-close", "q0", "q1", "q2", "q3"]
    assert queue.closed and queue.counters.delivered == 5
    assert await queue.close_async() is True, "a second close answers at once"


async def test_queue_async_waits_answer_and_raise_as_the_blocking_ones(
    emu: Emulator, make_queue: Callable[..., Any]
) -> None:
    emu.set_latency(SLOW_MS)
    queue = make_queue(workers=1)
    queue.enqueue_custom(custom_event("slow"))
    assert await queue.flush_async(0.05) is False, "the time ran out first"
    with pytest.raises(InvalidArgumentError):
        await queue.flush_async(-1)
    assert await queue.flush_async(30.0) is True


async def test_cancelling_queue_waits(emu: Emulator, make_queue: Callable[..., Any]) -> None:
    emu.set_latency(SLOW_MS)
    queue = make_queue(workers=1)
    for i in range(3):
        queue.enqueue_custom(custom_event(f"c{i}"))
    flushing = asyncio.ensure_future(queue.flush_async(30.0))
    await asyncio.sleep(0.05)
    flushing.cancel()
    with pytest.raises(asyncio.CancelledError):
        await flushing
    assert queue.counters.pending > 0, "the cancelled wait returned only once the flush was done"
    assert not queue.closed, "a cancelled flush changes nothing in the queue"
    # A cancelled close_async still closes the queue.
    closing = asyncio.ensure_future(queue.close_async(30.0))
    await asyncio.sleep(0.05)
    closing.cancel()
    with pytest.raises(asyncio.CancelledError):
        await closing
    assert await asyncio.to_thread(queue.close) is True, "the close went on and delivered everything"
    assert sorted(emu.logged_values()) == ["c0", "c1", "c2"]


def _send_threads() -> int:
    return sum(t.name.startswith(THREAD_NAME) for t in threading.enumerate())


async def test_threads_start_when_needed_and_end_with_the_client(emu: Emulator) -> None:
    before = _send_threads()
    client = _async_client(emu)
    assert _send_threads() == before, "no thread before the first send"
    await client.send_custom(custom_event("one"))
    await client.send_custom(custom_event("two"))
    assert _send_threads() == before + 1, "sequential sends reuse one thread"
    del client  # forgotten without aclose()
    gc.collect()
    deadline = time.monotonic() + 10
    while _send_threads() > before and time.monotonic() < deadline:
        await asyncio.sleep(0.01)
    assert _send_threads() == before, "a forgotten client's thread did not end"


def _call_in_child(threads: WaitThreads, report: Any) -> None:
    report.put(asyncio.run(asyncio.wait_for(threads.call(sum, [40, 2]), timeout=10)))


async def test_wait_threads_start_again_in_a_forked_child() -> None:
    threads = WaitThreads(2, "test")
    assert await threads.call(len, "parent") == 6  # the parent's thread runs
    context = multiprocessing.get_context("fork")
    report = context.Queue()
    child = context.Process(target=_call_in_child, args=(threads, report))
    child.start()
    child.join(20)
    assert child.exitcode == 0, "the child's call did not run"
    assert report.get(timeout=1) == 42
    threads.stop()
    with pytest.raises(RuntimeError):
        await threads.call(len, "")
