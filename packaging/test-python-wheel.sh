#!/usr/bin/env bash
# `make test-python-wheel WHEEL`: the Python package as a user gets it. Checks
# the wheel (platform tag, bundled library), installs it with pip into a fresh
# venv in a temporary directory outside the checkout (no index, no network),
# and from there, with no COVEO_UA_LIBRARY or PYTHONPATH, imports coveo_ua and
# sends two events to a fresh ua-emulator, which must have recorded both.
# Removes the temporary tree whatever happens.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
python=${PYTHON:-python3}
[ "$#" -eq 1 ] && [ -f "$1" ] || { echo "usage: test-python-wheel.sh WHEEL" >&2; exit 2; }
wheel=$(realpath "$1")
command -v "$python" >/dev/null || { echo "test-python-wheel: $python is missing" >&2; exit 1; }

tmp=$(mktemp -d /tmp/coveo-ua-wheel-test.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
case "$tmp" in "$repo"/*) echo "test-python-wheel: $tmp is inside the checkout" >&2; exit 1 ;; esac

# The wheel: tagged for this platform only (any Python 3), library inside.
name=$(basename "$wheel")
case "$name" in
    *-py3-none-any.whl) echo "test-python-wheel: $name is tagged for any platform" >&2; exit 1 ;;
    *-py3-none-linux_*.whl | *-py3-none-manylinux*.whl | *-py3-none-macosx_*.whl) ;;
    *) echo "test-python-wheel: unexpected wheel tag in $name" >&2; exit 1 ;;
esac
"$python" - "$wheel" <<'PY'
import sys, zipfile
names = zipfile.ZipFile(sys.argv[1]).namelist()
lib = [n for n in names if n.startswith("coveo_ua/_lib/libcoveo_ua")]
assert lib, f"no bundled library in the wheel: {names}"
print(f"test-python-wheel: {sys.argv[1].rsplit('/', 1)[-1]} bundles {lib[0]}")
PY

echo "test-python-wheel: $python -m venv $tmp/venv && $tmp/venv/bin/python -m pip install --no-index --no-deps $wheel"
"$python" -m venv "$tmp/venv"
"$tmp/venv/bin/python" -m pip install --disable-pip-version-check -q --no-index --no-deps "$wheel"

cp "$repo/packaging/outside/send.py" "$tmp/send.py"

cd "$tmp"
echo "test-python-wheel: cd $tmp && env -u COVEO_UA_LIBRARY -u PYTHONPATH $tmp/venv/bin/python send.py (beside a fresh ua-emulator)"
env -u COVEO_UA_LIBRARY -u PYTHONPATH -u PYTHONHOME \
    "$repo/scripts/with-emulator.sh" "$repo/packaging/expect-events.sh" 2 python-wheel- \
    "$tmp/venv/bin/python" "$tmp/send.py" python-wheel
echo "test-python-wheel: the wheel works from a venv outside the checkout"
