"""Constants and small helpers shared by the test modules (no fixtures here)."""

from __future__ import annotations

import base64
import json
import socket
import subprocess
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

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
# A queue's pause starts short so outages in tests cost little time; close
# without a timeout (the fixture's teardown) gives up quickly.
QUEUE_OPTIONS: Dict[str, Any] = {**FAST_RETRIES, "queue_backoff": (0.02, 0.2), "close_timeout": 1.0}


#: Increments this thread makes while another waits in a C call: far more
#: than it could make in the switch intervals left were the GIL held there.
PROGRESS_TARGET = 200_000


def assert_progress_while(done: threading.Event, busy: str) -> None:
    """Asserts that this thread counts to PROGRESS_TARGET while another thread
    is still `busy` (in flush, in a send: it sets `done` once its C call has
    returned) from the start of the count to its end, which it can only do if
    that call released the GIL."""
    busy_at_start = not done.is_set()
    counter = 0
    while counter < PROGRESS_TARGET and not done.is_set():
        counter += 1
    busy_at_end = not done.is_set()
    assert busy_at_start, f"this thread could not run while the other was {busy}: the GIL was held"
    assert counter == PROGRESS_TARGET and busy_at_end, (
        f"only {counter} increments happened while the other thread was {busy}: the GIL was held"
    )


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

    def set_latency(self, latency_ms: int) -> None:
        """Every service request waits `latency_ms` first (0: none)."""
        self.control("PUT", "latency", {"latency_ms": latency_ms})

    def refuse_connections(self, refuse_ms: int) -> None:
        """Closes the listener for `refuse_ms`: connections are refused, then
        it listens again. Returns once a connection has been refused, so what
        the caller does next meets the window."""
        self.control("POST", "outage", {"refuse_ms": refuse_ms})
        host, port = self.root[len("http://") :].rsplit(":", 1)
        end = time.monotonic() + refuse_ms / 1000
        while time.monotonic() < end:
            try:
                socket.create_connection((host, int(port)), timeout=CONTROL_TIMEOUT_S).close()
            except ConnectionRefusedError:
                return
            time.sleep(0.001)
        raise AssertionError(f"the emulator kept accepting connections during a {refuse_ms} ms outage")

    def logged_values(self) -> List[str]:
        """The eventValue of every accepted event, oldest first."""
        return [e["body"].get("eventValue") for e in self.events()]

    def wait_for_requests(self, count: int, deadline_s: float = 15.0) -> None:
        """Waits until the emulator has seen at least `count` API requests."""
        end = time.monotonic() + deadline_s
        while self.stats()["requests"] < count:
            if time.monotonic() > end:
                raise AssertionError(f"the emulator did not see {count} requests within {deadline_s} s")
            time.sleep(0.01)


def closed_port_endpoint() -> str:
    """An endpoint on a port that was just free: connecting there is refused."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    return f"http://127.0.0.1:{port}/rest/ua"


def assert_counter_identity(counters: Any) -> None:
    """ENQUEUED + RECOVERED = DELIVERED + FAILED + PENDING: nothing dropped uncounted."""
    taken = counters.enqueued + counters.recovered
    settled = counters.delivered + counters.failed + counters.pending
    assert taken == settled, f"counter identity broken: {counters}"


#: What an on_failure call got: (kind, a text of the event, error).
Failure = Tuple[Any, str, Any]


class FailureLog:
    """An on_failure that records (kind, eventValue, error); thread-safe."""

    def __init__(self) -> None:
        self.calls: List[Failure] = []
        self._lock = threading.Lock()

    def __call__(self, kind: Any, event_json: str, error: Any) -> None:
        with self._lock:
            self.calls.append((kind, json.loads(event_json).get("eventValue"), error))

    def values(self) -> List[str]:
        with self._lock:
            return sorted(value for _, value, _ in self.calls)
