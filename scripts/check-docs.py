#!/usr/bin/env python3
"""Keeps the user-facing pages true (`make test-docs`, part of `make test`).

1. Every fenced code block of README.md, docs/*.md, emulator/README.md and
   the tarball's README (packaging/dist-README.md) is checked: compiled
   against the real API, run as a newcomer would, built with CMake, posted to
   the emulator, or compared with a command's output; or it carries a
   `<!-- check: skip -- REASON -->` marker saying why it cannot be. How each
   mode works: scripts/doccheck/*.py.
2. Every message the prose quotes is one the library, the emulator or a
   binding really says (scripts/doccheck/messages.py).

Usage: check-docs.py [-v] [PAGE ...] (default: every page; -v names each
block that passed). `check-docs.py --self-test` checks doccheck/must-fail.md,
where everything must be refused. Needs `make build`.
"""

from __future__ import annotations

import json
import select
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Dict, List, Optional

sys.path.insert(0, str(Path(__file__).resolve().parent))

from doccheck import compile as compiling  # noqa: E402
from doccheck import messages, producers, sources  # noqa: E402
from doccheck.blocks import Block, MarkerError, blocks_of  # noqa: E402
from doccheck.env import EMULATOR, LIBRARY, REPO, RELEASE_DIR, render_dist_readme  # noqa: E402
from doccheck.run import Runner, run_python  # noqa: E402

PAGES = ["README.md", *sorted(str(p.relative_to(REPO)) for p in (REPO / "docs").glob("*.md")),
         "emulator/README.md", "packaging/dist-README.md"]


class Emulator:
    """One ua-emulator for the whole check, started when first needed."""

    def __init__(self) -> None:
        self.process: Optional[subprocess.Popen] = None
        self.endpoint = ""
        self.first_line = ""

    def env(self) -> Dict[str, str]:
        if self.process is None:
            self.process = subprocess.Popen(
                [str(EMULATOR), "--listen", "127.0.0.1:0", "--org", "doc-org", "--api-key", producers.TOKEN],
                stdout=subprocess.PIPE, text=True)
            assert self.process.stdout is not None
            ready, _, _ = select.select([self.process.stdout], [], [], 10)
            line = self.process.stdout.readline() if ready else ""
            if "http://" not in line:
                raise RuntimeError(f"ua-emulator printed no URL within 10 s: {line!r}")
            self.endpoint = line[line.index("http://"):].split()[0]
            self.first_line = line.strip()
        return {"UA_ENDPOINT": self.endpoint, "UA_TOKEN": producers.TOKEN, "UA_ORG": "doc-org"}

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)


def page_text(page: str) -> str:
    text = (REPO / page).read_text()
    return render_dist_readme(text) if page == "packaging/dist-README.md" else text


class Checker:
    def __init__(self, verbose: bool) -> None:
        self.verbose = verbose
        self.failures: List[str] = []
        self.counts: Dict[str, int] = {}
        self.emulator = Emulator()
        self.dist_made = False
        self.scratch = tempfile.TemporaryDirectory(prefix="coveo-ua-doc-check.")
        self.prefix: Optional[Path] = None
        self.files: Dict[str, str] = {}
        self.runner = Runner(self.files, self.emulator.env, self.make_dist, self.installed_prefix)

    def fail(self, block: Block, why: str) -> None:
        self.failures.append(f"{block.where} ({block.lang or 'no language'} block, {block.mode or 'unmarked'}): {why}")

    def installed_prefix(self) -> Path:
        """A `make install` prefix shared by every block that needs one."""
        if self.prefix is None:
            prefix = Path(self.scratch.name) / "prefix"
            made = subprocess.run(["make", "-C", str(REPO), "--no-print-directory", "install", f"PREFIX={prefix}"],
                                  capture_output=True, text=True, timeout=600)
            if made.returncode:
                raise RuntimeError(f"make install failed:\n{made.stdout}{made.stderr}")
            self.prefix = prefix
        return self.prefix

    def close(self) -> None:
        self.emulator.stop()
        self.scratch.cleanup()

    def make_dist(self) -> None:
        if not self.dist_made:
            made = subprocess.run(["make", "-C", str(REPO), "--no-print-directory", "dist"], capture_output=True,
                                  text=True, timeout=600)
            if made.returncode:
                raise RuntimeError(f"make dist failed:\n{made.stdout}{made.stderr}")
            self.dist_made = True

    def blocks(self, pages: List[str]) -> None:
        all_blocks: List[Block] = []
        for page in pages:
            try:
                all_blocks += list(blocks_of(Path(page), page_text(page)))
            except MarkerError as error:
                self.failures.append(str(error))
        # Files first, from every page: a run block may use one written elsewhere.
        for block in [b for page in PAGES for b in blocks_of(Path(page), page_text(page))]:
            if "file" in block.options:
                self.files[block.options["file"]] = (compiling.whole_go(block) if block.lang == "go"
                                                     else block.code)
        go_blocks = [b for b in all_blocks if b.mode == "compile" and b.lang == "go"]
        for where, why in compiling.check_go(go_blocks).items():
            self.failures.append(f"{where} (go block, compile): {why}")
        with tempfile.TemporaryDirectory(prefix="coveo-ua-doc-rust.") as scratch:
            for block in all_blocks:
                self.counts[block.mode or "unmarked"] = self.counts.get(block.mode or "unmarked", 0) + 1
                why = self.check(block, Path(scratch))
                if why:
                    self.fail(block, why)
                elif self.verbose:
                    print(f"ok {block.where} ({block.lang}, {block.mode} {block.options or ''})")

    def check(self, block: Block, scratch: Path) -> str:
        mode, lang = block.mode, block.lang
        if mode == "":
            return "no way to check it: add <!-- check: MODE --> before it (run, output, skip -- REASON...)"
        if mode == "skip":
            return "" if len(block.note.split()) >= 3 else "skip needs a reason: <!-- check: skip -- REASON -->"
        if mode == "compile":
            if lang in ("c", "cpp"):
                return compiling.check_c(block)
            if lang == "python":
                return compiling.check_python(block)
            if lang == "rust":
                return compiling.check_rust(block, scratch)
            if lang == "go":
                return ""  # all Go blocks were vetted together
            return f"cannot compile a {lang!r} block"
        if mode == "run" and lang == "python":
            return run_python(block) or ""
        if mode == "run":
            return self.runner.check(block)
        if mode == "cmake":
            project = ("cmake_minimum_required(VERSION 3.16)\nproject(app C)\nadd_executable(app app.c)\n"
                       + block.code)
            script = (f"cat > CMakeLists.txt <<'CMAKE'\n{project}CMAKE\n"
                      'export PKG_CONFIG_PATH="$PREFIX/lib/pkgconfig"\n'
                      'cmake -S . -B build -DCMAKE_PREFIX_PATH="$PREFIX" >/dev/null\n'
                      "cmake --build build >/dev/null\n")
            as_run = Block(block.path, block.line, "sh", script, "run",
                           {"with": "installed,app.c", "builds": "yes"})
            return self.runner.check(as_run)
        if mode == "json":
            try:
                body = json.loads(block.code)
            except ValueError as error:
                return f"not JSON: {error}"
            return self.post(block.options["post"], body) if "post" in block.options else ""
        if mode == "output":
            return self.output(block)
        return f"mode {mode!r} does not apply to a {lang!r} block"

    def post(self, path: str, body: object) -> str:
        url = self.emulator.env()["UA_ENDPOINT"][: -len("/rest/ua")] + path
        request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST")
        try:
            with urllib.request.urlopen(request, timeout=10):
                pass
        except urllib.error.HTTPError as error:
            return f"POST {path}: HTTP {error.code} {error.read().decode(errors='replace')}"
        # What was posted must not act on the requests of later checks.
        with urllib.request.urlopen(urllib.request.Request(url, method="DELETE"), timeout=10):
            return ""

    def output(self, block: Block) -> str:
        """The block is a run of consecutive lines of the command's output."""
        command = block.options.get("cmd", "")
        env = {"PATH": f"{RELEASE_DIR}:/usr/bin:/bin"}
        run = subprocess.run(["bash", "-c", command], env=env, capture_output=True, text=True, timeout=60)
        printed = [line.rstrip() for line in run.stdout.splitlines()]
        shown = [line.rstrip() for line in block.code.rstrip("\n").splitlines()]
        for start in range(len(printed) - len(shown) + 1):
            if printed[start:start + len(shown)] == shown:
                return ""
        return f"`{command}` does not print these lines; it prints:\n{run.stdout}"

    def messages(self, pages: List[str]) -> List[str]:
        """Checks the quoted messages of the pages; returns where each is."""
        literals = sources.literals()
        pieces = sources.segments(literals)
        quoted = [(page, line, quote) for page in pages
                  for line, quote in messages.quotes(Path(page), page_text(page))
                  if messages.is_message(quote, pieces)]
        produced = producers.produced(self.emulator.env()["UA_ENDPOINT"]) + [self.emulator.first_line]
        test_literals = sources.literals(tests=True)
        for page, line, quote in quoted:
            if self.verbose:
                print(f"quote {page}:{line}: {quote}")
            if not messages.verified(quote, produced, sources.segments(literals, shortest=1), test_literals):
                self.failures.append(f"{page}:{line}: the quoted message \"{quote}\" is not what the library, the "
                                     "emulator or a binding says (fix the quote, or add the call that produces it "
                                     "to scripts/doccheck/producers.py)")
        self.counts["quoted messages"] = len(quoted)
        return [f"{page}:{line}" for page, line, _ in quoted]


MUST_FAIL = "scripts/doccheck/must-fail.md"


def self_test(checker: Checker) -> List[str]:
    """Checks MUST_FAIL, where every block and every quote must be refused;
    returns what was wrongly let through."""
    checker.blocks([MUST_FAIL])
    expected = [b.where for b in blocks_of(Path(MUST_FAIL), page_text(MUST_FAIL))]
    expected += checker.messages([MUST_FAIL])
    refused = {f.split(" ", 1)[0].rstrip(":") for f in checker.failures}
    return [where for where in expected if where not in refused]


def main(argv: List[str]) -> int:
    verbose = "-v" in argv
    if "--self-test" in argv:
        checker = Checker(verbose)
        try:
            passed = self_test(checker)
        finally:
            checker.close()
        for where in passed:
            print(f"check-docs --self-test: {where} was let through; the check cannot fail there", file=sys.stderr)
        if verbose:
            print("\n".join(checker.failures))
        print(f"check-docs --self-test: {len(checker.failures)} refusals as expected, {len(passed)} let through")
        return 1 if passed else 0
    pages = [a for a in argv if a != "-v"] or PAGES
    for needed in (EMULATOR, LIBRARY):
        if not needed.exists():
            print(f"check-docs: {needed} is missing; run `make build`", file=sys.stderr)
            return 1
    started = time.monotonic()
    checker = Checker(verbose)
    try:
        checker.blocks(pages)
        checker.messages(pages)
    finally:
        checker.close()
    for failure in checker.failures:
        print(f"check-docs: {failure}\n", file=sys.stderr)
    summary = ", ".join(f"{n} {mode}" for mode, n in sorted(checker.counts.items()))
    print(f"check-docs: {len(pages)} pages ({summary}); {len(checker.failures)} failed "
          f"in {time.monotonic() - started:.0f} s")
    return 1 if checker.failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
