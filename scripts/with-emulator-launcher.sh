#!/usr/bin/env bash
# Runs a command beside scripts/emulator-launcher.py, exporting
# UA_EMULATOR_LAUNCHER=127.0.0.1:PORT, through which the command's test
# programs (Windows ones under Wine) have ua-emulator processes started for
# them. Stops the launcher, and every emulator it started, when the command
# ends, fails or is interrupted.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
[ "$#" -gt 0 ] || { echo "usage: with-emulator-launcher.sh COMMAND [ARGS...]" >&2; exit 2; }
out=$(mktemp)
pid=
cleanup() {
    if [ -n "$pid" ]; then
        kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    fi
    rm -f "$out"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Its own process group, so that stopping it stops the emulators too.
setsid "${PYTHON:-python3}" "$repo/scripts/emulator-launcher.py" >"$out" &
pid=$!
addr=
for _ in $(seq 1 100); do
    addr=$(sed -n 's/^emulator-launcher listening on //p' "$out")
    [ -n "$addr" ] && break
    kill -0 "$pid" 2>/dev/null || { echo "with-emulator-launcher: the launcher exited early" >&2; exit 1; }
    sleep 0.1
done
[ -n "$addr" ] || { echo "with-emulator-launcher: no address within 10 s" >&2; exit 1; }
export UA_EMULATOR_LAUNCHER=$addr
echo "with-emulator-launcher: emulator launcher (pid $pid) at $addr" >&2
status=0
"$@" || status=$?
exit "$status"
