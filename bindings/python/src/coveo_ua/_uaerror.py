"""The base class of every failure this binding raises (see ``errors``)."""

from __future__ import annotations

from typing import Any, Dict, Optional, Tuple, Type

from ._ffi import lib, text

_UNKNOWN_NAME = "UA_UNKNOWN_CODE"


def code_name(code: int) -> str:
    """The library's name of `code`; "UA_UNKNOWN_CODE" for a number it does not know."""
    return text(lib.ua_code_name(code)) or _UNKNOWN_NAME


def describe(code: int) -> str:
    """The library's explanation of `code`: what happened, likely cause, what to do."""
    return text(lib.ua_error_describe(code)) or ""


class UAError(Exception):
    """Base class of every failure reported by libcoveo_ua.

    Attributes: ``code`` (the number), ``name`` ("UA_INVALID_JSON"),
    ``http_status`` (0 when no HTTP answer was read), ``error_type`` (the
    service's error type, e.g. "InvalidJson", or None), ``message`` (the
    service's or the library's explanation; never contains the token),
    ``attempts`` (HTTP attempts made; 0 when stopped before sending) and
    ``body`` (the raw answer body, or None). The class attribute
    ``transient`` says whether the code is worth trying again later.

    A code this binding does not know is raised as UAError itself: its
    ``code`` is the number, its ``name`` the loaded library's name for it
    ("UA_UNKNOWN_CODE" when the library does not know it either), and
    ``transient`` is False.
    """

    #: The code number of this class (-1 on the base class: any code).
    code: int = -1
    #: The code name of this class.
    name: str = _UNKNOWN_NAME
    #: Whether a send that failed with this code is worth making again later.
    transient: bool = False

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
