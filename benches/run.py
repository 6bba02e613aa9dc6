#!/usr/bin/env python3
"""The coveo-ua benchmark driver (`make bench`, `make bench-smoke`); stdlib only.

Builds the bench programs, starts one server, runs every row against it (each
program times its own loop after a warm-up and prints one JSON line), computes
the ratios in the same run, prints a table, and writes BENCHMARKS.md.

--smoke runs every row with a tiny event count and checks only that each row
ran and produced sane numbers (never how fast); it writes its report under
target/bench and fails if any row did not run.
"""

import argparse
import os
import shutil
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import async_rows, build, events, machine, paths, profile, queue_rows, report  # noqa: E402
from harness.rows import Row, RowFailed, median_result, run_program, sanity_problems  # noqa: E402
from harness.server import Server, ServerError  # noqa: E402

TITLES = {
    "floor-loadgen": "socket floor: ua-loadgen --connections 1 (its own ~150 B body)",
    "floor-c": "socket floor: raw C socket, same 300 B body (bench_floor)",
    "curl": "libcurl, one reused easy handle (bench_curl)",
    "coveo-c": "coveo-ua from C (bench_coveo)",
    "coveo-c-nochecks": "coveo-ua from C, local checks off (info)",
    "py-requests": "Python requests.Session",
    "py-coveo": "Python coveo_ua.Client",
    "go-nethttp": "Go net/http, one reused http.Client",
    "go-coveoua": "Go coveoua.Client",
}


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--smoke", action="store_true", help="tiny event counts; check rows ran, not speed")
    ap.add_argument("--events", type=int, help="timed events per fast row (default 50000; smoke 200)")
    ap.add_argument("--rounds", type=int, help="runs of each network row; the median is kept (default 3; smoke 1)")
    ap.add_argument("--memory-events", type=int, help="events of the memory run (default 1000000)")
    ap.add_argument("--server", choices=["auto", "emulator", "mini"],
                    help="auto: the emulator if its floor is within 80%% of the minimal server's")
    ap.add_argument("--pin", choices=["same", "none"], default="same",
                    help="same: single-thread rows and the server share one CPU (repeatable); none: free")
    ap.add_argument("--no-profile", action="store_true", help="skip the callgrind instruction profile")
    ap.add_argument("--allow-missing", action="store_true",
                    help="run the rows whose prerequisites exist, mark the others 'not run', exit 0")
    ap.add_argument("--queue-events", type=int,
                    help="timed enqueues per pass of each queue enqueue row (default 30000; smoke 200)")
    ap.add_argument("--queue-only", action="store_true",
                    help="run only the delivery queue's rows (report: target/bench/BENCHMARKS-queue.md)")
    ap.add_argument("--output", help="report file (default BENCHMARKS.md; smoke: target/bench/BENCHMARKS-smoke.md)")
    a = ap.parse_args()
    a.events = a.events or (200 if a.smoke else 50_000)
    a.rounds = a.rounds or (1 if a.smoke else 3)
    a.memory_events = a.memory_events or (400 if a.smoke else 1_000_000)
    a.queue_events = a.queue_events or (200 if a.smoke else 30_000)
    a.server = a.server or ("emulator" if a.smoke else "auto")
    if a.queue_only and not a.output:
        a.output = str(paths.OUT / ("BENCHMARKS-queue-smoke.md" if a.smoke else "BENCHMARKS-queue.md"))
    a.output = a.output or str(paths.OUT / "BENCHMARKS-smoke.md" if a.smoke else paths.REPO / "BENCHMARKS.md")
    return a


def log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def build_all() -> dict:
    """Builds every program; a program that cannot be built maps to a Missing."""
    progs = {}
    for name, fn in [("floor-c", build.floor), ("server", build.server), ("curl", build.curl),
                     ("coveo-c", build.coveo_c), ("go-nethttp", build.go_nethttp),
                     ("go-coveoua", build.go_coveoua), ("py-requests", build.python_requests),
                     ("py-coveo", build.python_coveo), ("emulator", build.emulator),
                     ("floor-loadgen", build.loadgen), ("checks", build.checks),
                     ("queue-c", build.coveo_queue), ("queue-rs", build.rust_queue),
                     ("go-queue", build.go_queue), ("go-posthog", build.go_posthog),
                     ("py-queue", build.python_queue), ("py-async", build.python_async)]:
        log(f"building {name}")
        try:
            progs[name] = fn()
        except build.Missing as e:
            progs[name] = e
            log(f"  not available: {str(e).splitlines()[0]}")
    return progs


def common_args(url, event_file, n, warmup, label):
    return ["--endpoint", url, "--token", paths.TOKEN, "--event-file", str(event_file),
            "--events", str(n), "--warmup", str(warmup), "--label", label]


def python_env() -> dict:
    """The Python rows import the binding from the tree, loading this build's library."""
    return {"PYTHONPATH": str(paths.REPO / "bindings" / "python" / "src"),
            "COVEO_UA_LIBRARY": str(paths.library_path())}


def sync_rows(a, progs, url, files, pin) -> list:
    """The single-thread rows; counts scale with --events (Python requests is slow)."""
    n, w = a.events, max(20, min(1000, a.events // 20))
    ev = files["300B"]
    py = str(paths.BENCHES / "python" / "bench_py.py")
    py_env = python_env()
    specs = [
        ("floor-loadgen", lambda p: [str(p), "--url", url, "--token", paths.TOKEN, "--connections", "1",
                                     "--requests", str(n)], {}),
        ("floor-c", lambda p: [str(p), *common_args(url, ev, n, w, "floor-c")], {}),
        ("curl", lambda p: [str(p), *common_args(url, ev, n, w, "curl")], {}),
        ("coveo-c", lambda p: [str(p), *common_args(url, ev, n, w, "coveo-c")], {}),
        ("coveo-c-nochecks", lambda p: [str(p), *common_args(url, ev, n, w, "coveo-c-nochecks"),
                                        "--no-local-checks"], {}),
        ("py-requests", lambda p: [str(p), py, "--mode", "requests",
                                   *common_args(url, ev, max(50, n // 10), max(20, w // 5), "py-requests")], py_env),
        ("py-coveo", lambda p: [str(p), py, "--mode", "coveo_ua",
                                *common_args(url, ev, max(100, int(n / 2.5)), w, "py-coveo")], py_env),
        ("go-nethttp", lambda p: [str(p), *common_args(url, ev, n, w, "go-nethttp")], {}),
        ("go-coveoua", lambda p: [str(p), *common_args(url, ev, n, w, "go-coveoua")], {}),
    ]
    rows = []
    for key, cmd, env in specs:
        prog = progs["coveo-c" if key == "coveo-c-nochecks" else key]
        if isinstance(prog, Exception):
            rows.append(Row(key, TITLES[key], "sync", [], missing=str(prog)))
        else:
            rows.append(Row(key, TITLES[key], "sync", cmd(prog), pin=pin, env=env))
    return rows


def run_rounds(rows: list, rounds: int, check=sanity_problems, before=None, metrics=None, describe=None) -> dict:
    """Runs each row `rounds` times (interleaved); keeps the per-metric median.
    `check(result)` lists what is wrong with a result, `before(row)` runs
    before each run, `describe(result)` is the progress line."""
    got = {r.key: [] for r in rows}
    failed = {}
    describe = describe or (lambda r: f"{r.get('events_per_s', 0):,.0f} events/s, "
                                      f"{r.get('cpu_us_per_event', 0):.2f} us CPU/event")
    for i in range(rounds):
        for row in rows:
            if row.missing or row.key in failed:
                continue
            try:
                if before:
                    before(row)
                result = run_program(row)[-1]
                problems = check(result)
                if problems:
                    raise RowFailed(f"{row.key}: " + "; ".join(problems))
                got[row.key].append(result)
                log(f"round {i + 1}/{rounds} {row.key}: {describe(result)}")
            except (RowFailed, OSError) as e:
                failed[row.key] = str(e)
                log(f"FAILED {e}")
    out = {}
    for row in rows:
        if row.missing:
            out[row.key] = {"missing": row.missing}
        elif row.key in failed:
            out[row.key] = {"failed": failed[row.key]}
        else:
            out[row.key] = median_result(got[row.key], metrics) if metrics else median_result(got[row.key])
    return out


def queue_section(a, progs, files) -> dict:
    """The delivery queue's rows (issue 9), against a dedicated emulator
    (latency, fault windows and stats are needed), nothing pinned: the
    enqueuing threads, the queue's workers and the emulator float over every
    CPU, as in a host."""
    prog = progs.get("queue-c")
    if isinstance(prog, Exception) or isinstance(progs.get("emulator"), Exception):
        why = str(prog if isinstance(prog, Exception) else progs["emulator"])
        hosts = {key: {"missing": why} for key, _, _ in queue_rows.HOST_ROWS}
        asyncs = {key: {"missing": why} for key in async_rows.TITLES}
        return {"enqueue": {k: {"missing": why} for k in
                            [queue_rows.enqueue_key(t, s, w) for w in (False, True) for s in (False, True)
                             for t in queue_rows.THREADS]},
                "throughput": {w: {"missing": why} for w in queue_rows.WORKERS},
                "outage": {"missing": why}, "memory": {"missing": why}, "hosts": hosts, "async": asyncs,
                "fork": {queue_rows.fork_key(s): {"missing": why} for s in (False, True)},
                "adopt": {"missing": why}}
    srv = Server("emulator", progs["emulator"], name="queue-emulator")
    out = {"hosts": {}, "async": {}}
    ev = files["300B"]
    try:
        url = srv.start()
        log(f"queue rows: emulator at {url}")

        # No janitor here: its control connections would show in the rows'
        # connection counts. The event log is emptied before each run instead
        # (the largest run leaves about 61,000 events in it).
        def fresh(row):
            srv.reset_faults_and_latency()
            srv.clear_event_log()
            if "--spool-dir" in row.cmd:
                shutil.rmtree(row.cmd[row.cmd.index("--spool-dir") + 1], ignore_errors=True)

        def enq_line(r):
            return (f"p50 {r['p50_ns']:,.0f} ns, p99 {r['p99_ns']:,.0f} ns, mean {r['mean_ns']:,.0f} ns, "
                    f"batch {r['batch_p50_ns']:,.0f} ns/call, drain {r['drain_s']:.2f} s")

        warm = 20 if a.smoke else 1000
        out["enqueue"] = run_rounds(queue_rows.enqueue_rows(prog, progs.get("queue-rs"), url, ev, a.queue_events,
                                                            warm), a.rounds,
                                    check=queue_rows.problems, before=fresh,
                                    metrics=queue_rows.ENQUEUE_METRICS, describe=enq_line)
        queue_rows.remove_spools()

        # The host rows: each pair (Go) or trio (Python) alternates within a round.
        def host_line(r):
            return f"p50 {r['p50_ns']:,.0f} ns, p99 {r['p99_ns']:,.0f} ns, mean {r['mean_ns']:,.0f} ns"

        for rows in queue_rows.host_rows(progs, url, ev, a.queue_events, warm, python_env()):
            out["hosts"].update(run_rounds(rows, a.rounds, check=queue_rows.host_problems, before=fresh,
                                           metrics=queue_rows.HOST_METRICS, describe=host_line))

        # asyncio (issue 18): the await beside the blocking send, then 100 awaits at +50 ms.
        per_call, concurrent = async_rows.rows(progs["py-async"], url, ev, async_calls(a), warm, python_env(),
                                               a.smoke)
        out["async"] = run_rounds(per_call, a.rounds, check=async_rows.problems, before=fresh,
                                  metrics=async_rows.PER_CALL_METRICS,
                                  describe=lambda r: f"p50 {r['p50_us']:.1f} us, CPU {r['cpu_us_per_event']:.1f} us")
        out["async"].update(run_rounds(concurrent, a.rounds, check=async_rows.problems, before=fresh,
                                       metrics=async_rows.CONCURRENT_METRICS,
                                       describe=lambda r: f"wall {r['wall_ms']:.1f} ms, one round trip "
                                                          f"{r['round_trip_ms']:.1f} ms"))

        secs = 0.1 if a.smoke else 2.0
        got = run_rounds(queue_rows.throughput_rows(prog, url, ev, secs), a.rounds, check=queue_rows.problems,
                         before=fresh, metrics=queue_rows.THROUGHPUT_METRICS,
                         describe=lambda r: f"{r['events_per_s']:,.1f} events/s of {r['round_trip_limit']:,.0f} "
                                            f"({r['seconds']:.2f} s, {r['server_connections']} connections)")
        out["throughput"] = {w: got[f"throughput-{w}"] for w in queue_rows.WORKERS}

        if a.smoke:
            orow = queue_rows.outage_row(prog, url, ev, 200, 1500, "200,1000")
        else:
            orow = queue_rows.outage_row(prog, url, ev, 10_000, 30_000, None)
        log(f"queue outage row: {orow.cmd[orow.cmd.index('--window-ms') + 1]} ms window")
        got = run_rounds([orow], 1, check=queue_rows.problems, before=fresh, metrics=("seconds",),
                         describe=lambda r: f"{r['window_requests']} requests in the window, "
                                            f"{r['failed_probes']} failed probes, all delivered "
                                            f"{r['recovery_s']:.1f} s after it")
        out["outage"] = got["outage"]

        mrow = (queue_rows.memory_row(prog, ev, 20_000, 1_000, 2_000) if a.smoke
                else queue_rows.memory_row(prog, ev, 1_000_000, 10_000, 100_000))
        got = run_rounds([mrow], 1, check=queue_rows.problems, metrics=("seconds",),
                         describe=lambda r: f"VmRSS {r['rss_kb_when_full']:,} KiB when full, "
                                            f"{list(r['rss_kb_at'].values())[-1]:,} KiB at the end")
        out["memory"] = got["queue-memory"]

        got = run_rounds(queue_rows.offered_rows(prog, url, ev, a.smoke), 1, check=queue_rows.problems,
                         before=fresh, metrics=("seconds",),
                         describe=lambda r: f"{r['delivered_per_s']:,.1f} of {r['offered_per_s']:,} events/s "
                                            f"delivered, {r['refused']} refused, {r['pending_at_end']} pending, "
                                            f"{r['most_workers']} workers at most")
        out["offered"] = got
        brow = queue_rows.backlog_row(prog, url, ev, 5_000 if a.smoke else 1_000_000)
        got = run_rounds([brow], 1, check=queue_rows.problems, before=fresh, metrics=("enqueue_seconds",),
                         describe=lambda r: f"p50 {r['p50_ns']:,.0f} ns, p99.9 {r['p999_ns']:,.0f} ns, "
                                            f"RSS +{r['rss_above_empty_kb']:,} KiB, disk {r['disk_bytes']:,} B, "
                                            f"drained in {r['drain_seconds']:.1f} s")
        out["backlog"] = got["backlog"]
        queue_rows.remove_spools()

        # Issue 14: a forked child's enqueue beside its parent's, and a killed
        # worker's events delivered by a sibling.
        children = 2 if a.smoke else queue_rows.FORK_CHILDREN
        out["fork"] = run_rounds(queue_rows.fork_rows(prog, url, ev, a.queue_events, warm, children), a.rounds,
                                 check=queue_rows.problems, before=fresh, metrics=queue_rows.FORK_METRICS,
                                 describe=lambda r: f"parent p50 {r['parent_p50_ns']:,.0f} ns, child p50 "
                                                    f"{r['child_p50_ns']:,.0f} ns, child's first call "
                                                    f"{r['child_first_ns'] / 1000:,.0f} us")
        arow = (queue_rows.adopt_row(prog, url, ev, 20, 1, 0) if a.smoke else
                queue_rows.adopt_row(prog, url, ev, 1000, queue_rows.ADOPT_ROUNDS, queue_rows.ADOPT_STAGGER_MS))
        got = run_rounds([arow], 1, check=queue_rows.problems, before=fresh, metrics=("deliver_ms",),
                         describe=lambda r: "kill to delivered " + ", ".join(f"{x / 1000:.2f} s"
                                                                             for x in r["deliver_ms_all"]))
        out["adopt"] = got["adopt"]
        srv.check_alive()
    except ServerError as e:
        log(f"queue rows: {e}")
        for k in ("enqueue", "throughput", "hosts", "offered", "async", "fork"):
            out.setdefault(k, {})
        out.setdefault("adopt", {"failed": str(e)})
        out.setdefault("outage", {"failed": str(e)})
        out.setdefault("memory", {"failed": str(e)})
    finally:
        srv.stop()
        queue_rows.remove_spools()
    return out


def async_calls(a) -> int:
    """Sends timed per asyncio row: each makes a round trip, as the blocking
    Python rows do."""
    return max(100, a.queue_events // 10)


def choose_server(a, progs, files, pin) -> tuple:
    """The server kind to use, and what the choice was based on."""
    if a.server != "auto":
        return a.server, f"{a.server} (chosen with --server)"
    for need in ("emulator", "server", "floor-c"):
        if isinstance(progs[need], Exception):
            return "mini", f"mini (auto: {need} unavailable)"
    probe = {}
    for kind, binary in (("emulator", progs["emulator"]), ("mini", progs["server"])):
        srv = Server(kind, binary)
        try:
            url = srv.start(cpus=pin)
            row = Row("probe", "probe", "sync", [str(progs["floor-c"]), *common_args(url, files["300B"], 20_000, 1000, "probe")], pin=pin)
            probe[kind] = max(run_program(row)[-1]["events_per_s"] for _ in range(2))
        finally:
            srv.stop()
    ratio = probe["emulator"] / probe["mini"]
    kind = "emulator" if ratio >= 0.8 else "mini"
    why = (f"{kind} (auto: the C socket floor reached {probe['emulator']:,.0f} events/s against ua-emulator and "
           f"{probe['mini']:,.0f} against the minimal bench_server, ratio {ratio:.2f}; the emulator is used when >= 0.80)")
    return kind, why


def main() -> int:
    a = parse_args()
    t_start = time.monotonic()
    info = machine.describe()
    cpus = sorted(os.sched_getaffinity(0))
    pin = {cpus[-1]} if a.pin == "same" and len(cpus) > 1 else None
    progs = build_all()
    if a.queue_only:
        return queue_only(a, info, progs, t_start)
    missing = {k: v for k, v in progs.items() if isinstance(v, Exception)}
    if missing and not a.allow_missing:
        for k, v in missing.items():
            print(f"bench: cannot run '{k}': {v}", file=sys.stderr)
        if "emulator" in missing or "floor-c" in missing:
            return 1
    files = events.write_events(paths.OUT)

    kind, why = choose_server(a, progs, files, pin)
    log(f"server: {why}")
    info["server"] = why
    binary = progs["emulator"] if kind == "emulator" else progs["server"]
    if isinstance(binary, Exception):
        print(f"bench: no server: {binary}", file=sys.stderr)
        return 1
    srv = Server(kind, binary)
    res = {"machine": info}
    try:
        url = srv.start(cpus=pin)
        srv.start_janitor()
        log(f"server {kind} at {url}")

        res["sync"] = run_rounds(sync_rows(a, progs, url, files, pin), a.rounds)

        # Threads: the client and the server may use every CPU.
        srv.pin(set(cpus))
        trows = []
        for n in (1, 2, 4, 8):
            if isinstance(progs["coveo-c"], Exception):
                trows.append(Row(f"threads-{n}", "", "threads", [], missing=str(progs["coveo-c"])))
            else:
                cmd = [str(progs["coveo-c"]), *common_args(url, files["300B"], a.events, max(20, a.events // 20), f"threads-{n}"),
                       "--threads", str(n)]
                trows.append(Row(f"threads-{n}", "", "threads", cmd, pin=None))
        # The same scaling for the socket floor shows what this machine allows.
        for n in (1, 4):
            if not isinstance(progs["floor-loadgen"], Exception):
                trows.append(Row(f"loadgen-{n}", "", "threads",
                                 [str(progs["floor-loadgen"]), "--url", url, "--token", paths.TOKEN,
                                  "--connections", str(n), "--requests", str(a.events * 2)]))
        got = run_rounds(trows, a.rounds)
        res["threads"] = {n: got[f"threads-{n}"] for n in (1, 2, 4, 8)}
        res["threads_floor"] = {n: got[f"loadgen-{n}"] for n in (1, 4) if f"loadgen-{n}" in got}
        if pin:
            srv.pin(pin)

        # Memory: one long single-thread run, VmRSS sampled along the way.
        if isinstance(progs["coveo-c"], Exception):
            res["memory"] = {"missing": str(progs["coveo-c"])}
        else:
            # Keep the run within about 60 s whatever the library's speed.
            eps = res["sync"].get("coveo-c", {}).get("events_per_s") or 0
            if eps and not a.smoke and eps * 60 < a.memory_events:
                a.memory_events = max(100_000, int(eps * 60) // 10_000 * 10_000)
                log(f"memory run shortened to {a.memory_events:,} events (coveo-c runs at {eps:,.0f} events/s)")
            first = min(10_000, a.memory_events // 2)
            cmd = [str(progs["coveo-c"]), *common_args(url, files["300B"], 1, 1000 if not a.smoke else 20, "memory"),
                   "--rss-at", f"{first},{a.memory_events}"]
            log(f"memory run: {a.memory_events:,} events")
            try:
                res["memory"] = run_program(Row("memory", "", "memory", cmd, pin=pin, timeout_s=240))[-1]
                problems = sanity_problems(res["memory"])
                if problems:
                    res["memory"] = {"failed": "; ".join(problems)}
            except RowFailed as e:
                res["memory"] = {"failed": str(e)}

        # Checks: no network at all.
        res["checks"] = {}
        if isinstance(progs["checks"], Exception):
            res["checks"] = {k: {"missing": str(progs["checks"])} for k in files}
        else:
            cmd = [str(progs["checks"]), "--iterations", "2000" if a.smoke else "200000",
                   "--batches", "2" if a.smoke else "5"]
            for name, f in files.items():
                cmd += ["--event", f"{name}={f}"]
            try:
                for line in run_program(Row("checks", "", "checks", cmd, pin=pin)):
                    res["checks"][line["label"].removeprefix("checks-")] = line
            except RowFailed as e:
                res["checks"] = {k: {"failed": str(e)} for k in files}

        # Instruction counts: repeatable where wall time is not.
        res["profile"] = {}
        if not a.no_profile and not a.smoke and profile.available():
            pn = 2000
            for key in ("floor-c", "curl", "coveo-c"):
                if isinstance(progs[key], Exception):
                    continue
                log(f"callgrind: {key}, {pn} events")
                cmd = [str(progs[key]), *common_args(url, files["300B"], pn, 200, key)]
                try:
                    res["profile"][key] = profile.run(key, cmd, pn)
                except (RuntimeError, OSError) as e:
                    res["profile"][key] = {"failed": str(e)}
        res["syscalls"] = {}
        if not a.no_profile and not a.smoke and profile.strace_available():
            small, large = (20, 120) if a.smoke else (200, 2200)
            for key, prog, extra in (("floor-c", "floor-c", []), ("curl", "curl", []), ("coveo-c", "coveo-c", []),
                                     ("coveo-c, 8 threads", "coveo-c", ["--threads", "8"]),
                                     ("go-nethttp", "go-nethttp", []), ("go-coveoua", "go-coveoua", [])):
                if isinstance(progs[prog], Exception):
                    continue
                log(f"strace: {key}")
                try:
                    res["syscalls"][key] = profile.syscalls(
                        key.replace(", ", "-").replace(" ", ""),
                        lambda n, p=prog, x=extra: [str(progs[p]), *common_args(url, files["300B"], n, 16, p), *x],
                        small, large)
                except (RuntimeError, OSError) as e:
                    res["syscalls"][key] = {"failed": str(e)}
        srv.check_alive()
    except ServerError as e:
        print(f"bench: {e}", file=sys.stderr)
        return 1
    finally:
        srv.stop()

    # The delivery queue (issue 9): its own emulator, after the other rows.
    info["loadavg_queue_start"] = machine.loadavg()
    res["queue"] = queue_section(a, progs, files)
    info["loadavg_queue_end"] = machine.loadavg()

    try:
        res["library_size"] = build.stripped_library_size()
    except build.Missing:
        pass
    info["loadavg_end"] = machine.loadavg()
    s = res["sync"]
    info["library"] = s.get("coveo-c", {}).get("version", "?")
    info["libcurl"] = s.get("curl", {}).get("version", "?")
    info["requests"] = s.get("py-requests", {}).get("version", "?")

    print(report.terminal(res, TITLES))
    method = method_text(a, pin)
    with open(a.output, "w", encoding="utf-8") as f:
        f.write(report.markdown(res, TITLES, method))
    log(f"wrote {a.output} ({time.monotonic() - t_start:.0f} s in all)")
    return verdict(a, res)


def queue_only(a, info, progs, t_start) -> int:
    """--queue-only: the delivery queue's rows alone, in their own report."""
    files = events.write_events(paths.OUT)
    res = {"machine": info, "sync": {}}
    info["server"] = "ua-emulator (the queue rows need its latency, fault windows and stats)"
    info["loadavg_queue_start"] = machine.loadavg()
    res["queue"] = queue_section(a, progs, files)
    info["loadavg_queue_end"] = info["loadavg_end"] = machine.loadavg()
    info["library"] = next((r.get("version") for r in res["queue"].get("enqueue", {}).values() if "version" in r), "?")
    print(report.terminal(res, TITLES))
    with open(a.output, "w", encoding="utf-8") as f:
        f.write(report.markdown(res, TITLES, queue_method_text(a)))
    log(f"wrote {a.output} ({time.monotonic() - t_start:.0f} s in all)")
    return verdict(a, res)


def queue_method_text(a) -> str:
    return "\n".join([
        "- Delivery queue rows (`benches/c/bench_queue.c`, one JSON line per run) run against their own "
        "`ua-emulator` (fault windows, `PUT /_emulator/latency` and `/_emulator/stats` are needed), with "
        "nothing pinned: the enqueuing threads, the queue's workers and the emulator float over both CPUs, "
        "as in a host. The rows cap the workers with `--workers` (8 unless a row says otherwise, so "
        "that they compare with the rows from before workers followed the load), except the offered-rate "
        "and compressed-outage rows, which use the library's defaults (at most 64). Load average at the start and end of these rows is in the header.",
        f"- Enqueue cost: after a warm-up ({20 if a.smoke else 1000:,} events, flushed), each thread calls "
        f"`ua_queue_enqueue(q, UA_EVENT_CUSTOM, json)` on the 300-byte event, {a.queue_events:,} calls in all "
        "per pass, local checks on. Pass 1 reads `clock_gettime(CLOCK_MONOTONIC)` just before and just after "
        "every call (the figures include one clock pair, whose median cost is measured and shown in the "
        "run's JSON as `clock_pair_ns`, 20-30 ns here); pass 2 reads the clock once per batch of 100 calls, "
        "and its median batch (ns/call) checks that the clock does not distort the per-call figures (a batch "
        "mean carries its share of the tail, so it sits above the per-call median). \"Thread CPU\" is "
        "CLOCK_THREAD_CPUTIME_ID of the enqueuing threads over pass 1 divided by the calls (their own CPU, "
        "however often they were preempted), and their context switches come from getrusage(RUSAGE_THREAD). "
        "The queue holds every event of the run (capacity: 1.25 x warm-up + both passes, in events and in "
        "bytes, so spool segments are about 1.5 MiB, a 16th of it), 8 workers deliver meanwhile; "
        "the flush (\"drain\") and close come after both passes, untimed, and the counters read after the "
        "flush must show every event delivered. \"+50 ms\": the emulator answers 50 ms late during both "
        "passes (`PUT /_emulator/latency`), and on time again before the flush, so the drain takes seconds, "
        f"not minutes. Spool: `target/bench/spool/<row>` (the repository's target filesystem), fsync interval "
        f"at its default (1 s). Each enqueue row ran {a.rounds} time(s), interleaved; medians per metric.",
        "- Rust rows: `benches/queue.rs` (built by rustc against the workspace's release rlib) times "
        "`coveo_ua::Queue::enqueue` the same way (`Instant::now()` around each call, then batches), on "
        "its main thread, service normal, at most 8 workers as in the C rows: the difference from the C "
        "rows is what the C boundary adds.",
        "- Host rows (issue 9), after the C and Rust enqueue rows, against the same emulator (service normal), "
        "nothing pinned. Go: `benches/go/cmd/queue` times `coveoua.Queue.EnqueueCustom` of the 300-byte event "
        "(JSON bytes, local checks on, the library's default workers, capacity = every event of the run) and "
        "`benches/go/cmd/posthog` times posthog-go v1.5.2's `Client.Enqueue` of a `Capture` carrying the same "
        "fields (eventType as Event, clientId as DistinctId, the rest as properties) against an HTTP server in "
        "its own process that answers 200 to `/batch/` (the emulator does not serve posthog's API; posthog-go "
        "sends batches of 250, coveo-ua one request per event). Both: `time.Now()` around each call, "
        f"{a.queue_events:,} calls after {20 if a.smoke else 1000:,} untimed ones; then Flush or Close, untimed, "
        "and every event must be delivered. The Go pair alternates within each round; the verdict (ratio <= 1.0) "
        "uses the median per call, the mean and p99 ratios are shown beside it. Python: "
        "`benches/python/bench_queue.py` times `Queue.enqueue_custom` (bytes; "
        f"{a.queue_events:,} calls, flushed after, every event delivered), `requests.Session.post` "
        f"({max(50, a.queue_events // 10):,} calls) and the blocking `Client.send_custom` "
        f"({max(100, a.queue_events // 3):,} calls) with `time.perf_counter_ns()` around each call; its mean is "
        "the loop's wall time over the calls (the clock reads included). The three alternate within each round; "
        "their ratios are reported, with no target. Each host row ran "
        f"{a.rounds} time(s); medians per metric.",
        async_rows.method_text(async_calls(a), a.rounds),
        "- Delivered events/s: the emulator answers 50 ms late; a queue with W workers (capacity = the events) "
        "is handed W / 0.05 s x 2 s of events at once, timed from the first enqueue to the return of "
        f"`ua_queue_flush`; {a.rounds} round(s), median.",
        "- Outage: 10,000 events enqueued right after posting the window rule `{\"duration_ms\":30000,"
        "\"status\":503}`; `/_emulator/stats` is read every 50 ms until the window has closed "
        "(requests_by_kind.custom and faults_applied before and after), the queue's log callback timestamps "
        "each pause; then `ua_queue_flush` until all are delivered. Default backoff (1 s .. 30 s, equal jitter)."
        if not a.smoke else "- Outage (smoke): 200 events, a 1.5 s 503 window, backoff 200 ms .. 1 s.",
        "- Queue memory: the queue's endpoint is a loopback port nothing listens on (connections refused), "
        "capacity 10,000 events; 1,000,000 `ua_queue_enqueue` calls in a loop, VmRSS from /proc/self/status "
        "every 100,000 calls; then `ua_queue_close(q, 0)` fails what it held (UA_QUEUE_CLOSED)."
        if not a.smoke else "- Queue memory (smoke): 20,000 attempts into a 1,000-event queue.",
        "- After fork (issue 14; `bench_queue --mode fork`): the parent makes a queue, warms it up "
        f"({20 if a.smoke else 1000:,} events, flushed) and times {a.queue_events:,} calls one clock pair "
        f"each; then {2 if a.smoke else queue_rows.FORK_CHILDREN} children are forked one after the other. "
        "Each child times its first `ua_queue_enqueue` on the parent's queue (which starts the child's own "
        f"queue: client, 8 worker threads, housekeeper, and with a spool its lane), then {a.queue_events:,} "
        "calls, flushes (every event delivered, its counters its own), reports through a pipe and ends; the "
        f"parent then times {a.queue_events:,} calls again. Parent figures pool both passes; child figures are "
        "the median over the children (the first call: median, min and max). \"fork() in the parent\" is the "
        f"time fork() took to return there. {a.rounds} round(s), medians per metric. Target: a child's steady "
        f"median within {queue_rows.FORK_STEADY_TARGET:g} x its parent's.",
        "- Killed worker (issue 14; `bench_queue --mode adopt`): the parent (the sibling) keeps a queue on a "
        "spool directory, delivering to the emulator. A forked worker makes its own queue on the same "
        "directory whose endpoint refuses connections, enqueues "
        f"{20 if a.smoke else 1000:,} events into its lane and is killed with SIGKILL; the sibling's counters "
        "are read every 1 ms until it has recovered (adopted) and delivered them all. The sibling looks for "
        "orphaned lanes every 5 s, so where a kill falls in that period decides the wait: "
        + ("one kill (smoke)." if a.smoke else
           f"{queue_rows.ADOPT_ROUNDS} kills, the first just after the sibling's previous adoption (the longest "
           f"wait), each next one {queue_rows.ADOPT_STAGGER_MS / 1000:.2f} s later in the period."),
    ])


def method_text(a, pin) -> str:
    pin_text = (f"Single-thread rows, the memory run and the checks run pinned to CPU {min(pin)}, "
                "together with every thread of the server: on this 2-CPU VM, a client and server "
                "on different CPUs pay a cross-CPU wake-up per request that made the socket floor "
                "swing from 9,000 to 140,000 events/s between runs; sharing one CPU makes runs "
                "repeatable (wall time is then client CPU + server CPU + kernel per request). "
                "The thread rows run unpinned, client and server free on every CPU."
                if pin else "Nothing is pinned: client and server threads float over every CPU.")
    return "\n".join([
        f"- Every network row sends the same {os.path.getsize(paths.OUT / 'event-300B.json')}-byte custom "
        "event (`target/bench/event-300B.json`) to `POST /rest/ua/v15/analytics/custom` over one "
        "keep-alive connection, synchronously, checks each answer (200 expected), and times only its loop, "
        "after a warm-up on the same connection.",
        "- CPU per event is user + system CPU of the client process (getrusage(RUSAGE_SELF), all threads) "
        "read just before and after the timed loop, divided by the events: start-up, warm-up and connection "
        "set-up are not counted. Latency is per call (monotonic clock), nearest-rank p50/p99.",
        f"- Each network row ran {a.rounds} time(s), interleaved with the others; the table shows the median "
        f"of each metric. Timed events: {a.events:,} per row ({max(50, a.events // 10):,} for Python requests, "
        f"{max(100, int(a.events / 2.5)):,} for Python coveo_ua).",
        f"- {pin_text}",
        "- The server shares the 2 CPUs with the client, and other work on the machine adds noise: "
        "compare rows of the same run, not across runs.",
        "- Checks: `coveo_ua::validate::check_event` on the 300 B event and a 30 KB one (many customData "
        "entries), in a loop, 5 batches; ns per event of the median batch.",
        "- Memory: bench_coveo sends events with no latency recording and reads VmRSS from /proc/self/status "
        "after the first and the last sample point.",
        "- Instruction profile: `valgrind --tool=callgrind --toggle-collect=bench_timed_loop`, 2,000 events, "
        "user-space instructions per event (the kernel's share is not counted).",
        "- System calls per event: `strace -f -c` of a 200-event and a 2,200-event run of the same program; "
        "the difference divided by 2,000, so start-up and warm-up cancel out.",
        queue_method_text(a),
    ])


def verdict(a, res) -> int:
    """Exit status: a row that did not run fails the smoke (and the bench,
    unless --allow-missing); speed never fails anything."""
    bad = []
    for key, r in [] if a.queue_only else list(res.get("sync", {}).items()) + [(f"threads-{k}", v) for k, v in res.get("threads", {}).items()] \
            + [("memory", res.get("memory") or {"failed": "not run"})] \
            + [(f"checks-{k}", v) for k, v in res.get("checks", {}).items()]:
        if "failed" in r or ("missing" in r and not a.allow_missing):
            bad.append(f"{key}: {(r.get('failed') or r.get('missing')).splitlines()[0]}")
    if a.smoke:
        for key, r in res.get("checks", {}).items():
            if "ns_per_event" in r and not r["ns_per_event"] > 0:
                bad.append(f"checks-{key}: ns_per_event is not positive")
    q = res.get("queue") or {}
    for key, r in list(q.get("enqueue", {}).items()) + [(f"throughput-{w}", v) for w, v in q.get("throughput", {}).items()] \
            + [("outage", q.get("outage") or {"failed": "not run"}),
               ("queue-memory", q.get("memory") or {"failed": "not run"})] \
            + [(key, q.get("hosts", {}).get(key) or {"failed": "not run"}) for key, _, _ in queue_rows.HOST_ROWS] \
            + [(queue_rows.fork_key(s), q.get("fork", {}).get(queue_rows.fork_key(s)) or {"failed": "not run"})
               for s in (False, True)] \
            + [("adopt", q.get("adopt") or {"failed": "not run"})]:
        if "failed" in r or ("missing" in r and not a.allow_missing):
            bad.append(f"{key}: {(r.get('failed') or r.get('missing')).splitlines()[0]}")
    for line in bad:
        print(f"bench: row did not run: {line}", file=sys.stderr)
    if bad:
        return 1
    if a.smoke:
        print("bench-smoke: every row ran and produced sane numbers", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
