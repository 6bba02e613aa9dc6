#!/usr/bin/env bash
# `make test-go-module`: the Go binding as a user's module consumes it.
# Installs coveo-ua into a temporary prefix (`make install PREFIX=...`), writes
# a tiny module in a temporary directory outside the checkout whose go.mod
# requires the binding through a `replace` (the module is not published; a
# replace to a local copy is how a module outside uses it), and builds it with
# PKG_CONFIG_PATH and the build tag coveoua_pkgconfig as the only hints: no
# CGO_* flags, no network (GOPROXY=off). (Without the tag, the module links
# the static libraries of its released tree: packaging/test-go-module-tree.sh.) The program must link the installed library (never
# the build tree) and send two events that a fresh ua-emulator records.
# Removes the temporary tree whatever happens.
#
# The replace points at a snapshot of bindings/go in the temporary directory,
# as the module cache would hold it, not at the checkout: Go's build cache
# does not key a cgo package on what pkg-config printed, so with the package
# always in the same folder a second run would reuse the first run's link
# flags (-L of a prefix since deleted). A new folder is a new cache key, and
# only the binding recompiles (a few seconds).
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
make=${MAKE:-make}
go=${GO:-go}
for tool in "$go" pkg-config readelf ldd curl; do
    command -v "$tool" >/dev/null || { echo "test-go-module: $tool is missing (scripts/install-deps.sh)" >&2; exit 1; }
done

tmp=$(mktemp -d /tmp/coveo-ua-go-module.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
case "$tmp" in "$repo"/*) echo "test-go-module: $tmp is inside the checkout" >&2; exit 1 ;; esac
prefix=$tmp/prefix
mod=$tmp/mod

"$make" -C "$repo" --no-print-directory install PREFIX="$prefix"

mkdir -p "$mod"
binding=$tmp/coveoua-go
cp -r "$repo/bindings/go" "$binding"
cat >"$mod/go.mod" <<EOF
module example.com/uaoutside

go 1.22

require github.com/coveo-ua/coveo-ua/bindings/go v0.0.0

replace github.com/coveo-ua/coveo-ua/bindings/go => $binding
EOF
cp "$repo/packaging/outside/main.go" "$mod/main.go"

cd "$mod"
# Nothing from the Makefile or the shell leaks in: only PKG_CONFIG_PATH and the tag.
clean_env=(env -u GOFLAGS -u CGO_CFLAGS -u CGO_CPPFLAGS -u CGO_LDFLAGS -u LD_LIBRARY_PATH
    -u COVEO_UA_LIBRARY -u PKG_CONFIG_LIBDIR CGO_ENABLED=1 GOPROXY=off GOFLAGS='-mod=mod -tags=coveoua_pkgconfig'
    PKG_CONFIG_PATH="$prefix/lib/pkgconfig")
echo "test-go-module: ${clean_env[*]} $go build -o uaoutside ."
"${clean_env[@]}" "$go" build -o uaoutside .

pc=$("${clean_env[@]}" "$go" list -f '{{join .CgoPkgConfig " "}}' github.com/coveo-ua/coveo-ua/bindings/go)
[ "$pc" = coveo_ua ] || { echo "test-go-module: the binding asks pkg-config for '$pc', not coveo_ua" >&2; exit 1; }
dynamic=$(readelf -d uaoutside)
grep -q 'NEEDED.*\[libcoveo_ua\.so\.0\]' <<<"$dynamic" || { echo "test-go-module: uaoutside does not need libcoveo_ua.so.0" >&2; exit 1; }
if grep -qF "$repo" <<<"$dynamic"; then
    echo "test-go-module: uaoutside has a path into the checkout:" >&2
    grep -F "$repo" <<<"$dynamic" >&2
    exit 1
fi
loaded=$(LD_LIBRARY_PATH=$prefix/lib ldd uaoutside)
grep -qF "$prefix/lib/libcoveo_ua.so.0" <<<"$loaded" || { echo "test-go-module: uaoutside does not load the installed library:" >&2; echo "$loaded" >&2; exit 1; }

env -u COVEO_UA_LIBRARY LD_LIBRARY_PATH="$prefix/lib" \
    "$repo/scripts/with-emulator.sh" "$repo/packaging/expect-events.sh" 2 go-module- ./uaoutside go-module
echo "test-go-module: a module outside the checkout builds with pkg-config and runs against the installed library"
