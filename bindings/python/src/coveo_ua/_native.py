"""What Client and Queue both do with the C objects: turn their keyword
options into setter calls, make the object from a short-lived ``ua_options``,
and turn a failing ``ua_result`` into its exception."""

from __future__ import annotations

import ctypes
import os
from typing import Any, Callable, List, Optional, Tuple, Union

from ._args import backoff_ms, c_text, flag, milliseconds, uint32
from ._ffi import lib, text
from .errors import OK, UAError, describe, make_error

PathLike = Union[str, "os.PathLike[str]"]
#: The option setters to call in order: (setter, its arguments after the options).
Settings = List[Tuple[Any, Tuple[Any, ...]]]


def client_settings(
    token: Any,
    endpoint: Any,
    org: Any,
    timeout: Any,
    deadline: Any,
    max_retries: Any,
    backoff: Any,
    user_agent: Any,
    local_checks: Any,
    ca_file: Any,
    proxy: Any,
) -> Settings:
    """The setter calls of a client's options (None keeps the library's default).

    Every value is converted here, before any C object exists, so a Python
    type error leaves nothing to free.
    """
    settings: Settings = [(lib.ua_options_set_token, (c_text("token", token),))]
    if endpoint is not None:
        settings.append((lib.ua_options_set_endpoint, (c_text("endpoint", endpoint),)))
    if org is not None:
        settings.append((lib.ua_options_set_org, (c_text("org", org),)))
    if timeout is not None:
        settings.append((lib.ua_options_set_timeout_ms, (milliseconds("timeout", timeout),)))
    if deadline is not None:
        settings.append((lib.ua_options_set_deadline_ms, (milliseconds("deadline", deadline),)))
    if max_retries is not None:
        settings.append((lib.ua_options_set_max_retries, (uint32("max_retries", max_retries),)))
    if backoff is not None:
        settings.append((lib.ua_options_set_retry_backoff_ms, backoff_ms(backoff)))
    if user_agent is not None:
        settings.append((lib.ua_options_set_user_agent, (c_text("user_agent", user_agent),)))
    settings.append((lib.ua_options_set_local_checks, (flag("local_checks", local_checks),)))
    if ca_file is not None:
        settings.append((lib.ua_options_set_ca_file, (c_text("ca_file", ca_file),)))
    if proxy is not None:
        settings.append((lib.ua_options_set_proxy, (c_text("proxy", proxy),)))
    return settings


def build(settings: Settings, constructor: Callable[..., int], handle_type: Any) -> Any:
    """Makes a C object with `constructor(options, &handle)` from options set
    by `settings`; the options live only inside this call (freed on every
    path). Returns the non-NULL handle, or raises the refused call's
    exception with the library's own message."""
    options = lib.ua_options_new()
    if not options:
        raise MemoryError("ua_options_new returned NULL (out of memory)")
    try:
        for setter, args in settings:
            raise_if_refused(setter(options, *args), options)
        handle = handle_type()
        raise_if_refused(constructor(options, ctypes.byref(handle)), options)
        if not handle:
            raise MemoryError(f"{constructor.__name__} reported success but returned no object")
        return handle
    finally:
        lib.ua_options_free(options)


def raise_if_refused(code: int, options: Any) -> None:
    """Raises the exception of `code` with the library's own words for it."""
    if code != OK:
        # Read before the next call on the options, which replaces the text.
        raise make_error(code, text(lib.ua_options_last_error(options)) or describe(code))


def error_from_result(code: int, result: Optional[Any]) -> UAError:
    """The exception of a failing `code`, with the details of `result` (a
    ``ua_result`` pointer, possibly NULL; not freed here)."""
    if not result:
        return make_error(code, describe(code))
    return make_error(
        code,
        text(lib.ua_result_message(result)) or describe(code),
        http_status=int(lib.ua_result_http_status(result)),
        error_type=text(lib.ua_result_error_type(result)),
        attempts=int(lib.ua_result_attempts(result)),
        body=text(lib.ua_result_body(result)),
    )
