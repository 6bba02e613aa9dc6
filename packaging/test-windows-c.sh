#!/usr/bin/env bash
# `make test-windows-c DIR`: the Windows x64 library (cargo's release folder
# of x86_64-pc-windows-gnu) as a C program uses it, under Wine:
# examples/cmake/hello.c compiled by mingw-w64 with the strict flags, once
# against the DLL's import library (coveo_ua.dll copied beside the .exe, as a
# Windows program ships it) and once fully against the static library; each
# .exe must be a PE32+ x86-64 program, the first must import coveo_ua.dll
# and the second must not, and each sends an event that a native ua-emulator
# records. Removes its temporary tree. Ends with "N passed, N failed".
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
check=test-windows-c
# shellcheck source=packaging/lib.sh
. "$repo/packaging/lib.sh"
[ "$#" -eq 1 ] && [ -d "$1" ] || { echo "usage: test-windows-c.sh DIR" >&2; exit 2; }
dir=$(realpath "$1")
needs_tools x86_64-w64-mingw32-gcc x86_64-w64-mingw32-objdump file curl

tmp=$(mktemp -d /tmp/coveo-ua-windows-c.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
strict=(-std=c99 -Wall -Wextra -Werror -pedantic -I"$repo/include")
# What Rust's standard library and the TLS stack need from Windows.
system_libs=(-lws2_32 -lntdll -luserenv -lbcrypt -lcrypt32 -lsecur32 -lncrypt -ladvapi32 -lole32 -loleaut32)
imports() { x86_64-w64-mingw32-objdump -p "$1" | grep 'DLL Name' || true; }

mkdir -p "$tmp/dll" "$tmp/static"
expect "hello.c against the import library" x86_64-w64-mingw32-gcc "${strict[@]}" "$repo/examples/cmake/hello.c" \
    -o "$tmp/dll/hello.exe" -L"$dir" -lcoveo_ua
cp "$dir/coveo_ua.dll" "$tmp/dll/"
expect "hello.c against the static library" x86_64-w64-mingw32-gcc "${strict[@]}" "$repo/examples/cmake/hello.c" \
    -o "$tmp/static/hello.exe" "$dir/libcoveo_ua.a" "${system_libs[@]}"
for exe in "$tmp/dll/hello.exe" "$tmp/static/hello.exe"; do
    expect "$exe is a Windows x64 program" grep -q 'PE32+ executable.*x86-64' <<<"$(file -b "$exe")"
done
expect "the DLL build imports coveo_ua.dll" grep -qi 'coveo_ua.dll' <<<"$(imports "$tmp/dll/hello.exe")"
expect "the static build imports no coveo_ua.dll" bash -c '! grep -qi coveo_ua.dll <<<"$1"' _ "$(imports "$tmp/static/hello.exe")"
for exe in "$tmp/dll/hello.exe" "$tmp/static/hello.exe"; do
    expect "$exe sends an event under Wine" "$repo/scripts/with-emulator.sh" "$repo/packaging/expect-events.sh" 1 '"hello"' \
        "$repo/scripts/wine-run.sh" "$exe"
done

summary
