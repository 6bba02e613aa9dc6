#!/usr/bin/env bash
# Runs a command with ua-emulator listening on a free loopback port.
# Exports UA_ENDPOINT (base URL ending in /rest/ua), UA_TOKEN and UA_ORG for the
# command, and stops the emulator when the command ends, fails or is interrupted.
# Extra emulator flags can be passed in UA_EMULATOR_ARGS.
set -euo pipefail

# Default: the release build, in $CARGO_TARGET_DIR (relative: to the
# repository) or target/ of the repository.
repo=$(cd "$(dirname "$0")/.." && pwd)
target_dir=${CARGO_TARGET_DIR:-target}
case "$target_dir" in /*) ;; *) target_dir=$repo/$target_dir ;; esac
bin=${UA_EMULATOR_BIN:-$target_dir/release/ua-emulator}
org=${UA_ORG:-demo-org}
key=${UA_TOKEN:-xx-demo-key}
[ -x "$bin" ] || { echo "with-emulator: $bin not found; run 'make build' first" >&2; exit 1; }
[ "$#" -gt 0 ] || { echo "usage: with-emulator.sh COMMAND [ARGS...]" >&2; exit 2; }

out=$(mktemp)
pid=
cleanup() {
    if [ -n "$pid" ]; then
        kill -TERM "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    fi
    rm -f "$out"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# shellcheck disable=SC2086
"$bin" --listen 127.0.0.1:0 --org "$org" --api-key "$key" ${UA_EMULATOR_ARGS:-} >"$out" &
pid=$!

url=
for _ in $(seq 1 100); do
    url=$(grep -o -m1 'http://[^ ]*' "$out" || true)
    [ -n "$url" ] && break
    kill -0 "$pid" 2>/dev/null || { echo "with-emulator: ua-emulator exited early" >&2; exit 1; }
    sleep 0.1
done
[ -n "$url" ] || { echo "with-emulator: ua-emulator printed no URL within 10 s" >&2; exit 1; }

export UA_ENDPOINT=$url UA_TOKEN=$key UA_ORG=$org
echo "with-emulator: ua-emulator (pid $pid) at $UA_ENDPOINT" >&2
status=0
"$@" || status=$?
exit "$status"
