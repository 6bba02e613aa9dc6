#!/usr/bin/env bash
# `make test-go-module-tree TREE PLATFORM...`: the Go module as released
# (`make go-module`), used by a program of another module in a temporary
# directory outside the checkout, with GOPROXY=off, no pkg-config on PATH, no
# build tag, no CGO_* flags and no LD_LIBRARY_PATH: cgo and a C compiler are
# all it has. For each PLATFORM (linux/amd64: run here; linux/arm64: built
# with Debian's aarch64 gcc, run under qemu-aarch64; windows/amd64: built
# with mingw-w64, run under Wine) the program must link no libcoveo_ua at run
# time and send two events that a fresh native ua-emulator records. Then
# CGO_ENABLED=0 must fail at build time with a message that names cgo.
# Removes the temporary tree whatever happens. Ends with "N passed, N failed".
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
check=test-go-module-tree
# shellcheck source=packaging/lib.sh
. "$repo/packaging/lib.sh"
go=${GO:-go}
[ "$#" -ge 2 ] && [ -d "$1" ] || { echo "usage: test-go-module-tree.sh TREE PLATFORM..." >&2; exit 2; }
tree=$(realpath "$1")
shift
needs_tools "$go" file curl

tmp=$(mktemp -d /tmp/coveo-ua-go-tree.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
case "$tmp" in "$repo"/*) echo "$check: $tmp is inside the checkout" >&2; exit 1 ;; esac

# The module as the module cache would hold it (a copy: Go's build cache
# keys a cgo package on its folder).
binding=$tmp/coveoua-go
cp -r "$tree" "$binding"
mod=$tmp/mod
mkdir -p "$mod"
cat >"$mod/go.mod" <<EOF2
module example.com/uaoutside

go 1.22

require github.com/coveo-ua/coveo-ua/bindings/go v0.0.0

replace github.com/coveo-ua/coveo-ua/bindings/go => $binding
EOF2
cp "$repo/packaging/outside/main.go" "$mod/main.go"

# No pkg-config anywhere on PATH: a folder holding go and the C compilers only.
bin=$tmp/bin
mkdir -p "$bin"
for tool in "$go" gcc cc aarch64-linux-gnu-gcc x86_64-w64-mingw32-gcc; do
    path=$(command -v "$tool" || true)
    [ -n "$path" ] && ln -s "$path" "$bin/$(basename "$tool")"
done
goroot=$("$go" env GOROOT)
gocache=$("$go" env GOCACHE)
gomodcache=$("$go" env GOMODCACHE)
clean_env=(env -i HOME="$HOME" PATH="$bin:/usr/bin:/bin" GOROOT="$goroot" GOCACHE="$gocache" GOMODCACHE="$gomodcache"
    GOPROXY=off GOFLAGS=-mod=mod GOTOOLCHAIN=local)
case "$(command -v pkg-config || true)" in /usr/bin/* | /bin/*)
    # pkg-config lives beside the system tools: hide it with a stub that fails.
    printf '#!/bin/sh\necho "pkg-config must not be used here" >&2\nexit 1\n' >"$bin/pkg-config"
    chmod +x "$bin/pkg-config" ;;
esac

cd "$mod"
for platform in "$@"; do
    goos=${platform%/*} goarch=${platform#*/}
    out=$tmp/uaoutside-${goos}-${goarch}
    case "$platform" in
        linux/amd64) cc=gcc run=() kind='ELF 64-bit LSB.*x86-64' ;;
        linux/arm64) cc=aarch64-linux-gnu-gcc run=(qemu-aarch64 -L /usr/aarch64-linux-gnu) kind='ELF 64-bit LSB.*ARM aarch64' ;;
        windows/amd64) cc=x86_64-w64-mingw32-gcc run=("$repo/scripts/wine-run.sh") kind='PE32\+ executable.*x86-64'; out=$out.exe ;;
        *) echo "$check: unknown platform $platform" >&2; exit 2 ;;
    esac
    echo "$check: ${clean_env[*]} CGO_ENABLED=1 GOOS=$goos GOARCH=$goarch CC=$cc $go build -o $out ."
    expect "$platform: go build" "${clean_env[@]}" CGO_ENABLED=1 GOOS="$goos" GOARCH="$goarch" CC="$cc" "$go" build -o "$out" .
    expect "$platform: the program is a $platform executable" grep -Eq "$kind" <<<"$(file -b "$out" 2>&1)"
    # What the program loads at start (must read: an empty list proves nothing).
    case "$goos" in
        windows) loads=$(x86_64-w64-mingw32-objdump -p "$out" | grep 'DLL Name' || true) ;;
        *) loads=$(readelf -d "$out" | grep NEEDED || true) ;;
    esac
    echo "$check: $platform loads: $(tr -s ' \n' ' ' <<<"$loads")"
    expect "$platform: the program's load list was read" test -n "$loads"
    expect "$platform: the program loads no libcoveo_ua" bash -c '! grep -qi coveo_ua <<<"$1"' _ "$loads"
    expect "$platform: the program sends two events" env -u LD_LIBRARY_PATH "$repo/scripts/with-emulator.sh" \
        "$repo/packaging/expect-events.sh" 2 "go-tree-$goos-$goarch-" "${run[@]}" "$out" "go-tree-$goos-$goarch"
done

# Without cgo: a build error that says what to do.
nocgo=$("${clean_env[@]}" CGO_ENABLED=0 "$go" build -o "$tmp/nocgo" . 2>&1 || true)
echo "$check: CGO_ENABLED=0 go build: $nocgo"
expect "CGO_ENABLED=0 fails at build time" test ! -e "$tmp/nocgo"
expect "CGO_ENABLED=0 names cgo in its message" grep -q 'cgo_required_set_CGO_ENABLED_1: build constraints exclude all Go files' <<<"$nocgo"

summary
