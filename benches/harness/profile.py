"""Instruction counts per event with callgrind (repeatable, unlike time on a
shared VM): each client's timed loop (the function bench_timed_loop) is the
only part collected, so start-up and warm-up are left out."""

import re
import shutil
import subprocess
from collections import defaultdict

from . import paths

TOTALS_RE = re.compile(r"^\s*([\d,]+)\s+\([^)]*\)\s+PROGRAM TOTALS", re.M)
LINE_RE = re.compile(r"^\s*([\d,]+)\s+\([^)]*\)\s+(.*)$")


def available() -> bool:
    return bool(shutil.which("valgrind") and shutil.which("callgrind_annotate"))


def _count(text: str) -> int:
    return int(text.replace(",", ""))


def _group(symbol: str) -> str:
    """A coarse owner for a function: the Rust crate, or the shared object."""
    obj = re.search(r"\[([^\]]+)\]\s*$", symbol)
    name = re.sub(r"\s*\[[^\]]+\]\s*$", "", symbol)
    name = name.split(":", 1)[1] if ":" in name and not name.startswith("<") else name
    m = re.match(r"<?(?:&\s*)?(?:dyn\s+)?([A-Za-z_][A-Za-z0-9_]*)::", name)
    if m:
        return m.group(1)
    if obj:
        return obj.group(1).rsplit("/", 1)[-1]
    return "?"


def short_symbol(symbol: str) -> str:
    """'file:function [/path/libx.so]' -> 'function (libx.so)'."""
    obj = re.search(r"\[([^\]]+)\]\s*$", symbol)
    name = re.sub(r"\s*\[[^\]]+\]\s*$", "", symbol)
    if ":" in name and not name.startswith("<"):
        head, rest = name.split(":", 1)
        if head == "???" or "/" in head or "." in head:
            name = rest
    return name + (f" ({obj.group(1).rsplit('/', 1)[-1]})" if obj else "")


def run(label: str, cmd: list, events: int) -> dict:
    """Runs `cmd` (a bench program, already given --events) under callgrind."""
    out_file = paths.OUT / f"callgrind.{label}.out"
    full = ["valgrind", "--tool=callgrind", "--toggle-collect=bench_timed_loop",
            f"--callgrind-out-file={out_file}", *cmd]
    proc = subprocess.run(full, capture_output=True, text=True, timeout=600)
    if proc.returncode != 0:
        raise RuntimeError(f"callgrind {label}: exit {proc.returncode}: {proc.stderr[-1500:]}")
    ann = subprocess.run(["callgrind_annotate", "--inclusive=no", "--auto=no", "--threshold=99.5", str(out_file)],
                         capture_output=True, text=True, timeout=300).stdout
    total_match = TOTALS_RE.search(ann)
    total = _count(total_match.group(1)) if total_match else 0
    functions = []
    by_group = defaultdict(int)
    for line in ann.splitlines():
        m = LINE_RE.match(line)
        if not m or m.group(2).startswith("=>"):
            continue
        ir, symbol = _count(m.group(1)), m.group(2).strip()
        if symbol == "PROGRAM TOTALS":
            continue
        functions.append((ir, symbol))
        by_group[_group(symbol)] += ir
    functions.sort(reverse=True)
    inclusive = _inclusive_entry_points(out_file, events)
    return {
        "inclusive": inclusive,
        "label": label,
        "events": events,
        "ir_total": total,
        "ir_per_event": total / events if events else 0,
        "top_functions": [(ir / events, short_symbol(sym)) for ir, sym in functions[:15]],
        "by_group": sorted(((ir / events, g) for g, ir in by_group.items()), reverse=True)[:12],
        "annotate_file": str(out_file),
    }


# Functions whose inclusive cost tells where a send goes: the C entry point,
# the library's own layers, and the HTTP engine underneath.
ENTRY_POINT_RE = re.compile(r":(ua_\w+|<?coveo_ua::[^\[]+?|ureq::run::run|ureq::request::do_call|"
                            r"curl_easy_perform|__rdl_alloc|__rdl_dealloc|std::io::default_read_to_end)\s*\[")


def _inclusive_entry_points(out_file, events: int) -> list:
    ann = subprocess.run(["callgrind_annotate", "--inclusive=yes", "--auto=no", "--threshold=99.9", str(out_file)],
                         capture_output=True, text=True, timeout=300).stdout
    found = []
    for line in ann.splitlines():
        m = LINE_RE.match(line)
        if m and ENTRY_POINT_RE.search(m.group(2)):
            sym = re.sub(r"\s*\[[^\]]+\]\s*$", "", m.group(2)).split(":", 1)[-1]
            found.append((_count(m.group(1)) / events, sym))
    found.sort(reverse=True)
    return found[:14]


STRACE_LINE_RE = re.compile(r"^\s*[\d.]+\s+[\d.]+\s+\d+\s+(\d+)\s+(?:\d+\s+)?(\w+)\s*$")


def strace_available() -> bool:
    return bool(shutil.which("strace"))


def _strace_counts(label: str, cmd: list) -> dict:
    out_file = paths.OUT / f"strace.{label}.txt"
    proc = subprocess.run(["strace", "-f", "-c", "-o", str(out_file), *cmd],
                          capture_output=True, text=True, timeout=300)
    if proc.returncode != 0:
        raise RuntimeError(f"strace {label}: exit {proc.returncode}: {proc.stderr[-1500:]}")
    counts = {}
    for line in out_file.read_text().splitlines():
        m = STRACE_LINE_RE.match(line)
        if m and m.group(2) != "total":
            counts[m.group(2)] = int(m.group(1))
    return counts


def syscalls(label: str, cmd_for, small: int, large: int) -> dict:
    """System calls per event: strace -c of a run of `small` and one of `large`
    events (same warm-up), so start-up and warm-up cancel out in the difference.
    `cmd_for(n)` gives the command for n timed events."""
    a = _strace_counts(f"{label}.{small}", cmd_for(small))
    b = _strace_counts(f"{label}.{large}", cmd_for(large))
    per = {}
    for name in b:
        d = (b[name] - a.get(name, 0)) / (large - small)
        if d >= 0.01:
            per[name] = d
    return {"label": label, "per_event": dict(sorted(per.items(), key=lambda kv: -kv[1])),
            "total": sum(per.values())}
