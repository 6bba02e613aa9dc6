"""The Client: sends usage analytics events through libcoveo_ua."""

from __future__ import annotations

import ctypes
import os
import threading
from dataclasses import dataclass
from typing import Any, Mapping, Optional, Sequence, Tuple, Union

from ._args import EventKind, event_json, kind_value, milliseconds
from ._ffi import ClientPtr, ResultPtr, lib, text
from ._native import PathLike, build, client_settings, error_from_result
from .errors import OK

#: What ``Client.send`` accepts as a kind: an EventKind, its name in any case
#: ("search", "click", "custom", "view", "search_batch", "collect"), or a raw
#: number (checked by the library).
KindLike = Union[EventKind, str, int]
#: What ``Client.send`` accepts as an event: a mapping (serialized as compact
#: JSON) or the JSON text itself as str or bytes (sent unchanged).
EventLike = Union[Mapping[str, Any], str, bytes, bytearray, memoryview]
#: What ``Client.send_search_batch`` accepts: a list or tuple of mappings
#: (serialized as one compact JSON array) or the array's JSON text as str or
#: bytes (sent unchanged).
BatchLike = Union[Sequence[Mapping[str, Any]], str, bytes, bytearray, memoryview]


@dataclass(frozen=True)
class Result:
    """What an accepted send reported."""

    #: The HTTP status of the accepting answer (a 2xx).
    http_status: int
    #: HTTP attempts made, the successful one included.
    attempts: int
    #: The visitorId from the service's answer, when it sent one.
    visitor_id: Optional[str]
    #: The raw body of the answer, when there was one.
    body: Optional[str]


class ClientClosedError(RuntimeError):
    """The Client was used after close() (a programming error, not a UA code)."""


class Client:
    """A client of the UA Write API, backed by one thread-safe ``ua_client``.

    ``token`` is the API key or search token (never echoed in errors).
    ``endpoint`` is the base URL ending in ``/rest/ua`` (the library's default
    host when None). ``org`` is sent as the ``org`` query parameter. Durations
    are in seconds, rounded up to whole milliseconds: ``timeout`` bounds one
    attempt, ``deadline`` the whole call (retries and waits included);
    ``backoff=(base, max)`` shapes the jittered wait between retries. Options
    left at None keep the library's defaults. ``local_checks=False`` skips the
    checks made before sending. ``ca_file`` names a PEM file whose
    certificates replace the system's trusted roots (read when the Client is
    made). ``proxy`` is an HTTP CONNECT proxy, "http://host:port" ("" for none;
    proxy environment variables are never read).

    Every option goes through the library's setter, which judges the value: a
    refused one raises the exception of the library's code
    (InvalidArgumentError, also a ValueError) whose message is the library's
    own (``ua_options_last_error``). A value the C parameter cannot carry (not
    a str, a NUL inside one, a negative or out-of-uint32 number) raises
    InvalidArgumentError before any C object exists. The C options are freed
    on every path. Share one Client between threads freely; use it as a
    context manager or call close().
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
    ) -> None:
        self._lock = threading.Lock()
        self._pid = os.getpid()
        self._handle: Optional[Any] = None
        self._in_flight = 0
        self._closed = False
        settings = client_settings(
            token, endpoint, org, timeout, deadline, max_retries, backoff, user_agent, local_checks, ca_file, proxy
        )
        self._handle = build(settings, lib.ua_client_new, ClientPtr)

    # -- sending -----------------------------------------------------------

    def send(self, kind: KindLike, event: Union[EventLike, BatchLike], deadline: Optional[float] = None) -> Result:
        """Sends one event and blocks until it is accepted or has failed for good.

        ``deadline`` (seconds) shortens the client's deadline for this call
        only; the shorter of the two applies.

        For ``EventKind.SEARCH_BATCH`` ("search_batch"), ``event`` is what
        send_search_batch takes.

        Returns a Result on success; raises the UAError subclass of the
        failure's code otherwise (InvalidArgumentError for a bad kind or an
        event that cannot be encoded; UAError itself for a code this binding
        does not know), ClientClosedError after close().
        """
        kind_number = kind_value(kind)
        data = event_json(kind_number, event)
        deadline_ms = 0 if deadline is None else max(1, milliseconds("deadline", deadline))
        handle = self._enter()
        try:
            return _send(handle, kind_number, data, deadline_ms)
        finally:
            self._leave()

    def send_search(self, event: EventLike, deadline: Optional[float] = None) -> Result:
        """Sends a search event (see send)."""
        return self.send(EventKind.SEARCH, event, deadline)

    def send_click(self, event: EventLike, deadline: Optional[float] = None) -> Result:
        """Sends a click event (see send)."""
        return self.send(EventKind.CLICK, event, deadline)

    def send_custom(self, event: EventLike, deadline: Optional[float] = None) -> Result:
        """Sends a custom event (see send)."""
        return self.send(EventKind.CUSTOM, event, deadline)

    def send_view(self, event: EventLike, deadline: Optional[float] = None) -> Result:
        """Sends a view event (see send)."""
        return self.send(EventKind.VIEW, event, deadline)

    def send_search_batch(self, events: BatchLike, deadline: Optional[float] = None) -> Result:
        """Sends search events in one request (``POST .../v15/analytics/searches``).

        ``events`` is a list or tuple of mappings, serialized as one compact
        JSON array, or the array's JSON text as str or bytes, sent unchanged.
        With local checks on, the library checks every item and a failure's
        message names the item's index from 0 ("Item 1 of the search batch:
        ..."); an empty batch is InvalidObjectError. Nothing is sent when an
        item is refused: the service takes the whole batch or none of it.

        The Result is that of the one request: ``visitor_id`` is the first
        item's, ``body`` the service's whole JSON array answer. See send for
        ``deadline`` and the exceptions.
        """
        return self.send(EventKind.SEARCH_BATCH, events, deadline)

    def send_collect(self, event: EventLike, deadline: Optional[float] = None) -> Result:
        """Sends a collect event (``POST .../v15/analytics/collect``): one
        object in the service's Measurement-Protocol form, as Case Assist and
        older commerce setups log (``{"t": "event", "ec": ..., "ea": ...}``).

        The service publishes no rule for its fields, so the library's checks
        refuse only what is surely wrong (not JSON: InvalidJsonError; not an
        object: InvalidObjectError) and the service judges the rest. The
        Result's ``visitor_id`` is the answer's ``visitorId`` when it has one.
        See send for ``deadline`` and the exceptions.
        """
        return self.send(EventKind.COLLECT, event, deadline)

    # -- lifetime ----------------------------------------------------------

    @property
    def closed(self) -> bool:
        """True once close() was called."""
        return self._closed

    def close(self) -> None:
        """Releases the C client; calling it again does nothing.

        Never blocks: when sends are still in flight on other threads, the
        last one to finish frees the C client, so nothing is freed under a
        running call. New sends raise ClientClosedError at once.
        """
        with self._lock:
            if self._closed:
                return
            self._closed = True
            if self._in_flight:
                return
            handle, self._handle = self._handle, None
        if handle is not None:
            lib.ua_client_free(handle)

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()

    def __del__(self) -> None:
        # A forgotten close() must not leak the C client; at interpreter exit
        # the library may already be gone, which is harmless to ignore.
        try:
            if not getattr(self, "_closed", True):
                self.close()
        except Exception:
            pass

    def __repr__(self) -> str:
        return f"<coveo_ua.Client {'closed' if self._closed else 'open'}>"

    def _enter(self) -> Any:
        if self._pid != os.getpid():
            self._after_fork()
        with self._lock:
            if self._closed or self._handle is None:
                raise ClientClosedError("this coveo_ua.Client is closed; create a new one to send more events")
            self._in_flight += 1
            return self._handle

    def _after_fork(self) -> None:
        # A forked child: the parent's lock may have been held by one of its
        # threads at the fork (it would stay held here), and the parent's
        # sends in flight are not this process's. The library gives the
        # child connections of its own.
        self._lock = threading.Lock()
        self._in_flight = 0
        self._pid = os.getpid()

    def _leave(self) -> None:
        with self._lock:
            self._in_flight -= 1
            if not (self._closed and self._in_flight == 0):
                return
            handle, self._handle = self._handle, None
        if handle is not None:
            lib.ua_client_free(handle)


def _send(handle: Any, kind: int, data: bytes, deadline_ms: int) -> Result:
    result = ResultPtr()
    if deadline_ms:
        code = lib.ua_send_event_with_deadline(handle, kind, data, deadline_ms, ctypes.byref(result))
    else:
        code = lib.ua_send_event(handle, kind, data, ctypes.byref(result))
    try:
        if code != OK:
            raise error_from_result(code, result)
        if not result:
            return Result(http_status=0, attempts=0, visitor_id=None, body=None)
        return Result(
            http_status=int(lib.ua_result_http_status(result)),
            attempts=int(lib.ua_result_attempts(result)),
            visitor_id=text(lib.ua_result_visitor_id(result)),
            body=text(lib.ua_result_body(result)),
        )
    finally:
        lib.ua_result_free(result)


__all__ = ["BatchLike", "Client", "ClientClosedError", "EventKind", "EventLike", "KindLike", "Result"]
