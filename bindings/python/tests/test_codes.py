"""Every failing code, produced for real through the library and the emulator.

Each scenario drives a real send, enqueue or option call into one code and
checks the exception class and its attributes. A coverage test makes a code
added to the library without a scenario here fail.
"""

from __future__ import annotations

import os
import pickle
import tempfile
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Optional, Tuple

import pytest

import coveo_ua
from coveo_ua import Client, EventKind, Queue, UAError

from support import (
    FAST_RETRIES,
    OAUTH_TOKEN,
    QUEUE_OPTIONS,
    READONLY_TOKEN,
    TOKEN,
    Emulator,
    closed_port_endpoint,
    custom_event,
    search_event,
    search_token,
)

# UA_OK is success (tested in test_client.py); UA_INTERNAL is a caught panic,
# which no input is supposed to produce.
NOT_TRIGGERABLE = {"UA_OK", "UA_INTERNAL"}


@dataclass
class Expect:
    """What the raised error must carry (None: not checked)."""

    http_status: Optional[int] = None
    error_type: Optional[str] = None
    attempts: Optional[int] = None
    message_has: Optional[str] = None
    extra: Dict[str, Any] = field(default_factory=dict)
    #: Whether the scenario's client may retry (max_retries > 0).
    may_retry: bool = True


def _client(emu: Emulator, token: str = TOKEN, **options: Any) -> Client:
    settings = dict(FAST_RETRIES)
    settings.update(options)
    return Client(token, emu.url, **settings)


def _send_once(emu: Emulator, event: Any, kind: Any = "custom", token: str = TOKEN, **options: Any) -> None:
    with _client(emu, token, **options) as client:
        client.send(kind, event)


def _send_after_fault(emu: Emulator, rule: Dict[str, Any], **options: Any) -> None:
    emu.add_fault(**rule)
    _send_once(emu, custom_event(), **options)


def _search_with_other_hub(emu: Emulator) -> None:
    event = search_event()
    event["originLevel1"] = "hub-b"
    with Client(search_token("hub-a"), emu.url, **FAST_RETRIES) as client:
        client.send_search(event)


def _connection_refused(emu: Emulator) -> None:
    with Client(TOKEN, closed_port_endpoint(), max_retries=1, backoff=(0.001, 0.002)) as client:
        client.send_custom(custom_event())


def _queue_over_capacity(emu: Emulator) -> None:
    # Nothing reaches a closed port: the first event stays and fills the queue.
    with Queue(TOKEN, closed_port_endpoint(), **{**QUEUE_OPTIONS, "capacity": (1, 1 << 20), "close_timeout": 0.05}) as q:
        q.enqueue_custom(custom_event("held"))
        q.enqueue_custom(custom_event("no room"))


def _enqueue_while_closing(emu: Emulator) -> None:
    # The events a close gives up reach on_failure on the closing thread,
    # where the C queue is closed but not freed: its own refusal comes back.
    refusals = []

    def on_failure(kind: Any, event_json: str, error: UAError) -> None:
        try:
            queue.enqueue(kind, event_json)
        except UAError as refusal:
            refusals.append(refusal)

    queue = Queue(TOKEN, closed_port_endpoint(), **QUEUE_OPTIONS, on_failure=on_failure)
    queue.enqueue_custom(custom_event("given up"))
    assert queue.close(0.05) is False
    assert refusals, "on_failure never ran for the event the close gave up"
    raise refusals[0]


def _spool_under_a_file(emu: Emulator) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        blocker = os.path.join(scratch, "a-file")
        with open(blocker, "w") as out:
            out.write("not a directory")
        Queue(TOKEN, emu.url, **QUEUE_OPTIONS, spool_dir=os.path.join(blocker, "spool"))


# code name -> (what triggers it, what the error must carry)
SCENARIOS: Dict[str, Tuple[Callable[[Emulator], None], Expect]] = {
    "UA_INVALID_HEADERS": (
        lambda emu: _send_after_fault(emu, {"status": 400, "type": "InvalidHeadersException", "message": "bad header"}),
        Expect(http_status=400, error_type="InvalidHeadersException", attempts=1, message_has="bad header"),
    ),
    "UA_INVALID_JSON": (
        lambda emu: _send_once(emu, '{"eventType": "t",, }'),
        Expect(http_status=0, error_type="InvalidJson", attempts=0, message_has="line"),
    ),
    "UA_INVALID_OBJECT": (
        lambda emu: _send_once(emu, {**custom_event(), "outcome": "great"}),
        Expect(http_status=0, error_type="InvalidObject", attempts=0, message_has="outcome"),
    ),
    "UA_INVALID_TOKEN": (
        lambda emu: _send_once(emu, custom_event(), token="xx-not-a-known-key"),
        Expect(http_status=400, error_type="InvalidToken", attempts=1),
    ),
    "UA_INVALID_TOKEN_HEADER": (
        lambda emu: _send_after_fault(emu, {"status": 400, "type": "InvalidTokenHeader", "message": "use Bearer"}),
        Expect(http_status=400, error_type="InvalidTokenHeader", attempts=1, message_has="Bearer"),
    ),
    "UA_MISSING_PARAMETER": (
        lambda emu: _send_once(emu, {"eventValue": "v", "language": "en"}),
        Expect(http_status=0, error_type="MissingParameter", attempts=0, message_has="eventType"),
    ),
    "UA_NO_WORKGROUP_ASSOCIATED_WITH_TOKEN": (
        lambda emu: _send_once(emu, custom_event(), token=OAUTH_TOKEN),
        Expect(http_status=400, error_type="NoWorkgroupAssociatedWithToken", attempts=1),
    ),
    "UA_UNAUTHORIZED_HUB": (
        _search_with_other_hub,
        Expect(http_status=0, error_type="UnauthorizedHub", attempts=0, message_has="hub-a"),
    ),
    "UA_UNAUTHORIZED_ORG": (
        lambda emu: _send_once(emu, custom_event(), token=READONLY_TOKEN),
        Expect(http_status=400, error_type="UnauthorizedOrg", attempts=1),
    ),
    "UA_INVALID_URI": (
        lambda emu: _send_after_fault(emu, {"status": 404, "body": "none"}),
        Expect(http_status=404, attempts=1),
    ),
    "UA_NOT_ACCEPTABLE": (
        lambda emu: _send_after_fault(emu, {"status": 406, "type": "InvalidRequest", "message": "accept json"}),
        Expect(http_status=406, error_type="InvalidRequest", attempts=1),
    ),
    "UA_UNSUPPORTED_MEDIA_TYPE": (
        lambda emu: _send_after_fault(emu, {"status": 415, "type": "InvalidRequest", "message": "send json"}),
        Expect(http_status=415, error_type="InvalidRequest", attempts=1),
    ),
    "UA_TOO_MANY_REQUESTS": (
        lambda emu: _send_after_fault(
            emu, {"count": 0, "status": 429, "type": "TooManyRequestsException", "message": "slow down"}
        ),
        Expect(http_status=429, attempts=3),
    ),
    "UA_SERVER_ERROR": (
        lambda emu: _send_after_fault(emu, {"count": 0, "status": 503, "body": "html"}),
        Expect(http_status=503, attempts=3),
    ),
    "UA_UNEXPECTED_RESPONSE": (
        lambda emu: _send_after_fault(emu, {"status": 401, "body": "html"}),
        Expect(http_status=401, attempts=1),
    ),
    "UA_INVALID_ARGUMENT": (
        lambda emu: _send_once(emu, custom_event(), kind=99),
        Expect(http_status=0, attempts=0),
    ),
    "UA_CONNECTION_FAILED": (
        _connection_refused,
        Expect(http_status=0, attempts=2),
    ),
    "UA_TIMEOUT": (
        lambda emu: _send_after_fault(emu, {"action": "stall", "delay_ms": 20000}, timeout=0.3, max_retries=0),
        Expect(http_status=0, attempts=1, may_retry=False),
    ),
    "UA_QUEUE_FULL": (_queue_over_capacity, Expect(http_status=0, attempts=0, message_has="the queue is full")),
    "UA_QUEUE_CLOSED": (_enqueue_while_closing, Expect(http_status=0, attempts=0, message_has="the queue is closed")),
    "UA_SPOOL_FAILED": (
        _spool_under_a_file,
        Expect(http_status=0, attempts=0, message_has="creating the directory"),
    ),
}


def test_every_code_has_a_scenario() -> None:
    untested = sorted(set(coveo_ua.CODE_VALUES) - set(SCENARIOS) - NOT_TRIGGERABLE)
    assert not untested, f"codes with no scenario in test_codes.py: {untested}"
    unknown = sorted(set(SCENARIOS) - set(coveo_ua.CODE_VALUES))
    assert not unknown, f"scenarios for codes the library does not know: {unknown}"


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_code_is_raised_with_its_class_and_details(emu: Emulator, name: str) -> None:
    trigger, expect = SCENARIOS[name]
    code = coveo_ua.CODE_VALUES[name]
    cls = coveo_ua.error_class(code)
    with pytest.raises(UAError) as caught:
        trigger(emu)
    error = caught.value
    assert type(error) is cls, f"{name}: got {type(error).__name__}: {error}"
    assert (error.code, error.name) == (code, name)
    assert error.message, "an error always has a message"
    if expect.http_status is not None:
        assert error.http_status == expect.http_status
    if expect.error_type is not None:
        assert error.error_type == expect.error_type
    if expect.attempts is not None:
        assert error.attempts == expect.attempts
    if expect.message_has is not None:
        assert expect.message_has in error.message
    assert error.describe() == coveo_ua.describe(code) and error.describe()
    # The library retries a send exactly when its code is transient, so one
    # that used retries is transient and one answered once though it could
    # retry is not.
    if error.attempts > 1:
        assert cls.transient and error.transient, f"{name} was retried but is not transient"
    elif error.attempts == 1 and expect.may_retry:
        assert not cls.transient, f"{name} is transient but was not retried"
    text = str(error)
    assert name in text and error.message in text
    assert TOKEN not in text and TOKEN not in repr(error)


def test_describe_is_distinct_for_every_code() -> None:
    texts = {code: coveo_ua.describe(code) for code in coveo_ua.CODES}
    assert all(texts.values())
    assert len(set(texts.values())) == len(texts)
    assert coveo_ua.code_name(12345) == "UA_UNKNOWN_CODE"
    assert coveo_ua.describe(12345) not in texts.values()


def test_builtin_bases_let_callers_catch_the_python_way(emu: Emulator) -> None:
    assert issubclass(coveo_ua.InvalidArgumentError, ValueError)
    assert issubclass(coveo_ua.UATimeoutError, TimeoutError)
    assert coveo_ua.UATimeoutError is not TimeoutError
    assert issubclass(coveo_ua.ConnectionFailedError, ConnectionError)
    with pytest.raises(TimeoutError):
        _send_after_fault(emu, {"action": "stall", "delay_ms": 20000}, timeout=0.3, max_retries=0)
    with pytest.raises(ValueError):
        _send_once(emu, custom_event(), kind="nonsense")


def test_server_side_checks_when_local_checks_are_off(emu: Emulator) -> None:
    # The same bad events now travel and the emulator answers with the codes.
    with _client(emu, local_checks=False) as client:
        with pytest.raises(coveo_ua.MissingParameterError) as missing:
            client.send_custom({"eventValue": "v", "language": "en"})
        assert (missing.value.http_status, missing.value.attempts) == (400, 1)
        with pytest.raises(coveo_ua.InvalidJsonError) as bad_json:
            client.send(EventKind.CUSTOM, b'{"eventType": ')
        assert bad_json.value.http_status == 400
    assert emu.events() == []


def test_a_docs_example_message_survives_the_round_trip(emu: Emulator) -> None:
    message = "Parameter 'customEvent.eventType' is missing."
    emu.add_fault(status=400, type="MissingParameter", message=message)
    with _client(emu) as client, pytest.raises(coveo_ua.MissingParameterError) as caught:
        client.send_custom(custom_event())
    assert caught.value.message == message
    assert caught.value.body is not None and "MissingParameter" in caught.value.body


def test_errors_survive_pickling_with_their_details(emu: Emulator) -> None:
    # multiprocessing and concurrent.futures move exceptions between processes.
    emu.add_fault(status=503, type="ServiceUnavailable", message="down", count=0)
    with pytest.raises(coveo_ua.ServerError) as caught, _client(emu, max_retries=0) as client:
        client.send_custom(custom_event())
    copy = pickle.loads(pickle.dumps(caught.value))
    assert type(copy) is coveo_ua.ServerError
    original = caught.value
    assert (copy.code, copy.name, copy.message, copy.http_status, copy.error_type, copy.attempts, copy.body) == (
        original.code,
        original.name,
        original.message,
        original.http_status,
        original.error_type,
        original.attempts,
        original.body,
    )
    assert str(copy) == str(original)
