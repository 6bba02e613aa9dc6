#!/usr/bin/env bash
# `make test-install`: installs coveo-ua into a temporary prefix, checks the
# installed layout, builds examples/cmake against it three ways (CMake
# package, pkg-config, static link through pkg-config) and runs every program
# against a fresh ua-emulator. Removes the temporary tree whatever happens.
# Ends with "N passed, N failed" over its checks; exits 1 if any failed.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
: "${VERSION:?set VERSION}"
make=${MAKE:-make}
for tool in cmake pkg-config readelf cc c++; do
    command -v "$tool" >/dev/null || { echo "test-install: $tool is missing (scripts/install-deps.sh)" >&2; exit 1; }
done

tmp=$(mktemp -d /tmp/coveo-ua-install-test.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
prefix=$tmp/prefix
lib=$prefix/lib
passed=0
failed=0

# expect DESCRIPTION COMMAND...: runs COMMAND, counts it, says what failed.
expect() {
    local what=$1
    shift
    if "$@"; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
        echo "test-install: FAIL: $what" >&2
    fi
}
# Outputs are captured first: `cmd | grep -q` would fail under pipefail when
# grep stops reading early and cmd dies of SIGPIPE.
links_to() { [ "$(readlink "$1")" = "$2" ]; }
dynamic_section() { readelf -d "$1" 2>/dev/null || true; }
has_soname() { grep -q "SONAME.*\[$2\]" <<<"$(dynamic_section "$1")"; }
needs() { grep -q "NEEDED.*\[$2\]" <<<"$(dynamic_section "$1")"; }
is_static() { [ -x "$1" ] && ! grep -q 'libcoveo_ua' <<<"$(dynamic_section "$1")"; }
loads_from() { grep -qF "$2" <<<"$(ldd "$1")"; }
configure() { # configure BUILD_DIR EXPECTED_LOG_LINE CMAKE_ARGS...
    local dir=$1 line=$2
    shift 2
    cmake -S examples/cmake -B "$dir" "$@" >"$dir.log" 2>&1 && grep -q "$line" "$dir.log" || { cat "$dir.log"; false; }
}

expect "make install" "$make" --no-print-directory install PREFIX="$prefix"

# Layout: versioned file with the SONAME, the two symlinks, headers, metadata.
expect "libcoveo_ua.so.0 -> libcoveo_ua.so.$VERSION" links_to "$lib/libcoveo_ua.so.0" "libcoveo_ua.so.$VERSION"
expect "libcoveo_ua.so -> libcoveo_ua.so.0" links_to "$lib/libcoveo_ua.so" "libcoveo_ua.so.0"
expect "SONAME libcoveo_ua.so.0" has_soname "$lib/libcoveo_ua.so.$VERSION" 'libcoveo_ua\.so\.0'
for f in include/coveo_ua.h include/coveo_ua.hpp lib/libcoveo_ua.a lib/pkgconfig/coveo_ua.pc \
         lib/cmake/coveo_ua/coveo_uaConfig.cmake lib/cmake/coveo_ua/coveo_uaConfigVersion.cmake; do
    expect "$f installed" test -f "$prefix/$f"
done
export PKG_CONFIG_PATH=$lib/pkgconfig
expect "pkg-config --modversion is $VERSION" test "$(pkg-config --modversion coveo_ua)" = "$VERSION"

# 1. CMake package (shared and static), 2. pkg-config only.
expect "configure with the CMake package" configure "$tmp/build-cmake" 'found by its CMake package' \
    -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_BUILD_TYPE=Release
expect "build with the CMake package" cmake --build "$tmp/build-cmake" -j 2
expect "configure with pkg-config" configure "$tmp/build-pc" 'found by pkg-config' -DCOVEO_UA_USE_PKG_CONFIG=ON
expect "build with pkg-config" cmake --build "$tmp/build-pc" -j 2
# The version file: 0.1 (and no version) match; 99 and, while at 0.x, 0.0 do not.
mkdir -p "$tmp/version-check"
cat >"$tmp/version-check/CMakeLists.txt" <<'CMAKE'
cmake_minimum_required(VERSION 3.16)
project(version_check C)
foreach(unsuitable IN ITEMS 99 0.0)
    find_package(coveo_ua ${unsuitable} CONFIG QUIET)
    if(coveo_ua_FOUND)
        message(FATAL_ERROR "find_package(coveo_ua ${unsuitable}) accepted ${coveo_ua_VERSION}")
    endif()
endforeach()
find_package(coveo_ua 0.1 CONFIG REQUIRED)
find_package(coveo_ua CONFIG REQUIRED)
CMAKE
expect "the version file accepts 0.1 and refuses 99 and 0.0" \
    cmake -S "$tmp/version-check" -B "$tmp/version-check/build" -DCMAKE_PREFIX_PATH="$prefix"

# 3. Plain cc with the static library and the system libraries of Libs.private.
static_libs=$(pkg-config --static --libs coveo_ua | sed 's/-lcoveo_ua\b/-l:libcoveo_ua.a/')
# shellcheck disable=SC2046,SC2086
expect "static link with pkg-config --static" cc -std=c99 -Wall -Wextra -Werror -pedantic \
    examples/cmake/hello.c -o "$tmp/hello_pc_static" $(pkg-config --cflags coveo_ua) $static_libs

# Static programs must not need the shared library; shared ones load the
# installed copy through its SONAME.
expect "hello_static is static" is_static "$tmp/build-cmake/hello_static"
expect "hello_pc_static is static" is_static "$tmp/hello_pc_static"
for p in "$tmp/build-cmake/hello" "$tmp/build-pc/hello" "$tmp/build-cmake/send_event_cpp"; do
    expect "$p needs libcoveo_ua.so.0" needs "$p" 'libcoveo_ua\.so\.0'
    expect "$p loads the installed library" loads_from "$p" "$lib/libcoveo_ua.so.0"
done

for p in "$tmp/build-cmake/hello" "$tmp/build-cmake/send_event_cpp" "$tmp/build-cmake/hello_static" \
         "$tmp/build-pc/hello" "$tmp/build-pc/send_event_cpp" "$tmp/hello_pc_static"; do
    expect "$p runs against the emulator" scripts/with-emulator.sh "$p"
done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
