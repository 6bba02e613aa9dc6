"""Turns the measured rows into ratios, PASS/MISS verdicts against the
project's targets, a plain-text table for the terminal, and BENCHMARKS.md."""

from . import async_rows, queue_rows

SYNC_COLUMNS = ("events/s", "p50 us", "p99 us", "CPU us/event", "user + sys us", "events")


def _get(rows: dict, key: str, metric: str):
    r = rows.get(key)
    if not r or "failed" in r or "missing" in r:
        return None
    return r.get(metric)


def _ratio(a, b):
    return a / b if a is not None and b not in (None, 0) else None


def targets(res: dict) -> list:
    """(what, measured value, comparison, target, unit) per target; value None when not measured."""
    s = res.get("sync", {})
    floor = "floor-loadgen" if _get(s, "floor-loadgen", "events_per_s") else "floor-c"
    t = res.get("threads", {})
    t4 = _get(t, 4, "events_per_s")
    # The baseline is the best single thread seen in this run, pinned or not:
    # an unpinned lone client on this VM pays an idle-CPU wake-up per request
    # that 4 threads never pay, which would flatter the ratio.
    singles = [v for v in (_get(t, 1, "events_per_s"), _get(s, "coveo-c", "events_per_s")) if v]
    t1 = max(singles) if singles else None
    checks = res.get("checks", {})
    mem = res.get("memory") or {}
    rss = mem.get("rss_kb_at") or {}
    growth = None
    if len(rss) >= 2:
        marks = sorted(rss, key=int)
        growth = rss[marks[-1]] - rss[marks[0]]
    return [
        ("coveo-ua C vs libcurl, events/s", _ratio(_get(s, "coveo-c", "events_per_s"), _get(s, "curl", "events_per_s")), ">=", 1.1, "x"),
        ("coveo-ua C vs libcurl, CPU/event", _ratio(_get(s, "coveo-c", "cpu_us_per_event"), _get(s, "curl", "cpu_us_per_event")), "<=", 0.8, "x"),
        (f"coveo-ua C vs floor ({floor}), events/s", _ratio(_get(s, "coveo-c", "events_per_s"), _get(s, floor, "events_per_s")), ">=", 0.9, "x"),
        (f"coveo-ua C vs floor ({floor}), CPU/event", _ratio(_get(s, "coveo-c", "cpu_us_per_event"), _get(s, floor, "cpu_us_per_event")), "<=", 1.3, "x"),
        ("4 threads vs best single thread (one shared client), events/s", _ratio(t4, t1), ">=", 1.8, "x"),
        ("Python coveo_ua vs requests.Session, events/s", _ratio(_get(s, "py-coveo", "events_per_s"), _get(s, "py-requests", "events_per_s")), ">=", 5.0, "x"),
        ("Go coveoua vs net/http, events/s", _ratio(_get(s, "go-coveoua", "events_per_s"), _get(s, "go-nethttp", "events_per_s")), ">=", 1.0, "x"),
        ("checks before sending, 300 B event", _get(checks, "300B", "ns_per_event"), "<", 2000.0, "ns"),
        ("RSS growth, coveo-ua C, first to last sample", growth, "<=", 1024, "KiB"),
    ] + queue_rows.targets(res) + async_rows.targets(res)


def extra_ratios(res: dict) -> list:
    """Informational ratios with no target."""
    s = res.get("sync", {})
    out = [
        ("coveo-ua C vs own C floor, events/s", _ratio(_get(s, "coveo-c", "events_per_s"), _get(s, "floor-c", "events_per_s"))),
        ("coveo-ua C vs own C floor, CPU/event", _ratio(_get(s, "coveo-c", "cpu_us_per_event"), _get(s, "floor-c", "cpu_us_per_event"))),
        ("coveo-ua C with vs without local checks, CPU/event", _ratio(_get(s, "coveo-c", "cpu_us_per_event"), _get(s, "coveo-c-nochecks", "cpu_us_per_event"))),
        ("Python coveo_ua vs requests, CPU/event", _ratio(_get(s, "py-coveo", "cpu_us_per_event"), _get(s, "py-requests", "cpu_us_per_event"))),
        ("Go coveoua vs net/http, CPU/event", _ratio(_get(s, "go-coveoua", "cpu_us_per_event"), _get(s, "go-nethttp", "cpu_us_per_event"))),
    ]
    t = res.get("threads", {})
    for n in (2, 8):
        out.append((f"{n} threads vs 1 thread, events/s", _ratio(_get(t, n, "events_per_s"), _get(t, 1, "events_per_s"))))
    tf = res.get("threads_floor", {})
    floor_singles = [v for v in (_get(tf, 1, "events_per_s"), _get(s, "floor-loadgen", "events_per_s")) if v]
    out.append(("socket floor (ua-loadgen) 4 connections vs best single connection, events/s: what this machine allows",
                _ratio(_get(tf, 4, "events_per_s"), max(floor_singles) if floor_singles else None)))
    prof = res.get("profile", {})
    if prof.get("coveo-c") and prof.get("curl"):
        out.append(("instructions/event, coveo-ua C vs libcurl (callgrind)",
                    _ratio(prof["coveo-c"]["ir_per_event"], prof["curl"]["ir_per_event"])))
    return out + queue_rows.extra_ratios(res)


def verdict(value, cmp, target) -> str:
    if value is None:
        return "n/a"
    ok = {">=": value >= target, "<=": value <= target, "<": value < target}[cmp]
    return "PASS" if ok else "MISS"


def _num(v, digits=1) -> str:
    if v is None:
        return "-"
    if isinstance(v, (int,)) or (isinstance(v, float) and abs(v) >= 1000):
        return f"{v:,.0f}"
    return f"{v:.{digits}f}"


def _sync_cells(r: dict) -> list:
    if not r:
        return ["-"] * len(SYNC_COLUMNS)
    if "missing" in r:
        return ["not run: " + r["missing"].splitlines()[0][:80]] + [""] * (len(SYNC_COLUMNS) - 1)
    if "failed" in r:
        return ["FAILED: " + r["failed"].splitlines()[0][:80]] + [""] * (len(SYNC_COLUMNS) - 1)
    return [_num(r.get("events_per_s"), 0), _num(r.get("p50_us")), _num(r.get("p99_us")),
            _num(r.get("cpu_us_per_event"), 2),
            f"{_num(r.get('cpu_user_us_per_event'), 2)} + {_num(r.get('cpu_sys_us_per_event'), 2)}",
            _num(r.get("events"), 0)]


def _table(header: list, rows: list, markdown: bool) -> str:
    if markdown:
        lines = ["| " + " | ".join(header) + " |", "|" + "|".join(" --- " for _ in header) + "|"]
        lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
        return "\n".join(lines)
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows)]
    fmt = lambda row: "  ".join(str(c).ljust(w) if i == 0 else str(c).rjust(w)
                                for i, (c, w) in enumerate(zip(row, widths)))
    return "\n".join([fmt(header), fmt(["-" * w for w in widths])] + [fmt(r) for r in rows])


def sections(res: dict, titles: dict, markdown: bool) -> list:
    """(heading, body) pairs shared by the terminal output and BENCHMARKS.md."""
    out = []
    s = res.get("sync", {})
    rows = [[titles.get(k, k)] + _sync_cells(s[k]) for k in s]
    if rows:
        out.append(("Single thread, synchronous, keep-alive: one 300-byte custom event per request",
                    _table(["client"] + list(SYNC_COLUMNS), rows, markdown)))
    t = res.get("threads", {})
    if t:
        rows = [[f"{n} thread{'s' if n > 1 else ''}"] + _sync_cells(t[n]) for n in sorted(t)]
        tf = res.get("threads_floor", {})
        rows += [[f"reference: ua-loadgen, {n} connection{'s' if n > 1 else ''}"] + _sync_cells(tf[n]) for n in sorted(tf)]
        out.append(("coveo-ua from C, threads sharing one client (total events/s)",
                    _table(["threads"] + list(SYNC_COLUMNS), rows, markdown)))
    c = res.get("checks", {})
    if c:
        rows = []
        for name, r in c.items():
            if "ns_per_event" in r:
                rows.append([name, r["bytes"], _num(r["ns_per_event"]), _num(r["ns_per_event_min"]), r["iterations"]])
            else:
                rows.append([name, (r.get("failed") or r.get("missing", "")).splitlines()[0][:80], "", "", ""])
        out.append(("Checks before sending (validate::check_event), no network",
                    _table(["event", "bytes", "ns/event (median batch)", "ns/event (best batch)", "iterations/batch"], rows, markdown)))
    mem = res.get("memory")
    size = res.get("library_size")
    mem_rows = []
    if mem:
        if "rss_kb_at" in mem:
            for k, v in sorted(mem["rss_kb_at"].items(), key=lambda kv: int(kv[0])):
                mem_rows.append([f"VmRSS of bench_coveo after {int(k):,} events", f"{v:,} KiB"])
            mem_rows.append(["ru_maxrss of bench_coveo", f"{mem.get('maxrss_kb', 0):,} KiB"])
            mem_rows.append(["events/s during the memory run", _num(mem.get("events_per_s"), 0)])
        else:
            mem_rows.append(["memory run", (mem.get("failed") or mem.get("missing", "")).splitlines()[0][:100]])
    if size:
        mem_rows.append(["libcoveo_ua.so as built", f"{size['built_bytes']:,} bytes"])
        mem_rows.append(["libcoveo_ua.so stripped (strip --strip-all of a copy)", f"{size['stripped_bytes']:,} bytes"])
    if mem_rows:
        out.append(("Memory and size", _table(["what", "value"], mem_rows, markdown)))
    out += queue_rows.sections(res, _table, markdown)
    out += async_rows.sections(res, _table, markdown)
    rows = []
    for what, value, cmp, target, unit in targets(res):
        shown = "-" if value is None else (queue_rows.ratio_text(value) if unit == "x" else _num(value))
        rows.append([what, shown + ("" if value is None else (" " + unit if unit != "x" else "x")),
                     f"{cmp} {target:g}{'x' if unit == 'x' else ' ' + unit}", verdict(value, cmp, target)])
    for what, value in extra_ratios(res):
        rows.append([what, "-" if value is None else f"{queue_rows.ratio_text(value)}x", "(info)", ""])
    out.append(("Ratios (same run) and targets (informational: the bench never fails on a MISS)",
                _table(["ratio", "measured", "target", "verdict"], rows, markdown)))
    sc = res.get("syscalls", {})
    if sc:
        rows = []
        for k, v in sc.items():
            if "per_event" in v:
                rows.append([k, f"{v['total']:.1f}", ", ".join(f"{n} {c:.1f}" for n, c in v["per_event"].items())])
            else:
                rows.append([k, "-", v.get("failed", "").splitlines()[0][:100]])
        out.append(("System calls per event (strace -f -c, difference of two runs)",
                    _table(["client", "syscalls/event", "by call"], rows, markdown)))
    prof = res.get("profile", {})
    if prof:
        lines = []
        rows = [[k, p["events"], f"{p['ir_per_event']:,.0f}"] for k, p in prof.items() if "ir_per_event" in p]
        lines.append(_table(["client", "events profiled", "instructions/event (user space)"], rows, markdown))

        def sub(title):
            return f"\n**{title}**\n" if markdown else f"\n{title}"

        def fn_table(pairs, header):
            return _table(["Ir/event", header],
                          [[f"{v:,.0f}", (f"`{sym[:140]}`" if markdown else sym[:140])] for v, sym in pairs], markdown)

        for k, p in prof.items():
            if "by_group" not in p or k == "floor-c":
                continue
            lines.append(sub(f"{k}: instructions/event by owner (self cost)"))
            lines.append(_table(["owner", "Ir/event"], [[g, f"{v:,.0f}"] for v, g in p["by_group"]], markdown))
            if p.get("inclusive"):
                lines.append(sub(f"{k}: inclusive cost of the main layers"))
                lines.append(fn_table(p["inclusive"], "function (with everything it calls)"))
            lines.append(sub(f"{k}: top functions (self cost)"))
            lines.append(fn_table(p["top_functions"], "function"))
        out.append(("Instruction profile per event (callgrind, timed loop only)", "\n".join(lines)))
    return out


def terminal(res: dict, titles: dict) -> str:
    parts = []
    for heading, body in sections(res, titles, markdown=False):
        parts.append(f"\n== {heading}\n{body}")
    return "\n".join(parts)


def markdown(res: dict, titles: dict, method: str) -> str:
    m = res["machine"]
    head = [
        "# Benchmarks",
        "",
        "Written by `make bench` (`benches/run.py`); do not edit by hand, run it again.",
        "",
        "## Machine and versions",
        "",
        _table(["", ""], [
            ["date", m["date"]],
            ["commit", m["commit"]],
            ["CPU", f"{m['cpu']} ({m['nproc']} CPUs, `nproc`)"],
            ["kernel", m["kernel"]],
            ["load average at start / end", f"{m['loadavg_start']} / {m.get('loadavg_end', '?')}"],
            ["load average at start / end of the queue rows",
             f"{m.get('loadavg_queue_start', '?')} / {m.get('loadavg_queue_end', '?')}"],
            ["coveo-ua (ua_version)", m.get("library", "?")],
            ["rustc", m["rustc"]],
            ["gcc", m["gcc"]],
            ["libcurl", m.get("libcurl", "?")],
            ["go", m["go"]],
            ["python", m["python"] + f" (requests {m.get('requests', '?')})"],
            ["valgrind", m["valgrind"]],
            ["hardware instruction counters", m.get("perf", "?")],
            ["server", m.get("server", "?")],
        ], True),
        "",
        "## How it was measured",
        "",
        method,
    ]
    body = []
    for heading, text in sections(res, titles, markdown=True):
        body += ["", f"## {heading}", "", text]
    return "\n".join(head + body) + "\n"
