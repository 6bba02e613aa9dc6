"""The event bodies every row sends or checks, written once per run so all
programs use byte-identical input."""

import json
from pathlib import Path

CLIENT_ID = "0f8fad5b-d9cb-469f-a165-70867728950e"


def _custom_event(custom_data: dict) -> dict:
    return {
        "eventType": "bench",
        "eventValue": "send",
        "language": "en",
        "originLevel1": "BenchHub",
        "originLevel2": "default",
        "anonymous": True,
        "clientId": CLIENT_ID,
        "userAgent": "coveo-ua-bench/1.0",
        "customData": custom_data,
    }


def _compact(obj) -> str:
    return json.dumps(obj, separators=(",", ":"))


def small_event(size: int = 300) -> str:
    """A valid custom event padded to exactly `size` bytes."""
    data = {"row": "bench", "pad": ""}
    base = len(_compact(_custom_event(data)))
    if base > size:
        raise ValueError(f"an event cannot be smaller than {base} bytes")
    data["pad"] = "x" * (size - base)
    return _compact(_custom_event(data))


def large_event(size: int = 30_000) -> str:
    """A valid custom event of about `size` bytes: many customData entries,
    the shape that makes checks walk a big object (stays under the service's
    32,500-character customData limit)."""
    data = {}
    i = 0
    while len(_compact(_custom_event(data))) < size - 120:
        data[f"field_{i:04d}"] = f"value {i} " + "y" * 80
        i += 1
    body = _compact(_custom_event(data))
    data["pad"] = "z" * max(0, size - len(body) - len(',"pad":""'))
    return _compact(_custom_event(data))


def write_events(out: Path) -> dict:
    """Writes the bodies under `out`; returns {name: path}."""
    out.mkdir(parents=True, exist_ok=True)
    files = {"300B": out / "event-300B.json", "30KB": out / "event-30KB.json"}
    files["300B"].write_text(small_event(), encoding="utf-8")
    files["30KB"].write_text(large_event(), encoding="utf-8")
    return files
