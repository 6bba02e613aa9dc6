#!/usr/bin/env bash
# `make test-dist`: unpacks `make dist`'s tarball into a temporary directory
# outside the checkout, checks its layout, copies the C, C++ and CMake examples
# next to it, and builds them against the unpacked tree with pkg-config (plain
# cc and c++, and CMake's pkg_check_modules) and with the CMake package; a
# program compiled against the unpacked header checks that UA_VERSION_STRING
# and the UA_VERSION_* macros equal Cargo.toml's version and ua_version().
# Every program runs against the tarball's own bin/ua-emulator. Removes the
# temporary tree whatever happens. Ends with "N passed, N failed".
# Usage: VERSION=x.y.z test-dist.sh TARBALL
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
check=test-dist
# shellcheck source=packaging/lib.sh
. "$repo/packaging/lib.sh"
: "${VERSION:?set VERSION}"
[ "$#" -eq 1 ] && [ -f "$1" ] || { echo "usage: VERSION=x.y.z test-dist.sh TARBALL" >&2; exit 2; }
tarball=$(realpath "$1")
needs_tools cmake pkg-config readelf ldd cc c++ tar curl

tmp=$(mktemp -d /tmp/coveo-ua-dist-test.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
case "$tmp" in "$repo"/*) echo "test-dist: $tmp is inside the checkout" >&2; exit 1 ;; esac
# Runs a program beside the tarball's emulator (with the event-log check
# when a marker is given).
on_emulator() { UA_EMULATOR_BIN=$root/bin/ua-emulator "$repo/scripts/with-emulator.sh" "$@"; }
# The same with the output kept in a log, shown on failure only.
on_emulator_quietly() {
    local log
    log=$tmp/run-$passed-$failed.log
    on_emulator "$@" >"$log" 2>&1 || { cat "$log"; false; }
}

# Unpack: one top folder, named like the tarball.
name=$(basename "$tarball" .tar.gz)
expect "the tarball unpacks" tar -xzf "$tarball" -C "$tmp"
root=$tmp/$name
expect "the tarball's top folder is $name/" test "$(ls "$tmp")" = "$name"
lib=$root/lib
echo "test-dist: tar -xzf $tarball -C $tmp"

expect "libcoveo_ua.so.0 -> libcoveo_ua.so.$VERSION" links_to "$lib/libcoveo_ua.so.0" "libcoveo_ua.so.$VERSION"
expect "libcoveo_ua.so -> libcoveo_ua.so.0" links_to "$lib/libcoveo_ua.so" "libcoveo_ua.so.0"
expect "SONAME libcoveo_ua.so.0" has_soname "$lib/libcoveo_ua.so.$VERSION" 'libcoveo_ua\.so\.0'
for f in README.md include/coveo_ua.h include/coveo_ua.hpp lib/libcoveo_ua.a lib/pkgconfig/coveo_ua.pc \
         lib/cmake/coveo_ua/coveo_uaConfig.cmake lib/cmake/coveo_ua/coveo_uaConfigVersion.cmake; do
    expect "$f in the tarball" test -f "$root/$f"
done
expect "bin/ua-emulator in the tarball" test -x "$root/bin/ua-emulator"
expect "the README holds no check marker" bash -c '! grep -q "<!-- check:" "$1/README.md"' _ "$root"
expect "the tarball names no build path" bash -c '! grep -rqF "$1" "$2/lib/pkgconfig" "$2/lib/cmake" "$2/README.md"' _ "$repo" "$root"

export PKG_CONFIG_PATH=$lib/pkgconfig
unset PKG_CONFIG_LIBDIR COVEO_UA_LIBRARY LD_LIBRARY_PATH
expect "pkg-config --modversion is $VERSION" test "$(pkg-config --modversion coveo_ua)" = "$VERSION"
expect "the .pc finds the unpacked folder" test "$(realpath "$(pkg-config --variable=libdir coveo_ua)")" = "$(realpath "$lib")"

# The examples, copied out of the checkout (examples/cmake builds ../cpp).
src=$tmp/src
mkdir -p "$src"
cp -r "$repo/examples/c" "$repo/examples/cpp" "$repo/examples/cmake" "$src/"
cat >"$src/version_check.c" <<'C'
/* The unpacked header's version macros against Cargo.toml and the library. */
#include <stdio.h>
#include <string.h>

#include <coveo_ua.h>

int main(void)
{
    char from_numbers[32];
    snprintf(from_numbers, sizeof from_numbers, "%d.%d.%d", UA_VERSION_MAJOR, UA_VERSION_MINOR, UA_VERSION_PATCH);
    printf("version_check: UA_VERSION_STRING %s, UA_VERSION_* %s, ua_version() %s, Cargo.toml %s\n",
           UA_VERSION_STRING, from_numbers, ua_version(), EXPECTED_VERSION);
    return strcmp(UA_VERSION_STRING, ua_version()) == 0 && strcmp(UA_VERSION_STRING, EXPECTED_VERSION) == 0
                   && strcmp(from_numbers, EXPECTED_VERSION) == 0
               ? 0
               : 1;
}
C

# 1. pkg-config with plain compilers (an rpath to the unpacked lib/).
strict_c="-std=c99 -Wall -Wextra -Werror -pedantic"
strict_cxx="-std=c++17 -Wall -Wextra -Werror -pedantic"
read -r -a pc_cflags <<<"$(pkg-config --cflags coveo_ua)"
read -r -a pc_libs <<<"$(pkg-config --libs coveo_ua)"
rpath=-Wl,-rpath,$lib
pcbin=$tmp/pc
mkdir -p "$pcbin"
echo "test-dist: PKG_CONFIG_PATH=$PKG_CONFIG_PATH cc|c++ STRICT_FLAGS ${pc_cflags[*]} SOURCES ${pc_libs[*]} $rpath"
# shellcheck disable=SC2086
{
    expect "cc version_check.c with pkg-config" cc $strict_c "-DEXPECTED_VERSION=\"$VERSION\"" "${pc_cflags[@]}" \
        "$src/version_check.c" -o "$pcbin/version_check" "${pc_libs[@]}" "$rpath"
    expect "cc hello.c with pkg-config" cc $strict_c "${pc_cflags[@]}" "$src/cmake/hello.c" -o "$pcbin/hello" "${pc_libs[@]}" "$rpath"
    expect "cc examples/c with pkg-config" cc $strict_c "${pc_cflags[@]}" -I"$src/c" "$src/c/send_event.c" \
        "$src/c/demo_env.c" "$src/c/emulator_control.c" -o "$pcbin/send_event_c" "${pc_libs[@]}" "$rpath"
    expect "c++ examples/cpp with pkg-config" c++ $strict_cxx "${pc_cflags[@]}" "$src/cpp/send_event.cpp" \
        -o "$pcbin/send_event_cpp" "${pc_libs[@]}" "$rpath"
}

# 2. CMake: the package, then pkg-config through pkg_check_modules.
echo "test-dist: cmake -S $src/cmake -B $tmp/build-cmake -DCMAKE_PREFIX_PATH=$root -DCMAKE_BUILD_TYPE=Release"
echo "test-dist: PKG_CONFIG_PATH=$PKG_CONFIG_PATH cmake -S $src/cmake -B $tmp/build-pc -DCOVEO_UA_USE_PKG_CONFIG=ON"
build_cmake_example "$src/cmake" "$tmp" "$root"

shared=("$pcbin/version_check" "$pcbin/hello" "$pcbin/send_event_c" "$pcbin/send_event_cpp"
    "$tmp/build-cmake/hello" "$tmp/build-cmake/send_event_cpp" "$tmp/build-pc/hello" "$tmp/build-pc/send_event_cpp")
for p in "${shared[@]}"; do
    expect "$p loads the unpacked library" loads_from "$p" "$lib/libcoveo_ua.so.0"
    expect "$p has no path into the checkout" no_checkout_path "$p"
done

expect "the header's version macros match Cargo.toml and ua_version()" "$pcbin/version_check"
for p in "$pcbin/hello" "$tmp/build-cmake/hello" "$tmp/build-cmake/hello_static" "$tmp/build-pc/hello"; do
    expect "$p sends an event the emulator records" on_emulator "$repo/packaging/expect-events.sh" 1 '"hello"' "$p"
done
for p in "$pcbin/send_event_c" "$pcbin/send_event_cpp" "$tmp/build-cmake/send_event_cpp" "$tmp/build-pc/send_event_cpp"; do
    expect "$p runs against the emulator" on_emulator_quietly "$p"
done

summary
