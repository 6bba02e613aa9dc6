#!/usr/bin/env bash
# Installs what the build, tests, demo and benchmarks need on a fresh machine.
# Safe to run again: it installs only what is missing.
set -euo pipefail

# Debian packages need root; elsewhere ask sudo.
sudo=
[ "$(id -u)" -eq 0 ] || sudo=sudo

# libcurl: the benchmark's hand-written baseline; clang + its runtime: AddressSanitizer runs;
# openssl: the C++ and Python CA-file tests make their certificates (and the C++ one its server) with it.
# The other platforms (docs/platforms.md): the arm64 cross compiler and C
# library, qemu-user to run arm64 programs, mingw-w64 and Wine for Windows x64,
# file to check what was built, patchelf and musl's loader for the musl build,
# musl-tools (musl-gcc) to link the static musl test program against real musl.
apt_packages=(pkg-config valgrind libcurl4-openssl-dev clang libclang-rt-14-dev cmake g++ make curl strace openssl
    gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user gcc-mingw-w64-x86-64 wine64 file patchelf musl musl-tools zip)
missing=()
for p in "${apt_packages[@]}"; do
    dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
    echo "install-deps: installing ${missing[*]}"
    $sudo apt-get update -qq
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

if command -v rustup >/dev/null; then
    rustup component list --installed | grep -q '^rustfmt' || rustup component add rustfmt
    rustup component list --installed | grep -q '^clippy' || rustup component add clippy
    # Cross builds (mk/46-platforms.mk); the Apple ones are type-checked only.
    installed_targets=$(rustup target list --installed)
    for t in aarch64-unknown-linux-gnu x86_64-unknown-linux-musl x86_64-pc-windows-gnu aarch64-apple-darwin x86_64-apple-darwin; do
        grep -qx "$t" <<<"$installed_targets" || rustup target add "$t"
    done
fi

# zig, as the C compiler and linker of the Linux builds that ship (glibc 2.17,
# musl) and to lend its macOS headers to the Apple type-check; auditwheel
# checks the wheels' platform tags. All three come as wheels from PyPI.
python3 -m pip show -q ziglang cargo-zigbuild auditwheel >/dev/null 2>&1 ||
    python3 -m pip install -q 'ziglang==0.17.1' 'cargo-zigbuild==0.24.1' 'auditwheel==6.8.2'

# An arm64 CPython that runs under qemu-aarch64 (the arm64 wheel's test),
# unpacked from Debian's arm64 packages into its own folder: nothing of the
# host's Python is replaced.
arm64_python_root=${ARM64_PYTHON_ROOT:-/opt/coveo-ua/arm64-python}
if [ ! -x "$arm64_python_root/usr/bin/python3.11" ]; then
    echo "install-deps: unpacking an arm64 CPython into $arm64_python_root"
    dpkg --print-foreign-architectures | grep -qx arm64 || $sudo dpkg --add-architecture arm64
    $sudo apt-get update -qq
    debs=$(mktemp -d)
    (cd "$debs" && chmod 777 . && apt-get download -qq python3.11-minimal:arm64 libpython3.11-minimal:arm64 \
        libpython3.11-stdlib:arm64 python3.11:arm64 python3-pip-whl libc6:arm64 libgcc-s1:arm64 \
        libffi8:arm64 zlib1g:arm64 libexpat1:arm64 libbz2-1.0:arm64 liblzma5:arm64 libssl3:arm64 \
        libcrypt1:arm64 libuuid1:arm64 libsqlite3-0:arm64)
    $sudo mkdir -p "$arm64_python_root"
    for deb in "$debs"/*.deb; do $sudo dpkg-deb -x "$deb" "$arm64_python_root"; done
    rm -rf "$debs"
fi

python3 -c 'import pytest' 2>/dev/null || python3 -m pip install -q pytest
# requests: the benchmark's hand-written Python baseline.
python3 -c 'import requests' 2>/dev/null || python3 -m pip install -q requests
# The Python suite runs in a venv; Debian's system Python needs python3-venv for that.
if ! python3 -c 'import ensurepip' 2>/dev/null; then
    $sudo apt-get update -qq
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3-venv
fi
