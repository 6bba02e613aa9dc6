"""Python rows of the benchmark: requests.Session, or coveo_ua.Client.

Both send the same body (read from --event-file) to <endpoint>/v15/analytics/custom
on one keep-alive connection, after a warm-up, and print the same one-line JSON
result as the C programs: wall clock and getrusage(RUSAGE_SELF) are read just
before and after the timed loop, so interpreter start-up is not counted.
"""

import argparse
import json
import resource
import sys
import time


def cpu_us():
    """(user, system) CPU of this process so far, in microseconds."""
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime * 1e6, ru.ru_stime * 1e6


def timed_calls(send, events):
    """Calls send() `events` times, timing each call: (sorted ns per call,
    failed calls, ns for the whole loop, (user, system) CPU us it took)."""
    lat = [0] * events
    errors = 0
    clock = time.perf_counter_ns
    cpu0, t0 = cpu_us(), clock()
    for i in range(events):
        s = clock()
        if not send():
            errors += 1
        lat[i] = clock() - s
    t1, cpu1 = clock(), cpu_us()
    lat.sort()
    return lat, errors, t1 - t0, (cpu1[0] - cpu0[0], cpu1[1] - cpu0[1])


def percentile_us(sorted_ns, p):
    """Nearest-rank percentile of sorted nanosecond samples, in microseconds."""
    if not sorted_ns:
        return 0.0
    rank = max(1, min(len(sorted_ns), int(-(-p * len(sorted_ns) // 100))))
    return sorted_ns[rank - 1] / 1000.0


def make_requests_sender(args, body):
    """A callable sending one event with one reused requests.Session."""
    import requests

    session = requests.Session()
    url = args.endpoint.rstrip("/") + "/v15/analytics/custom"
    headers = {
        "Content-Type": "application/json",
        "Accept": "application/json",
        "Authorization": "Bearer " + args.token,
        "User-Agent": "coveo-ua-bench-requests/1",
    }
    data = body.encode("utf-8")

    def send():
        r = session.post(url, data=data, headers=headers, timeout=10)
        r.content  # read the whole answer, as a client must
        return r.status_code == 200

    return send, requests.__version__


def make_coveo_sender(args, body):
    """A callable sending one event through the coveo_ua binding."""
    import coveo_ua

    client = coveo_ua.Client(args.token, endpoint=args.endpoint)
    data = body.encode("utf-8")  # same bytes as the requests row sends
    state = {"reported": False}

    def send():
        try:
            client.send_custom(data)
            return True
        except Exception as exc:  # a failed send is counted, and shown once
            if not state["reported"]:
                print(f"bench_py: coveo_ua send failed: {exc!r}", file=sys.stderr)
                state["reported"] = True
            return False

    return send, getattr(coveo_ua, "__version__", "?")


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--mode", choices=["requests", "coveo_ua"], required=True)
    ap.add_argument("--endpoint", required=True)
    ap.add_argument("--token", required=True)
    ap.add_argument("--event-file", required=True)
    ap.add_argument("--events", type=int, default=1000)
    ap.add_argument("--warmup", type=int, default=100)
    ap.add_argument("--label", default="python")
    args = ap.parse_args()
    with open(args.event_file, encoding="utf-8") as f:
        body = f.read().rstrip("\r\n")

    maker = make_requests_sender if args.mode == "requests" else make_coveo_sender
    send, version = maker(args, body)
    for _ in range(args.warmup):
        if not send():
            print("bench_py: warm-up send failed", file=sys.stderr)
            return 1

    lat, errors, elapsed_ns, (cpu_user, cpu_sys) = timed_calls(send, args.events)
    secs = elapsed_ns / 1e9
    print(json.dumps({
        "label": args.label,
        "threads": 1,
        "events": args.events,
        "errors": errors,
        "seconds": round(secs, 6),
        "events_per_s": round(args.events / secs, 1) if secs > 0 else 0.0,
        "p50_us": percentile_us(lat, 50),
        "p99_us": percentile_us(lat, 99),
        "cpu_us_per_event": round((cpu_user + cpu_sys) / args.events, 3),
        "cpu_user_us_per_event": round(cpu_user / args.events, 3),
        "cpu_sys_us_per_event": round(cpu_sys / args.events, 3),
        "maxrss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        "version": version,
    }), flush=True)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
