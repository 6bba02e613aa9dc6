#!/usr/bin/env bash
# expect-events.sh COUNT MARKER COMMAND [ARGS...]: runs COMMAND (under
# scripts/with-emulator.sh, which exports UA_ENDPOINT), then asks the
# emulator's event log (GET /_emulator/events) how many accepted events carry
# MARKER (a string of their body, e.g. an eventValue). Fails unless COMMAND
# succeeded and exactly COUNT events carry it, so a program that says
# "accepted" is checked against what the server recorded.
set -euo pipefail

[ "$#" -ge 3 ] || { echo "usage: expect-events.sh COUNT MARKER COMMAND [ARGS...]" >&2; exit 2; }
count=$1 marker=$2
shift 2
: "${UA_ENDPOINT:?run under scripts/with-emulator.sh}"
command -v curl >/dev/null || { echo "expect-events: curl is missing (scripts/install-deps.sh)" >&2; exit 1; }

"$@"
events=$(curl -sS --max-time 10 "${UA_ENDPOINT%/rest/ua}/_emulator/events")
got=$(grep -o -F -- "$marker" <<<"$events" | wc -l)
if [ "$got" -ne "$count" ]; then
    echo "expect-events: the emulator recorded $got event(s) with '$marker', expected $count" >&2
    echo "$events" >&2
    exit 1
fi
echo "expect-events: the emulator recorded $got event(s) with '$marker'"
