"""ua-emulator for your own tests: the Write API on loopback, its event log and
its faults, from Python.

The wheel carries the ``ua-emulator`` binary of its platform. With pytest, ask
for the ``ua_emulator`` fixture (the plugin ``coveo_ua_pytest``, registered
when this package is installed). Elsewhere::

    from coveo_ua.emulator import Emulator

    with Emulator() as emu:
        client = Client(emu.token, emu.endpoint)
        client.send_custom({"eventType": "t", "eventValue": "v", "language": "en"})
        assert emu.events()[0]["body"]["eventType"] == "t"

``python -m coveo_ua.emulator [ARGS]`` runs the binary by hand with the
emulator's own arguments (``--help`` lists them), e.g. ``python -m
coveo_ua.emulator --listen 127.0.0.1:8080 --org my-org --api-key xx-my-key``.
"""

from __future__ import annotations

import json
import os
import queue
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import weakref
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

#: Set to a path to use that emulator binary instead of the packaged one.
ENV_VAR = "UA_EMULATOR_BIN"
#: What an Emulator is started with unless told otherwise.
DEFAULT_TOKEN = "xx-coveo-ua-test-key"
DEFAULT_ORG = "test-org"
#: Seconds the emulator has to print its URL, and each control request to answer.
STARTUP_TIMEOUT = 15.0
CONTROL_TIMEOUT = 10.0


def binary_file_name() -> str:
    """The platform's file name of the emulator."""
    return "ua-emulator.exe" if sys.platform == "win32" else "ua-emulator"


def find_binary() -> Path:
    """The emulator to run, first hit wins: ``$UA_EMULATOR_BIN`` (which must
    name a file when set), the copy in this package (``coveo_ua/_bin``), the
    ``target/release`` of an enclosing coveo-ua checkout, then ``PATH``.
    Raises FileNotFoundError saying what to do."""
    name = binary_file_name()
    given = os.environ.get(ENV_VAR)
    if given:
        if not Path(given).is_file():
            raise FileNotFoundError(f"{ENV_VAR}={given!r} does not name a file; point it at ua-emulator or unset it")
        return Path(given)
    here = Path(__file__).resolve().parent
    candidates = [here / "_bin" / name] + [d / "target" / "release" / name for d in here.parents]
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    on_path = shutil.which(name)
    if on_path:
        return Path(on_path)
    raise FileNotFoundError(
        f"no {name} found: this coveo_ua package carries none (install the wheel built for this platform), "
        f"{ENV_VAR} is not set and PATH has none (`cargo install --locked --path emulator` in a coveo-ua checkout)"
    )


class EmulatorError(RuntimeError):
    """The emulator did not start, or its control API refused a request."""


class Emulator:
    """A ``ua-emulator`` process on a free loopback port, stopped by ``stop()``
    (or leaving ``with``, or at interpreter exit at the latest).

    ``token`` is the API key it knows and ``org`` its organization; ``args``
    are more of its command-line arguments (``["--rate-limit", "5"]``,
    ``["--readonly-key", "xx-ro"]``...); ``binary`` overrides find_binary().
    """

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        org: str = DEFAULT_ORG,
        args: Sequence[str] = (),
        binary: Optional[os.PathLike] = None,
    ) -> None:
        #: The API key the emulator accepts; give it to your client.
        self.token = token
        #: The emulator's organization.
        self.org = org
        path = Path(binary) if binary is not None else find_binary()
        command = [str(path), "--listen", "127.0.0.1:0", "--org", org, "--api-key", token, *args]
        self._process = subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, text=True, encoding="utf-8"
        )
        self._stopper = weakref.finalize(self, _stop_process, self._process)
        lines: "queue.Queue[Optional[str]]" = queue.Queue()
        threading.Thread(target=_read_lines, args=(self._process.stdout, lines), daemon=True).start()
        try:
            first = lines.get(timeout=STARTUP_TIMEOUT)
        except queue.Empty:
            first = None
        if not first or "http://" not in first:
            self.stop()
            raise EmulatorError(f"{path} printed no URL within {STARTUP_TIMEOUT:.0f} s (got {first!r})")
        #: The base URL of the Write API, ending in /rest/ua: your client's endpoint.
        self.endpoint = first[first.index("http://") :].strip()
        self._root = self.endpoint[: -len("/rest/ua")]

    # -- what the emulator accepted ----------------------------------------

    def events(self) -> List[Dict[str, Any]]:
        """The accepted events, oldest first, each a dict with ``kind``
        ("search", "click", "custom", "view", "collect"; each item of a batch
        is a "search"), ``path``, ``body`` (the event as accepted),
        ``visitorId``, ``clientId``, ``visitId``, ``org``, ``seq``."""
        return list(self._control("GET", "events"))

    def clear_events(self) -> None:
        """Empties the event log."""
        self._control("DELETE", "events")

    def stats(self) -> Dict[str, Any]:
        """Request counters: ``requests``, ``accepted``, ``rejected``,
        ``faults_applied``, ``connections``, and by kind of path."""
        return dict(self._control("GET", "stats"))

    # -- making it misbehave -----------------------------------------------

    def fault(self, status: Optional[int] = None, count: Optional[int] = 1, **rule: Any) -> None:
        """Makes the next ``count`` requests fail: ``fault(status=503,
        count=2)``; ``count=0`` means every request until clear_faults().
        More of the emulator's fault rule as keywords: ``path=`` (only
        requests whose path starts with it), ``retry_after="2"``,
        ``body="html"``, ``action="reset"``, ``duration_ms=3000`` (a window
        instead of a count)... (emulator/README.md, "Fault rules"). A rule the
        emulator refuses raises ValueError with its reason."""
        if status is not None:
            rule["status"] = status
        if count is not None and "duration_ms" not in rule:
            rule["count"] = count
        self._control("POST", "faults", rule)

    def clear_faults(self) -> None:
        """Removes every fault rule still pending."""
        self._control("DELETE", "faults")

    def latency(self, ms: int) -> None:
        """Every later request waits ``ms`` milliseconds before it is handled (0: none)."""
        self._control("PUT", "latency", {"latency_ms": ms})

    def outage(self, ms: int) -> None:
        """The emulator stops listening for ``ms`` milliseconds: connections
        are refused, then it listens again on the same port. Returns once a
        connection has been refused, so what the caller does next meets the
        outage."""
        self._control("POST", "outage", {"refuse_ms": ms})
        host, port = self._root[len("http://") :].rsplit(":", 1)
        end = time.monotonic() + ms / 1000
        while time.monotonic() < end:
            try:
                socket.create_connection((host, int(port)), timeout=CONTROL_TIMEOUT).close()
            except ConnectionRefusedError:
                return
            except ConnectionResetError:
                pass  # caught in the backlog of the listener being closed: refusals come next
            time.sleep(0.001)
        raise EmulatorError(f"the emulator kept accepting connections during a {ms} ms outage")

    def reset(self) -> None:
        """Back to a fresh emulator: no fault rules, no latency, an empty
        event log, counters at zero."""
        self.clear_faults()
        self.latency(0)
        self.clear_events()
        self._control("DELETE", "stats")

    # -- lifetime ----------------------------------------------------------

    @property
    def running(self) -> bool:
        """True while the process runs."""
        return self._process.poll() is None

    def stop(self) -> None:
        """Stops the process (SIGTERM, then SIGKILL after 10 s); again does nothing."""
        self._stopper()

    def __enter__(self) -> "Emulator":
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"<coveo_ua.emulator.Emulator {self.endpoint} {'running' if self.running else 'stopped'}>"

    def _control(self, method: str, path: str, body: Optional[Dict[str, Any]] = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        headers = {} if data is None else {"Content-Type": "application/json"}
        request = urllib.request.Request(f"{self._root}/_emulator/{path}", data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=CONTROL_TIMEOUT) as answer:
                text = answer.read().decode()
        except urllib.error.HTTPError as error:
            reason = error.read().decode(errors="replace")
            raise (ValueError if error.code == 400 else EmulatorError)(
                f"{method} /_emulator/{path}: HTTP {error.code}: {reason}"
            ) from None
        return json.loads(text) if text.strip() else None


def _read_lines(stream: Any, lines: "queue.Queue[Optional[str]]") -> None:
    # Keeps reading stdout so the emulator never blocks on a full pipe.
    for line in stream:
        lines.put(line)
    lines.put(None)


def _stop_process(process: "subprocess.Popen[str]") -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
    if process.stdout is not None:
        process.stdout.close()


def main(argv: Optional[Sequence[str]] = None) -> int:
    """``python -m coveo_ua.emulator [ARGS]``: runs the emulator in the
    foreground with ARGS (its own command line; ``--help`` lists it) until
    Ctrl-C or SIGTERM; returns its exit status."""
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        binary = find_binary()
    except FileNotFoundError as error:
        print(f"coveo_ua.emulator: {error}", file=sys.stderr)
        return 1
    if os.name == "posix":
        # The process becomes the emulator: signals reach it, its exit status
        # is the command's, and no Python process is left to outlive it.
        sys.stdout.flush()
        sys.stderr.flush()
        os.execv(str(binary), [str(binary), *args])
    process = subprocess.Popen([str(binary), *args])
    try:
        return process.wait()
    except KeyboardInterrupt:
        # The console sent Ctrl-C to the emulator too; it stops by itself.
        return process.wait(timeout=10)


if __name__ == "__main__":
    sys.exit(main())
