"""The pytest plugin of coveo-ua: the ``ua_emulator`` fixture.

Installed with the coveo-ua package and registered through the ``pytest11``
entry point. It stays inactive until a test asks for the fixture: loading it
imports only pytest, and nothing (no process, no native library) is started
for tests that do not use it.

``ua_emulator`` is a running :class:`coveo_ua.emulator.Emulator`: point your
code at ``ua_emulator.endpoint`` with ``ua_emulator.token`` (organization
``ua_emulator.org``), then check ``ua_emulator.events()``; ``fault(status=,
count=)``, ``latency(ms)`` and ``outage(ms)`` make the service misbehave.

By default every test gets an emulator of its own. With ``ua_emulator_scope =
session`` in the pytest configuration (or ``--ua-emulator-scope=session``) the
tests share one process, reset before each test (no faults, no latency, an
empty event log). ``@pytest.mark.ua_emulator(args=[...], token=..., org=...)``
gives a test an emulator of its own started with those settings, whatever the
scope.
"""

from __future__ import annotations

from typing import Any, Dict, Iterator

import pytest

SCOPES = ("function", "session")
SCOPE_INI = "ua_emulator_scope"
MARKER = "ua_emulator"


def pytest_addoption(parser: Any) -> None:
    parser.addini(SCOPE_INI, f"coveo-ua's ua_emulator fixture: one emulator per test ('function', the default) "
                  f"or one shared by the session, reset before each test ('session')", default="function")
    parser.getgroup("coveo_ua").addoption(
        "--ua-emulator-scope", choices=SCOPES, default=None, help=f"overrides the {SCOPE_INI} setting"
    )


def pytest_configure(config: Any) -> None:
    config.addinivalue_line(
        "markers",
        f"{MARKER}(args=(), token=..., org=...): this test's ua_emulator is its own process, started with "
        "these settings (coveo-ua)",
    )


def _scope(config: Any) -> str:
    scope = config.getoption("--ua-emulator-scope") or config.getini(SCOPE_INI) or "function"
    if scope not in SCOPES:
        raise pytest.UsageError(f"{SCOPE_INI} = {scope!r}: use one of {', '.join(SCOPES)}")
    return str(scope)


@pytest.fixture(scope="session")
def _ua_emulator_session() -> Iterator[Any]:
    """The emulator the session shares when the scope is 'session'."""
    from coveo_ua.emulator import Emulator

    with Emulator() as emulator:
        yield emulator


@pytest.fixture
def ua_emulator(request: Any) -> Iterator[Any]:
    """A running ua-emulator (coveo_ua.emulator.Emulator): ``endpoint``,
    ``token``, ``org``, ``events()``, ``fault(status=..., count=...)``,
    ``latency(ms)``, ``outage(ms)``."""
    marker = request.node.get_closest_marker(MARKER)
    if marker is None and _scope(request.config) == "session":
        emulator = request.getfixturevalue("_ua_emulator_session")
        emulator.reset()
        yield emulator
        return
    from coveo_ua.emulator import Emulator

    settings: Dict[str, Any] = dict(marker.kwargs) if marker is not None else {}
    with Emulator(**settings) as emulator:
        yield emulator
