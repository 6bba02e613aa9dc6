"""Search batches: several search events in one request, checked item by item."""

from __future__ import annotations

import json
from typing import Any, Dict, List

import pytest

import coveo_ua
from coveo_ua import Client, EventKind, Result
from support import FAST_RETRIES, TOKEN, Emulator, search_event

BATCH_PATH = "/rest/ua/v15/analytics/searches"


def _client(emu: Emulator, **options: Any) -> Client:
    settings: Dict[str, Any] = dict(FAST_RETRIES)
    settings.update(options)
    return Client(TOKEN, emu.url, **settings)


def _searches(*queries: str) -> List[Dict[str, Any]]:
    events = []
    for query in queries:
        event = search_event()
        event["queryText"] = query
        events.append(event)
    return events


def _nothing_reached_the_service(emu: Emulator) -> bool:
    return emu.stats()["requests"] == 0 and emu.events() == []


def test_a_batch_of_three_is_one_request_and_three_logged_events(emu: Emulator) -> None:
    with _client(emu) as client:
        result = client.send_search_batch(_searches("one", "two", "three"))
    stats = emu.stats()
    assert stats["requests"] == 1
    assert stats["requests_by_kind"]["searches"] == 1
    logged = emu.events()
    assert [e["path"] for e in logged] == [BATCH_PATH] * 3
    assert [e["body"]["queryText"] for e in logged] == ["one", "two", "three"]
    assert isinstance(result, Result)
    assert (result.http_status, result.attempts) == (200, 1)
    assert result.body is not None
    answer = json.loads(result.body)
    assert isinstance(answer, list) and len(answer) == 3
    assert result.visitor_id == answer[0]["visitorId"] == logged[0]["visitorId"]


@pytest.mark.parametrize("kind", ["search_batch", "SEARCH_BATCH", EventKind.SEARCH_BATCH, 5])
def test_send_takes_the_batch_kind_by_name_enum_and_number(emu: Emulator, kind: Any) -> None:
    with _client(emu) as client:
        client.send(kind, _searches("a", "b"))
    assert [e["path"] for e in emu.events()] == [BATCH_PATH] * 2


def test_a_batch_may_be_a_tuple_or_json_text_as_str_or_bytes(emu: Emulator) -> None:
    text = json.dumps(_searches("from-str", "from-str-2"), indent=2)
    with _client(emu) as client:
        client.send_search_batch(tuple(_searches("from-tuple")))
        client.send_search_batch(text)
        client.send_search_batch(json.dumps(_searches("from-bytes")).encode())
    assert emu.stats()["requests"] == 3
    assert [e["body"]["queryText"] for e in emu.events()] == ["from-tuple", "from-str", "from-str-2", "from-bytes"]


def test_a_bad_item_is_refused_by_its_index_and_nothing_is_sent(emu: Emulator) -> None:
    batch = _searches("fine", "no language", "fine too")
    del batch[1]["language"]
    with _client(emu) as client, pytest.raises(coveo_ua.MissingParameterError) as caught:
        client.send_search_batch(batch)
    error = caught.value
    assert error.message.startswith("Item 1 of the search batch: ")
    assert "language" in error.message
    assert (error.http_status, error.attempts) == (0, 0)
    assert _nothing_reached_the_service(emu)


def test_an_item_that_is_not_an_object_is_judged_by_the_library(emu: Emulator) -> None:
    with _client(emu) as client, pytest.raises(coveo_ua.InvalidObjectError) as caught:
        client.send_search_batch([search_event(), "not an event"])
    assert caught.value.message.startswith("Item 1 of the search batch: ")
    assert _nothing_reached_the_service(emu)


@pytest.mark.parametrize("empty", [[], (), "[]", b" [ ] "])
def test_an_empty_batch_is_an_invalid_object(emu: Emulator, empty: Any) -> None:
    with _client(emu) as client, pytest.raises(coveo_ua.InvalidObjectError) as caught:
        client.send_search_batch(empty)
    assert caught.value.attempts == 0
    assert _nothing_reached_the_service(emu)


def test_with_local_checks_off_the_services_400_comes_back(emu: Emulator) -> None:
    batch = _searches("fine", "no language")
    del batch[1]["language"]
    with _client(emu, local_checks=False) as client, pytest.raises(coveo_ua.MissingParameterError) as caught:
        client.send_search_batch(batch)
    error = caught.value
    assert (error.http_status, error.attempts, error.error_type) == (400, 1, "MissingParameter")
    assert "language" in error.message
    assert emu.stats()["requests"] == 1
    assert emu.events() == [], "one bad item refuses the whole batch"


@pytest.mark.parametrize("batch", [search_event(), {1, 2}, (e for e in [search_event()]), 42, None])
def test_a_batch_that_is_no_list_tuple_or_text_is_a_type_error(emu: Emulator, batch: Any) -> None:
    with _client(emu) as client, pytest.raises(coveo_ua.InvalidArgumentError) as caught:
        client.send_search_batch(batch)
    assert "a search batch must be a list or tuple of mappings" in caught.value.message
    assert _nothing_reached_the_service(emu)


def test_an_item_that_json_cannot_encode_is_an_invalid_argument(emu: Emulator) -> None:
    batch = _searches("fine")
    batch[0]["responseTime"] = float("nan")
    with _client(emu) as client, pytest.raises(coveo_ua.InvalidArgumentError, match="cannot be serialized as JSON"):
        client.send_search_batch(batch)
    assert _nothing_reached_the_service(emu)


def test_a_list_given_to_a_single_event_kind_points_at_send_search_batch(emu: Emulator) -> None:
    with _client(emu) as client, pytest.raises(coveo_ua.InvalidArgumentError, match="send_search_batch"):
        client.send_search(_searches("a"))  # type: ignore[arg-type]
    assert _nothing_reached_the_service(emu)
