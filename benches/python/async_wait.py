#!/usr/bin/env python3
"""How should an asyncio send wait for the blocking library? Measured apart
from `make bench` (the decision is recorded in benches/async-wait.md).

Three ways of sending one custom event to the same ua-emulator, alternating
within each round:

- sync: ``Client.send_custom`` called on the loop's thread (the floor; it
  blocks the loop, which is what AsyncClient must not do);
- pool: ``await loop.run_in_executor(pool, client.send_custom, event)`` with
  a ``concurrent.futures.ThreadPoolExecutor``;
- AsyncClient: ``await AsyncClient.send_custom(event)``: Python threads taking
  jobs from a ``SimpleQueue`` and settling the loop's future with
  ``call_soon_threadsafe`` (coveo_ua/_waits.py), without concurrent.futures'
  second future and the chaining of the two;
- native: a completion from native threads: a prototype library-side async
  send (benches/c/async_completion.c: a pool of pthreads calls ua_send_event,
  then a ctypes callback, which takes the GIL on that foreign thread, hands the
  result to the loop with call_soon_threadsafe).

Per call: wall time (p50, mean) of sequential awaits and the process's CPU
(user + system of every thread, getrusage) per call. Then 100 concurrent
sends against a service 50 ms late: wall time of the whole gather.

Run: make build && python3 benches/python/async_wait.py [--events N] [--rounds R]
"""

import argparse
import asyncio
import concurrent.futures
import ctypes
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE.parent.parent / "bindings" / "python" / "src"))

from harness import paths  # noqa: E402
from harness.server import Server  # noqa: E402

os.environ.setdefault("COVEO_UA_LIBRARY", str(paths.library_path()))

import coveo_ua  # noqa: E402
from coveo_ua._ffi import ResultPtr, lib  # noqa: E402

EVENT = {"eventType": "bench", "eventValue": "async-wait", "language": "en"}
COMPLETION = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_int32, ResultPtr)


def build_prototype() -> Path:
    out = paths.OUT / "libasync_completion.so"
    out.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(["gcc", "-O2", "-shared", "-fPIC", "-Wall", "-Wextra", "-Werror",
                    str(paths.BENCHES / "c" / "async_completion.c"), "-I", str(paths.REPO / "include"),
                    "-L", str(paths.RELEASE), "-lcoveo_ua", "-Wl,-rpath," + str(paths.RELEASE),
                    "-pthread", "-o", str(out)], check=True)
    return out


class NativeCompletion:
    """The prototype: sends run on native threads and complete a future."""

    def __init__(self, client: coveo_ua.Client, threads: int) -> None:
        self.shim = ctypes.CDLL(str(build_prototype()))
        self.shim.completion_start.argtypes = [ctypes.c_int]
        self.shim.completion_send.argtypes = [ctypes.c_void_p, ctypes.c_int32, ctypes.c_char_p, COMPLETION,
                                              ctypes.c_void_p]
        if self.shim.completion_start(threads) != 0:
            raise RuntimeError("the prototype's threads did not start")
        self.client = client
        self.pending = {}
        self.next_token = 1
        self.callback = COMPLETION(self._done)  # kept alive as long as self

    def _done(self, token, code, result) -> None:
        # On a native thread, GIL taken by ctypes: read the result as
        # Client does, then hand it to the loop.
        try:
            value = (int(lib.ua_result_http_status(result)), lib.ua_result_visitor_id(result))
            ok = code == 0
        finally:
            lib.ua_result_free(result)
        future, loop = self.pending.pop(token)
        loop.call_soon_threadsafe(_settle, future, ok, value)

    async def send_custom(self, event) -> tuple:
        data = json.dumps(event, separators=(",", ":")).encode()
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        token, self.next_token = self.next_token, self.next_token + 1
        self.pending[token] = (future, loop)
        handle = ctypes.cast(self.client._handle, ctypes.c_void_p)
        if self.shim.completion_send(handle, 3, data, self.callback, token) != 0:
            raise MemoryError("completion_send")
        return await future


def _settle(future, ok, value) -> None:
    if future.cancelled():
        return
    if ok:
        future.set_result(value)
    else:
        future.set_exception(RuntimeError(f"send failed: {value}"))


def cpu_s() -> float:
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


async def timed(send, events: int) -> dict:
    lat = []
    cpu0, t0 = cpu_s(), time.perf_counter()
    for _ in range(events):
        s = time.perf_counter_ns()
        await send()
        lat.append(time.perf_counter_ns() - s)
    wall, cpu = time.perf_counter() - t0, cpu_s() - cpu0
    lat.sort()
    return {"p50_us": lat[len(lat) // 2] / 1000, "mean_us": wall / events * 1e6, "cpu_us": cpu / events * 1e6}


async def concurrent_wall(send, tasks: int) -> float:
    t0 = time.perf_counter()
    await asyncio.gather(*(send() for _ in range(tasks)))
    return time.perf_counter() - t0


async def main_async(args) -> None:
    server = Server("emulator", paths.emulator_path(), name="async-wait")
    url = server.start()
    try:
        client = coveo_ua.Client(paths.TOKEN, endpoint=url)
        pool = concurrent.futures.ThreadPoolExecutor(max_workers=args.tasks)
        native = NativeCompletion(client, args.tasks)
        async_client = coveo_ua.AsyncClient(paths.TOKEN, endpoint=url, max_concurrency=args.tasks)
        loop = asyncio.get_running_loop()

        async def sync_send():
            client.send_custom(EVENT)

        async def pool_send():
            await loop.run_in_executor(pool, client.send_custom, EVENT)

        async def async_client_send():
            await async_client.send_custom(EVENT)

        async def native_send():
            await native.send_custom(EVENT)

        modes = {"sync": sync_send, "pool": pool_send, "AsyncClient": async_client_send, "native": native_send}
        for send in modes.values():  # warm-up: connections, threads
            await asyncio.gather(*(send() for _ in range(args.tasks if send is not sync_send else 50)))
        per_call = {name: [] for name in modes}
        for _ in range(args.rounds):
            for name, send in modes.items():
                per_call[name].append(await timed(send, args.events))
        server.reset_faults_and_latency()
        server._control("PUT", "/_emulator/latency", b"{\"latency_ms\":50}")
        walls = {"pool": [], "AsyncClient": [], "native": []}
        for _ in range(args.rounds):
            for name in walls:
                walls[name].append(await concurrent_wall(modes[name], args.tasks))
        server.reset_faults_and_latency()
        print(f"{args.events} sequential sends x {args.rounds} rounds; medians over rounds "
              f"(load average at the end {os.getloadavg()[0]:.1f})")
        print("| way | p50 us/call | mean us/call | process CPU us/call | p50 over sync, same round | "
              "CPU over sync, same round |")
        print("| --- | --- | --- | --- | --- | --- |")
        for name, rounds in per_call.items():
            med = {k: statistics.median(r[k] for r in rounds) for k in rounds[0]}
            # Paired with the sync pass of the same round, which ran just
            # before under the same load: the difference is the wait's cost.
            over = {k: statistics.median(r[k] - s[k] for r, s in zip(rounds, per_call["sync"])) for k in rounds[0]}
            print(f"| {name} | {med['p50_us']:.1f} | {med['mean_us']:.1f} | {med['cpu_us']:.1f} | "
                  f"{over['p50_us']:+.1f} | {over['cpu_us']:+.1f} |")
        for name, values in walls.items():
            print(f"{args.tasks} concurrent sends, service +50 ms, {name}: wall "
                  f"{statistics.median(values) * 1000:.0f} ms (rounds: "
                  f"{', '.join(f'{v * 1000:.0f}' for v in values)})")
        pool.shutdown()
        await async_client.aclose()
        client.close()
    finally:
        server.stop()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--events", type=int, default=3000)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--tasks", type=int, default=100)
    asyncio.run(main_async(ap.parse_args()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
