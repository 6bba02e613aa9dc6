"""Client options: the library judges every value, and its words are the error's.

Each refused option is compared with what the library itself records for the
same C calls (``ua_options_last_error``), so the binding can neither reword
nor lose the library's message. The checks the binding keeps are only those
a C parameter cannot carry, and the C options are freed on every path.
"""

from __future__ import annotations

import ctypes
import math
import os
from typing import Any, Dict, List, Tuple

import pytest

import coveo_ua
from coveo_ua import Client, InvalidArgumentError, _ffi
from support import ORG, TOKEN, Emulator, view_event

# A token worth looking for: no message may ever contain it.
SECRET = "xx-secret-token-3f9a"

CCalls = List[Tuple[str, Tuple[Any, ...]]]


def _set(option: str, *args: Any) -> Tuple[str, Tuple[Any, ...]]:
    """The C call ua_options_set_<option>(options, *args)."""
    return f"ua_options_set_{option}", args


def _what_the_library_says(token: str, calls: CCalls) -> Tuple[int, str]:
    """The code and ua_options_last_error of the first failing call among
    set_token(token), `calls` and ua_client_new, made straight on the C API."""
    lib = _ffi.lib
    options = lib.ua_options_new()
    try:
        for name, args in [_set("token", token.encode()), *calls]:
            code = getattr(lib, name)(options, *args)
            if code:
                return code, _ffi.text(lib.ua_options_last_error(options)) or ""
        handle = _ffi.ClientPtr()
        code = lib.ua_client_new(options, ctypes.byref(handle))
        message = _ffi.text(lib.ua_options_last_error(options)) or ""
        lib.ua_client_free(handle)
        assert code, "the library accepted a case meant to be refused"
        return code, message
    finally:
        lib.ua_options_free(options)


# (the token, Client keyword arguments, the same settings as C calls after the token)
REFUSED_BY_THE_LIBRARY: List[Tuple[str, Dict[str, Any], CCalls]] = [
    (TOKEN, {"endpoint": "http://example.com/rest/ua"}, [_set("endpoint", b"http://example.com/rest/ua")]),
    (TOKEN, {"endpoint": "ftp://127.0.0.1/rest/ua"}, [_set("endpoint", b"ftp://127.0.0.1/rest/ua")]),
    (TOKEN, {"endpoint": "http://127.0.0.1:1/rest/ua?x=1"}, [_set("endpoint", b"http://127.0.0.1:1/rest/ua?x=1")]),
    (TOKEN, {"endpoint": "http://u:p@127.0.0.1:1/rest/ua"}, [_set("endpoint", b"http://u:p@127.0.0.1:1/rest/ua")]),
    (TOKEN, {"endpoint": "not a url"}, [_set("endpoint", b"not a url")]),
    (TOKEN, {"org": "my org"}, [_set("org", b"my org")]),
    (TOKEN, {"timeout": 0}, [_set("timeout_ms", 0)]),
    (TOKEN, {"timeout": 601}, [_set("timeout_ms", 601_000)]),
    (TOKEN, {"deadline": 0}, [_set("deadline_ms", 0)]),
    (TOKEN, {"deadline": 3601}, [_set("deadline_ms", 3_601_000)]),
    (TOKEN, {"max_retries": 101}, [_set("max_retries", 101)]),
    (TOKEN, {"backoff": (1, 0.5)}, [_set("retry_backoff_ms", 1000, 500)]),
    (TOKEN, {"backoff": (0, 601)}, [_set("retry_backoff_ms", 0, 601_000)]),
    (TOKEN, {"user_agent": "caf\u00e9/1"}, [_set("user_agent", "caf\u00e9/1".encode())]),
    (TOKEN, {"user_agent": "x" * 257}, [_set("user_agent", b"x" * 257)]),
    (TOKEN, {"proxy": "ftp://127.0.0.1:1"}, [_set("proxy", b"ftp://127.0.0.1:1")]),
    (TOKEN, {"proxy": "http://"}, [_set("proxy", b"http://")]),
    ("", {}, []),
    ("has space", {}, []),
    ("t\u00f6ken", {}, []),
    # ua_client_new reads the CA file: its failure is recorded in the options too.
    (TOKEN, {"ca_file": "/nonexistent/roots.pem"}, [_set("ca_file", b"/nonexistent/roots.pem")]),
]


def _case_id(token: str, options: Dict[str, Any]) -> str:
    return ", ".join(f"{name}={value!r}"[:40] for name, value in options.items()) or f"token={token!r}"


@pytest.mark.parametrize(
    "token, options, calls", REFUSED_BY_THE_LIBRARY, ids=[_case_id(t, o) for t, o, _ in REFUSED_BY_THE_LIBRARY]
)
def test_a_refused_option_raises_the_librarys_code_and_message(
    token: str, options: Dict[str, Any], calls: CCalls
) -> None:
    code, library_message = _what_the_library_says(token, calls)
    assert library_message, "the library recorded no message"
    with pytest.raises(coveo_ua.UAError) as caught:
        Client(token, **options)
    error = caught.value
    assert type(error) is coveo_ua.error_class(code)
    assert error.code == code
    assert error.message == library_message
    assert library_message in str(error)
    assert (error.http_status, error.attempts) == (0, 0)


def test_a_remote_plain_http_endpoint_gives_the_librarys_loopback_rule() -> None:
    with pytest.raises(InvalidArgumentError) as caught:
        Client(TOKEN, "http://example.com/rest/ua")
    assert isinstance(caught.value, ValueError)
    assert "plain http is allowed only for loopback hosts (127.0.0.0/8, localhost, [::1])" in str(caught.value)
    assert "http://example.com/rest/ua" in caught.value.message


@pytest.mark.parametrize(
    "options, range_text",
    [({"timeout": 0}, "(1 to 600000 ms)"), ({"timeout": 700}, "(1 to 600000 ms)"), ({"deadline": 4000}, "(1 to 3600000 ms)")],
)
def test_a_bad_duration_names_the_librarys_range(options: Dict[str, Any], range_text: str) -> None:
    with pytest.raises(InvalidArgumentError) as caught:
        Client(TOKEN, **options)
    assert f"out of range {range_text}" in str(caught.value)


@pytest.mark.parametrize(
    "options, says",
    [
        ({"timeout": "5"}, "timeout must be a number of seconds"),
        ({"timeout": True}, "timeout must be a number of seconds"),
        ({"timeout": -1}, "timeout must be a finite number of seconds >= 0"),
        ({"timeout": math.nan}, "timeout must be a finite number"),
        ({"deadline": math.inf}, "deadline must be a finite number"),
        ({"deadline": 5_000_000.0}, "does not fit the C option's uint32"),
        ({"max_retries": -1}, "max_retries -1 does not fit the C option's uint32"),
        ({"max_retries": 2**32}, "does not fit the C option's uint32"),
        ({"max_retries": 1.5}, "max_retries must be an int, got float"),
        ({"backoff": (0.1,)}, "backoff must be a pair"),
        ({"backoff": "fast"}, "backoff must be a pair"),
        ({"backoff": (0.1, -2)}, "backoff max must be a finite number"),
        ({"local_checks": "yes"}, "local_checks must be a bool, got str"),
        ({"org": "a\x00b"}, "org contains a NUL character"),
        ({"user_agent": 7}, "user_agent must be a str, got int"),
        ({"endpoint": "http://\udc80/rest/ua"}, "endpoint is a str that UTF-8 cannot encode"),
        ({"ca_file": b"/etc/roots.pem"}, "ca_file must be a str, got bytes"),
    ],
)
def test_what_c_cannot_carry_is_refused_as_a_python_type_error(options: Dict[str, Any], says: str) -> None:
    with pytest.raises(InvalidArgumentError) as caught:
        Client(TOKEN, **options)
    assert isinstance(caught.value, ValueError)
    assert says in caught.value.message


@pytest.mark.parametrize(
    "token, options",
    [
        (SECRET, {"endpoint": "http://example.com/rest/ua"}),
        (SECRET, {"timeout": 0}),
        (SECRET, {"org": "my org"}),
        (SECRET, {"proxy": "socks5://127.0.0.1:1"}),
        (SECRET, {"ca_file": "/nonexistent/roots.pem"}),
        (SECRET, {"timeout": "5"}),
        (SECRET + " x", {}),
        (SECRET + "\u00e9", {}),
        (SECRET + "\n", {}),
        (SECRET + "\x00", {}),
        (SECRET + "\udc80", {}),
    ],
)
def test_the_token_never_appears_in_an_option_error(token: str, options: Dict[str, Any]) -> None:
    with pytest.raises(InvalidArgumentError) as caught:
        Client(token, **options)
    error = caught.value
    for shown in (str(error), repr(error), error.message):
        assert "secret-token" not in shown


def test_an_empty_endpoint_is_refused_and_none_is_the_default() -> None:
    # An endpoint read from an unset variable must not mean production.
    with pytest.raises(InvalidArgumentError) as caught:
        Client(TOKEN, "")
    assert caught.value.message == "endpoint '' refused: it is empty"
    Client(TOKEN, None).close()


def test_a_token_that_is_not_a_str_is_a_type_error() -> None:
    with pytest.raises(InvalidArgumentError, match="token must be a str, got NoneType"):
        Client(None)  # type: ignore[arg-type]


def _resident_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _refused_by_a_setter() -> None:
    with pytest.raises(InvalidArgumentError):
        Client(TOKEN, "http://example.com/rest/ua", user_agent="leak-check")


def _refused_by_ua_client_new() -> None:
    with pytest.raises(InvalidArgumentError):
        Client(TOKEN, "http://127.0.0.1:9/rest/ua", ca_file="/nonexistent/roots.pem")


def _made_and_closed() -> None:
    Client(TOKEN, "http://127.0.0.1:9/rest/ua", user_agent="leak-check").close()


def _refused_by_python() -> None:
    with pytest.raises(InvalidArgumentError):
        Client(TOKEN, "http://127.0.0.1:9/rest/ua", timeout="5")


@pytest.mark.parametrize(
    "make", [_refused_by_a_setter, _refused_by_ua_client_new, _made_and_closed, _refused_by_python]
)
def test_the_c_options_are_freed_on_every_path(make: Any) -> None:
    # Without ua_options_free each round leaks the options (several hundred
    # bytes: 40000 rounds grew 15 to 18 MB on each C path when tried), while
    # freeing them keeps the resident size flat once the allocators are warm.
    for _ in range(1000):
        make()
    before = _resident_bytes()
    for _ in range(40_000):
        make()
    grown = _resident_bytes() - before
    assert grown < 4_000_000, f"resident size grew {grown} bytes over 40000 clients"


def test_good_options_are_accepted_and_used(emu: Emulator) -> None:
    with Client(
        TOKEN,
        emu.url,
        ORG,
        timeout=2.5,
        deadline=20,
        max_retries=0,
        backoff=(0.01, 0.1),
        user_agent="python-tests/1.0",
        local_checks=True,
    ) as client:
        assert client.send_view(view_event()).http_status == 200
    assert emu.events()[0]["org"] == ORG
