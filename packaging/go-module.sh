#!/usr/bin/env bash
# `make go-module`: the Go module as it would be published, in OUT: the
# binding's sources (no tests), the header in include/, and one static
# library per platform in lib/<goos>_<goarch>/, each from its target's
# release build (debug sections stripped by the given tool; `true` keeps it
# as it is). A platform whose folder is missing
# is an error, not a silent gap. Each folder without Go sources gets a
# package clause, so `go mod vendor` keeps it.
# Usage: go-module.sh OUT GOOS_GOARCH=STATIC_LIB=STRIP ...
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
[ "$#" -ge 2 ] || { echo "usage: go-module.sh OUT GOOS_GOARCH=STATIC_LIB=STRIP ..." >&2; exit 2; }
out=$1
shift
rm -rf "$out"
mkdir -p "$out/include" "$out/lib"
for f in "$repo"/bindings/go/*.go "$repo/bindings/go/go.mod"; do
    case "$f" in *_test.go | */cgo_intree.go) continue ;; esac
    install -m 644 "$f" "$out/"
done
cp -r "$repo/bindings/go/internal" "$out/internal"
install -m 644 "$repo/include/coveo_ua.h" "$out/include/"
printf '// Package include holds coveo_ua.h, the C header cgo compiles against.\npackage include\n' >"$out/include/include.go"
printf '// Package lib holds the static libcoveo_ua.a of each platform, in <goos>_<goarch>/.\npackage lib\n' >"$out/lib/lib.go"
for entry in "$@"; do
    platform=${entry%%=*}
    rest=${entry#*=}
    archive=${rest%%=*}
    strip_tool=${rest#*=}
    [ -f "$archive" ] || { echo "go-module: $archive ($platform) is missing" >&2; exit 1; }
    mkdir -p "$out/lib/$platform"
    install -m 644 "$archive" "$out/lib/$platform/libcoveo_ua.a"
    "$strip_tool" --strip-debug "$out/lib/$platform/libcoveo_ua.a"
    printf '// Package %s holds libcoveo_ua.a for %s.\npackage %s\n' "$platform" "${platform/_//}" "$platform" \
        >"$out/lib/$platform/lib.go"
    echo "go-module: lib/$platform/libcoveo_ua.a ($(du -k "$out/lib/$platform/libcoveo_ua.a" | cut -f1) KiB)"
done
echo "go-module: $out"
