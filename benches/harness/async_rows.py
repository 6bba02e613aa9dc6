"""The asyncio rows (issue 18): `await AsyncClient.send_custom` beside the
blocking `Client.send_custom` at the same emulator, per call, and 100 sends
awaited together against a service 50 ms late. Run in the queue's section,
whose emulator can add latency (benches/python/bench_async.py)."""

from . import paths
from .queue_rows import _ok, _why
from .rows import Row

SCRIPT = paths.BENCHES / "python" / "bench_async.py"
PER_CALL_KEYS = ("py-async-send", "py-client-send-ref")
CONCURRENT_KEY = "py-async-concurrent"
TITLES = {
    "py-async-send": "await AsyncClient.send_custom, one after the other",
    "py-client-send-ref": "Client.send_custom, blocking (reference)",
    CONCURRENT_KEY: "100 x await AsyncClient.send_custom together (asyncio.gather), service +50 ms",
}
PER_CALL_METRICS = ("p50_us", "p99_us", "mean_us", "cpu_us_per_event")
CONCURRENT_METRICS = ("wall_ms", "round_trip_ms", "wall_over_round_trip")
#: Target of the concurrent row: the gather takes close to one round trip.
CONCURRENT_TARGET = 2.0


def rows(prog, url, event_file, events: int, warmup: int, py_env: dict, smoke: bool) -> tuple:
    """(per-call rows, alternating within a round; the concurrent row)."""
    common = ["--endpoint", url, "--token", paths.TOKEN, "--event-file", str(event_file)]
    if isinstance(prog, Exception):
        missing = str(prog)
        return ([Row(k, TITLES[k], "async", [], missing=missing) for k in PER_CALL_KEYS],
                [Row(CONCURRENT_KEY, TITLES[CONCURRENT_KEY], "async", [], missing=missing)])
    per_call = []
    for key, mode in zip(PER_CALL_KEYS, ("async", "client")):
        cmd = [str(prog), str(SCRIPT), "--mode", mode, *common, "--events", str(events), "--warmup", str(warmup)]
        per_call.append(Row(key, TITLES[key], "async", cmd, pin=None, env=py_env, timeout_s=240))
    cmd = [str(prog), str(SCRIPT), "--mode", "concurrent", *common, "--tasks", "100",
           "--repeats", "2" if smoke else "10"]
    return per_call, [Row(CONCURRENT_KEY, TITLES[CONCURRENT_KEY], "async", cmd, pin=None, env=py_env, timeout_s=240)]


def problems(result: dict) -> list:
    """What makes an asyncio row's result nonsense (never how fast it was)."""
    out = []
    if not result.get("events", 0) > 0:
        out.append("no sends timed")
    if result.get("errors", 0) != 0:
        out.append(f"{result['errors']} sends failed")
    if "wall_ms" in result:
        if not result["wall_ms"] > 0 or not result.get("round_trip_ms", 0) >= result.get("latency_ms", 0):
            out.append(f"wall {result['wall_ms']} ms, round trip {result.get('round_trip_ms')} ms: not sane")
    elif not result.get("p50_us", 0) > 0 or result.get("p99_us", 0) < result.get("p50_us", 0):
        out.append("per-call figures are not sane")
    return out


def targets(res: dict) -> list:
    """(what, value, comparison, target, unit) for the ratios table."""
    a = (res.get("queue") or {}).get("async") or {}
    c = a.get(CONCURRENT_KEY)
    if c is None:
        return []
    return [("asyncio: 100 concurrent awaits against +50 ms, wall time / one round trip",
             c.get("wall_over_round_trip") if _ok(c) else None, "<=", CONCURRENT_TARGET, "x")]


def sections(res: dict, table, markdown: bool) -> list:
    a = (res.get("queue") or {}).get("async")
    if not a:
        return []
    rows = []
    for key in PER_CALL_KEYS:
        r = a.get(key)
        if not _ok(r):
            rows.append([TITLES[key], _why(r), "", "", "", ""])
            continue
        rows.append([TITLES[key], f"{r['p50_us']:.1f}", f"{r['p99_us']:.1f}", f"{r['mean_us']:.1f}",
                     f"{r['cpu_us_per_event']:.1f}", f"{r['events']:,}"])
    body = table(["row", "p50 us", "p99 us", "mean us", "CPU us/call (process)", "calls timed"], rows, markdown)
    send, ref = (a.get(k) for k in PER_CALL_KEYS)
    if _ok(send) and _ok(ref):
        body += (f"\n\nWhat the await adds per send: p50 {send['p50_us'] - ref['p50_us']:+.1f} us, mean "
                 f"{send['mean_us'] - ref['mean_us']:+.1f} us, CPU {send['cpu_us_per_event'] - ref['cpu_us_per_event']:+.1f}"
                 " us (a thread takes the call and hands the answer back to the loop; "
                 "benches/async-wait.md says why a thread and not a completion from native threads).")
    c = a.get(CONCURRENT_KEY)
    if _ok(c):
        body += (f"\n\n{c['tasks']} sends awaited together, service +{c['latency_ms']} ms: wall "
                 f"{c['wall_ms']:.1f} ms (median; each gather: {', '.join(str(w) for w in c['wall_ms_all'])}) against "
                 f"one await at that latency {c['round_trip_ms']:.1f} ms: {c['wall_over_round_trip']:.2f}x one round "
                 f"trip (serially it would be {c['tasks']}x).")
    elif c is not None:
        body += f"\n\nConcurrent row: {_why(c)}"
    return [("Python asyncio: AsyncClient (same emulator, 300-byte custom event)", body)]


def method_text(events: int, rounds: int) -> str:
    return ("- asyncio rows (issue 18), in the queue's section (its emulator adds latency): "
            "`benches/python/bench_async.py` times `await AsyncClient.send_custom` one await after the other in "
            f"one event loop and the blocking `Client.send_custom` ({events:,} calls each after a warm-up, "
            "`time.perf_counter_ns()` around each call, the two alternating in each round); then, the emulator "
            "answering 50 ms late, 100 sends awaited together with `asyncio.gather` (after one untimed gather), "
            "the median gather against the median single await at that latency. "
            f"{rounds} round(s), medians per metric.")
