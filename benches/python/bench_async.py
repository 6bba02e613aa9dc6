"""The asyncio rows of the benchmark (issue 18): what `await
AsyncClient.send_custom` costs beside the blocking `Client.send_custom` at the
same emulator, and whether concurrent awaits overlap.

--mode client: Client.send_custom, one call after the other (the reference).
--mode async: await AsyncClient.send_custom, one await after the other, in one
  event loop: the same round trip plus the hand-off to a thread and back.
--mode concurrent: the emulator answers 50 ms late (PUT /_emulator/latency);
  --tasks sends are awaited together with asyncio.gather, --repeats times; the
  wall time of one gather is compared with one round trip at that latency.

One JSON line per run. Per-call modes: events, errors, p50_us, p99_us, mean_us
(the loop's wall time over the calls) and cpu_us_per_event (this process, every
thread, over the timed loop). Concurrent: wall_ms (median gather),
round_trip_ms (median single await at the same latency) and their ratio.
"""

import argparse
import asyncio
import json
import statistics
import sys
import time
import urllib.request
from pathlib import Path

from bench_py import cpu_us, percentile_us, timed_calls
from bench_queue import client_row

LATENCY_MS = 50


def set_latency(endpoint: str, ms: int) -> None:
    """PUT /_emulator/latency on the emulator behind `endpoint`."""
    root = endpoint.split("/rest/ua")[0]
    body = json.dumps({"latency_ms": ms}).encode()
    request = urllib.request.Request(root + "/_emulator/latency", data=body, method="PUT",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as answer:
        answer.read()


def client_mode(args, data) -> dict:
    # The very sender of bench_queue's blocking row.
    send, close, _ = client_row(args, data.decode("utf-8"))
    for _ in range(args.warmup):
        send()
    samples, errors, elapsed_ns, (user, system) = timed_calls(send, args.events)
    close()
    return per_call("python-client-send", args.events, errors, samples, elapsed_ns, user + system)


async def async_mode(args, data) -> dict:
    import coveo_ua

    async with coveo_ua.AsyncClient(args.token, args.endpoint) as client:
        async def send():
            try:
                await client.send_custom(data)
                return True
            except coveo_ua.UAError as error:
                print(f"bench_async: send failed: {error}", file=sys.stderr)
                return False

        for _ in range(args.warmup):
            await send()
        samples, errors = [0] * args.events, 0
        clock = time.perf_counter_ns
        cpu0, t0 = cpu_us(), clock()
        for i in range(args.events):
            started = clock()
            errors += 0 if await send() else 1
            samples[i] = clock() - started
        t1, cpu1 = clock(), cpu_us()
    samples.sort()
    cpu = (cpu1[0] - cpu0[0]) + (cpu1[1] - cpu0[1])
    return per_call("python-async-send", args.events, errors, samples, t1 - t0, cpu)


def per_call(label, events, errors, sorted_ns, elapsed_ns, cpu_us_total) -> dict:
    import coveo_ua

    return {"label": label, "events": events, "errors": errors, "p50_us": percentile_us(sorted_ns, 50),
            "p99_us": percentile_us(sorted_ns, 99), "mean_us": round(elapsed_ns / events / 1000, 3),
            "cpu_us_per_event": round(cpu_us_total / events, 3), "version": coveo_ua.__version__}


async def concurrent_mode(args, data) -> dict:
    import coveo_ua

    set_latency(args.endpoint, LATENCY_MS)
    try:
        async with coveo_ua.AsyncClient(args.token, args.endpoint, max_concurrency=args.tasks) as client:
            async def gather():
                started = time.perf_counter()
                results = await asyncio.gather(*(client.send_custom(data) for _ in range(args.tasks)),
                                               return_exceptions=True)
                failed = [r for r in results if isinstance(r, BaseException)]
                if failed:
                    print(f"bench_async: {len(failed)} sends failed: {failed[0]!r}", file=sys.stderr)
                return time.perf_counter() - started, len(failed)

            await gather()  # warm-up: the client's threads and connections
            walls, errors = [], 0
            for _ in range(args.repeats):
                wall, failed = await gather()
                walls.append(wall)
                errors += failed
            trips = []
            for _ in range(args.repeats):
                started = time.perf_counter()
                await client.send_custom(data)
                trips.append(time.perf_counter() - started)
    finally:
        set_latency(args.endpoint, 0)
    wall, trip = statistics.median(walls), statistics.median(trips)
    return {"label": "python-async-concurrent", "events": args.tasks * args.repeats, "errors": errors,
            "tasks": args.tasks, "latency_ms": LATENCY_MS, "wall_ms": round(wall * 1000, 2),
            "wall_ms_all": [round(w * 1000, 1) for w in walls], "round_trip_ms": round(trip * 1000, 2),
            "wall_over_round_trip": round(wall / trip, 3), "version": coveo_ua.__version__}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mode", choices=("client", "async", "concurrent"), required=True)
    parser.add_argument("--endpoint", required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--event-file", required=True)
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--warmup", type=int, default=200)
    parser.add_argument("--tasks", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    data = Path(args.event_file).read_text(encoding="utf-8").rstrip("\r\n").encode("utf-8")
    if args.mode == "client":
        result = client_mode(args, data)
    else:
        result = asyncio.run((async_mode if args.mode == "async" else concurrent_mode)(args, data))
    print(json.dumps(result), flush=True)
    return 1 if result["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
