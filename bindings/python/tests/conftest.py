"""Shared fixtures: the real ua-emulator process and its control API.

Prerequisites come from the environment the Makefile exports
(COVEO_UA_LIBRARY, UA_EMULATOR_BIN), falling back to target/release/ of the
repository; a missing one makes the tests FAIL with a message, never skip.
"""

from __future__ import annotations

import ctypes
import os
import queue
import signal
import subprocess
import threading
from pathlib import Path
from typing import Any, Callable, Iterator, List, Optional

import pytest

from support import (
    OAUTH_TOKEN,
    ORG,
    QUEUE_OPTIONS,
    READONLY_TOKEN,
    RELEASE_DIR,
    TOKEN,
    Emulator,
    assert_counter_identity,
)

# The library must be known before any test module imports coveo_ua.
os.environ.setdefault("COVEO_UA_LIBRARY", str(RELEASE_DIR / "libcoveo_ua.so"))

STARTUP_DEADLINE_S = 15.0


def _emulator_binary() -> Path:
    path = Path(os.environ.get("UA_EMULATOR_BIN") or RELEASE_DIR / "ua-emulator")
    if not path.is_file():
        pytest.fail(
            f"ua-emulator not found at {path}: run `make build` or set UA_EMULATOR_BIN",
            pytrace=False,
        )
    return path


def _die_with_parent() -> None:
    """Runs in the child before exec: if pytest dies without cleaning up, the
    kernel stops the emulator too instead of leaving it orphaned."""
    pr_set_pdeathsig = 1
    ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, int(signal.SIGKILL))


def _read_lines(stream: Any, lines: "queue.Queue[Optional[str]]") -> None:
    # Keeps draining stdout so the emulator never blocks on a full pipe.
    for line in stream:
        lines.put(line)
    lines.put(None)


@pytest.fixture(scope="session")
def emulator() -> Iterator[Emulator]:
    """One emulator process for the whole session (faults/events reset per test by `emu`)."""
    command = [
        str(_emulator_binary()),
        "--listen",
        "127.0.0.1:0",
        "--org",
        ORG,
        "--api-key",
        TOKEN,
        "--readonly-key",
        READONLY_TOKEN,
        "--oauth-token",
        OAUTH_TOKEN,
    ]
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, text=True, preexec_fn=_die_with_parent
    )
    lines: "queue.Queue[Optional[str]]" = queue.Queue()
    threading.Thread(target=_read_lines, args=(process.stdout, lines), daemon=True).start()
    try:
        try:
            first = lines.get(timeout=STARTUP_DEADLINE_S)
        except queue.Empty:
            first = None
        if not first or "http://" not in first:
            pytest.fail(f"ua-emulator printed no URL within {STARTUP_DEADLINE_S} s (got {first!r})", pytrace=False)
        url = first[first.index("http://") :].strip()
        yield Emulator(process, url)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@pytest.fixture
def emu(emulator: Emulator) -> Iterator[Emulator]:
    """The session emulator with no fault rules, no added latency, an empty
    event log and its counters at zero."""
    emulator.clear_faults()
    emulator.set_latency(0)
    emulator.clear_events()
    emulator.clear_stats()
    yield emulator
    emulator.clear_faults()
    emulator.set_latency(0)


@pytest.fixture
def make_queue(emu: Emulator) -> Iterator[Callable[..., Any]]:
    """Makes coveo_ua.Queue objects (QUEUE_OPTIONS, the emulator's endpoint,
    TOKEN unless given); at the end of the test each is closed and its
    counters must keep the identity."""
    from coveo_ua import Queue

    made: List[Any] = []

    def make(endpoint: Optional[str] = None, token: str = TOKEN, **options: Any) -> Any:
        settings = dict(QUEUE_OPTIONS)
        settings.update(options)
        made.append(Queue(token, endpoint or emu.url, **settings))
        return made[-1]

    yield make
    for each in made:
        each.close()
        assert_counter_identity(each.counters)


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int) -> None:
    # A skipped test must never pass for a green run.
    skipped = terminalreporter.stats.get("skipped", [])
    if skipped:
        terminalreporter.write_line(
            f"FAILED: {len(skipped)} test(s) were skipped; skips are not allowed here", red=True
        )


def pytest_sessionfinish(session: Any, exitstatus: int) -> None:
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter is not None else []
    if skipped and session.exitstatus == 0:
        session.exitstatus = 1
    if exitstatus == 5:
        # No test collected is a failure, whatever ran us.
        session.exitstatus = 1
