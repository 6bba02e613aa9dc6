"""The trampolines the library calls from its threads: the failure callback
and the log callback of a Queue.

ctypes makes each one a C function pointer (CFUNCTYPE) that takes the GIL
when called from a thread Python did not start, and gives it back on return.
A trampoline never lets an exception out: one escaping a ctypes callback is
only printed, and a worker must go on delivering whatever the host's code
does, so everything is caught and reported through the queue's logger.

While a trampoline runs, the thread is marked as inside a callback of its
queue, so that a flush or close of that same queue from there (which would
wait for the very thread making the call) is refused instead of hanging.
"""

from __future__ import annotations

import logging
import threading
from contextlib import contextmanager
from typing import Any, Callable, Iterator, List, Optional

from ._args import EventKind
from ._ffi import FailureCallback, LogCallback, lib, text
from ._native import error_from_result
from .errors import UAError

#: What a Queue's ``on_failure`` is called with: the event's kind (an
#: EventKind, or the raw number for one this binding does not know), the
#: event's JSON text, and the exception of its failure.
OnFailure = Callable[[Any, str, UAError], Any]

# UA_LOG_* -> logging levels.
_LEVELS = {1: logging.ERROR, 2: logging.WARNING, 3: logging.INFO, 4: logging.DEBUG}

_inside = threading.local()


def _owners() -> List[object]:
    """The queues whose callbacks this thread is running, innermost last (a
    callback may enqueue into another queue, whose log callback then runs
    inside it)."""
    owners = getattr(_inside, "owners", None)
    if owners is None:
        owners = _inside.owners = []
    return owners


@contextmanager
def _running_for(owner: object) -> Iterator[None]:
    owners = _owners()
    owners.append(owner)
    try:
        yield
    finally:
        owners.pop()


def inside_callback_of(owner: object) -> bool:
    """Whether this thread is running a callback of the queue `owner` stands for."""
    return any(o is owner for o in _owners())


def max_log_level(logger: logging.Logger) -> Optional[int]:
    """The most detailed UA_LOG_* level `logger` would let through now, or
    None when it would drop even errors (then no log callback is set)."""
    for level in (4, 3, 2, 1):
        if logger.isEnabledFor(_LEVELS[level]):
            return level
    return None


def _kind(raw: int) -> Any:
    try:
        return EventKind(raw)
    except ValueError:
        return raw


def _report_callback_error(logger: logging.Logger, what: str) -> None:
    """Logs the exception being handled; a logger that fails too is ignored
    (nothing may escape into the library's thread)."""
    try:
        logger.error("%s raised; the queue goes on", what, exc_info=True)
    except BaseException:
        pass


def failure_trampoline(owner: object, on_failure: OnFailure, logger: logging.Logger) -> Any:
    """The ``ua_failure_callback`` calling ``on_failure(kind, event_json, error)``.

    The caller keeps the returned object alive until ``ua_queue_free`` of
    every queue that may call it has returned.
    """

    def trampoline(_user_data: Any, kind: int, event_json: Optional[bytes], result: Any) -> None:
        try:
            with _running_for(owner):
                error = error_from_result(int(lib.ua_result_code(result)), result)
                on_failure(_kind(kind), text(event_json) or "", error)
        except BaseException:
            _report_callback_error(logger, f"on_failure {on_failure!r}")

    return FailureCallback(trampoline)


def log_trampoline(owner: object, logger: logging.Logger) -> Any:
    """The ``ua_log_callback`` passing each message to `logger` at its level.

    The caller keeps the returned object alive as for failure_trampoline.
    """

    def trampoline(_user_data: Any, level: int, message: Optional[bytes]) -> None:
        try:
            with _running_for(owner):
                logger.log(_LEVELS.get(level, logging.ERROR), "%s", text(message) or "")
        except BaseException:
            _report_callback_error(logger, f"a handler of logger {logger.name!r}")

    return LogCallback(trampoline)
