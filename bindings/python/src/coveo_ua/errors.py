"""Result codes and the exception raised for each failing code.

The classes and the table of known codes live in ``_codes.py``, which the
library's ``tests/generated.rs`` writes from its code table (``src/code.rs``)
and fails on when stale, so they cannot drift from the C header. Each class
is an ordinary class statement there, with ``code``, ``name`` and
``transient``. A number this binding does not know (from a newer library)
raises the base class ``UAError``, whose ``code`` and ``name`` (from the
loaded library, "UA_UNKNOWN_CODE" if it does not know the number either)
still tell it apart.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Mapping, Optional, Type

from ._codes import *  # noqa: F401,F403 (the generated classes, listed in its __all__)
from ._codes import ERROR_CLASSES_BY_CODE, KNOWN_CODES
from ._codes import __all__ as ERROR_CLASS_NAMES
from ._uaerror import UAError, code_name, describe

#: The success code's number.
OK = 0

#: Every code this binding knows: number -> name ("UA_INVALID_JSON").
CODES: Mapping[int, str] = MappingProxyType(dict(KNOWN_CODES))
#: The reverse of CODES: name -> number.
CODE_VALUES: Mapping[str, int] = MappingProxyType({n: v for v, n in KNOWN_CODES.items()})
#: The exception class of every failing code: number -> class.
ERROR_CLASSES: Mapping[int, Type[UAError]] = MappingProxyType(dict(ERROR_CLASSES_BY_CODE))


def error_class(code: int) -> Type[UAError]:
    """The exception class for `code` (UAError itself for a number this binding does not know)."""
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


__all__ = [
    "CODES",
    "CODE_VALUES",
    "ERROR_CLASSES",
    "ERROR_CLASS_NAMES",
    "OK",
    "UAError",
    "code_name",
    "describe",
    "error_class",
    "make_error",
    *ERROR_CLASS_NAMES,
]
