"""The server the rows talk to: ua-emulator or the minimal bench_server, started
on a free loopback port, pinned to chosen CPUs, and stopped at the end."""

import os
import re
import signal
import subprocess
import threading
import time
import urllib.request
from pathlib import Path

from . import paths

URL_RE = re.compile(r"http://\S+")


class ServerError(Exception):
    """The server did not start or died."""


def set_affinity(pid: int, cpus) -> None:
    """Pins every thread of process `pid` to `cpus` (threads created later
    inherit the mask of the thread that creates them)."""
    task_dir = Path(f"/proc/{pid}/task")
    for tid in os.listdir(task_dir):
        try:
            os.sched_setaffinity(int(tid), cpus)
        except (ProcessLookupError, FileNotFoundError):
            pass  # the thread ended meanwhile


class Server:
    """One running server process. `kind` is "emulator" or "mini"."""

    def __init__(self, kind: str, binary: Path, name: str = ""):
        self.kind = kind
        self.binary = binary
        self.proc = None
        self.url = None
        self._log = paths.OUT / f"server-{name or kind}.out"
        self._janitor = None
        self._janitor_stop = threading.Event()

    def command(self):
        if self.kind == "emulator":
            return [str(self.binary), "--listen", "127.0.0.1:0", "--org", paths.ORG,
                    "--api-key", paths.TOKEN]
        return [str(self.binary), "0"]

    def start(self, cpus=None, deadline_s: float = 10.0) -> str:
        paths.OUT.mkdir(parents=True, exist_ok=True)
        out = open(self._log, "w")
        pre = (lambda: os.sched_setaffinity(0, cpus)) if cpus else None
        self.proc = subprocess.Popen(self.command(), stdout=out, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, preexec_fn=pre)
        out.close()
        end = time.monotonic() + deadline_s
        while time.monotonic() < end:
            m = URL_RE.search(self._log.read_text(errors="replace"))
            if m:
                self.url = m.group(0)
                return self.url
            if self.proc.poll() is not None:
                raise ServerError(f"{self.kind} server exited early:\n{self._log.read_text()[-2000:]}")
            time.sleep(0.05)
        self.stop()
        raise ServerError(f"{self.kind} server printed no URL within {deadline_s:.0f} s")

    def pin(self, cpus) -> None:
        """Moves every server thread onto `cpus`."""
        self.check_alive()
        set_affinity(self.proc.pid, cpus)

    def check_alive(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            raise ServerError(f"{self.kind} server is not running:\n{self._log.read_text()[-2000:]}")

    def _control(self, method: str, path: str, body: bytes = None) -> bytes:
        base = self.url.split("/rest/ua")[0]
        req = urllib.request.Request(base + path, method=method, data=body,
                                     headers={"Content-Type": "application/json"} if body else {})
        with urllib.request.urlopen(req, timeout=5) as resp:
            return resp.read()

    def reset_faults_and_latency(self) -> None:
        """Back to a healthy emulator: no fault rules, no added latency (the
        queue rows set both; a row that died half-way must not leave them)."""
        if self.kind == "emulator":
            self._control("DELETE", "/_emulator/faults")
            self._control("PUT", "/_emulator/latency", b'{"latency_ms":0}')

    def clear_event_log(self) -> None:
        """Empties the emulator's in-memory log of accepted events, so a long
        run does not grow the server (the mini server keeps nothing)."""
        if self.kind == "emulator":
            self._control("DELETE", "/_emulator/events")

    def start_janitor(self, every_s: float = 2.0) -> None:
        """Clears the event log every `every_s` seconds until stop()."""
        if self.kind != "emulator":
            return

        def loop():
            while not self._janitor_stop.wait(every_s):
                try:
                    self.clear_event_log()
                except OSError:
                    pass  # a busy or stopping server; the next turn tries again

        self._janitor = threading.Thread(target=loop, name="event-log-janitor", daemon=True)
        self._janitor.start()

    def stop(self) -> None:
        self._janitor_stop.set()
        if self._janitor:
            self._janitor.join(timeout=10)
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
