"""Client behaviour against the real emulator: results, inputs, lifetime (options: test_options.py)."""

from __future__ import annotations

import json
from typing import Any, Dict

import pytest

import coveo_ua
from coveo_ua import Client, ClientClosedError, EventKind, InvalidArgumentError, Result
from support import (
    FAST_RETRIES,
    ORG,
    TOKEN,
    Emulator,
    click_event,
    custom_event,
    search_event,
    view_event,
)


def _client(emu: Emulator, **options: Any) -> Client:
    settings: Dict[str, Any] = dict(FAST_RETRIES)
    settings.update(options)
    return Client(TOKEN, emu.url, **settings)


def test_an_accepted_event_reports_status_attempts_visitor_and_body(emu: Emulator) -> None:
    with _client(emu, org=ORG) as client:
        result = client.send_custom(custom_event("first"))
    assert isinstance(result, Result)
    assert result.http_status == 200
    assert result.attempts == 1
    assert result.body is not None
    answer = json.loads(result.body)
    assert result.visitor_id and result.visitor_id == answer["visitorId"]
    [logged] = emu.events()
    assert logged["kind"] == "custom" and logged["org"] == ORG
    assert logged["body"]["eventValue"] == "first"
    assert logged["visitorId"] == result.visitor_id


def test_retries_show_in_attempts_when_a_503_burst_recovers(emu: Emulator) -> None:
    emu.add_fault(count=2, status=503, body="none")
    with _client(emu) as client:
        result = client.send_custom(custom_event())
    assert (result.http_status, result.attempts) == (200, 3)
    assert len(emu.events()) == 1


def test_a_per_call_deadline_shortens_the_clients_deadline(emu: Emulator) -> None:
    # The server holds the request for 5 s; the client would wait up to 30 s.
    emu.add_fault(action="stall", delay_ms=5000)
    with _client(emu, timeout=30.0, deadline=30.0) as client:
        with pytest.raises(coveo_ua.UATimeoutError) as caught:
            client.send_custom(custom_event(), deadline=0.3)
    assert caught.value.attempts == 1
    assert emu.events() == []


def test_a_bad_per_call_deadline_is_an_invalid_argument(emu: Emulator) -> None:
    with _client(emu) as client:
        with pytest.raises(InvalidArgumentError):
            client.send_custom(custom_event(), deadline=-1)


@pytest.mark.parametrize(
    "kind, event, logged_kind",
    [
        ("search", search_event(), "search"),
        ("click", click_event(), "click"),
        ("custom", custom_event(), "custom"),
        ("view", view_event(), "view"),
        ("VIEW", view_event(), "view"),
        (EventKind.CLICK, click_event(), "click"),
        (3, custom_event(), "custom"),
    ],
)
def test_kinds_as_strings_enums_and_numbers(emu: Emulator, kind: Any, event: Dict[str, Any], logged_kind: str) -> None:
    with _client(emu) as client:
        client.send(kind, event)
    assert [e["kind"] for e in emu.events()] == [logged_kind]


def test_the_per_kind_helpers_reach_their_paths(emu: Emulator) -> None:
    with _client(emu) as client:
        client.send_search(search_event())
        client.send_click(click_event())
        client.send_custom(custom_event())
        client.send_view(view_event())
    paths = [e["path"] for e in emu.events()]
    assert paths == [f"/rest/ua/v15/analytics/{k}" for k in ("search", "click", "custom", "view")]


@pytest.mark.parametrize("kind", ["", "searches", "clicks", "purchase", None, 2.0, b"custom", True])
def test_a_bad_kind_is_an_invalid_argument_and_nothing_is_sent(emu: Emulator, kind: Any) -> None:
    with _client(emu) as client, pytest.raises(InvalidArgumentError) as caught:
        client.send(kind, custom_event())
    assert caught.value.code == coveo_ua.CODE_VALUES["UA_INVALID_ARGUMENT"]
    assert emu.events() == []


def test_an_unknown_kind_number_is_refused_by_the_library(emu: Emulator) -> None:
    with _client(emu) as client, pytest.raises(InvalidArgumentError) as caught:
        client.send(0, custom_event())
    assert caught.value.attempts == 0
    assert emu.events() == []


def test_mapping_str_and_bytes_events_all_arrive_intact(emu: Emulator) -> None:
    mapping = custom_event("from-mapping")
    mapping["customData"] = {"city": "Québec", "n": 3}
    text = '{"eventType": "python-test", "eventValue": "from-str", "language": "en"}'
    raw = json.dumps(custom_event("from-bytes")).encode()
    with _client(emu) as client:
        client.send_custom(mapping)
        client.send_custom(text)
        client.send_custom(raw)
        client.send_custom(bytearray(raw.replace(b"from-bytes", b"from-bytearray")))
    bodies = [e["body"] for e in emu.events()]
    assert [b["eventValue"] for b in bodies] == ["from-mapping", "from-str", "from-bytes", "from-bytearray"]
    assert bodies[0]["customData"]["city"] == "Québec"


@pytest.mark.parametrize(
    "event",
    [
        {"eventType": "t", "eventValue": float("nan"), "language": "en"},
        {"eventType": object(), "eventValue": "v", "language": "en"},
        '{"eventType": "t\x00"}',
        b'{"eventType": "\x00"}',
        ["not", "an", "object"],
        42,
        None,
    ],
)
def test_an_event_that_cannot_be_sent_as_c_text_is_an_invalid_argument(emu: Emulator, event: Any) -> None:
    with _client(emu) as client, pytest.raises(InvalidArgumentError):
        client.send_custom(event)
    assert emu.events() == []


def test_non_utf8_bytes_are_refused_by_the_library(emu: Emulator) -> None:
    with _client(emu) as client, pytest.raises(InvalidArgumentError) as caught:
        client.send_custom(b'{"eventType": "\xff\xfe", "eventValue": "v", "language": "en"}')
    assert caught.value.attempts == 0
    assert emu.events() == []


def test_context_manager_closes_and_close_is_idempotent(emu: Emulator) -> None:
    with _client(emu) as client:
        assert not client.closed
        client.send_custom(custom_event())
    assert client.closed
    client.close()
    client.close()
    assert client.closed


def test_use_after_close_raises_a_clear_error(emu: Emulator) -> None:
    client = _client(emu)
    client.close()
    with pytest.raises(ClientClosedError, match="closed"):
        client.send_custom(custom_event())
    assert emu.events() == []


def test_the_context_manager_closes_even_when_the_block_raises(emu: Emulator) -> None:
    with pytest.raises(coveo_ua.MissingParameterError):
        with _client(emu) as client:
            client.send_custom({"language": "en"})
    assert client.closed


def test_versions_are_reported() -> None:
    assert coveo_ua.library_version() == coveo_ua.__version__
    assert coveo_ua.LIBRARY_PATH.is_file()
