#!/usr/bin/env bash
# `make test-dist-platforms ARM64_TARBALL MUSL_TARBALL`: the Linux arm64 and
# musl tarballs of `make dist-platforms`, each unpacked into a temporary
# directory outside the checkout: the layout is checked (libraries of the
# right machine, SONAME, emulator), examples/cmake/hello.c is compiled
# against the unpacked tree through its pkg-config file, and it sends an
# event that the emulator records:
#   - arm64: Debian's aarch64 gcc, the shared library with an rpath, run under
#     qemu-aarch64, against the native emulator;
#   - musl: zig's C compiler, -static with the tarball's libcoveo_ua.a, run
#     natively, against the tarball's own (musl) emulator.
# Removes the temporary tree whatever happens. Ends with "N passed, N failed".
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
check=test-dist-platforms
# shellcheck source=packaging/lib.sh
. "$repo/packaging/lib.sh"
: "${VERSION:?set VERSION}" "${ZIG_CC:?set ZIG_CC}"
[ "$#" -eq 2 ] || { echo "usage: test-dist-platforms.sh ARM64_TARBALL MUSL_TARBALL" >&2; exit 2; }
needs_tools pkg-config readelf file aarch64-linux-gnu-gcc qemu-aarch64 curl
arm64_tarball=$(realpath "$1") musl_tarball=$(realpath "$2")

tmp=$(mktemp -d /tmp/coveo-ua-dist-platforms.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
case "$tmp" in "$repo"/*) echo "$check: $tmp is inside the checkout" >&2; exit 1 ;; esac
hello=$repo/examples/cmake/hello.c
strict="-std=c99 -Wall -Wextra -Werror -pedantic"
machine_of() { file -bL "$1"; }

# unpack TARBALL: prints the unpacked root.
unpack() {
    local name
    name=$(basename "$1" .tar.gz)
    tar -xzf "$1" -C "$tmp" && echo "$tmp/$name"
}

# Linux arm64.
root=$(unpack "$arm64_tarball")
lib=$root/lib
expect "arm64: the shared library is for aarch64" grep -q 'ARM aarch64' <<<"$(machine_of "$lib/libcoveo_ua.so.$VERSION")"
expect "arm64: SONAME libcoveo_ua.so.0" has_soname "$lib/libcoveo_ua.so.$VERSION" 'libcoveo_ua\.so\.0'
expect "arm64: bin/ua-emulator is for aarch64" grep -q 'ARM aarch64' <<<"$(machine_of "$root/bin/ua-emulator")"
export PKG_CONFIG_PATH=$lib/pkgconfig
# shellcheck disable=SC2046,SC2086
expect "arm64: aarch64-linux-gnu-gcc hello.c with the tarball's pkg-config" aarch64-linux-gnu-gcc $strict \
    $(pkg-config --cflags coveo_ua) "$hello" -o "$tmp/hello-arm64" $(pkg-config --libs coveo_ua) -Wl,-rpath,"$lib"
expect "arm64: hello sends an event (qemu-aarch64)" "$repo/scripts/with-emulator.sh" \
    "$repo/packaging/expect-events.sh" 1 '"hello"' qemu-aarch64 -L /usr/aarch64-linux-gnu "$tmp/hello-arm64"

# Linux musl.
root=$(unpack "$musl_tarball")
lib=$root/lib
expect "musl: the shared library needs musl's C library only" \
    test "$(readelf -d "$lib/libcoveo_ua.so.$VERSION" | grep NEEDED | grep -o '\[.*\]')" = "[libc.musl-x86_64.so.1]"
export PKG_CONFIG_PATH=$lib/pkgconfig
# shellcheck disable=SC2046,SC2086
expect "musl: a static hello.c with the tarball's libcoveo_ua.a (zig cc)" $ZIG_CC -target x86_64-linux-musl $strict -static \
    $(pkg-config --cflags coveo_ua) "$hello" -o "$tmp/hello-musl" "$lib/libcoveo_ua.a" -lunwind
expect "musl: hello is statically linked" grep -q 'statically linked' <<<"$(file -b "$tmp/hello-musl")"
expect "musl: hello sends an event to the tarball's emulator" env UA_EMULATOR_BIN="$root/bin/ua-emulator" \
    "$repo/scripts/with-emulator.sh" "$repo/packaging/expect-events.sh" 1 '"hello"' "$tmp/hello-musl"

summary
