"""A row of the benchmark: one program run against the server, whose one-line
JSON result (or lines, for the checks program) is parsed and sanity-checked."""

import json
import os
import statistics
import subprocess
from dataclasses import dataclass, field
from typing import Optional

METRICS = ("events_per_s", "p50_us", "p99_us", "cpu_us_per_event", "cpu_user_us_per_event",
           "cpu_sys_us_per_event")


@dataclass
class Row:
    key: str                 # stable id, e.g. "coveo-c"
    title: str               # what the table shows
    group: str               # sync | threads | memory | checks
    cmd: list                # the program and its arguments
    pin: Optional[set] = None  # CPUs the client is pinned to; None: free
    env: dict = field(default_factory=dict)
    timeout_s: float = 180.0
    missing: Optional[str] = None  # why the row cannot run (prerequisite absent)


class RowFailed(Exception):
    """The program failed, timed out, or printed nothing usable."""


def run_program(row: Row) -> list:
    """Runs the row's program once; returns every JSON object it printed."""
    pre = (lambda: os.sched_setaffinity(0, row.pin)) if row.pin else None
    env = dict(os.environ, **row.env)
    try:
        proc = subprocess.run(row.cmd, capture_output=True, text=True, env=env,
                              timeout=row.timeout_s, preexec_fn=pre, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        raise RowFailed(f"{row.key}: no result within {row.timeout_s:.0f} s")
    found = []
    for line in proc.stdout.splitlines():
        line = line.strip()
        if line.startswith("{"):
            try:
                found.append(json.loads(line))
            except json.JSONDecodeError:
                pass
    for obj in found:
        normalize(obj)
    if proc.returncode != 0 or not found:
        tail = (proc.stderr.strip() or proc.stdout.strip())[-1500:]
        raise RowFailed(f"{row.key}: exit status {proc.returncode}: {tail or '(no output)'}")
    return found


def normalize(result: dict) -> None:
    """ua-loadgen reports CPU as totals in seconds; derive the per-event split."""
    events = result.get("events") or 0
    if "cpu_user_s" in result and "cpu_user_us_per_event" not in result and events:
        result["cpu_user_us_per_event"] = result["cpu_user_s"] * 1e6 / events
        result["cpu_sys_us_per_event"] = result["cpu_sys_s"] * 1e6 / events


def sanity_problems(result: dict) -> list:
    """What is wrong with a network row's numbers (an empty list when sane)."""
    problems = []
    if result.get("events", 0) <= 0:
        problems.append("no events timed")
    if result.get("errors", 0) != 0:
        problems.append(f"{result.get('errors')} events were not accepted")
    if not result.get("events_per_s", 0) > 0:
        problems.append("events/s is not positive")
    if result.get("cpu_us_per_event", -1) < 0:
        problems.append("negative CPU per event")
    if "p50_us" in result and result.get("threads", 1) >= 1 and "rss_kb_at" not in result:
        if not result["p50_us"] > 0 or result["p99_us"] < result["p50_us"]:
            problems.append("latency percentiles are not sane")
    return problems


def median_result(results: list, metrics=METRICS) -> dict:
    """Per-metric median over rounds of one row (other fields from the first)."""
    merged = dict(results[0])
    for m in metrics:
        values = [r[m] for r in results if m in r]
        if values:
            merged[m] = statistics.median(values)
    merged["rounds"] = len(results)
    merged["events_per_s_all"] = [round(r.get("events_per_s", 0)) for r in results]
    if all("p50_ns" in r for r in results):
        merged["p50_ns_all"] = [round(r["p50_ns"]) for r in results]
    return merged
