"""The Client: sends usage analytics events through libcoveo_ua."""

from __future__ import annotations

import ctypes
import enum
import json
import math
import os
import threading
from dataclasses import dataclass
from typing import Any, Callable, List, Mapping, Optional, Tuple, Union

from ._ffi import ClientPtr, ResultPtr, lib, text
from .errors import OK, InvalidArgumentError, describe, make_error

_MAX_U32 = 2**32 - 1
_INT32_RANGE = range(-(2**31), 2**31)


class EventKind(enum.IntEnum):
    """The kind of an event; the values are the C contract's ``UA_EVENT_*``."""

    SEARCH = 1
    CLICK = 2
    CUSTOM = 3
    VIEW = 4
    SEARCH_BATCH = 5


#: What ``Client.send`` accepts as a kind: an EventKind, its lowercase name
#: ("search", "click", "custom", "view"), or a raw number (checked by the library).
KindLike = Union[EventKind, str, int]
#: What ``Client.send`` accepts as an event: a mapping (serialized as compact
#: JSON) or the JSON text itself as str or bytes (sent unchanged).
EventLike = Union[Mapping[str, Any], str, bytes, bytearray, memoryview]
PathLike = Union[str, "os.PathLike[str]"]
# Option setters to call in order: (description for errors, setter, arguments).
_Settings = List[Tuple[str, Callable[..., int], Tuple[Any, ...]]]


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


def _c_text(what: str, value: Any) -> bytes:
    """Encodes a str argument for C, refusing what a C string cannot carry."""
    if isinstance(value, os.PathLike):
        value = os.fspath(value)
    if not isinstance(value, str):
        raise InvalidArgumentError(f"{what} must be a str, got {type(value).__name__}")
    try:
        data = value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise InvalidArgumentError(f"{what} is not encodable as UTF-8: {exc.reason}") from exc
    if b"\0" in data:
        raise InvalidArgumentError(f"{what} contains a NUL character, which a C string cannot carry")
    return data


def _milliseconds(what: str, seconds: Any) -> int:
    """Converts seconds to whole milliseconds (rounded up, so 0.0001 s is 1 ms)."""
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)):
        raise InvalidArgumentError(f"{what} must be a number of seconds, got {type(seconds).__name__}")
    if not math.isfinite(seconds) or seconds < 0:
        raise InvalidArgumentError(f"{what} must be a finite number of seconds >= 0, got {seconds!r}")
    ms = math.ceil(seconds * 1000)
    if ms > _MAX_U32:
        raise InvalidArgumentError(f"{what} is too large: {seconds!r} s exceeds {_MAX_U32} ms")
    return ms


def _count(what: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidArgumentError(f"{what} must be an int, got {type(value).__name__}")
    if not 0 <= value <= _MAX_U32:
        raise InvalidArgumentError(f"{what} must be between 0 and {_MAX_U32}, got {value}")
    return value


def _kind_value(kind: Any) -> int:
    if isinstance(kind, EventKind):
        return int(kind)
    if isinstance(kind, str):
        try:
            return int(EventKind[kind.strip().upper()])
        except KeyError:
            raise InvalidArgumentError(
                f"unknown event kind {kind!r}: expected 'search', 'click', 'custom' or 'view'"
            ) from None
    if isinstance(kind, int) and not isinstance(kind, bool):
        if kind not in _INT32_RANGE:
            raise InvalidArgumentError(f"event kind {kind} is out of the int32 range")
        return kind  # the library reports an unknown number itself
    raise InvalidArgumentError(f"event kind must be an EventKind or a str, got {type(kind).__name__}")


def _event_bytes(event: Any) -> bytes:
    if isinstance(event, Mapping):
        try:
            encoded = json.dumps(event, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
            data = encoded.encode("utf-8")
        except (TypeError, ValueError) as exc:
            raise InvalidArgumentError(f"event cannot be serialized as JSON: {exc}") from exc
    elif isinstance(event, str):
        try:
            data = event.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise InvalidArgumentError(f"event is not encodable as UTF-8: {exc.reason}") from exc
    elif isinstance(event, (bytes, bytearray, memoryview)):
        data = bytes(event)  # invalid UTF-8 is left for the library to report
    else:
        raise InvalidArgumentError(f"event must be a Mapping, or JSON as str or bytes, got {type(event).__name__}")
    if b"\0" in data:
        raise InvalidArgumentError("event contains a NUL byte, which a C string cannot carry")
    return data


def _check(code: int, what: str) -> None:
    if code != OK:
        raise make_error(code, f"{what} was refused: {describe(code)}")


class Client:
    """A client of the UA Write API, backed by one thread-safe ``ua_client``.

    ``token`` is the API key or search token (never echoed in errors).
    ``endpoint`` is the base URL ending in ``/rest/ua`` (the library's default
    host when None); ``http://`` is accepted for loopback only. ``org`` is sent
    as the ``org`` query parameter. Durations are in seconds: ``timeout`` bounds
    one attempt, ``deadline`` the whole call (retries and waits included);
    ``backoff=(base, max)`` shapes the jittered wait between retries. Options
    left at None keep the library's defaults. ``local_checks=False`` skips the
    checks made before sending. ``ca_file`` names a PEM file whose
    certificates replace the system's trusted roots (read when the Client is
    made). ``proxy`` is an HTTP CONNECT proxy, "http://host:port" ("" for none;
    proxy environment variables are never read).

    A bad option raises InvalidArgumentError (also a ValueError). Share one
    Client between threads freely; use it as a context manager or call close().
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
        self._handle: Optional[Any] = None
        self._in_flight = 0
        self._closed = False
        if not isinstance(local_checks, bool):
            raise InvalidArgumentError(f"local_checks must be a bool, got {type(local_checks).__name__}")
        # Validate and convert everything before any C object exists.
        settings: _Settings = []

        def add(what: str, setter: Callable[..., int], *args: Any) -> None:
            settings.append((what, setter, args))

        add("token", lib.ua_options_set_token, _c_text("token", token))
        if endpoint is not None:
            add(f"endpoint {endpoint!r}", lib.ua_options_set_endpoint, _c_text("endpoint", endpoint))
        if org is not None:
            add(f"org {org!r}", lib.ua_options_set_org, _c_text("org", org))
        if timeout is not None:
            add(f"timeout {timeout!r}", lib.ua_options_set_timeout_ms, _milliseconds("timeout", timeout))
        if deadline is not None:
            add(f"deadline {deadline!r}", lib.ua_options_set_deadline_ms, _milliseconds("deadline", deadline))
        if max_retries is not None:
            add(f"max_retries {max_retries!r}", lib.ua_options_set_max_retries, _count("max_retries", max_retries))
        if backoff is not None:
            add(f"backoff {backoff!r}", lib.ua_options_set_retry_backoff_ms, *_backoff_ms(backoff))
        if user_agent is not None:
            add(f"user_agent {user_agent!r}", lib.ua_options_set_user_agent, _c_text("user_agent", user_agent))
        add(f"local_checks {local_checks!r}", lib.ua_options_set_local_checks, local_checks)
        if ca_file is not None:
            add(f"ca_file {ca_file!r}", lib.ua_options_set_ca_file, _c_text("ca_file", ca_file))
        if proxy is not None:
            add(f"proxy {proxy!r}", lib.ua_options_set_proxy, _c_text("proxy", proxy))
        # ca_file is only read when the client is made: name it if that fails.
        creating = "creating the client" + (f" (reading ca_file {ca_file!r})" if ca_file is not None else "")
        self._handle = _new_client(settings, creating)

    # -- sending -----------------------------------------------------------

    def send(self, kind: KindLike, event: EventLike, deadline: Optional[float] = None) -> Result:
        """Sends one event and blocks until it is accepted or has failed for good.

        ``deadline`` (seconds) shortens the client's deadline for this call
        only; the shorter of the two applies.

        Returns a Result on success; raises the UAError subclass of the
        failure's code otherwise (InvalidArgumentError for a bad kind or an
        event that cannot be encoded), ClientClosedError after close().
        """
        kind_value = _kind_value(kind)
        data = _event_bytes(event)
        deadline_ms = 0 if deadline is None else max(1, _milliseconds("deadline", deadline))
        handle = self._enter()
        try:
            return _send(handle, kind_value, data, deadline_ms)
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
        with self._lock:
            if self._closed or self._handle is None:
                raise ClientClosedError("this coveo_ua.Client is closed; create a new one to send more events")
            self._in_flight += 1
            return self._handle

    def _leave(self) -> None:
        with self._lock:
            self._in_flight -= 1
            if not (self._closed and self._in_flight == 0):
                return
            handle, self._handle = self._handle, None
        if handle is not None:
            lib.ua_client_free(handle)


def _backoff_ms(backoff: Any) -> Tuple[int, int]:
    try:
        base, maximum = backoff
    except (TypeError, ValueError):
        raise InvalidArgumentError(f"backoff must be a pair (base, max) of seconds, got {backoff!r}") from None
    return _milliseconds("backoff base", base), _milliseconds("backoff max", maximum)


def _new_client(settings: _Settings, creating: str) -> Any:
    options = lib.ua_options_new()
    if not options:
        raise MemoryError("ua_options_new returned NULL (out of memory)")
    try:
        for what, setter, args in settings:
            _check(setter(options, *args), what)
        handle = ClientPtr()
        _check(lib.ua_client_new(options, ctypes.byref(handle)), creating)
        if not handle:
            raise MemoryError("ua_client_new reported success but returned no client")
        return handle
    finally:
        lib.ua_options_free(options)


def _send(handle: Any, kind: int, data: bytes, deadline_ms: int) -> Result:
    result = ResultPtr()
    if deadline_ms:
        code = lib.ua_send_event_with_deadline(handle, kind, data, deadline_ms, ctypes.byref(result))
    else:
        code = lib.ua_send_event(handle, kind, data, ctypes.byref(result))
    try:
        if not result:
            if code == OK:
                return Result(http_status=0, attempts=0, visitor_id=None, body=None)
            raise make_error(code, describe(code))
        status = int(lib.ua_result_http_status(result))
        attempts = int(lib.ua_result_attempts(result))
        body = text(lib.ua_result_body(result))
        if code == OK:
            return Result(
                http_status=status,
                attempts=attempts,
                visitor_id=text(lib.ua_result_visitor_id(result)),
                body=body,
            )
        raise make_error(
            code,
            text(lib.ua_result_message(result)) or describe(code),
            http_status=status,
            error_type=text(lib.ua_result_error_type(result)),
            attempts=attempts,
            body=body,
        )
    finally:
        lib.ua_result_free(result)


__all__ = ["Client", "ClientClosedError", "EventKind", "EventLike", "KindLike", "Result"]
