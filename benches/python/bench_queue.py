"""What one call costs the calling Python thread: coveo_ua.Queue.enqueue_custom
(checks on) against requests.Session.post and the blocking
coveo_ua.Client.send_custom, all with the same ~300-byte custom event and
the same endpoint (an emulator).

One JSON line per row: label, events, errors, p50_us, p99_us, mean_us (the
caller's wall clock per call) and cpu_us_per_event (this process, workers
included, over the timed loop). The queue row flushes after its timed loop
and counts an event that was not delivered as an error, so a fast enqueue
that loses events cannot pass for a result.

    python benches/python/bench_queue.py --endpoint URL --token KEY [--event-file F] [--events N] [--mode M]

UA_ENDPOINT and UA_TOKEN (scripts/with-emulator.sh exports them) stand in
for the first two; without --event-file the event is the benchmark
harness's 300-byte one.
"""

import argparse
import json
import os
import sys
from pathlib import Path

from bench_py import make_requests_sender, percentile_us, timed_calls

MODES = ("queue", "requests", "client")


def default_event():
    """The harness's 300-byte custom event, so every row of a run sends one body."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from harness.events import small_event

    return small_event(300)


def queue_row(args, body):
    """(enqueue one event, what to do after the timed loop, version)."""
    import coveo_ua

    # Room for every event at once: the row measures handing off, not a full queue.
    queue = coveo_ua.Queue(args.token, args.endpoint, capacity=(args.events + args.warmup, 1 << 30))
    data = body.encode("utf-8")

    def send():
        queue.enqueue_custom(data)
        return True

    def settle():
        delivered = queue.flush(120)
        counters = queue.counters
        queue.close()
        return 0 if delivered and counters.failed == 0 else counters.pending + counters.failed

    return send, settle, coveo_ua.__version__


def requests_row(args, body):
    # The very sender of bench_py's requests row: one reused Session.
    send, version = make_requests_sender(args, body)
    return send, lambda: 0, version


def client_row(args, body):
    import coveo_ua

    client = coveo_ua.Client(args.token, args.endpoint)
    data = body.encode("utf-8")

    def send():
        try:
            client.send_custom(data)
            return True
        except coveo_ua.UAError as error:
            print(f"bench_queue: send failed: {error}", file=sys.stderr)
            return False

    return send, client.close, coveo_ua.__version__


def run(mode, args, body):
    maker = {"queue": queue_row, "requests": requests_row, "client": client_row}[mode]
    send, settle, version = maker(args, body)
    for _ in range(args.warmup):
        if not send():
            print(f"bench_queue: {mode} warm-up failed", file=sys.stderr)
            return 1
    samples, errors, elapsed_ns, (cpu_user, cpu_sys) = timed_calls(send, args.events)
    errors += settle() or 0
    cpu = cpu_user + cpu_sys
    print(json.dumps({
        "label": f"python-{mode}",
        "events": args.events,
        "errors": errors,
        "p50_us": percentile_us(samples, 50),
        "p99_us": percentile_us(samples, 99),
        "mean_us": round(elapsed_ns / args.events / 1000, 3),
        "cpu_us_per_event": round(cpu / args.events, 3),
        "version": version,
    }), flush=True)
    return 1 if errors else 0


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--endpoint", default=os.environ.get("UA_ENDPOINT"))
    parser.add_argument("--token", default=os.environ.get("UA_TOKEN"))
    parser.add_argument("--event-file")
    parser.add_argument("--events", type=int, default=5000)
    parser.add_argument("--warmup", type=int, default=200)
    parser.add_argument("--mode", choices=MODES + ("all",), default="all")
    args = parser.parse_args()
    if not args.endpoint or not args.token:
        parser.error("--endpoint and --token (or UA_ENDPOINT and UA_TOKEN) are needed")
    if args.event_file:
        body = Path(args.event_file).read_text(encoding="utf-8").rstrip("\r\n")
    else:
        body = default_event()
    status = 0
    for mode in MODES if args.mode == "all" else (args.mode,):
        status |= run(mode, args, body)
    return status


if __name__ == "__main__":
    sys.exit(main())
