"""`run`: a shell block runs as a newcomer would run it, in a scratch folder
with a home of its own, so nothing lands in the real home or the checkout.

- `make`, `cargo` and `pip`-free commands that name the clone's paths
  (`make install`, `cargo install --path emulator`) run in the checkout, as
  the pages say ("from a clone"); the rest in the scratch folder, which plays
  the user's project. `cargo install` builds in the target folder that
  test-emulator-install shares, and installs into the scratch home.
- curl fails on an HTTP error status (--fail-with-body), so a call the page
  shows succeeding must succeed.
- Every program the block built that needs libcoveo_ua must find it (ldd),
  with the environment the page gives it (option libpath=DIR, where $HOME is
  the scratch home and $PREFIX the `installed` fixture's); option `builds`
  requires at least one such program.
- `with=a,b` lays out fixtures first (see FIXTURES); `background` runs a line
  that starts `ua-emulator` in the background until the block ends, waiting
  for its URL line; `free-port=N` replaces the port N by a free one;
  `must-fail-when=ua-emulator-fails` runs the block again with an emulator
  that cannot start: the block must then fail before `./run-your-tests` runs.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path
from typing import Callable, Dict, List, Optional

from .blocks import Block
from .env import EMULATOR, REPO, TARBALL, TARGET_DIR

RUN_TIMEOUT_S = 600

_PRELUDE = r"""set -euo pipefail
make() { command make -C "$REPO" --no-print-directory "$@"; }
cargo() {
    if [ "${1:-}" = install ]; then (cd "$REPO" && CARGO_TARGET_DIR=$EMULATOR_INSTALL_TARGET command cargo "$@")
    else (cd "$REPO" && command cargo "$@"); fi
}
curl() { command curl --fail-with-body --show-error --max-time 10 "$@"; }
# wait_for_url FILE: the URL line of an emulator started in the background.
wait_for_url() {
    for _ in $(seq 100); do grep -q 'http://' "$1" && return 0; sleep 0.1; done
    echo "doc check: the background ua-emulator printed no URL within 10 s" >&2; return 1
}
"""

_RUN_YOUR_TESTS = """#!/bin/sh
# Stands for the user's test suite: one event to the emulator it was given.
touch "$(dirname "$0")/tests-ran"
[ -n "${UA_ENDPOINT:-}" ] || { echo "run-your-tests: UA_ENDPOINT is empty" >&2; exit 1; }
curl --fail-with-body -sS --max-time 10 -H "Authorization: Bearer $UA_TOKEN" \\
    -H 'Content-Type: application/json' -d '{"eventType":"ci","eventValue":"docs","language":"en"}' \\
    "$UA_ENDPOINT/v15/analytics/custom"
echo
"""

_CMAKE_PROJECT = """cmake_minimum_required(VERSION 3.16)
project(app C)
find_package(coveo_ua 0.1 CONFIG REQUIRED)
add_executable(app app.c)
target_link_libraries(app PRIVATE coveo_ua::coveo_ua)
"""

_BROKEN_EMULATOR = """#!/bin/sh
echo "ua-emulator: cannot listen on 127.0.0.1:0: playing a broken start" >&2
exit 1
"""


def _real(var: str, fallback: Path) -> str:
    return os.environ.get(var) or str(fallback)


def _go_env() -> Dict[str, str]:
    if not shutil.which("go"):
        return {}
    out = subprocess.run(["go", "env", "GOPATH", "GOCACHE", "GOMODCACHE"], capture_output=True, text=True,
                         check=True).stdout.split("\n")
    return {"GOPATH": out[0], "GOCACHE": out[1], "GOMODCACHE": out[2]}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Runner:
    """Runs shell blocks; `files` holds the blocks saved with file=NAME."""

    def __init__(self, files: Dict[str, str], emulator_env: Callable[[], Dict[str, str]],
                 make_dist: Callable[[], None], installed_prefix: Callable[[], Path]) -> None:
        self.files = files
        self.emulator_env = emulator_env
        self.make_dist = make_dist
        self.installed_prefix = installed_prefix
        home = Path.home()
        self.base_env = {
            "PATH": os.environ["PATH"], "LANG": "C.UTF-8", "TERM": "dumb",
            "RUSTUP_HOME": _real("RUSTUP_HOME", home / ".rustup"), "CARGO_HOME": _real("CARGO_HOME", home / ".cargo"),
            "GOPROXY": "off", "GOFLAGS": "-mod=mod", "GOTOOLCHAIN": "local", **_go_env(),
            "REPO": str(REPO), "EMULATOR_INSTALL_TARGET": str(TARGET_DIR / "emulator-install"),
        }
        if os.environ.get("CARGO_TARGET_DIR"):
            self.base_env["CARGO_TARGET_DIR"] = str(TARGET_DIR)

    def check(self, block: Block) -> str:
        """'' when the block ran as the page says, else why not."""
        try:
            why = self._run_once(block, broken_emulator=False)
        except ValueError as error:
            return str(error)
        if not why and block.options.get("must-fail-when") == "ua-emulator-fails":
            why = self._run_once(block, broken_emulator=True)
        return why

    def _run_once(self, block: Block, broken_emulator: bool) -> str:
        with tempfile.TemporaryDirectory(prefix="coveo-ua-doc-run.") as tmp:
            root = Path(tmp)
            home, work, bin_dir = root / "home", root / "work", root / "bin"
            for d in (home, work, bin_dir):
                d.mkdir()
            env = dict(self.base_env, HOME=str(home), CARGO_INSTALL_ROOT=str(home / ".cargo"), SANDBOX=str(root),
                       PATH=f"{bin_dir}:{home / '.cargo/bin'}:{home / '.local/bin'}:{self.base_env['PATH']}")
            setup = self._fixtures(block, root, work, bin_dir, env)
            if broken_emulator:
                (bin_dir / "ua-emulator").unlink(missing_ok=True)
                (bin_dir / "ua-emulator").write_text(_BROKEN_EMULATOR)
                (bin_dir / "ua-emulator").chmod(0o755)
            script = _PRELUDE + setup + 'cd "$SANDBOX/work"\n' + self._body(block)
            try:
                run = subprocess.run(["bash", "-c", script], env=env, capture_output=True, text=True,
                                     timeout=RUN_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                return f"did not end within {RUN_TIMEOUT_S} s"
            shown = f"--- stdout\n{run.stdout[-3000:]}--- stderr\n{run.stderr[-3000:]}"
            if broken_emulator:
                if run.returncode == 0:
                    return f"with an emulator that cannot start, the block still succeeded\n{shown}"
                if (work / "tests-ran").exists():
                    return f"with an emulator that cannot start, ./run-your-tests still ran\n{shown}"
                return ""
            if run.returncode:
                return f"exit status {run.returncode}\n{shown}"
            return self._programs_load(block, work, home) or self._printed_lines(block, root)

    def _fixtures(self, block: Block, root: Path, work: Path, bin_dir: Path, env: Dict[str, str]) -> str:
        """Lays out what `with=` names; returns shell lines to run before the block."""
        lines: List[str] = []
        for name in filter(None, block.options.get("with", "").split(",")):
            if name in self.files:
                (work / name).write_text(self.files[name])
            elif name == "installed":  # `make install PREFIX=...` made once for the whole check
                lines.append(f'export PREFIX="{self.installed_prefix()}"\n')
            elif name == "pkg-config-path":  # as an earlier block of the page set it
                lines.append('export PKG_CONFIG_PATH="$PREFIX/lib/pkgconfig"\n')
            elif name == "go.mod":
                # A fresh copy of the binding, as test-go-module does: Go's build
                # cache does not key a cgo package on what pkg-config printed.
                shutil.copytree(REPO / "bindings/go", root / "coveoua-go")
                (work / "go.mod").write_text(
                    "module example.com/app\n\ngo 1.22\n\nrequire github.com/coveo-ua/coveo-ua/bindings/go v0.0.0\n\n"
                    f"replace github.com/coveo-ua/coveo-ua/bindings/go => {root / 'coveoua-go'}\n")
            elif name == "tarball":
                self.make_dist()
                shutil.copy(TARBALL, work)
            elif name == "unpacked":
                # The tarball unpacked in ~/opt, its folder in $COVEO_UA.
                self.make_dist()
                (root / "home/opt").mkdir()
                subprocess.run(["tar", "-xzf", str(TARBALL), "-C", str(root / "home/opt")], check=True)
                lines.append(f'export COVEO_UA="$HOME/opt/{TARBALL.name[:-len(".tar.gz")]}"\n')
            elif name == "CMakeLists.txt":
                (work / name).write_text(_CMAKE_PROJECT)
            elif name == "ua-emulator":
                (bin_dir / "ua-emulator").symlink_to(EMULATOR)
            elif name == "run-your-tests":
                (work / name).write_text(_RUN_YOUR_TESTS)
                (work / name).chmod(0o755)
            elif name == "emulator":
                env.update(self.emulator_env())
            else:
                raise ValueError(f"{block.where}: unknown fixture {name!r}")
        return "".join(lines)

    def _body(self, block: Block) -> str:
        code = block.code
        if "free-port" in block.options:
            code = code.replace(block.options["free-port"], str(free_port()))
        if "background" not in block.options:
            return code
        out: List[str] = []
        for line in code.splitlines():
            first = line.split(" ", 1)[0]
            if first.endswith("ua-emulator") and " " in line and not line.rstrip().endswith("&"):
                command = line.split("#", 1)[0].rstrip()
                out.append(f'{command} >"$SANDBOX/background.out" &\n'
                           "background_pid=$!\n"
                           "trap 'kill $background_pid 2>/dev/null || true' EXIT\n"
                           'wait_for_url "$SANDBOX/background.out"')
            else:
                out.append(line)
        return "\n".join(out) + "\n"

    def _printed_lines(self, block: Block, root: Path) -> str:
        """With `background`, a `# prints: LINE` comment must be what it printed."""
        said = re.search(r"#\s*prints:\s*(.+)", block.code)
        if "background" not in block.options or not said:
            return ""
        printed = (root / "background.out").read_text().splitlines()[:1]
        expected = said.group(1).strip()
        if "free-port" in block.options:
            expected = re.escape(expected).replace(re.escape(block.options["free-port"]), r"\d+")
            return "" if printed and re.fullmatch(expected, printed[0]) else f"printed {printed}, not {said.group(1)}"
        return "" if printed == [expected] else f"printed {printed}, not {expected}"

    def _programs_load(self, block: Block, work: Path, home: Path) -> str:
        """Every program of `work` that needs libcoveo_ua finds it."""
        env = {"PATH": os.environ["PATH"]}
        if "libpath" in block.options:
            libpath = block.options["libpath"].replace("$HOME", str(home))
            if "$PREFIX" in libpath:
                libpath = libpath.replace("$PREFIX", str(self.installed_prefix()))
            env["LD_LIBRARY_PATH"] = libpath
        programs = 0
        for path in sorted(work.rglob("*")):
            if not path.is_file() or path.is_symlink() or not os.access(path, os.X_OK):
                continue
            if path.read_bytes()[:4] != b"\x7fELF" or ".so" in path.name:
                continue
            dynamic = subprocess.run(["readelf", "-d", str(path)], capture_output=True, text=True).stdout
            if "libcoveo_ua" not in dynamic:
                continue
            programs += 1
            ldd = subprocess.run(["ldd", str(path)], env=env, capture_output=True, text=True).stdout
            missing = [line.strip() for line in ldd.splitlines() if "not found" in line]
            if missing:
                return f"{path.relative_to(work)} cannot start: {'; '.join(missing)}"
        if "builds" in block.options and programs == 0:
            return "the block built no program that links libcoveo_ua"
        return ""


def run_python(block: Block) -> Optional[str]:
    """A Python block whose trailing `# ` comment lines show its output: it
    runs (with `token` defined, coveo_ua and its names imported) and must
    print that."""
    lines = block.code.rstrip("\n").splitlines()
    shown: List[str] = []
    while lines and lines[-1].startswith("# "):
        shown.insert(0, lines.pop()[2:])
    prelude = (f"import sys\nsys.path.insert(0, {str(REPO / 'bindings/python/src')!r})\n"
               "import coveo_ua\nfrom coveo_ua import *\ntoken = 'xx-doc-check-token'\n")
    run = subprocess.run(["python3", "-c", prelude + "\n".join(lines)], capture_output=True, text=True, timeout=120)
    if run.returncode:
        return f"exit status {run.returncode}\n{run.stderr}"
    if shown and " ".join(run.stdout.split()) != " ".join(" ".join(shown).split()):
        return f"printed:\n{run.stdout}\nthe page shows:\n" + "\n".join(shown)
    return None if shown else "a run Python block must show its output in trailing '# ' comment lines"
