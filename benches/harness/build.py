"""Builds the bench programs into target/bench (C with gcc, Go with go build,
the checks program with its own cargo project). A missing prerequisite raises
Missing with a message that says what to install or build."""

import os
import re
import shutil
import subprocess
from pathlib import Path

from . import paths

C_FLAGS = ["-O2", "-g", "-std=gnu11", "-Wall", "-Wextra", "-Werror"]


class Missing(Exception):
    """A prerequisite of one row is absent; the message says which and how to fix it."""


def _run(cmd, cwd=None, env=None, timeout=600, what=""):
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        text = (proc.stderr or proc.stdout).strip()
        first = next((ln.strip() for ln in text.splitlines()
                      if re.search(r"error|undefined|could not|cannot|not found", ln, re.I)),
                     text.splitlines()[0] if text else "no output")
        raise Missing(f"building {what or cmd[0]} failed: {first}\n{text[-2000:]}")
    return proc


def need_tool(name: str, hint: str) -> str:
    path = shutil.which(name)
    if not path:
        raise Missing(f"'{name}' is not installed ({hint})")
    return path


def _gcc(sources, out_name, extra=()):
    need_tool("gcc", "apt-get install gcc")
    paths.OUT.mkdir(parents=True, exist_ok=True)
    out = paths.OUT / out_name
    src = [str(paths.BENCHES / "c" / s) for s in sources]
    _run(["gcc", *C_FLAGS, *src, "-o", str(out), *extra], what=out_name)
    return out


def floor():
    return _gcc(["bench_floor.c"], "bench_floor")


def server():
    return _gcc(["bench_server.c"], "bench_server", ["-pthread"])


def curl():
    headers = [Path("/usr/include/curl/curl.h"), Path("/usr/include/x86_64-linux-gnu/curl/curl.h")]
    probe = subprocess.run(["pkg-config", "--exists", "libcurl"], capture_output=True) \
        if shutil.which("pkg-config") else None
    if not any(h.exists() for h in headers) and not (probe and probe.returncode == 0):
        raise Missing("libcurl development files are missing (curl/curl.h): "
                      "apt-get install libcurl4-openssl-dev (scripts/install-deps.sh should install it)")
    return _gcc(["bench_curl.c"], "bench_curl", ["-lcurl"])


def library() -> Path:
    lib = paths.library_path()
    if not lib.is_file():
        raise Missing(f"{lib} not found: run 'make build' (or set COVEO_UA_LIBRARY)")
    return lib


def coveo_c():
    lib = library()
    header = paths.REPO / "include" / "coveo_ua.h"
    if not header.is_file():
        raise Missing(f"{header} not found (the library's generated C header)")
    return _gcc(["bench_coveo.c"], "bench_coveo",
                [f"-I{header.parent}", f"-L{lib.parent}", "-lcoveo_ua",
                 f"-Wl,-rpath,{lib.parent}", "-pthread"])


def coveo_queue():
    """bench_queue: the delivery queue (ua_queue_*) from C."""
    lib = library()
    header = paths.REPO / "include" / "coveo_ua.h"
    if not header.is_file():
        raise Missing(f"{header} not found (the library's generated C header)")
    return _gcc(["bench_queue.c"], "bench_queue",
                [f"-I{header.parent}", f"-L{lib.parent}", "-lcoveo_ua",
                 f"-Wl,-rpath,{lib.parent}", "-pthread"])


def rust_queue():
    """bench_queue_rs (benches/queue.rs): coveo_ua::Queue from Rust, compiled by
    rustc against the workspace's release rlib and its dependencies (so it
    needs no Cargo target, and uses the same build as the C rows)."""
    need_tool("rustc", "install Rust")
    rlib = paths.RELEASE / "libcoveo_ua.rlib"
    if not rlib.is_file():
        raise Missing(f"{rlib} not found: run 'make build'")
    paths.OUT.mkdir(parents=True, exist_ok=True)
    out = paths.OUT / "bench_queue_rs"
    _run(["rustc", "--edition", "2021", "-C", "opt-level=3", "-C", "debuginfo=1", str(paths.BENCHES / "queue.rs"),
          "-o", str(out), "--extern", f"coveo_ua={rlib}", "-L", f"dependency={paths.RELEASE / 'deps'}"],
         what="benches/queue.rs")
    return out


def _go(cmd_dir: str, out_name: str):
    need_tool("go", "install Go >= 1.22")
    env = dict(os.environ, CGO_ENABLED="1")
    out = paths.OUT / out_name
    paths.OUT.mkdir(parents=True, exist_ok=True)
    _run(["go", "build", "-o", str(out), f"./cmd/{cmd_dir}"], cwd=paths.BENCHES / "go", env=env,
         what=out_name)
    return out


def go_nethttp():
    return _go("nethttp", "go-nethttp")


def go_coveoua():
    library()
    return _go("coveoua", "go-coveoua")


def go_queue():
    """benches/go/cmd/queue: coveoua.Queue.Enqueue (the in-tree binding, like go-coveoua)."""
    library()
    return _go("queue", "go-queue")


def go_posthog():
    """benches/go/cmd/posthog: posthog-go's Enqueue against its own in-process
    server (the module comes from the Go module proxy, pinned by go.sum)."""
    return _go("posthog", "go-posthog")


def python_requests():
    need_tool("python3", "apt-get install python3")
    probe = subprocess.run(["python3", "-c", "import requests"], capture_output=True)
    if probe.returncode != 0:
        raise Missing("the Python package 'requests' is not installed: python3 -m pip install requests")
    return Path(shutil.which("python3"))


def python_coveo():
    library()
    pkg = paths.REPO / "bindings" / "python" / "src" / "coveo_ua"
    if not pkg.is_dir():
        raise Missing(f"{pkg} not found (the Python binding)")
    return Path(shutil.which("python3"))


def python_queue():
    """benches/python/bench_queue.py: Queue.enqueue_custom, requests.Session.post
    and Client.send_custom (all three modes need the binding and requests)."""
    python_coveo()
    python_requests()
    script = paths.BENCHES / "python" / "bench_queue.py"
    if not script.is_file():
        raise Missing(f"{script} not found")
    return Path(shutil.which("python3"))


def python_async():
    """benches/python/bench_async.py: AsyncClient and Client from the tree."""
    python_coveo()
    script = paths.BENCHES / "python" / "bench_async.py"
    if not script.is_file():
        raise Missing(f"{script} not found")
    return Path(shutil.which("python3"))


def checks():
    need_tool("cargo", "install Rust")
    _run(["cargo", "build", "--release", "--quiet", "--example", "bench_checks"], cwd=paths.REPO,
         timeout=900, what="benches/checks.rs")
    return paths.RELEASE / "examples" / "bench_checks"


def loadgen():
    path = paths.loadgen_path()
    if not path.is_file():
        raise Missing(f"{path} not found (ua-loadgen is built with the emulator)")
    return path


def emulator():
    path = paths.emulator_path()
    if not path.is_file():
        raise Missing(f"{path} not found: run 'make build' (or set UA_EMULATOR_BIN)")
    return path


def stripped_library_size() -> dict:
    """Sizes of libcoveo_ua.so as built and of a stripped copy (the original is untouched)."""
    lib = library()
    need_tool("strip", "apt-get install binutils")
    copy = paths.OUT / "libcoveo_ua.stripped.so"
    paths.OUT.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(lib, copy)
    _run(["strip", "--strip-all", str(copy)], what="strip")
    return {"built_bytes": lib.stat().st_size, "stripped_bytes": copy.stat().st_size}
