#!/usr/bin/env bash
# wine-run.sh PROGRAM.exe [ARGS...]: runs a Windows x64 program under Wine
# (Debian's wine64), in a Wine prefix of our own that is made at first use
# (about 10 s): $WINEPREFIX, else wine-prefix/ in cargo's target folder.
# Wine 8 lacks bcryptprimitives.dll, which Rust programs need; the prefix
# gets a stand-in built from scripts/wine/bcryptprimitives.c. Environment
# variables (UA_ENDPOINT, UA_EMULATOR_LAUNCHER...) reach the program as they
# are; its exit status is the script's.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
target_dir=${CARGO_TARGET_DIR:-target}
case "$target_dir" in /*) ;; *) target_dir=$repo/$target_dir ;; esac
wine=${WINE:-/usr/lib/wine/wine64}
export WINEPREFIX=${WINEPREFIX:-$target_dir/wine-prefix}
export WINEDEBUG=${WINEDEBUG:--all}
[ -x "$wine" ] || { echo "wine-run: $wine is missing (scripts/install-deps.sh installs wine64)" >&2; exit 1; }
[ "$#" -gt 0 ] || { echo "usage: wine-run.sh PROGRAM.exe [ARGS...]" >&2; exit 2; }

shim=$WINEPREFIX/drive_c/windows/system32/bcryptprimitives.dll
if [ ! -f "$shim" ]; then
    mkdir -p "$(dirname "$WINEPREFIX")"
    (
        flock 9
        if [ ! -f "$shim" ]; then
            echo "wine-run: making the Wine prefix $WINEPREFIX" >&2
            "$wine" wineboot -i >/dev/null 2>&1 || true
            "${WINESERVER:-/usr/lib/wine/wineserver64}" -w || true
            [ -d "$WINEPREFIX/drive_c/windows/system32" ] || { echo "wine-run: wineboot made no prefix" >&2; exit 1; }
            x86_64-w64-mingw32-gcc -O2 -shared -o "$shim.tmp" "$repo/scripts/wine/bcryptprimitives.c" -lbcrypt
            mv "$shim.tmp" "$shim"
        fi
    ) 9>"$WINEPREFIX.lock"
fi
exec "$wine" "$@"
