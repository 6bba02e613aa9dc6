#!/usr/bin/env bash
# `make test-python-dist DIR`: the packages of `make python-dist` as users get
# them, each installed with pip into a fresh venv in a temporary directory
# outside the checkout (no index, no network, no COVEO_UA_LIBRARY, no
# PYTHONPATH), then sending two events to a fresh native ua-emulator, which
# must have recorded both:
#   1. the manylinux_2_17_x86_64 wheel, with this machine's Python;
#   2. the manylinux_2_17_aarch64 wheel, with an arm64 CPython under
#      qemu-aarch64 (pip itself runs there too, so it is pip on arm64 that
#      accepts the wheel's tag);
#   3. the sdist, built from source by pip in the venv (cargo, in a target
#      folder of its own: the build a user without a wheel gets).
# Removes the temporary tree whatever happens. Ends with "N passed, N failed".
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
check=test-python-dist
# shellcheck source=packaging/lib.sh
. "$repo/packaging/lib.sh"
python=${PYTHON:-python3}
: "${VERSION:?set VERSION}"
arm64_root=${ARM64_PYTHON_ROOT:-/opt/coveo-ua/arm64-python}
[ "$#" -eq 1 ] && [ -d "$1" ] || { echo "usage: test-python-dist.sh DIR" >&2; exit 2; }
dist=$(realpath "$1")
needs_tools "$python" qemu-aarch64 cargo curl
arm64_python=$arm64_root/usr/bin/python3.11
[ -x "$arm64_python" ] || { echo "$check: no arm64 CPython at $arm64_root (scripts/install-deps.sh unpacks it)" >&2; exit 1; }

tmp=$(mktemp -d /tmp/coveo-ua-python-dist.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
case "$tmp" in "$repo"/*) echo "$check: $tmp is inside the checkout" >&2; exit 1 ;; esac

cp "$repo/packaging/outside/send.py" "$tmp/send.py"
clean=(env -u COVEO_UA_LIBRARY -u PYTHONPATH -u PYTHONHOME -u CARGO_TARGET_DIR)
# Runs COMMAND beside a fresh emulator that must record 2 events with MARKER.
sends_two() {
    local marker=$1
    shift
    (cd "$tmp" && "${clean[@]}" "$repo/scripts/with-emulator.sh" "$repo/packaging/expect-events.sh" 2 "$marker-" "$@" "$tmp/send.py" "$marker")
}

# 1. x86_64, this machine's Python.
wheel=$dist/coveo_ua-$VERSION-py3-none-manylinux_2_17_x86_64.whl
expect "the x86_64 wheel is there" test -f "$wheel"
"$python" -m venv "$tmp/venv-x86_64"
expect "pip installs $(basename "$wheel")" "$tmp/venv-x86_64/bin/python" -m pip install --disable-pip-version-check -q \
    --no-index --no-deps "$wheel"
expect "the x86_64 wheel sends" sends_two wheel-x86_64 "$tmp/venv-x86_64/bin/python"

# 2. arm64 under qemu: a venv without pip (its ensurepip would start an arm64
# child, which qemu-user cannot exec), then pip from Debian's pip wheel.
wheel=$dist/coveo_ua-$VERSION-py3-none-manylinux_2_17_aarch64.whl
expect "the arm64 wheel is there" test -f "$wheel"
qemu=(qemu-aarch64 -L "$arm64_root")
"${qemu[@]}" "$arm64_python" -m venv --without-pip "$tmp/venv-arm64"
pip_wheel=$(ls "$arm64_root"/usr/share/python-wheels/pip-*.whl)
expect "pip on arm64 installs $(basename "$wheel")" "${qemu[@]}" "$tmp/venv-arm64/bin/python" "$pip_wheel/pip" install \
    --disable-pip-version-check -q --no-index --no-deps "$wheel"
expect "the arm64 wheel sends (under qemu-aarch64)" sends_two wheel-arm64 "${qemu[@]}" "$tmp/venv-arm64/bin/python"

# 3. The sdist, built from source in a clean venv. Its build backend comes
# from this machine's pip cache or PyPI (build isolation, as for any user).
sdist=$dist/coveo_ua-$VERSION.tar.gz
expect "the sdist is there" test -f "$sdist"
expect "the sdist carries the crate" bash -c 'tar -tzf "$1" | grep -q "/crate/Cargo.lock$" && tar -tzf "$1" | grep -q "/crate/src/lib.rs$"' _ "$sdist"
"$python" -m venv "$tmp/venv-sdist"
echo "$check: pip install $sdist (cargo builds the library: a minute or two)"
# No UA_EMULATOR_BIN either: the sdist builds its own emulator too.
expect "pip builds and installs the sdist" "${clean[@]}" -u UA_EMULATOR_BIN CARGO_TARGET_DIR="$tmp/sdist-target" \
    "$tmp/venv-sdist/bin/python" -m pip install --disable-pip-version-check -q --no-deps "$sdist"
expect "the sdist's build sends" sends_two sdist "$tmp/venv-sdist/bin/python"

summary
