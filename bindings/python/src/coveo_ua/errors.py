"""Result codes and the exception raised for each failing code.

The code table (numbers and names) is read from the library at import time
(``ua_code_name`` for every number the contract reserves), so it can never
drift from the library. Each failing code gets one exception class whose name
is derived from the code's name: ``UA_INVALID_JSON`` -> ``InvalidJsonError``.
The classes are spelled out below so documentation and type checkers see
them; a test checks the spelled-out set against ``include/coveo_ua.h``.
"""

from __future__ import annotations

import builtins
from types import MappingProxyType
from typing import Any, Dict, Mapping, Optional, Tuple, Type

from ._ffi import lib, text

# The contract reserves 0 (success), 1-99 (service errors), 100-199 (library errors).
_CODE_RANGE = range(0, 200)
_UNKNOWN_NAME = "UA_UNKNOWN_CODE"

#: The success code's number.
OK = 0


def _read_code_table() -> Dict[int, str]:
    table: Dict[int, str] = {}
    for value in _CODE_RANGE:
        name = text(lib.ua_code_name(value))
        if name and name != _UNKNOWN_NAME:
            table[value] = name
    return table


#: Every code the loaded library knows: number -> name ("UA_INVALID_JSON").
CODES: Mapping[int, str] = MappingProxyType(_read_code_table())
#: The reverse of CODES: name -> number.
CODE_VALUES: Mapping[str, int] = MappingProxyType({n: v for v, n in CODES.items()})


def code_name(code: int) -> str:
    """The library's name of `code`; "UA_UNKNOWN_CODE" for a number it does not know."""
    return text(lib.ua_code_name(code)) or _UNKNOWN_NAME


def describe(code: int) -> str:
    """The library's explanation of `code`: what happened, likely cause, what to do."""
    return text(lib.ua_error_describe(code)) or ""


def class_name_for(name: str) -> str:
    """The exception class name derived from a code name.

    "UA_INVALID_JSON" -> "InvalidJsonError"; a name already ending in "Error"
    keeps it ("UA_SERVER_ERROR" -> "ServerError"); a result that would shadow a
    Python builtin gets a "UA" prefix ("UA_TIMEOUT" -> "UATimeoutError").
    """
    words = name[3:] if name.startswith("UA_") else name
    camel = "".join(word.capitalize() for word in words.split("_") if word)
    if not camel.endswith("Error"):
        camel += "Error"
    if hasattr(builtins, camel):
        camel = "UA" + camel
    return camel


class UAError(Exception):
    """Base class of every failure reported by libcoveo_ua.

    Attributes: ``code`` (the number), ``name`` ("UA_INVALID_JSON"),
    ``http_status`` (0 when no HTTP answer was read), ``error_type`` (the
    service's error type, e.g. "InvalidJson", or None), ``message`` (the
    service's or the library's explanation; never contains the token),
    ``attempts`` (HTTP attempts made; 0 when stopped before sending) and
    ``body`` (the raw answer body, or None).
    """

    #: The code number of this class (set from the library's table at import).
    code: int = -1
    #: The code name of this class (set from the library's table at import).
    name: str = _UNKNOWN_NAME

    def __init__(
        self,
        message: str,
        *,
        code: Optional[int] = None,
        http_status: int = 0,
        error_type: Optional[str] = None,
        attempts: int = 0,
        body: Optional[str] = None,
    ) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code
            self.name = code_name(code)
        self.message = message
        self.http_status = http_status
        self.error_type = error_type
        self.attempts = attempts
        self.body = body

    def describe(self) -> str:
        """The library's explanation of this error's code (ua_error_describe)."""
        return describe(self.code)

    def __str__(self) -> str:
        details = []
        if self.http_status:
            details.append(f"HTTP {self.http_status}")
        if self.error_type:
            details.append(f"type {self.error_type}")
        if self.attempts:
            details.append(f"{self.attempts} attempt{'s' if self.attempts != 1 else ''}")
        suffix = f" [{', '.join(details)}]" if details else ""
        return f"{self.name} ({self.code}): {self.message}{suffix}"

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r}, code={self.code})"

    def __reduce__(self) -> Tuple[Any, ...]:
        # Keyword-only arguments need help to survive pickling (multiprocessing).
        state = dict(self.__dict__)
        return (_rebuild_error, (type(self), self.message, state))


def _rebuild_error(cls: Type[UAError], message: str, state: Dict[str, Any]) -> UAError:
    error = cls.__new__(cls, message)
    Exception.__init__(error, message)
    error.__dict__.update(state)
    return error


# One class per failing code. The names follow class_name_for(); a test checks
# that this set and the header's codes match one to one.


class InvalidHeadersError(UAError):
    """The service found a badly formatted request header (400 InvalidHeadersException)."""


class InvalidJsonError(UAError):
    """The event is not valid JSON (400 InvalidJson, or found before sending)."""


class InvalidObjectError(UAError):
    """A field has the wrong type or range (400 InvalidObject, or found before sending)."""


class InvalidTokenError(UAError):
    """The service does not recognize the token (400 InvalidToken)."""


class InvalidTokenHeaderError(UAError):
    """The Authorization header is malformed (400 InvalidTokenHeader)."""


class MissingParameterError(UAError):
    """A required field is absent or null (400 MissingParameter, or found before sending)."""


class NoWorkgroupAssociatedWithTokenError(UAError):
    """The token carries no organization and no `org` was given (400 NoWorkgroupAssociatedWithToken)."""


class UnauthorizedHubError(UAError):
    """The token restricts events to another search hub (400 UnauthorizedHub)."""


class UnauthorizedOrgError(UAError):
    """The token may not push analytics to this organization (400 UnauthorizedOrg)."""


class InvalidUriError(UAError):
    """The service does not know the path (404 InvalidUri): check the endpoint."""


class NotAcceptableError(UAError):
    """The service refused the Accept header (406)."""


class UnsupportedMediaTypeError(UAError):
    """The service refused the Content-Type (415)."""


class TooManyRequestsError(UAError):
    """Rate limited (429), still after the retries."""


class ServerError(UAError):
    """The service failed (5xx), still after the retries."""


class UnexpectedResponseError(UAError):
    """Any other non-2xx answer, a redirect included (status, type and message are kept)."""


class InvalidArgumentError(UAError, ValueError):
    """A bad argument or option value (also a ValueError)."""


class ConnectionFailedError(UAError, ConnectionError):
    """No HTTP answer could be read: DNS, refused, reset, TLS (also a ConnectionError)."""


class UATimeoutError(UAError, TimeoutError):
    """An attempt timeout or the whole-call deadline fired (also the builtin TimeoutError)."""


class InternalError(UAError):
    """A bug in the library (a caught panic); never expected: please report it."""


_SPELLED_OUT: Tuple[Type[UAError], ...] = (
    InvalidHeadersError,
    InvalidJsonError,
    InvalidObjectError,
    InvalidTokenError,
    InvalidTokenHeaderError,
    MissingParameterError,
    NoWorkgroupAssociatedWithTokenError,
    UnauthorizedHubError,
    UnauthorizedOrgError,
    InvalidUriError,
    NotAcceptableError,
    UnsupportedMediaTypeError,
    TooManyRequestsError,
    ServerError,
    UnexpectedResponseError,
    InvalidArgumentError,
    ConnectionFailedError,
    UATimeoutError,
    InternalError,
)


def _bind_classes_to_codes() -> Dict[int, Type[UAError]]:
    by_name = {cls.__name__: cls for cls in _SPELLED_OUT}
    bound: Dict[int, Type[UAError]] = {}
    for value, name in CODES.items():
        if value == OK:
            continue
        class_name = class_name_for(name)
        cls = by_name.get(class_name)
        if cls is None:
            # A code newer than this binding still gets a class of its own.
            cls = type(class_name, (UAError,), {"__doc__": describe(value), "__module__": __name__})
            globals()[class_name] = cls
        cls.code = value
        cls.name = name
        bound[value] = cls
    return bound


#: The exception class of every failing code: number -> class.
ERROR_CLASSES: Mapping[int, Type[UAError]] = MappingProxyType(_bind_classes_to_codes())


def error_class(code: int) -> Type[UAError]:
    """The exception class for `code` (UAError itself for a number the library does not know)."""
    return ERROR_CLASSES.get(code, UAError)


def make_error(
    code: int,
    message: str,
    *,
    http_status: int = 0,
    error_type: Optional[str] = None,
    attempts: int = 0,
    body: Optional[str] = None,
) -> UAError:
    """Builds the exception for `code` with the given details."""
    return error_class(code)(
        message,
        code=code,
        http_status=http_status,
        error_type=error_type,
        attempts=attempts,
        body=body,
    )
