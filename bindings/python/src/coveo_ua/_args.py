"""Python values turned into what the C functions take.

Only what a C parameter type cannot carry is refused here: a value of the
wrong Python type, a str with a NUL or that UTF-8 cannot encode, a number
outside uint32 or int32. Every rule about the values themselves (ranges, URL
forms, token characters, what an event needs) belongs to the library, which
reports it in its own words; restating one here would give two texts to keep
in step.
"""

from __future__ import annotations

import enum
import json
import math
import os
from typing import Any, Mapping, Tuple

from ._codes import InvalidArgumentError

_MAX_U32 = 2**32 - 1
_MAX_U64 = 2**64 - 1
_INT32_RANGE = range(-(2**31), 2**31)


class EventKind(enum.IntEnum):
    """The kind of an event; the values are the C contract's ``UA_EVENT_*``."""

    SEARCH = 1
    CLICK = 2
    CUSTOM = 3
    VIEW = 4
    #: A JSON array of search events sent in one request.
    SEARCH_BATCH = 5
    #: A collect event (Case Assist, older commerce setups): one object in the
    #: service's Measurement-Protocol form, whose fields the service judges.
    COLLECT = 6


def c_text(what: str, value: Any) -> bytes:
    """`value` (a str, or an os.PathLike naming one) as UTF-8 for a C string."""
    if isinstance(value, os.PathLike):
        value = os.fspath(value)
    if not isinstance(value, str):
        raise InvalidArgumentError(f"{what} must be a str, got {type(value).__name__}")
    try:
        data = value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise InvalidArgumentError(f"{what} is a str that UTF-8 cannot encode: {exc.reason}") from exc
    if b"\0" in data:
        raise InvalidArgumentError(f"{what} contains a NUL character, which a C string cannot carry")
    return data


def milliseconds(what: str, seconds: Any, bits: int = 32) -> int:
    """Seconds as the whole milliseconds of a uint32 (or uint64 with
    ``bits=64``), rounded up (0.0001 s is 1 ms)."""
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)):
        raise InvalidArgumentError(f"{what} must be a number of seconds (int or float), got {type(seconds).__name__}")
    if not math.isfinite(seconds) or seconds < 0:
        raise InvalidArgumentError(
            f"{what} must be a finite number of seconds >= 0 (the C option is an unsigned count of"
            f" milliseconds), got {seconds!r}"
        )
    ms = math.ceil(seconds * 1000)
    limit = _MAX_U64 if bits == 64 else _MAX_U32
    if ms > limit:
        raise InvalidArgumentError(
            f"{what} {seconds!r} s does not fit the C option's uint{bits} count of milliseconds (at most {limit} ms)"
        )
    return ms


def uint32(what: str, value: Any) -> int:
    """An int that fits a C uint32."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidArgumentError(f"{what} must be an int, got {type(value).__name__}")
    if not 0 <= value <= _MAX_U32:
        raise InvalidArgumentError(f"{what} {value} does not fit the C option's uint32 (0 to {_MAX_U32})")
    return value


def uint64(what: str, value: Any) -> int:
    """An int that fits a C uint64."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidArgumentError(f"{what} must be an int, got {type(value).__name__}")
    if not 0 <= value <= _MAX_U64:
        raise InvalidArgumentError(f"{what} {value} does not fit the C option's uint64 (0 to {_MAX_U64})")
    return value


def flag(what: str, value: Any) -> bool:
    """A bool, and only a bool (1 or "yes" would be a guess)."""
    if not isinstance(value, bool):
        raise InvalidArgumentError(f"{what} must be a bool, got {type(value).__name__}")
    return value


def backoff_ms(backoff: Any, what: str = "backoff") -> Tuple[int, int]:
    """``(base, max)`` seconds as the two millisecond arguments of the C setter."""
    try:
        base, maximum = backoff
    except (TypeError, ValueError):
        raise InvalidArgumentError(f"{what} must be a pair (base, max) of seconds, got {backoff!r}") from None
    return milliseconds(f"{what} base", base), milliseconds(f"{what} max", maximum)


def capacity_args(capacity: Any) -> Tuple[int, int]:
    """``(max_events, max_bytes)`` as the uint32 and uint64 arguments of the C setter."""
    try:
        events, size = capacity
    except (TypeError, ValueError):
        raise InvalidArgumentError(f"capacity must be a pair (max_events, max_bytes), got {capacity!r}") from None
    return uint32("capacity max_events", events), uint64("capacity max_bytes", size)


def kind_value(kind: Any) -> int:
    """An EventKind, its name in any case ("search_batch"), or a number for C's int32.

    A number is passed on as is: the library refuses one it does not know,
    naming the kinds it does.
    """
    if isinstance(kind, EventKind):
        return int(kind)
    if isinstance(kind, str):
        try:
            return int(EventKind[kind.strip().upper()])
        except KeyError:
            names = ", ".join(repr(k.name.lower()) for k in EventKind)
            raise InvalidArgumentError(f"unknown event kind {kind!r}: the names are {names}") from None
    if isinstance(kind, int) and not isinstance(kind, bool):
        if kind not in _INT32_RANGE:
            raise InvalidArgumentError(f"event kind {kind} does not fit C's int32")
        return kind
    raise InvalidArgumentError(f"event kind must be an EventKind, a str or an int, got {type(kind).__name__}")


def event_json(kind: int, event: Any) -> bytes:
    """The bytes of ``event_json`` for `kind`: JSON text as given, or Python
    values serialized as compact JSON (a list or tuple for a search batch, a
    mapping otherwise)."""
    if isinstance(event, (str, bytes, bytearray, memoryview)):
        return _no_nul(_text_bytes(event))
    if kind == EventKind.SEARCH_BATCH:
        if not isinstance(event, (list, tuple)):
            raise InvalidArgumentError(
                f"a search batch must be a list or tuple of mappings, or JSON as str or bytes,"
                f" got {type(event).__name__}"
            )
        # Items are serialized whatever they are: the library judges each one
        # and names its index, as it does for a batch given as text.
        value: Any = [dict(item) if isinstance(item, Mapping) else item for item in event]
    elif isinstance(event, Mapping):
        value = dict(event)
    else:
        hint = " (a list of search events is sent with send_search_batch)" if isinstance(event, (list, tuple)) else ""
        raise InvalidArgumentError(
            f"event must be a Mapping, or JSON as str or bytes, got {type(event).__name__}{hint}"
        )
    try:
        encoded = json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
        data = encoded.encode("utf-8")
    except (TypeError, ValueError) as exc:
        raise InvalidArgumentError(f"event cannot be serialized as JSON: {exc}") from exc
    return _no_nul(data)


def _text_bytes(event: Any) -> bytes:
    if isinstance(event, str):
        try:
            return event.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise InvalidArgumentError(f"event is a str that UTF-8 cannot encode: {exc.reason}") from exc
    return bytes(event)  # invalid UTF-8 is left for the library to report


def _no_nul(data: bytes) -> bytes:
    if b"\0" in data:
        raise InvalidArgumentError("event contains a NUL byte, which a C string cannot carry")
    return data
