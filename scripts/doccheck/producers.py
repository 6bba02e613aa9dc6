"""Inputs that make the real library and the real emulator say the messages
the docs quote. A quote that none of these produces (and that no fixed
literal holds) fails the check: add the call that produces it here."""

from __future__ import annotations

import base64
import json
import sys
import urllib.error
import urllib.request
from typing import Any, Callable, Dict, List

from .env import REPO

TOKEN = "xx-doc-check-key"


def _library_messages() -> List[str]:
    sys.path.insert(0, str(REPO / "bindings/python/src"))
    import coveo_ua
    from coveo_ua import Client, Queue

    def custom(**fields: Any) -> Dict[str, Any]:
        return {"eventType": "doc", "eventValue": "v", "language": "en", **fields}

    search = {"actionCause": "searchboxSubmit", "language": "en", "queryText": "q", "responseTime": 5,
              "searchQueryUid": "00000000-0000-4000-8000-000000000000"}
    loopback = "http://127.0.0.1:9/rest/ua"
    calls: List[Callable[[], Any]] = [
        lambda: Client(TOKEN, "http://example.com/rest/ua"),
        lambda: Client(TOKEN, ""),
        lambda: Client(TOKEN, timeout=0),
        lambda: Client(TOKEN, timeout=601),
        lambda: Client(TOKEN, deadline=7200),
        lambda: Client(TOKEN, max_retries=101),
        lambda: Client(TOKEN, max_retries=1.5),
        lambda: Client(TOKEN, backoff=(1.0, 0.001)),
        lambda: Client("xx secret"),
        lambda: Client(""),
        lambda: Client(TOKEN, org="my org"),
        lambda: Client(TOKEN, org="my_org!"),
        lambda: Client(TOKEN, ca_file="/nonexistent/roots.pem"),
        lambda: Client(TOKEN, proxy="socks5://127.0.0.1:1080"),
        lambda: Queue(TOKEN, loopback, workers=257),
        lambda: Queue(TOKEN, loopback, max_age=0),
        lambda: Client(TOKEN, loopback).send_custom({"eventValue": "v", "language": "en"}),
        lambda: Client(TOKEN, loopback).send_custom(custom(outcome="high")),
        lambda: Client(TOKEN, loopback).send_custom("{not json"),
        lambda: Client(TOKEN, loopback).send_search_batch([search, {k: v for k, v in search.items() if k != "language"}]),
        lambda: Client(TOKEN, loopback).send_search_batch([search, search, {"queryText": "q"}]),
        lambda: Client(TOKEN, loopback).send_search_batch([]),
    ]
    out: List[str] = []
    for call in calls:
        try:
            call()
        except coveo_ua.UAError as error:
            out += [error.message, str(error)]
        except (TypeError, ValueError) as error:
            out.append(str(error))
    return out


def _post(url: str, body: bytes, headers: Dict[str, str]) -> Dict[str, Any]:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return json.loads(answer.read() or b"{}")
    except urllib.error.HTTPError as error:
        return json.loads(error.read() or b"{}")


def _emulator_messages(endpoint: str) -> List[str]:
    """Error answers of the emulator started with --org doc-org --api-key TOKEN."""
    control = endpoint[: -len("/rest/ua")] + "/_emulator"
    headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}

    def event(kind: str, body: Any, token: str = TOKEN) -> Dict[str, Any]:
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        return _post(f"{endpoint}/v15/analytics/{kind}", raw, dict(headers, Authorization=f"Bearer {token}"))

    def b64(part: Dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(part).encode()).rstrip(b"=").decode()

    search_token = ".".join([b64({"alg": "HS256"}), b64({"organization": "doc-org", "searchHub": "H"}), "sig"])
    answers = [
        event("custom", {"eventValue": "v", "language": "en"}),
        event("custom", b"{not json"),
        event("custom", {"eventType": "t", "eventValue": "v", "language": "en", "originLevel1": "X"},
              token=search_token),
        _post(f"{control}/faults", json.dumps({"staus": 503}).encode(), {}),
        _post(f"{control}/faults", json.dumps([{"status": 503}, {"staus": 503}]).encode(), {}),
        _post(f"{control}/faults", b"{nope", {}),
        _post(f"{control}/outage", json.dumps({"refuse_ms": 5, "drop": True}).encode(), {}),
    ]
    return [a["message"] for a in answers if "message" in a]


def produced(endpoint: str) -> List[str]:
    """Every message the producers draw."""
    return _library_messages() + _emulator_messages(endpoint)
