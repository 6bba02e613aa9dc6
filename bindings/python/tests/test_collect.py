"""Collect events: one object to /collect, judged by the service, through
Client and Queue alike."""

from __future__ import annotations

from typing import Any, Callable, Dict

import pytest

from coveo_ua import Client, EventKind, InvalidJsonError, InvalidObjectError
from support import FAST_RETRIES, TOKEN, Emulator

COLLECT_PATH = "/rest/ua/v15/analytics/collect"
CID = "5d1c0a7e-3b2f-4c8d-9e6a-1f2b3c4d5e6f"
FLUSH_S = 30.0


def case_assist_event(action: str = "ticket_create") -> Dict[str, Any]:
    """A Case Assist event in the collect form."""
    return {"t": "event", "cid": CID, "svc_action": action, "svc_action_data": {"ticket": {"subject": "printer"}}}


def test_send_collect_posts_to_collect_and_reports_the_visitor(emu: Emulator) -> None:
    with Client(TOKEN, emu.url, **FAST_RETRIES) as client:
        result = client.send_collect(case_assist_event())
    logged = emu.events()
    assert [(e["kind"], e["path"]) for e in logged] == [("collect", COLLECT_PATH)]
    assert logged[0]["body"] == case_assist_event()
    assert (result.http_status, result.attempts) == (200, 1)
    assert result.visitor_id == logged[0]["visitorId"]


@pytest.mark.parametrize("kind", ["collect", "COLLECT", EventKind.COLLECT, 6])
def test_send_takes_the_collect_kind_by_name_enum_and_number(emu: Emulator, kind: Any) -> None:
    with Client(TOKEN, emu.url, **FAST_RETRIES) as client:
        client.send(kind, '{"t":"pageview","dl":"https://example.com/"}')
    assert [e["path"] for e in emu.events()] == [COLLECT_PATH]


def test_only_what_is_surely_wrong_is_refused_before_sending(emu: Emulator) -> None:
    with Client(TOKEN, emu.url, **FAST_RETRIES) as client:
        # Fields that other kinds' checks refuse are the service's to judge here.
        client.send_collect({"outcome": "high", "clientId": "nope", "customData": [1]})
        with pytest.raises(InvalidObjectError) as not_object:
            client.send_collect("[{}]")
        with pytest.raises(InvalidJsonError):
            client.send_collect("t=event&ec=case")
    assert (not_object.value.attempts, not_object.value.http_status) == (0, 0)
    assert emu.stats()["requests_by_kind"]["collect"] == 1


def test_the_queue_delivers_collect_events(emu: Emulator, make_queue: Callable[..., Any]) -> None:
    emu.add_fault(status=503, count=1, path=COLLECT_PATH)
    queue = make_queue()
    for action in ("open", "search", "close"):
        queue.enqueue_collect(case_assist_event(action))
    with pytest.raises(InvalidObjectError):
        queue.enqueue_collect("[]")
    assert queue.flush(FLUSH_S)
    counters = queue.counters
    assert (counters.enqueued, counters.delivered, counters.refused) == (3, 3, 1)
    logged = emu.events()
    assert sorted(e["body"]["svc_action"] for e in logged) == ["close", "open", "search"]
    assert {e["kind"] for e in logged} == {"collect"}
    assert emu.stats()["requests_by_kind"]["collect"] == 4, "one retried after the 503"
