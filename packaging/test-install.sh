#!/usr/bin/env bash
# `make test-install`: installs coveo-ua into a temporary prefix, checks the
# installed layout, builds examples/cmake against it three ways (CMake
# package, pkg-config, static link through pkg-config) and runs every program
# against a fresh ua-emulator. Removes the temporary tree whatever happens.
# Ends with "N passed, N failed" over its checks; exits 1 if any failed.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
check=test-install
# shellcheck source=packaging/lib.sh
. "$repo/packaging/lib.sh"
: "${VERSION:?set VERSION}"
make=${MAKE:-make}
needs_tools cmake pkg-config readelf cc c++

tmp=$(mktemp -d /tmp/coveo-ua-install-test.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
prefix=$tmp/prefix
lib=$prefix/lib

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
build_cmake_example examples/cmake "$tmp" "$prefix"
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

summary
