"""How asyncio code waits for the blocking library without blocking its loop:
the call runs on a Python thread, and its outcome comes back to the loop with
``call_soon_threadsafe``.

Measured against a completion from native threads (a prototype of a
library-side async send) and against ``loop.run_in_executor`` with a
``ThreadPoolExecutor``: benches/async-wait.md. Python threads taking jobs from
a ``SimpleQueue`` cost the least per send, need nothing new in the C contract,
and let a cancelled task's send be dropped before it starts.
"""

from __future__ import annotations

import asyncio
import os
import queue
import threading
from typing import Any, Callable, Optional, Tuple

#: One job: the call, its arguments, the future to settle and its loop.
_Job = Tuple[Callable[..., Any], Tuple[Any, ...], "asyncio.Future[Any]", asyncio.AbstractEventLoop]
#: Put on the job queue to end one thread.
_STOP = None


class WaitThreads:
    """Up to ``max_threads`` daemon threads making blocking calls for event
    loops, started as calls need them and kept until ``stop``.

    A call whose task was cancelled before a thread took it is dropped, never
    made. One that has started runs to its end; its outcome is dropped. After
    ``fork()`` the child starts its own threads on its first call (the
    parent's are not there); nothing is started in a child that makes none.
    """

    def __init__(self, max_threads: int, name: str) -> None:
        self._max_threads = max_threads
        self._name = name
        self._pid: Optional[int] = None
        self._stopped = False

    def _fresh_state(self) -> None:
        # Also what a forked child starts from: the parent's threads, and any
        # lock one of them held, stay in the parent.
        self._pid = os.getpid()
        self._lock = threading.Lock()
        self._jobs: "queue.SimpleQueue[Optional[_Job]]" = queue.SimpleQueue()
        self._threads = 0
        # Threads not running a call (waiting for a job, or about to), and
        # jobs no thread has taken yet: a call starts a thread unless more
        # threads are idle than jobs wait.
        self._idle = 0
        self._queued = 0

    async def call(self, function: Callable[..., Any], *args: Any) -> Any:
        """``function(*args)`` on one of the threads; its value or exception."""
        if self._stopped:
            raise RuntimeError(f"{self._name}: stopped")
        if self._pid != os.getpid():
            self._fresh_state()
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        with self._lock:
            if self._idle <= self._queued and self._threads < self._max_threads:
                self._threads += 1
                self._idle += 1
                threading.Thread(target=self._work, name=f"{self._name} {self._threads}", daemon=True).start()
            # Else a waiting thread takes the job, or, every thread being
            # busy, the first one to finish does.
            self._queued += 1
            self._jobs.put((function, args, future, loop))
        return await future

    def stop(self) -> None:
        """Ends every thread once its current call is done; queued calls
        still run first. Later calls raise RuntimeError."""
        self._stopped = True
        if self._pid != os.getpid():
            return
        with self._lock:
            for _ in range(self._threads):
                self._jobs.put(_STOP)
            self._threads = 0

    def _work(self) -> None:
        jobs, lock = self._jobs, self._lock
        while True:
            job = jobs.get()
            if job is _STOP:
                return
            with lock:
                self._idle -= 1
                self._queued -= 1
            function, args, future, loop = job
            outcome = _outcome(future, function, args)
            # Idle again before the caller hears of it: the caller's next
            # call then finds this thread instead of starting another.
            with lock:
                self._idle += 1
            if outcome is not None:
                settle_from_thread(loop, future, outcome)
            del job, function, args, future, loop, outcome  # hold nothing while idle


def _outcome(future: "asyncio.Future[Any]", function: Callable[..., Any], args: Tuple[Any, ...]) -> Optional[Tuple[bool, Any]]:
    """(True, value) or (False, exception) of the call; None when its task
    was cancelled before it started (the call is not made)."""
    # Reading the state of a future of another thread's loop is a plain
    # attribute read; at worst a call starts just as its task is cancelled,
    # and its outcome is dropped by _settle.
    if future.cancelled():
        return None
    try:
        return (True, function(*args))
    except BaseException as exc:  # handed to the awaiting task
        return (False, exc)


def _run_alone(job: _Job) -> None:
    function, args, future, loop = job
    outcome = _outcome(future, function, args)
    if outcome is not None:
        settle_from_thread(loop, future, outcome)


async def call_in_new_thread(function: Callable[..., Any], *args: Any, name: str) -> Any:
    """``function(*args)`` on a thread of its own, for rare, long waits (a
    queue's flush or close) that must never wait for a free thread."""
    loop = asyncio.get_running_loop()
    future = loop.create_future()
    threading.Thread(target=_run_alone, args=((function, args, future, loop),), name=name, daemon=True).start()
    return await future


def settle_from_thread(loop: asyncio.AbstractEventLoop, future: "asyncio.Future[Any]", outcome: Tuple[bool, Any]) -> None:
    """Hands `outcome` (ok, value or exception) to `future` on its loop."""
    try:
        loop.call_soon_threadsafe(_settle, future, outcome)
    except RuntimeError:
        pass  # the loop is closed: nobody is waiting any more


def _settle(future: "asyncio.Future[Any]", outcome: Tuple[bool, Any]) -> None:
    if future.done():  # cancelled meanwhile
        return
    ok, value = outcome
    if ok:
        future.set_result(value)
    else:
        future.set_exception(value)
