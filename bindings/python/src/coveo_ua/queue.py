"""The Queue: hands events to libcoveo_ua's background delivery queue.

See docs/queue.md for what the library's queue guarantees (delivery,
retries and the shared pause, the spool, close, fork); this module is the
Python face of it and documents only what the binding adds.
"""

from __future__ import annotations

import ctypes
import logging
import os
import threading
from dataclasses import dataclass
from typing import Any, Dict, Optional, Tuple, Union

from . import _lifetime
from ._args import EventKind, backoff_ms, c_text, capacity_args, event_json, kind_value, milliseconds, uint32, uint64
from ._callbacks import OnFailure, failure_trampoline, inside_callback_of, log_trampoline, max_log_level
from ._ffi import QueuePtr, ResultPtr, lib
from ._native import PathLike, build, client_settings, error_from_result
from ._queue_async import QueueAsyncWaits
from .client import BatchLike, EventLike, KindLike
from .errors import OK, InvalidArgumentError, QueueClosedError, UATimeoutError, describe, make_error

#: The logger a Queue reports to unless given another.
LOGGER_NAME = "coveo_ua.queue"
#: Seconds a close without a timeout (leaving a ``with`` block, interpreter
#: exit) lets the queue deliver: the library's own grace when a queue is
#: freed without a close.
DEFAULT_CLOSE_TIMEOUT = 2.0

#: The C contract's UA_COUNTER_* number of each QueueCounters field.
COUNTER_NUMBERS = {
    "enqueued": 1,
    "delivered": 2,
    "failed": 3,
    "refused": 4,
    "pending": 5,
    "attempts": 6,
    "recovered": 7,
    "workers": 8,
}


@dataclass(frozen=True)
class QueueCounters:
    """A Queue's counters (the library's ``UA_COUNTER_*``), read together:
    ``enqueued + recovered == delivered + failed + pending`` holds in every
    snapshot."""

    #: Enqueues that took the event.
    enqueued: int
    #: Events the service accepted.
    delivered: int
    #: Events failed for good, each reported once to on_failure.
    failed: int
    #: Enqueues that raised (checks, full, closed, spool).
    refused: int
    #: Events taken and not yet delivered or failed.
    pending: int
    #: HTTP requests the workers made.
    attempts: int
    #: Events adopted from the spool lanes of queues that went away.
    recovered: int
    #: Worker threads running now (not part of the identity).
    workers: int


class _Here:
    """What a Queue keeps for one process: its locks and the calls of its
    threads now inside the C queue.

    Made by the first call in each process (the queue's maker, or a forked
    child), never used by another process: a lock that a parent's thread held
    at the fork stays behind in the parent's entry, and no thread of the
    child waits on it. Found by ``os.getpid()`` on every call, so no fork
    hook is needed (uWSGI forks without running ``os.register_at_fork``
    handlers)."""

    __slots__ = ("cond", "close_lock", "in_flight")

    def __init__(self) -> None:
        self.cond = threading.Condition()
        self.close_lock = threading.Lock()
        self.in_flight = 0


class Queue(QueueAsyncWaits):
    """A background delivery queue over one ``ua_queue``: ``enqueue`` checks
    an event and hands it off in microseconds, the library's worker threads
    deliver it, and every event ends delivered, failed (``on_failure``) or,
    with a spool, kept on disk for the next Queue on the directory.

    ``token``, ``endpoint``, ``org`` and the keyword options up to ``proxy``
    are Client's. The queue's own, None keeping the library's default:
    ``capacity=(max_events, max_bytes)`` (in memory); ``workers`` (the most
    threads, each with one request in flight; the queue runs as many as its
    backlog needs); ``max_age`` (seconds an event is tried again through
    an outage); ``queue_backoff=(base, max)`` (seconds of the whole queue's
    pause while the service fails); ``spool_dir`` (a directory making the
    queue durable; any number of queues in any number of processes may
    share it), ``spool_capacity`` (bytes of events this queue's lane there
    holds) and ``spool_fsync_interval`` (seconds).

    After ``os.fork()`` (a pre-fork server's workers, ``multiprocessing``
    with the fork start method) the Queue keeps working in the child: the
    child's first call starts the child's own queue in the library, from the
    same options, and ``counters`` there are the child's. A child that never
    uses the queue starts nothing.

    ``on_failure(kind, event_json, error)`` hears of every event failed for
    good: ``kind`` an EventKind, ``event_json`` the event's JSON text, ``error``
    the UAError subclass of the failure with its details (QueueClosedError
    for an event a close gave up). It runs on one of the library's threads,
    or on the thread closing the queue; it may enqueue, but a flush or close
    of this queue from it raises RuntimeError, and it must not wait for the
    thread closing the queue. An exception it raises is logged and dropped:
    the worker goes on.

    The library's messages go to ``logger`` (default ``logging.getLogger(
    "coveo_ua.queue")``) at their levels (error, warning, info, debug), and
    only those its effective level lets through when the Queue is made (the
    library is asked for no more).

    asyncio code waits with ``await flush_async(timeout)`` and ``await
    close_async(timeout)`` (see QueueAsyncWaits), which leave the loop free.

    ``close_timeout`` (default 2 s) is what leaving a ``with`` block, close()
    without an argument and the interpreter's exit let the queue deliver.
    An open Queue stays alive until it is closed (the module holds it, as a
    thread is held while it runs); at interpreter exit every open Queue is
    closed and freed, in each process that used it (a ``multiprocessing``
    child too, which ends without running ``atexit``). A value refused by
    the library raises its exception with the library's message
    (InvalidArgumentError, or SpoolFailedError when the spool directory
    cannot be created or written).
    """

    def __init__(
        self,
        token: str,
        endpoint: Optional[str] = None,
        org: Optional[str] = None,
        *,
        timeout: Optional[float] = None,
        deadline: Optional[float] = None,
        max_retries: Optional[int] = None,
        backoff: Optional[Tuple[float, float]] = None,
        user_agent: Optional[str] = None,
        local_checks: bool = True,
        ca_file: Optional[PathLike] = None,
        proxy: Optional[str] = None,
        capacity: Optional[Tuple[int, int]] = None,
        workers: Optional[int] = None,
        max_age: Optional[float] = None,
        queue_backoff: Optional[Tuple[float, float]] = None,
        spool_dir: Optional[PathLike] = None,
        spool_capacity: Optional[int] = None,
        spool_fsync_interval: Optional[float] = None,
        on_failure: Optional[OnFailure] = None,
        logger: Optional[logging.Logger] = None,
        close_timeout: float = DEFAULT_CLOSE_TIMEOUT,
    ) -> None:
        # The C queue, the close's answer and the final counters are plain
        # attributes: a forked child gets a copy of them as they were at the
        # fork, and what it does with its copy stays its own.
        self._handle: Optional[Any] = None
        self._closed_ok: Optional[bool] = None
        self._final: Optional[QueueCounters] = None
        self._processes: Dict[int, _Here] = {os.getpid(): _Here()}
        settings = client_settings(
            token, endpoint, org, timeout, deadline, max_retries, backoff, user_agent, local_checks, ca_file, proxy
        )
        if capacity is not None:
            settings.append((lib.ua_options_set_queue_capacity, capacity_args(capacity)))
        if workers is not None:
            settings.append((lib.ua_options_set_queue_workers, (uint32("workers", workers),)))
        if max_age is not None:
            settings.append((lib.ua_options_set_queue_max_age_ms, (milliseconds("max_age", max_age, bits=64),)))
        if queue_backoff is not None:
            settings.append((lib.ua_options_set_queue_backoff_ms, backoff_ms(queue_backoff, "queue_backoff")))
        if spool_dir is not None:
            settings.append((lib.ua_options_set_spool_dir, (c_text("spool_dir", spool_dir),)))
        if spool_capacity is not None:
            settings.append((lib.ua_options_set_spool_capacity, (uint64("spool_capacity", spool_capacity),)))
        if spool_fsync_interval is not None:
            interval = milliseconds("spool_fsync_interval", spool_fsync_interval)
            settings.append((lib.ua_options_set_spool_fsync_interval_ms, (interval,)))
        if on_failure is not None and not callable(on_failure):
            raise InvalidArgumentError(f"on_failure must be callable, got {type(on_failure).__name__}")
        if logger is None:
            logger = logging.getLogger(LOGGER_NAME)
        elif not isinstance(logger, logging.Logger):
            raise InvalidArgumentError(f"logger must be a logging.Logger, got {type(logger).__name__}")
        self._close_ms = milliseconds("close_timeout", close_timeout)
        # The trampolines name this token, not the Queue: no cycle through
        # them keeps a closed Queue from being collected.
        self._token = object()
        self._on_failure_c = None if on_failure is None else failure_trampoline(self._token, on_failure, logger)
        level = max_log_level(logger)
        self._log_c = None if level is None else log_trampoline(self._token, logger)
        if self._on_failure_c is not None:
            settings.append((lib.ua_options_set_failure_callback, (self._on_failure_c, None)))
        if self._log_c is not None:
            settings.append((lib.ua_options_set_log_callback, (self._log_c, None, level)))
        handle = build(settings, lib.ua_queue_new, QueuePtr)
        if not _lifetime.adopt(self):
            lib.ua_queue_free(handle)
            raise RuntimeError("cannot make a coveo_ua.Queue at interpreter shutdown")
        self._handle = handle

    # -- enqueueing ----------------------------------------------------------

    def enqueue(self, kind: KindLike, event: Union[EventLike, BatchLike]) -> None:
        """Checks the event (local checks on) and hands it to the queue; never
        waits for the network or a worker.

        ``kind`` and ``event`` are what Client.send takes. A refusal raises at
        once the UAError subclass of its code with the library's message:
        the check's (MissingParameterError...), QueueFullError,
        QueueClosedError (after close), SpoolFailedError or
        InvalidArgumentError.
        """
        kind_number = kind_value(kind)
        data = event_json(kind_number, event)
        refusal = ResultPtr()
        here, handle = self._enter()
        try:
            code = lib.ua_queue_enqueue_with_result(handle, kind_number, data, ctypes.byref(refusal))
        finally:
            self._leave(here)
        if code != OK:
            try:
                raise error_from_result(code, refusal)
            finally:
                lib.ua_result_free(refusal)

    def enqueue_search(self, event: EventLike) -> None:
        """Enqueues a search event (see enqueue)."""
        self.enqueue(EventKind.SEARCH, event)

    def enqueue_click(self, event: EventLike) -> None:
        """Enqueues a click event (see enqueue)."""
        self.enqueue(EventKind.CLICK, event)

    def enqueue_custom(self, event: EventLike) -> None:
        """Enqueues a custom event (see enqueue)."""
        self.enqueue(EventKind.CUSTOM, event)

    def enqueue_view(self, event: EventLike) -> None:
        """Enqueues a view event (see enqueue)."""
        self.enqueue(EventKind.VIEW, event)

    def enqueue_search_batch(self, events: BatchLike) -> None:
        """Enqueues search events delivered in one request (what
        Client.send_search_batch takes; a refused item refuses the batch)."""
        self.enqueue(EventKind.SEARCH_BATCH, events)

    def enqueue_collect(self, event: EventLike) -> None:
        """Enqueues a collect event (what Client.send_collect takes)."""
        self.enqueue(EventKind.COLLECT, event)

    # -- waiting -------------------------------------------------------------

    def flush(self, timeout: float) -> bool:
        """Waits up to ``timeout`` seconds until every event enqueued before
        the call is delivered or failed (on_failure returned): True, or False
        when the time ran out first.

        Raises QueueClosedError when the queue is closed with events left (in
        its spool); RuntimeError from one of this queue's own callbacks. The
        GIL is released while it waits.
        """
        timeout_ms = milliseconds("timeout", timeout)
        self._refuse_from_own_callback("flush")
        final = self._final
        if self._handle is None and final is not None:
            if final.pending:
                raise _closed_error()
            return True
        here, handle = self._enter()
        try:
            code = lib.ua_queue_flush(handle, timeout_ms)
        finally:
            self._leave(here)
        if code == UATimeoutError.code:
            return False
        if code != OK:
            raise make_error(code, describe(code))
        return True

    def close(self, timeout: Optional[float] = None) -> bool:
        """Stops taking events, delivers for at most ``timeout`` seconds (the
        queue's close_timeout when None), stops the workers and frees the C
        queue: True when nothing was left, False otherwise (each left event
        went to on_failure with QueueClosedError, or, with a spool, stays
        there for the next Queue on the directory).

        A second close returns the first one's answer at once. After close,
        enqueue raises QueueClosedError (not counted), counters keep their
        final values, flush answers as above. In a forked child, close
        concerns the child's own queue (the parent's goes on). Raises
        RuntimeError from one of this queue's own callbacks.
        """
        timeout_ms = self._close_ms if timeout is None else milliseconds("timeout", timeout)
        self._refuse_from_own_callback("close")
        with self._here().close_lock:
            if self._closed_ok is not None:
                return self._closed_ok
            here, handle = self._enter()
            try:
                code = lib.ua_queue_close(handle, timeout_ms)
            finally:
                self._leave(here)
            if code not in (OK, UATimeoutError.code):
                raise make_error(code, describe(code))
            final = _read_counters(handle)
            with here.cond:
                self._handle = None
                # Calls already in the C queue return at once now that it is
                # closed; none may be inside it when it is freed.
                while here.in_flight:
                    here.cond.wait()
            # In a forked child this frees the child's own queue; the
            # parent's copy is left alone there.
            lib.ua_queue_free(handle)
            # No callback runs once ua_queue_free returned: the trampolines may go.
            self._on_failure_c = self._log_c = None
            self._final, self._closed_ok = final, code == OK
            _lifetime.release(self)
            return self._closed_ok

    # -- state ---------------------------------------------------------------

    @property
    def counters(self) -> QueueCounters:
        """The counters now (final once closed): this process's, so in a
        forked child the child's own, from zero."""
        final = self._final
        if final is not None:
            return final
        here, handle = self._enter()
        try:
            return _read_counters(handle)
        finally:
            self._leave(here)

    @property
    def closed(self) -> bool:
        """True once close() returned."""
        return self._closed_ok is not None

    def __enter__(self) -> "Queue":
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<coveo_ua.Queue {'closed' if self.closed else 'open'}>"

    # -- internals -----------------------------------------------------------

    def _here(self) -> _Here:
        """This process's state, made by its first call (see _Here)."""
        pid = os.getpid()
        here = self._processes.get(pid)
        if here is None:
            # setdefault is one step under the GIL: two threads of a new
            # process making theirs at once end up with the same one.
            fresh = _Here()
            here = self._processes.setdefault(pid, fresh)
            if here is fresh:
                _lifetime.used_here(self)
        return here

    def _enter(self) -> Tuple[_Here, Any]:
        """This process's state and the C queue, counted as in use until
        _leave: close frees the C queue only once no call is inside it."""
        here = self._here()
        with here.cond:
            handle = self._handle
            if handle is None:
                raise _closed_error()
            here.in_flight += 1
            return here, handle

    def _leave(self, here: _Here) -> None:
        with here.cond:
            here.in_flight -= 1
            if self._handle is None and here.in_flight == 0:
                here.cond.notify_all()

    def _refuse_from_own_callback(self, what: str) -> None:
        if inside_callback_of(self._token):
            raise RuntimeError(
                f"cannot {what} a coveo_ua.Queue from its own on_failure or log callback: it would wait for itself"
            )

    def _close_at_exit(self) -> None:
        """Closes with close_timeout at the exit of a process that used the
        queue (see _lifetime); a forked child that never used it has nothing
        of its own to close, and nothing is started there."""
        if os.getpid() in self._processes:
            self.close()


def _closed_error() -> QueueClosedError:
    """QueueClosedError where the C queue cannot say it (freed)."""
    return QueueClosedError(describe(QueueClosedError.code), code=QueueClosedError.code)


def _read_counters(handle: Any) -> QueueCounters:
    """Every counter, read by the library at one moment (so they add up)."""
    values = (ctypes.c_uint64 * len(COUNTER_NUMBERS))()
    lib.ua_queue_counters(handle, values, len(values))
    return QueueCounters(**{name: int(values[number - 1]) for name, number in COUNTER_NUMBERS.items()})


__all__ = ["COUNTER_NUMBERS", "DEFAULT_CLOSE_TIMEOUT", "LOGGER_NAME", "Queue", "QueueCounters"]
