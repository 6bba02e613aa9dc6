"""What the Python demos share: the service named by the environment and
the emulator's control API (not part of the real service)."""

from __future__ import annotations

import json
import os
import sys
import urllib.request
from typing import Any, Dict, Optional


def required_env(name: str) -> str:
    """The variable's value; exits with a hint when it is missing."""
    value = os.environ.get(name)
    if not value:
        sys.exit(f"{os.path.basename(sys.argv[0])}: set {name} (scripts/with-emulator.sh exports it)")
    return value


ENDPOINT = required_env("UA_ENDPOINT")
TOKEN = required_env("UA_TOKEN")
ORG = required_env("UA_ORG")


def emulator(method: str, path: str, body: Optional[Dict[str, Any]] = None) -> Any:
    """Calls /_emulator/<path> and returns its JSON answer (None when empty)."""
    if not ENDPOINT.endswith("/rest/ua"):
        sys.exit("UA_ENDPOINT must end in /rest/ua to reach the emulator's control API")
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        f"{ENDPOINT[: -len('/rest/ua')]}/_emulator/{path}",
        data=data,
        method=method,
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        text = answer.read().decode()
    return json.loads(text) if text.strip() else None
