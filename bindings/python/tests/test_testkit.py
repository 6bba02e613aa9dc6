"""The test kit: the emulator the package carries (coveo_ua.emulator), its
helpers, ``python -m coveo_ua.emulator``, and the pytest plugin's
``ua_emulator`` fixture (real pytest runs in subprocesses, with pytester)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

import coveo_ua
from coveo_ua import Client, ConnectionFailedError, ServerError
from coveo_ua.emulator import DEFAULT_ORG, DEFAULT_TOKEN, Emulator, EmulatorError, find_binary
from support import custom_event

pytest_plugins = ["pytester"]

NO_RETRY = {"max_retries": 0, "timeout": 5.0, "deadline": 10.0}


def test_the_emulator_is_found_without_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("UA_EMULATOR_BIN", raising=False)
    found = find_binary()
    packaged = Path(coveo_ua.__file__).resolve().parent / "_bin" / "ua-emulator"
    if os.environ.get("COVEO_UA_TEST_INSTALLED") == "1":
        # `make test-python`: the wheel carries it and that copy comes first.
        assert found == packaged
    else:
        assert found.parent.name == "release", f"the source tree's build, got {found}"
    assert os.access(found, os.X_OK)
    with Emulator() as emu:
        assert emu.running


def test_a_wrong_env_path_is_an_error_not_a_fallback(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("UA_EMULATOR_BIN", "/nonexistent/ua-emulator")
    with pytest.raises(FileNotFoundError, match="UA_EMULATOR_BIN"):
        find_binary()


def test_events_and_faults() -> None:
    with Emulator() as emu, Client(emu.token, emu.endpoint, **NO_RETRY) as client:
        assert (emu.token, emu.org) == (DEFAULT_TOKEN, DEFAULT_ORG)
        assert emu.endpoint.startswith("http://127.0.0.1:") and emu.endpoint.endswith("/rest/ua")
        result = client.send_custom(custom_event("first"))
        events = emu.events()
        assert [(e["kind"], e["body"]["eventValue"], e["org"]) for e in events] == [("custom", "first", DEFAULT_ORG)]
        assert events[0]["visitorId"] == result.visitor_id
        emu.fault(status=503, count=2)
        for _ in range(2):
            with pytest.raises(ServerError):
                client.send_custom(custom_event("refused"))
        client.send_custom(custom_event("second"))
        assert [e["body"]["eventValue"] for e in emu.events()] == ["first", "second"]
        emu.fault(status=429, count=0, path="/rest/ua/v15/analytics/view")
        client.send_custom(custom_event("not a view"))
        with pytest.raises(ValueError, match="Unknown field 'colour'"):
            emu.fault(status=503, colour="red")
        emu.reset()
        assert emu.events() == [] and emu.stats()["requests"] == 0
        client.send_view({"location": "https://example.com/"})  # the 429 rule went with reset
    assert not emu.running
    emu.stop()  # again: nothing


def test_latency_and_outage() -> None:
    with Emulator(args=["--readonly-key", "xx-read-only"]) as emu, Client(emu.token, emu.endpoint, **NO_RETRY) as client:
        emu.latency(300)
        started = time.monotonic()
        client.send_custom(custom_event("slow"))
        assert time.monotonic() - started >= 0.3
        emu.latency(0)
        emu.outage(800)
        with pytest.raises(ConnectionFailedError):
            client.send_custom(custom_event("refused"))
        deadline = time.monotonic() + 10
        while True:  # listening again after the window
            try:
                client.send_custom(custom_event("back"))
                break
            except ConnectionFailedError:
                assert time.monotonic() < deadline, "the emulator did not listen again"
                time.sleep(0.05)
        assert [e["body"]["eventValue"] for e in emu.events()] == ["slow", "back"]
        with Client("xx-read-only", emu.endpoint, **NO_RETRY) as reader:
            with pytest.raises(coveo_ua.UnauthorizedOrgError):
                reader.send_custom(custom_event())


def test_a_binary_that_prints_no_url_is_an_error(tmp_path: Path) -> None:
    silent = tmp_path / "silent-emulator"
    silent.write_text("#!/bin/sh\nexit 3\n")
    silent.chmod(0o755)
    with pytest.raises(EmulatorError, match="printed no URL"):
        Emulator(binary=silent)


def test_python_m_runs_the_emulator() -> None:
    usage = subprocess.run([sys.executable, "-m", "coveo_ua.emulator", "--help"], capture_output=True, text=True,
                           timeout=30)
    assert usage.returncode == 0, usage.stderr
    assert "--api-key" in usage.stdout + usage.stderr
    bad = subprocess.run([sys.executable, "-m", "coveo_ua.emulator", "--no-such-flag"], capture_output=True,
                         text=True, timeout=30)
    assert bad.returncode == 2, "the emulator's own status for a bad command line"
    process = subprocess.Popen([sys.executable, "-m", "coveo_ua.emulator", "--org", "o", "--api-key", "xx-k"],
                               stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line.startswith("ua-emulator listening on http://127.0.0.1:"), line
    finally:
        process.terminate()
        assert process.wait(timeout=10) == 0


def test_the_fixture_gives_a_running_emulator(ua_emulator: Emulator) -> None:
    with Client(ua_emulator.token, ua_emulator.endpoint, org=ua_emulator.org, **NO_RETRY) as client:
        client.send_custom(custom_event("from-the-fixture"))
    assert [e["body"]["eventValue"] for e in ua_emulator.events()] == ["from-the-fixture"]


# -- the plugin in real pytest runs (subprocesses) ----------------------------

PROBE = '''
import os, sys
import pytest

def test_untouched():
    # The plugin imported nothing of coveo_ua for a test without the fixture.
    assert "coveo_ua" not in sys.modules
    assert "coveo_ua.emulator" not in sys.modules

def test_one(ua_emulator):
    record(ua_emulator)
    ua_emulator.fault(status=503, count=0)
    ua_emulator.latency(200)

def test_two(ua_emulator):
    record(ua_emulator)

@pytest.mark.ua_emulator(args=["--rate-limit", "1"], org="marked-org")
def test_marked(ua_emulator):
    record(ua_emulator)
    assert ua_emulator.org == "marked-org"

def record(emu):
    from coveo_ua import Client
    with Client(emu.token, emu.endpoint, max_retries=0) as client:
        client.send_custom({"eventType": "t", "eventValue": "v", "language": "en"})  # no fault left, no latency
    assert len(emu.events()) == 1
    with open(os.environ["PROBE_LOG"], "a") as log:
        log.write(emu.endpoint + "\\n")
'''


def _run_probe(pytester: Any, tmp_path: Path, *args: str) -> list:
    pytester.makepyfile(test_probe=PROBE)
    log = tmp_path / "endpoints.txt"
    os.environ["PROBE_LOG"] = str(log)
    try:
        # The child loads the installed plugin through its entry point.
        result = pytester.runpytest_subprocess("-p", "no:cacheprovider", *args)
    finally:
        del os.environ["PROBE_LOG"]
    result.assert_outcomes(passed=4)
    return log.read_text().split()


def test_plugin_gives_each_test_its_own_emulator_by_default(pytester: Any, tmp_path: Path) -> None:
    endpoints = _run_probe(pytester, tmp_path)
    assert len(set(endpoints)) == 3


def test_plugin_session_scope_shares_one_reset_emulator(pytester: Any, tmp_path: Path) -> None:
    pytester.makeini("[pytest]\nua_emulator_scope = session\n")
    one, two, marked = _run_probe(pytester, tmp_path)
    assert one == two, "one process for the session"
    assert marked != one, "a marked test has its own"
    (tmp_path / "endpoints.txt").unlink()
    endpoints = _run_probe(pytester, tmp_path, "--ua-emulator-scope=function")
    assert len(set(endpoints)) == 3, "the command line wins over the ini setting"
