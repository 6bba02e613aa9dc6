"""A module-level Queue under real pre-fork servers: gunicorn and uWSGI (the
pyuwsgi wheel), each running prefork_app.py with 4 worker processes against
the session's ua-emulator. These are the rows of issue 14's table: every
request must succeed and the service must get every event, with the queue
made before the fork (--preload, uWSGI's default) or in each worker, and with
one spool directory shared by all of them. The last test SIGKILLs a worker
that acknowledged events while the service is down: its siblings deliver
them once the service is back, nothing restarted by hand.
"""

from __future__ import annotations

import collections
import concurrent.futures
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Callable, Dict, Iterator, List, Optional, Tuple

import pytest

from support import TOKEN, Emulator

HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent
WORKERS = 4
REQUESTS = 120
# Requests in flight at once, so that every worker serves some.
CLIENTS = 8
START_DEADLINE_S = 30.0
STOP_DEADLINE_S = 30.0
DELIVERY_DEADLINE_S = 30.0
# The contract's bound on adopting the lane of a queue that went away (the
# library looks every 5 s).
ADOPTION_BOUND_S = 30.0


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _server_command(server: str, port: int, preload: bool) -> List[str]:
    if server == "gunicorn":
        command = [str(BIN / "gunicorn"), "--workers", str(WORKERS), "--bind", f"127.0.0.1:{port}",
                   "--chdir", str(HERE), "--graceful-timeout", "20", "--log-level", "warning"]
        return command + (["--preload"] if preload else []) + ["prefork_app:application"]
    # uWSGI's default: the master loads the application, then forks the workers.
    assert preload, "uWSGI is run as it comes: fork after loading"
    return [str(BIN / "uwsgi"), "--master", "--processes", str(WORKERS), "--http-socket", f"127.0.0.1:{port}",
            "--chdir", str(HERE), "--module", "prefork_app:application", "--disable-logging", "--need-app"]


class Server:
    """A pre-fork server process (its own session, so every worker can be
    found and stopped) serving prefork_app on a loopback port."""

    def __init__(self, server: str, emu: Emulator, preload: bool, spool_dir: Optional[Path], log: Path) -> None:
        executable = BIN / server
        if not executable.is_file():
            pytest.fail(f"{executable} is missing: `make test-python` installs {server} into the test venv",
                        pytrace=False)
        self.name = server
        self.port = _free_port()
        env = dict(os.environ, PREFORK_ENDPOINT=emu.url, PREFORK_TOKEN=TOKEN)
        if spool_dir is not None:
            env["PREFORK_SPOOL_DIR"] = str(spool_dir)
        # Into a file, not a pipe: nobody reads while the server runs.
        self.log = log
        with open(log, "w") as out:
            self.process = subprocess.Popen(
                _server_command(server, self.port, preload), env=env, stdin=subprocess.DEVNULL,
                stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
            )

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def wait_ready(self) -> None:
        end = time.monotonic() + START_DEADLINE_S
        while time.monotonic() < end:
            if self.process.poll() is not None:
                pytest.fail(f"{self.name} exited with {self.process.returncode}:\n{self.output()}", pytrace=False)
            try:
                with urllib.request.urlopen(self.url("/ready"), timeout=5) as answer:
                    if answer.status == 200:
                        return
            except OSError:
                time.sleep(0.05)
        pytest.fail(f"{self.name} did not answer within {START_DEADLINE_S} s", pytrace=False)

    def get(self, path: str) -> Tuple[int, str]:
        try:
            with urllib.request.urlopen(self.url(path), timeout=10) as answer:
                return answer.status, answer.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def stop(self) -> None:
        """Stops the server as an operator would (gunicorn: SIGTERM, uWSGI:
        SIGINT), then kills whatever of its session is left."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM if self.name == "gunicorn" else signal.SIGINT)
            try:
                self.process.wait(timeout=STOP_DEADLINE_S)
            except subprocess.TimeoutExpired:
                pass
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait(timeout=STOP_DEADLINE_S)

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]


def _send_requests(server: Server, prefix: str, count: int) -> Dict[str, Tuple[int, str]]:
    """GET /?<prefix>-<i> for i < count, CLIENTS at a time: value -> (status, body)."""
    values = [f"{prefix}-{i}" for i in range(count)]
    with concurrent.futures.ThreadPoolExecutor(CLIENTS) as pool:
        answers = list(pool.map(lambda value: server.get(f"/?{value}"), values))
    return dict(zip(values, answers))


def _wait_for_values(emu: Emulator, wanted: List[str], deadline_s: float) -> collections.Counter:
    """Waits until the emulator accepted every value of `wanted`: how often
    it got each (the last look, when the deadline passed first)."""
    end = time.monotonic() + deadline_s
    while True:
        got = collections.Counter(v for v in emu.logged_values() if v in set(wanted))
        if len(got) == len(wanted) or time.monotonic() > end:
            return got
        time.sleep(0.05)


@pytest.fixture
def start_server(emu: Emulator, tmp_path: Path) -> Iterator[Callable[..., Server]]:
    started: List[Server] = []

    def start(server: str, preload: bool, spool_dir: Optional[Path] = None) -> Server:
        started.append(Server(server, emu, preload, spool_dir, tmp_path / f"{server}-{len(started)}.log"))
        started[-1].wait_ready()
        return started[-1]

    yield start
    for server in started:
        server.stop()


SERVERS = [
    pytest.param("gunicorn", False, False, id="gunicorn-w4"),
    pytest.param("gunicorn", True, False, id="gunicorn-w4-preload"),
    pytest.param("gunicorn", False, True, id="gunicorn-w4-spool"),
    pytest.param("gunicorn", True, True, id="gunicorn-w4-preload-spool"),
    pytest.param("uwsgi", True, False, id="uwsgi-processes4"),
    pytest.param("uwsgi", True, True, id="uwsgi-processes4-spool"),
]


@pytest.mark.parametrize("server_name, preload, shared_spool", SERVERS)
def test_every_request_of_every_worker_is_delivered(
    emu: Emulator, start_server, tmp_path: Path, server_name: str, preload: bool, shared_spool: bool
) -> None:
    spool = tmp_path / "spool" if shared_spool else None
    server = start_server(server_name, preload, spool)
    answers = _send_requests(server, server_name, REQUESTS)
    failed = {value: answer for value, answer in answers.items() if answer[0] != 200}
    got = _wait_for_values(emu, list(answers), DELIVERY_DEADLINE_S)
    workers = collections.Counter(body for status, body in answers.values() if status == 200)
    print(f"\n{server_name} preload={preload} spool={shared_spool}: {len(failed)} of {REQUESTS} requests failed,"
          f" {len(got)} of {REQUESTS} events delivered, {sum(got.values()) - len(got)} twice;"
          f" requests per worker {sorted(workers.values())}")
    assert not failed, f"{len(failed)} requests failed, e.g. {next(iter(failed.items()))}"
    assert len(workers) >= 2, f"only worker(s) {sorted(workers)} answered: not a multi-process run"
    assert len(got) == REQUESTS, f"missing: {sorted(set(answers) - set(got))[:10]}"
    assert max(got.values()) == 1, f"delivered twice: {[v for v, n in got.items() if n > 1][:10]}"
    server.stop()
    assert server.process.returncode is not None
    if spool is not None and server_name == "gunicorn":
        # Every process that used the queue closed it at its exit, and a lane
        # with nothing left is removed by its close.
        assert not [p.name for p in spool.iterdir() if p.name.startswith("lane-")], sorted(os.listdir(spool))


def test_a_killed_workers_events_are_delivered_by_its_siblings(
    emu: Emulator, start_server, tmp_path: Path
) -> None:
    spool = tmp_path / "spool"
    server = start_server("gunicorn", True, spool)
    emu.add_fault(status=503, count=0)  # the service is down until the faults are cleared
    answers = _send_requests(server, "killed", REQUESTS)
    failed = {value: answer for value, answer in answers.items() if answer[0] != 200}
    assert not failed, f"{len(failed)} requests failed, e.g. {next(iter(failed.items()))}"
    by_worker = collections.Counter(body for _, body in answers.values())
    victim, acknowledged = by_worker.most_common(1)[0]
    assert acknowledged > 0
    os.kill(int(victim), signal.SIGKILL)
    killed_at = time.monotonic()
    emu.clear_faults()  # the service is back
    got = _wait_for_values(emu, list(answers), ADOPTION_BOUND_S + DELIVERY_DEADLINE_S)
    delay = time.monotonic() - killed_at
    victims = [value for value, (_, body) in answers.items() if body == victim]
    print(f"\nkilled worker {victim} after it acknowledged {acknowledged} of {REQUESTS} events:"
          f" {len(got)} of {REQUESTS} delivered {delay:.2f} s after the kill, {sum(got.values()) - len(got)} twice")
    missing = sorted(set(answers) - set(got))
    assert not missing, f"{len(missing)} acknowledged events never arrived ({len(set(missing) & set(victims))}" \
                        f" of the killed worker's): {missing[:10]}"
    assert delay < ADOPTION_BOUND_S, f"the killed worker's events took {delay:.1f} s"
