"""Constants and small helpers shared by the test modules (no fixtures here)."""

from __future__ import annotations

import base64
import json
import subprocess
import time
import urllib.request
from pathlib import Path
from typing import Any, Dict, List, Optional

REPO_ROOT = Path(__file__).resolve().parents[3]
RELEASE_DIR = REPO_ROOT / "target" / "release"
HEADER = REPO_ROOT / "include" / "coveo_ua.h"

# What the session emulator is started with (see conftest.emulator).
ORG = "test-org"
TOKEN = "xx-test-key"
READONLY_TOKEN = "xx-readonly-key"
OAUTH_TOKEN = "oauth-token-without-org"

# Quick retries keep failing scenarios short; generous timeouts keep a busy
# 2-core machine from turning a success into a timeout.
CONTROL_TIMEOUT_S = 10.0

FAST_RETRIES: Dict[str, Any] = {"timeout": 10.0, "deadline": 30.0, "max_retries": 2, "backoff": (0.005, 0.02)}


def custom_event(value: str = "v") -> Dict[str, Any]:
    """A custom event with every required field."""
    return {"eventType": "python-test", "eventValue": value, "language": "en"}


def search_event() -> Dict[str, Any]:
    return {
        "actionCause": "searchboxSubmit",
        "language": "en",
        "queryText": "coveo",
        "responseTime": 12,
        "searchQueryUid": "0b4b7f9a-5f7e-4c55-9d0b-2f3c1c0a1b2c",
    }


def click_event() -> Dict[str, Any]:
    return {
        "actionCause": "documentOpen",
        "documentPosition": 1,
        "language": "en",
        "searchQueryUid": "0b4b7f9a-5f7e-4c55-9d0b-2f3c1c0a1b2c",
        "sourceName": "web",
    }


def view_event() -> Dict[str, Any]:
    return {"location": "https://example.com/page", "language": "en"}


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def search_token(search_hub: str) -> str:
    """An HS256-shaped search token whose searchHub is `search_hub`.

    The session emulator runs without --jwt-secret, so the signature is not
    verified; only the claims matter here.
    """
    header = {"alg": "HS256", "typ": "JWT"}
    now = int(time.time())
    claims = {"organization": ORG, "searchHub": search_hub, "v8": True, "iat": now, "exp": now + 3600}
    parts = [_b64url(json.dumps(header).encode()), _b64url(json.dumps(claims).encode())]
    return ".".join(parts + [_b64url(b"not-a-real-signature-for-tests")])


class Emulator:
    """A running ua-emulator and helpers for its /_emulator/ control API."""

    def __init__(self, process: "subprocess.Popen[str]", url: str) -> None:
        self.process = process
        #: Base URL ending in /rest/ua, what a Client takes as endpoint.
        self.url = url
        self.root = url[: -len("/rest/ua")] if url.endswith("/rest/ua") else url.rstrip("/")

    def control(self, method: str, path: str, body: Optional[Dict[str, Any]] = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(
            f"{self.root}/_emulator/{path}",
            data=data,
            method=method,
            headers={"Content-Type": "application/json"} if data is not None else {},
        )
        with urllib.request.urlopen(request, timeout=CONTROL_TIMEOUT_S) as response:
            text = response.read().decode()
        return json.loads(text) if text.strip() else None

    def add_fault(self, **rule: Any) -> None:
        self.control("POST", "faults", rule)

    def clear_faults(self) -> None:
        self.control("DELETE", "faults")

    def events(self) -> List[Dict[str, Any]]:
        return list(self.control("GET", "events"))

    def clear_events(self) -> None:
        self.control("DELETE", "events")

    def stats(self) -> Dict[str, Any]:
        return dict(self.control("GET", "stats"))

    def clear_stats(self) -> None:
        self.control("DELETE", "stats")

    def wait_for_requests(self, count: int, deadline_s: float = 15.0) -> None:
        """Waits until the emulator has seen at least `count` API requests."""
        end = time.monotonic() + deadline_s
        while self.stats()["requests"] < count:
            if time.monotonic() > end:
                raise AssertionError(f"the emulator did not see {count} requests within {deadline_s} s")
            time.sleep(0.01)
