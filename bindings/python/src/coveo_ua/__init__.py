"""coveo_ua: send Coveo Usage Analytics events (Write API v15) from Python.

A thin ctypes binding of the native library libcoveo_ua::

    from coveo_ua import Client, UAError

    with Client("xx-api-key", org="my-org") as client:
        result = client.send_custom({"eventType": "t", "eventValue": "v", "language": "en"})
        print(result.http_status, result.visitor_id)

``Queue`` hands events off in microseconds to the library's delivery queue,
whose worker threads deliver them (see docs/python.md and docs/queue.md)::

    from coveo_ua import Queue

    with Queue("xx-api-key", org="my-org", on_failure=print) as queue:
        queue.enqueue_custom({"eventType": "t", "eventValue": "v", "language": "en"})

``AsyncClient`` takes Client's arguments and is awaited, never blocking the
event loop (``await client.send_custom(...)``); ``Queue.flush_async`` and
``Queue.close_async`` wait for a queue the same way.

Every failure raises a UAError: the subclass of its result code (one class
per failing code of the C contract, each with ``code``, ``name`` and
``transient``), or UAError itself for a code this binding does not know (see
``coveo_ua.errors``).
"""

from __future__ import annotations

from ._ffi import LIBRARY_PATH, lib, text
from .async_client import AsyncClient
from .client import BatchLike, Client, ClientClosedError, EventKind, EventLike, KindLike, Result
from .errors import *  # noqa: F401,F403 (one exception class per failing code)
from .errors import CODE_VALUES, CODES, ERROR_CLASS_NAMES, ERROR_CLASSES, UAError, code_name, describe, error_class
from .queue import Queue, QueueCounters

#: The version of this Python package.
__version__ = "0.1.0"


def library_version() -> str:
    """The version of the loaded native library (ua_version)."""
    return text(lib.ua_version()) or ""


__all__ = [
    "CODES",
    "CODE_VALUES",
    "ERROR_CLASSES",
    "LIBRARY_PATH",
    "AsyncClient",
    "BatchLike",
    "Client",
    "ClientClosedError",
    "EventKind",
    "EventLike",
    "KindLike",
    "Queue",
    "QueueCounters",
    "Result",
    "UAError",
    "__version__",
    "code_name",
    "describe",
    "error_class",
    "library_version",
    *ERROR_CLASS_NAMES,
]
