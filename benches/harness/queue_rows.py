"""The delivery queue's rows (issue 9): what bench_queue runs, how its results
are checked, and their part of the report.

Four C rows (bench_queue --mode enqueue | throughput | outage | memory), run
against a dedicated ua-emulator (its latency, fault windows and stats are
needed, so never the minimal server), the Rust rows (benches/queue.rs), and
the host rows (HOST_ROWS): Go and Python enqueue cost, each against its
reference in the same run.
"""

import os
import shutil
import socket
from typing import Optional

from . import paths
from .rows import Row

# Per-call enqueue figures kept as the median over rounds.
ENQUEUE_METRICS = ("p50_ns", "p90_ns", "p99_ns", "p999_ns", "max_ns", "mean_ns", "batch_p50_ns", "batch_p99_ns",
                   "thread_cpu_ns_per_call", "vcsw_per_1000", "ivcsw_per_1000", "cpu_us_per_event",
                   "events_per_s", "drain_s", "seconds", "clock_pair_ns")
THROUGHPUT_METRICS = ("events_per_s", "seconds", "cpu_us_per_event")

THREADS = (1, 4)
WORKERS = (1, 4, 16, 64)
SLOW_MS = 50  # the added latency of the "slow service" rows and of the throughput rows

# The host rows (issue 9): the calling thread's cost of one enqueue from Go and
# from Python, each against its reference in the same run. Go: coveoua's
# Queue.Enqueue against posthog-go's Enqueue (its own in-process server);
# Python: Queue.enqueue_custom against requests.Session.post and the blocking
# Client.send_custom. (key, title, program)
HOST_ROWS = [
    ("go-queue", "Go coveoua Queue.Enqueue", "benches/go/cmd/queue"),
    ("go-posthog", "Go posthog-go v1.5.2 Client.Enqueue (reference, its own in-process server)",
     "benches/go/cmd/posthog"),
    ("py-queue", "Python coveo_ua Queue.enqueue_custom", "benches/python/bench_queue.py --mode queue"),
    ("py-requests-post", "Python requests.Session.post (reference)", "benches/python/bench_queue.py --mode requests"),
    ("py-client-send", "Python coveo_ua Client.send_custom, blocking (reference)",
     "benches/python/bench_queue.py --mode client"),
]
GO_HOST_KEYS = ("go-queue", "go-posthog")
PY_HOST_KEYS = ("py-queue", "py-requests-post", "py-client-send")
HOST_TARGETS = [
    # (what, key, reference key, comparison, target): the ratio key / reference
    # on the median per call; None: reported, no target.
    ("Go Queue.Enqueue vs posthog-go Enqueue", "go-queue", "go-posthog", "<=", 1.0),
    ("Python Queue.enqueue_custom vs requests.Session.post", "py-queue", "py-requests-post", "<=", None),
    ("Python Queue.enqueue_custom vs Client.send_custom", "py-queue", "py-client-send", "<=", None),
]
# Per-call host figures kept as the median over rounds (Python's are turned
# into ns by host_problems, so every host row has the same fields).
HOST_METRICS = ("p50_ns", "p99_ns", "mean_ns", "seconds", "drain_seconds", "cpu_us_per_event")


def closed_port_endpoint() -> str:
    """A loopback URL nothing listens on: a port the kernel handed out, then
    closed (connections to it are refused)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return f"http://127.0.0.1:{port}/rest/ua"


def enqueue_key(threads: int, spool: bool, slow: bool) -> str:
    return f"enqueue-{threads}t-{'spool' if spool else 'memory'}-{'slow' if slow else 'normal'}"


def rust_key(spool: bool) -> str:
    return f"rust-enqueue-{'spool' if spool else 'memory'}-normal"


def spool_dir(key: str):
    # target/bench is on the same filesystem as the repository's target dir.
    return paths.OUT / "spool" / key


def enqueue_rows(prog, rust_prog, url, event_file, events: int, warmup: int) -> list:
    """The C rows (threads x store x service), then the Rust rows (1 thread,
    service normal), which show what the C boundary adds."""
    rows = []
    for slow in (False, True):
        for spool in (False, True):
            for t in THREADS:
                key = enqueue_key(t, spool, slow)
                cmd = [str(prog), "--mode", "enqueue", "--endpoint", url, "--token", paths.TOKEN,
                       "--event-file", str(event_file), "--events", str(events), "--warmup", str(warmup),
                       "--threads", str(t), "--label", key]
                if spool:
                    cmd += ["--spool-dir", str(spool_dir(key))]
                if slow:
                    cmd += ["--latency-ms", str(SLOW_MS)]
                rows.append(Row(key, key, "queue-enqueue", cmd, pin=None, timeout_s=240))
    for spool in (False, True):
        key = rust_key(spool)
        if isinstance(rust_prog, Exception):
            rows.append(Row(key, key, "queue-enqueue", [], missing=str(rust_prog)))
            continue
        cmd = [str(rust_prog), "--endpoint", url, "--token", paths.TOKEN, "--event-file", str(event_file),
               "--events", str(events), "--warmup", str(warmup), "--label", key]
        if spool:
            cmd += ["--spool-dir", str(spool_dir(key))]
        rows.append(Row(key, key, "queue-enqueue", cmd, pin=None, timeout_s=240))
    return rows


def throughput_rows(prog, url, event_file, seconds: float) -> list:
    rows = []
    for w in WORKERS:
        n = max(2 * w, int(round(w / (SLOW_MS / 1000.0) * seconds)))
        cmd = [str(prog), "--mode", "throughput", "--endpoint", url, "--token", paths.TOKEN,
               "--event-file", str(event_file), "--events", str(n), "--workers", str(w),
               "--latency-ms", str(SLOW_MS), "--label", f"throughput-{w}"]
        rows.append(Row(f"throughput-{w}", f"{w} workers", "queue-throughput", cmd, pin=None, timeout_s=240))
    return rows


def outage_row(prog, url, event_file, events: int, window_ms: int, backoff: Optional[str]) -> Row:
    cmd = [str(prog), "--mode", "outage", "--endpoint", url, "--token", paths.TOKEN,
           "--event-file", str(event_file), "--events", str(events), "--capacity", str(max(10_000, events)),
           "--window-ms", str(window_ms), "--label", "outage"]
    if backoff:
        cmd += ["--backoff-ms", backoff]
    return Row("outage", "outage", "queue-outage", cmd, pin=None, timeout_s=window_ms / 1000 + 150)


# Issue 16: the queue with the library's defaults, offered events at a rate
# against a far service. (latency ms, offered events/s, seconds); the first
# row carries the target (delivered >= 0.9 x offered, nothing refused).
OFFERED_TARGET = (50, 1000, 60)
OFFERED_TABLE = ((20, 1000, 20), (100, 1000, 20))
OFFERED_CURVE = tuple((50, rate, 15) for rate in (250, 500, 1250))
OFFERED_SMOKE = ((50, 400, 2),)


def offered_key(latency_ms: int, rate: int) -> str:
    return f"offered-{rate}-at-{latency_ms}ms"


def offered_rows(prog, url, event_file, smoke: bool) -> list:
    plan = OFFERED_SMOKE if smoke else (OFFERED_TARGET, *OFFERED_TABLE, *OFFERED_CURVE)
    rows = []
    for latency, rate, seconds in plan:
        key = offered_key(latency, rate)
        cmd = [str(prog), "--mode", "offered", "--endpoint", url, "--token", paths.TOKEN,
               "--event-file", str(event_file), "--rate", str(rate), "--seconds", str(seconds),
               "--latency-ms", str(latency), "--label", key]
        rows.append(Row(key, f"{rate}/s at +{latency} ms", "queue-offered", cmd, pin=None,
                        timeout_s=seconds + 180))
    return rows


def backlog_row(prog, url, event_file, events: int) -> Row:
    """An hour-long outage compressed: `events` enqueued with a spool while the
    service fails, then drained."""
    key = "backlog"
    cmd = [str(prog), "--mode", "backlog", "--endpoint", url, "--token", paths.TOKEN,
           "--event-file", str(event_file), "--events", str(events), "--spool-dir", str(spool_dir(key)),
           "--spool-capacity", str(1 << 30), "--label", key]
    return Row(key, key, "queue-backlog", cmd, pin=None, timeout_s=600)


def memory_row(prog, event_file, attempts: int, capacity: int, every: int) -> Row:
    cmd = [str(prog), "--mode", "memory", "--endpoint", closed_port_endpoint(), "--token", paths.TOKEN,
           "--event-file", str(event_file), "--attempts", str(attempts), "--capacity", str(capacity),
           "--rss-every", str(every), "--label", "queue-memory"]
    return Row("queue-memory", "queue-memory", "queue-memory", cmd, pin=None, timeout_s=240)


def host_rows(progs: dict, url, event_file, events: int, warmup: int, py_env: dict) -> tuple:
    """(Go rows, Python rows): each list is run in rounds on its own, so the
    rows of a pair alternate. Python's requests and blocking rows make one
    HTTP round trip per call: they time fewer calls (a tenth and a third)."""
    common = ["--endpoint", url, "--token", paths.TOKEN, "--event-file", str(event_file)]
    go = []
    for key, prog in (("go-queue", progs.get("go-queue")), ("go-posthog", progs.get("go-posthog"))):
        if prog is None or isinstance(prog, Exception):
            go.append(Row(key, key, "queue-host", [], missing=str(prog or "not built")))
            continue
        go.append(Row(key, key, "queue-host", [str(prog), *common, "--events", str(events),
                                               "--warmup", str(warmup), "--label", key], pin=None, timeout_s=240))
    py = []
    prog = progs.get("py-queue")
    script = str(paths.BENCHES / "python" / "bench_queue.py")
    for key, mode, n, w in (("py-queue", "queue", events, warmup),
                            ("py-requests-post", "requests", max(50, events // 10), max(20, warmup // 5)),
                            ("py-client-send", "client", max(100, events // 3), max(20, warmup // 2))):
        if prog is None or isinstance(prog, Exception):
            py.append(Row(key, key, "queue-host", [], missing=str(prog or "not built")))
            continue
        py.append(Row(key, key, "queue-host", [str(prog), script, "--mode", mode, *common, "--events", str(n),
                                               "--warmup", str(w)], pin=None, env=py_env, timeout_s=240))
    return go, py


def host_problems(result: dict) -> list:
    """What makes a host row's result nonsense (never how fast it was). The
    Python program prints microseconds: their ns figures are added here
    first, so that every host row is kept and compared in ns."""
    for m in ("p50", "p99", "mean"):
        if f"{m}_us" in result and f"{m}_ns" not in result:
            result[f"{m}_ns"] = result[f"{m}_us"] * 1000.0
    out = []
    if not result.get("events", 0) > 0:
        out.append("no calls timed")
    if result.get("errors", 0) != 0:
        out.append(f"{result.get('errors')} calls failed or events were not delivered")
    p50, p99, mean = (result.get(f"{m}_ns", 0) for m in ("p50", "p99", "mean"))
    if not p50 > 0 or p99 < p50 or not mean > 0:
        out.append(f"per-call figures are not sane (p50 {p50}, p99 {p99}, mean {mean} ns)")
    c = result.get("counters")
    if c is not None:
        expected = result.get("events", 0) + result.get("warmup", 0)
        if c.get("delivered") != expected:
            out.append(f"delivered {c.get('delivered')} of {expected}")
        if c.get("refused") or c.get("failed") or c.get("pending"):
            out.append(f"refused {c.get('refused')}, failed {c.get('failed')}, pending {c.get('pending')}")
        if c.get("enqueued", 0) + c.get("recovered", 0) != c.get("delivered", 0) + c.get("failed", 0) + c.get("pending", 0):
            out.append(f"counter identity broken: {c}")
        if not c.get("attempts", 0) > 0:
            out.append("no HTTP request was made")
    return out


def problems(result: dict) -> list:
    """What makes a queue row's result nonsense (never how fast it was)."""
    out = []
    mode = result.get("mode")
    if not result.get("identity_ok"):
        out.append(f"counter identity broken: {result.get('counters')}")
    if result.get("errors", 0) != 0:
        out.append(f"{result.get('errors')} enqueues were refused")
    if mode in ("enqueue", "throughput", "outage"):
        if result.get("flush") != "UA_OK":
            out.append(f"flush returned {result.get('flush')}")
        if result.get("undelivered", 1) != 0:
            out.append(f"{result.get('undelivered')} events were not delivered")
        if not result.get("events_per_s", 0) > 0:
            out.append("events/s is not positive")
    if mode == "enqueue":
        if not result.get("p50_ns", 0) > 0 or result.get("p99_ns", 0) < result.get("p50_ns", 0):
            out.append("per-call percentiles are not sane")
        c = result.get("counters", {})
        if c.get("delivered") != result.get("expected_delivered"):
            out.append(f"delivered {c.get('delivered')} of {result.get('expected_delivered')}")
    if mode == "outage":
        if result.get("window_requests", 0) < 1:
            out.append("the emulator saw no request during the outage window")
        if result.get("delivered_in_window", 1) != 0:
            out.append("events were delivered while the service answered 503")
    if mode in ("offered", "backlog"):
        if result.get("flush") != "UA_OK":
            out.append(f"the final flush returned {result.get('flush')}")
        c = result.get("counters", {})
        if c.get("failed") or c.get("pending"):
            out.append(f"failed {c.get('failed')}, pending {c.get('pending')} after the flush")
    if mode == "backlog" and result.get("counters", {}).get("delivered") != result.get("events"):
        out.append(f"delivered {result.get('counters', {}).get('delivered')} of {result.get('events')}")
    if mode == "memory":
        if result.get("taken") != result.get("capacity"):
            out.append(f"the queue took {result.get('taken')} events, capacity {result.get('capacity')}")
        rss = result.get("rss_kb_at") or {}
        if not rss or min(rss.values()) <= 0:
            out.append("no VmRSS samples")
        if result.get("counters", {}).get("delivered", 1) != 0:
            out.append("events were delivered to a closed port")
    return out


def remove_spools() -> None:
    shutil.rmtree(paths.OUT / "spool", ignore_errors=True)


# ---- the report ----

def _ok(r) -> bool:
    return bool(r) and "failed" not in r and "missing" not in r


def _why(r) -> str:
    if not r:
        return "not run"
    return ("FAILED: " if "failed" in r else "not run: ") + (r.get("failed") or r.get("missing", "")).splitlines()[0][:90]


def _n(v, digits=0) -> str:
    if v is None:
        return "-"
    if abs(v) >= 1000:
        return f"{v:,.0f}"
    return f"{v:.{digits}f}"


def rss_growth_after_full(mem: dict):
    """KiB between the first VmRSS sample taken with the queue full and the last."""
    rss = {int(k): v for k, v in (mem.get("rss_kb_at") or {}).items()}
    full_at = mem.get("full_at", -1)
    marks = sorted(k for k in rss if full_at >= 0 and k > full_at)
    if len(marks) < 2:
        return None
    return rss[marks[-1]] - rss[marks[0]]


def targets(res: dict) -> list:
    """(what, value, comparison, target, unit) rows for the ratios table."""
    q = res.get("queue") or {}
    e = q.get("enqueue", {})
    out = []
    for slow in (False, True):
        svc = f"service +{SLOW_MS} ms" if slow else "service normal"
        r = e.get(enqueue_key(1, False, slow))
        out.append((f"queue: ua_queue_enqueue median, 1 thread, no spool, {svc}",
                    r.get("p50_ns") if _ok(r) else None, "<=", 1000.0, "ns"))
        r = e.get(enqueue_key(1, True, slow))
        out.append((f"queue: ua_queue_enqueue median, 1 thread, spool, {svc}",
                    r.get("p50_ns") if _ok(r) else None, "<=", 5000.0, "ns"))
    t = q.get("throughput", {})
    for w in WORKERS:
        r = t.get(w)
        ratio = r["events_per_s"] / r["round_trip_limit"] if _ok(r) and r.get("round_trip_limit") else None
        out.append((f"queue: delivered events/s, {w} worker{'s' if w > 1 else ''}, +{SLOW_MS} ms, vs {w}/0.05 s",
                    ratio, ">=", 0.9, "x"))
    o = q.get("outage")
    if o is not None:
        out.append(("queue: outage, events delivered after the window / pending",
                    o["counters"]["delivered"] / o["events"] if _ok(o) else None, ">=", 1.0, "x"))
    m = q.get("memory")
    if m is not None:
        out.append(("queue: RSS growth, full queue, first sample after full to last",
                    rss_growth_after_full(m) if _ok(m) else None, "<=", 1024, "KiB"))
    # Issue 16: throughput with the defaults, the compressed outage, and the
    # enqueue cost against the rows BENCHMARKS.md had before (701 and 2,043 ns).
    off = q.get("offered", {})
    latency, rate, _ = OFFERED_TARGET
    r = off.get(offered_key(latency, rate))
    if r is not None:
        out.append((f"queue (defaults): delivered/offered, {rate} events/s at +{latency} ms",
                    r["delivered_per_s"] / r["offered_per_s"] if _ok(r) else None, ">=", 0.9, "x"))
        out.append((f"queue (defaults): refused, {rate} events/s at +{latency} ms",
                    r["refused"] if _ok(r) else None, "<=", 0, "events"))
    b = q.get("backlog")
    if b is not None:
        out.append(("queue: compressed outage, peak RSS above the empty queue",
                    b["rss_above_empty_kb"] / 1024 if _ok(b) else None, "<=", 64, "MiB"))
        out.append(("queue: compressed outage, refused", b["refused"] if _ok(b) else None, "<=", 0, "events"))
    for spool, before in ((False, 701.0), (True, 2043.0)):
        r = e.get(enqueue_key(1, spool, False))
        out.append((f"queue: enqueue median, 1 thread, {'spool' if spool else 'no spool'}, vs {before:,.0f} ns before",
                    r["p50_ns"] / before if _ok(r) else None, "<=", 1.1, "x"))
    r = e.get(enqueue_key(4, True, False))
    out.append(("queue: enqueue p99.9, 4 threads, spool, service normal",
                r.get("p999_ns") / 1000 if _ok(r) else None, "<", 100, "us"))
    h = q.get("hosts", {})
    for what, key, ref, cmp, target in HOST_TARGETS:
        if target is not None:
            out.append((f"queue: {what}, median (p50) ns/call; the verdict uses the median (mean and p99: below, info)",
                        host_ratio(h, key, ref, "p50_ns"), cmp, target, "x"))
    return out


def host_ratio(h: dict, key: str, ref: str, metric: str):
    a, b = h.get(key), h.get(ref)
    if not (_ok(a) and _ok(b)) or not b.get(metric):
        return None
    return a[metric] / b[metric]


def host_round_ratios(h: dict, key: str, ref: str) -> str:
    """The p50 ratio of each round (the rows of a pair alternate in a round)."""
    a, b = h.get(key), h.get(ref)
    if not (_ok(a) and _ok(b)):
        return "-"
    xs, ys = a.get("p50_ns_all", []), b.get("p50_ns_all", [])
    if not xs or len(xs) != len(ys):
        return "-"
    return " / ".join(ratio_text(x / y) for x, y in zip(xs, ys) if y)


def extra_ratios(res: dict) -> list:
    q = res.get("queue") or {}
    e = q.get("enqueue", {})
    out = []

    def p50(k):
        r = e.get(k)
        return r.get("p50_ns") if _ok(r) else None

    def ratio(a, b):
        return a / b if a is not None and b else None

    for t in THREADS:
        for spool in (False, True):
            out.append((f"queue: enqueue median, {t} thread{'s' if t > 1 else ''}, {'spool' if spool else 'no spool'}, "
                        f"service +{SLOW_MS} ms vs normal",
                        ratio(p50(enqueue_key(t, spool, True)), p50(enqueue_key(t, spool, False)))))
    for spool in (False, True):
        out.append((f"queue: enqueue median, C ua_queue_enqueue vs Rust Queue::enqueue ({'spool' if spool else 'no spool'}"
                    ", 1 thread, service normal)",
                    ratio(p50(enqueue_key(1, spool, False)), p50(rust_key(spool)))))
    out.append(("queue: enqueue median, spool vs no spool (1 thread, service normal)",
                ratio(p50(enqueue_key(1, True, False)), p50(enqueue_key(1, False, False)))))
    out.append(("queue: enqueue median per call, 4 threads vs 1 (no spool, service normal; 2 CPUs)",
                ratio(p50(enqueue_key(4, False, False)), p50(enqueue_key(1, False, False)))))
    o = q.get("outage")
    if _ok(o):
        out.append(("queue: outage, HTTP requests during the window per 1,000 events pending (shown as x)",
                    1000.0 * o["window_requests"] / o["events"]))
    h = q.get("hosts", {})
    for what, key, ref, _, target in HOST_TARGETS:
        metrics = (("mean_ns", "mean"), ("p99_ns", "p99")) if target is not None else \
            (("p50_ns", "median (p50)"), ("mean_ns", "mean"), ("p99_ns", "p99"))
        for metric, name in metrics:
            out.append((f"queue: {what}, {name} time/call" + ("" if target is not None else " (report only, no target)"),
                        host_ratio(h, key, ref, metric)))
    return out


def sections(res: dict, table, markdown: bool) -> list:
    """(heading, body) pairs; `table(header, rows, markdown)` draws a table."""
    q = res.get("queue")
    if q is None:
        return []
    out = []
    e = q.get("enqueue", {})
    rows = []
    keys = [("C", t, spool, slow, enqueue_key(t, spool, slow))
            for slow in (False, True) for spool in (False, True) for t in THREADS]
    keys += [("Rust", 1, spool, False, rust_key(spool)) for spool in (False, True)]
    for lang, t, spool, slow, k in keys:
        r = e.get(k)
        first = [lang, str(t), "spool" if spool else "memory", f"+{SLOW_MS} ms" if slow else "normal"]
        if not _ok(r):
            rows.append(first + [_why(r)] + [""] * 11)
            continue
        c = r["counters"]
        drained = r.get("pending_after_loops")
        csw = (f"{r['vcsw_per_1000']:.2f} + {r['ivcsw_per_1000']:.2f}" if "vcsw_per_1000" in r else "-")
        rows.append(first + [
            _n(r["p50_ns"]), " / ".join(f"{v:,}" for v in r.get("p50_ns_all", [])), _n(r["p99_ns"]), _n(r["p999_ns"]), _n(r["mean_ns"]),
            _n(r["batch_p50_ns"]), _n(r.get("thread_cpu_ns_per_call")), csw, _n(r["events_per_s"]),
            f"{r['drain_s']:.2f}" + (f" ({_n(drained / r['drain_s'])}/s)" if drained and r["drain_s"] else ""),
            f"{c['delivered']:,} / {c['enqueued']:,} + {c['recovered']} (F {c['failed']}, P {c['pending']})",
        ])
    body = table(["from", "threads", "store", "service", "p50 ns", "p50 ns of each round", "p99 ns", "p99.9 ns", "mean ns",
                  "batch median ns/call", "thread CPU ns/call", "context switches /1000 calls (vol + invol)",
                  "enqueues/s (all threads)", "drain s (events/s)", "delivered / enqueued + recovered"],
                 rows, markdown)
    out.append(("Delivery queue: host cost of ua_queue_enqueue from C, and of Queue::enqueue from Rust "
                "(300-byte custom event, local checks on)", body))

    t = q.get("throughput", {})
    rows = []
    for w in WORKERS:
        r = t.get(w)
        if not _ok(r):
            rows.append([str(w), _why(r)] + [""] * 7)
            continue
        rows.append([str(w), f"{r['events']:,}", f"{r['seconds']:.2f}", _n(r["events_per_s"], 1),
                     _n(0.9 * r["round_trip_limit"], 0), f"{r['events_per_s'] / r['round_trip_limit']:.3f}",
                     f"{r['server_requests']:,}", str(r.get("server_connections", "-")),
                     " / ".join(str(x) for x in r.get("events_per_s_all", []))])
    out.append((f"Delivery queue: delivered events/s, emulator answering {SLOW_MS} ms late",
                table(["workers", "events", "seconds (first enqueue to flush)", "events/s",
                       "target (0.9 x workers / 0.05 s)", "vs round-trip limit", "requests seen",
                       "connections", "events/s of each round"], rows, markdown)))

    o = q.get("outage")
    if o is not None:
        if not _ok(o):
            rows = [["outage row", _why(o)]]
        else:
            c = o["counters"]
            pauses = ", ".join(f"{at / 1000:.1f} s: {ms / 1000:.1f} s" for at, ms in o["pause_log"])
            burst = initial_burst(o)
            rows = [
                ["events pending when the window opened", f"{o['events']:,} (enqueued in {o['enqueue_seconds'] * 1000:.1f} ms)"],
                ["503 window", f"{o['window_ms'] / 1000:.0f} s (`{{\"duration_ms\":{o['window_ms']},\"status\":503}}`)"],
                ["HTTP requests the service saw during the window (requests_by_kind.custom)", f"{o['window_requests']:,}"],
                ["of them answered by the window (faults_applied)", f"{o['window_faults_applied']:,}"],
                ["UA_COUNTER_ATTEMPTS at the window's end", f"{o['window_attempts']:,}"],
                ["requests per pending event during the window", f"{o['window_requests'] / o['events']:.4f}"],
                ["first burst (before the first pause, 50 ms samples)", burst],
                ["probes", f"{o['failed_probes']} during the window (each failed and lengthened the pause), then "
                           + ("1 after it that succeeded (delivery resumed; one request per event after the window)"
                              if o["after_window_requests"] == o["events"] else
                              f"{o['after_window_requests'] - o['events']} more requests than events after it")],
                ["pauses (time since the window opened: length)", pauses or "-"],
                ["from the window's end to every event delivered", f"{o['recovery_s']:.1f} s"],
                ["requests after the window", f"{o['after_window_requests']:,}"],
                ["events the emulator accepted", f"{o['server_accepted']:,}"],
                ["counters after the flush",
                 f"enqueued {c['enqueued']:,}, delivered {c['delivered']:,}, failed {c['failed']}, "
                 f"pending {c['pending']}, attempts {c['attempts']:,}; identity "
                 f"{'holds' if o['identity_ok'] else 'BROKEN'}"],
            ]
        out.append(("Delivery queue: a 30 s outage (503) with 10,000 events pending, default backoff (1 s .. 30 s)"
                    if o.get("window_ms", 30000) == 30000 else "Delivery queue: an outage (503 window)",
                    table(["what", "value"], rows, markdown)))

    m = q.get("memory")
    if m is not None:
        if not _ok(m):
            rows = [["memory row", _why(m)]]
        else:
            c = m["counters"]
            rows = [["VmRSS before the first enqueue", f"{m['rss_kb_start']:,} KiB"],
                    [f"VmRSS when the queue was full ({m['full_at']:,} taken)", f"{m['rss_kb_when_full']:,} KiB"]]
            for k, v in sorted(m["rss_kb_at"].items(), key=lambda kv: int(kv[0])):
                rows.append([f"VmRSS after {int(k):,} attempts", f"{v:,} KiB"])
            rows += [["ru_maxrss", f"{m['maxrss_kb']:,} KiB"],
                     ["time per refused attempt (UA_QUEUE_FULL, local checks included)",
                      f"{m['ns_per_refused_attempt']:,.0f} ns"],
                     ["requests the workers tried meanwhile (connections refused)",
                      f"{m['attempts_counter_before_close']:,}"],
                     ["counters after ua_queue_close(q, 0)",
                      f"enqueued {c['enqueued']:,}, refused {c['refused']:,}, failed {c['failed']:,} "
                      f"(UA_QUEUE_CLOSED at the close), delivered {c['delivered']}; identity "
                      f"{'holds' if m['identity_ok'] else 'BROKEN'}"]]
        out.append((f"Delivery queue: memory, {m.get('attempts', 0):,} enqueue attempts into a "
                    f"{m.get('capacity', 0):,}-event queue, service down (closed port)",
                    table(["what", "value"], rows, markdown)))

    out += load_sections(q, table, markdown)
    out += host_sections(q.get("hosts", {}), table, markdown)

    out.append(("Spool store", spool_store_text()))
    return out


def load_sections(q: dict, table, markdown: bool) -> list:
    """Issue 16's rows: the defaults against a far service, and an outage
    compressed into one run."""
    out = []
    off = q.get("offered", {})
    if off:
        rows = []
        for key, r in off.items():
            if not _ok(r):
                rows.append([key, _why(r)] + [""] * 7)
                continue
            rows.append([f"+{r['latency_ms']} ms", f"{r['offered_per_s']:,}", f"{r['seconds']:.0f}",
                         _n(r["delivered_per_s"], 1), _n(r["steady_delivered_per_s"], 1),
                         f"{r['delivered_per_s'] / r['offered_per_s']:.3f}", f"{r['refused']:,}",
                         f"{r['pending_at_end']:,}", str(r["most_workers"])])
        out.append(("Delivery queue with the default options: events offered at a steady rate to a far service",
                    table(["service", "offered events/s", "seconds", "delivered/s over the run",
                           "delivered/s after the first quarter", "delivered / offered", "refused",
                           "pending at the end", "most workers"], rows, markdown)))
    b = q.get("backlog")
    if b is not None:
        if not _ok(b):
            rows = [["backlog row", _why(b)]]
        else:
            c = b["counters"]
            rows = [
                ["events enqueued while the service answered 503 (spool, memory capacity the default)",
                 f"{b['events']:,} in {b['enqueue_seconds']:.1f} s, {b['refused']} refused"],
                ["enqueue per call", f"p50 {b['p50_ns']:,.0f} ns, p99 {b['p99_ns']:,.0f} ns, "
                                     f"p99.9 {b['p999_ns']:,.0f} ns"],
                ["resident memory", f"{b['rss_empty_kb']:,} KiB with the queue empty, peak {b['rss_peak_kb']:,} KiB "
                                    f"(+{b['rss_above_empty_kb'] / 1024:.1f} MiB, the program's own "
                                    f"{b['events'] * 8 / 1048576:.1f} MiB of timings included)"],
                ["disk used by the spool", f"{b['disk_bytes'] / 1048576:.1f} MiB"],
                ["drain once the service came back", f"{b['drain_seconds']:.1f} s ({b['drain_per_s']:,.0f} events/s, "
                                                     f"{b['most_workers']} workers at most)"],
                ["counters after the flush", f"delivered {c['delivered']:,}, failed {c['failed']}, pending "
                                             f"{c['pending']}, attempts {c['attempts']:,}"],
            ]
        out.append(("Delivery queue: an hour-long outage compressed (300-byte events, spool)",
                    table(["what", "value"], rows, markdown)))
    return out


def ratio_text(v) -> str:
    """A ratio with 3 significant digits (Python's enqueue is a hundredth of a post)."""
    if v is None:
        return "-"
    return f"{v:.2f}" if v >= 0.1 else f"{v:.3g}"


def host_sections(h: dict, table, markdown: bool) -> list:
    """The Go table (ns per call) and the Python table (us per call), each
    with its ratios to the coveo-ua row."""
    titles = {key: (title, where) for key, title, where in HOST_ROWS}
    out = []
    for keys, unit, scale, heading in (
            (GO_HOST_KEYS, "ns", 1.0, "Delivery queue from Go: coveoua Queue.Enqueue against posthog-go's Enqueue "
                                      "(caller's time per call, 300-byte custom event)"),
            (PY_HOST_KEYS, "us", 1000.0, "Delivery queue from Python: Queue.enqueue_custom against "
                                         "requests.Session.post and the blocking Client.send_custom "
                                         "(caller's time per call, 300-byte custom event)")):
        rows = []
        for key in keys:
            title, where = titles[key]
            r = h.get(key)
            if not _ok(r):
                rows.append([title, _why(r)] + [""] * 8 + [f"`{where}`" if markdown else where])
                continue
            c = r.get("counters")
            digits = 0 if scale == 1.0 else 2
            sent = (f"{c['delivered']:,} in {c['attempts']:,} request{'s' if c['attempts'] != 1 else ''}" if c else
                    ("all (flushed)" if key == "py-queue" else "each call, 200 checked"))
            ratio = "-" if key == keys[0] else " / ".join(
                ratio_text(host_ratio(h, keys[0], key, m)) for m in ("p50_ns", "mean_ns", "p99_ns"))
            rows.append([title, _n(r["p50_ns"] / scale, digits),
                         " / ".join(_n(v / scale, digits) for v in r.get("p50_ns_all", [])),
                         _n(r["p99_ns"] / scale, digits), _n(r["mean_ns"] / scale, digits), ratio,
                         f"{r['events']:,}" + (f" (+{r['warmup']:,} warm-up)" if "warmup" in r else ""),
                         sent, f"{r['drain_seconds']:.2f}" if "drain_seconds" in r else "-",
                         str(r.get("version", "?")), f"`{where}`" if markdown else where])
        body = table(["row", f"p50 {unit}", f"p50 {unit} of each round", f"p99 {unit}", f"mean {unit}",
                      f"{titles[keys[0]][0].split(' ', 1)[1]} / this row (p50 / mean / p99)", "calls timed",
                      "delivered", "drain s", "version", "program"], rows, markdown)
        for what, key, ref, cmp, target in HOST_TARGETS:
            if key != keys[0] or ref not in keys:
                continue
            p50 = host_ratio(h, key, ref, "p50_ns")
            if p50 is None:
                continue
            goal = (f"target {cmp} {target:g} on the median: {'PASS' if p50 <= target else 'MISS'}"
                    if target is not None else "report only, no target")
            body += (f"\n\n{what}: median {ratio_text(p50)}x (each round: {host_round_ratios(h, key, ref)}), "
                     f"mean {ratio_text(host_ratio(h, key, ref, 'mean_ns'))}x, "
                     f"p99 {ratio_text(host_ratio(h, key, ref, 'p99_ns'))}x; {goal}.")
        out.append((heading, body))
    return out


def initial_burst(o: dict) -> str:
    """Requests in the samples up to the first pause, and those after it that
    were not probes (retries already scheduled when the queue paused)."""
    if not o.get("pause_log"):
        return f"{o['window_requests']} (no pause logged)"
    first = o["pause_log"][0][0]
    before = sum(n for at, n in o["request_timeline"] if at <= first + 50)
    late = o["window_requests"] - before - o["failed_probes"]
    return (f"{before} requests by {first + 50} ms (8 workers, each with the client's retries), "
            f"then about {max(0, late)} more retries already scheduled when the queue paused at {first} ms")


SPOOL_STORE = paths.BENCHES / "spool-store.md"


def spool_store_text() -> str:
    """The spool store decision (SQLite, redb or the append-only file): measured
    apart from `make bench` (/work/scratch/spool-bench); its summary lives in
    benches/spool-store.md, which the report copies verbatim."""
    try:
        return SPOOL_STORE.read_text(encoding="utf-8").strip()
    except OSError:
        return f"(no {SPOOL_STORE.relative_to(paths.REPO)})"
