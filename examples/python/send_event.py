#!/usr/bin/env python3
"""Sends an accepted event and a search batch, then shows how each kind of
failure is reported.

Run beside an emulator (`make demo` does it): UA_ENDPOINT, UA_TOKEN and
UA_ORG name the service. The failure cases use the emulator's control API
(/_emulator/faults) to make the service misbehave on purpose.
"""

from __future__ import annotations

import sys
from typing import Any, Dict

from coveo_ua import Client, UAError
from demo_env import ENDPOINT, ORG, TOKEN, emulator


def event(value: str) -> Dict[str, Any]:
    return {"eventType": "demo", "eventValue": value, "language": "en"}


def search(query: str) -> Dict[str, Any]:
    return {
        "actionCause": "searchboxSubmit",
        "language": "en",
        "queryText": query,
        "responseTime": 42,
        "searchQueryUid": "7f3e2b1a-0c4d-4e5f-8a9b-1c2d3e4f5a6b",
    }


def report(title: str, error: UAError) -> None:
    print(f"\n{title}")
    print(f"  exception: {type(error).__name__}")
    print(f"  code:      {error.name} ({error.code})")
    print(f"  message:   {error.message}")
    print(f"  http:      status {error.http_status}, type {error.error_type}, attempts {error.attempts}")
    print(f"  describe:  {error.describe()}")


def main() -> int:
    # Short waits between retries keep the demo quick.
    options: Dict[str, Any] = {"org": ORG, "timeout": 5.0, "deadline": 20.0, "max_retries": 2, "backoff": (0.05, 0.2)}
    handled = 0
    with Client(TOKEN, ENDPOINT, **options) as client:
        result = client.send_custom(event("accepted"))
        print(f"accepted: HTTP {result.http_status} after {result.attempts} attempt(s), visitor {result.visitor_id}")

        batch = [search("coveo"), search("usage analytics"), search("blocking client")]
        result = client.send_search_batch(batch)
        print(f"a search batch of {len(batch)} in one request: HTTP {result.http_status}, visitor {result.visitor_id}")

        try:
            with Client("xx-not-a-real-key", ENDPOINT, **options) as stranger:
                stranger.send_custom(event("bad token"))
        except UAError as error:
            report("1. a token the service does not know:", error)
            handled += 1

        try:
            client.send_custom({"eventValue": "no type", "language": "en"})
        except UAError as error:
            report("2. a required field is missing (caught before sending):", error)
            handled += 1

        unfinished = [search("fine"), {**search("no language"), "language": None}]
        try:
            client.send_search_batch(unfinished)
        except UAError as error:
            report("3. one bad item refuses a search batch (caught before sending):", error)
            handled += 1

        try:
            Client(TOKEN, "http://analytics.example.com/rest/ua")
        except UAError as error:
            report("4. an option the library refuses, in its own words:", error)
            handled += 1

        emulator("POST", "faults", {"count": 2, "status": 503, "body": "html"})
        result = client.send_custom(event("after a short outage"))
        print(f"\n5. a burst of two 503 answers recovers: HTTP {result.http_status} after {result.attempts} attempts")

        emulator(
            "POST",
            "faults",
            {"count": 0, "status": 503, "type": "ServiceUnavailable", "message": "down for maintenance"},
        )
        try:
            client.send_custom(event("during a long outage"))
        except UAError as error:
            report("6. an outage longer than the retries:", error)
            handled += 1
        finally:
            emulator("DELETE", "faults")

    if handled != 5:
        print(f"\nexpected 5 handled failures, saw {handled}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
