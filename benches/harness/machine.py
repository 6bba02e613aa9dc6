"""The machine and tool versions a report was measured with."""

import datetime
import os
import platform
import shutil
import subprocess

from . import paths


def _first_line(cmd) -> str:
    if not shutil.which(cmd[0]):
        return "not installed"
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    text = (proc.stdout or proc.stderr).strip()
    return text.splitlines()[0] if text else "unknown"


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def loadavg() -> str:
    try:
        with open("/proc/loadavg") as f:
            return " ".join(f.read().split()[:3])
    except OSError:
        return "unknown"


def perf_counters() -> str:
    """Whether hardware instruction counters work here (`perf stat -e instructions true`);
    when they do not (common in VMs), callgrind's counts stand in for them."""
    if not shutil.which("perf"):
        return "perf not installed"
    try:
        proc = subprocess.run(["perf", "stat", "-x,", "-e", "instructions", "true"],
                              capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return "perf failed to run"
    text = proc.stderr.strip()
    if proc.returncode != 0 or "not supported" in text or "not counted" in text or not text:
        return "not available (`perf stat -e instructions true`: " + (text.splitlines()[-1] if text else "no output") + ")"
    return "available (" + text.splitlines()[-1] + ")"


def describe() -> dict:
    """Facts for the report header (the library and curl versions are added
    from what the bench programs print)."""
    commit = _first_line(["git", "-C", str(paths.REPO), "rev-parse", "--short", "HEAD"])
    return {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "nproc": str(os.cpu_count()),
        "cpu": cpu_model(),
        "kernel": platform.release(),
        "rustc": _first_line(["rustc", "--version"]),
        "gcc": _first_line(["gcc", "--version"]),
        "go": _first_line(["go", "version"]),
        "python": platform.python_version(),
        "valgrind": _first_line(["valgrind", "--version"]),
        "commit": commit,
        "perf": perf_counters(),
        "loadavg_start": loadavg(),
    }
