#!/usr/bin/env bash
# Installs what the build, tests, demo and benchmarks need on a fresh machine.
# Safe to run again: it installs only what is missing.
set -euo pipefail

# Debian packages need root; elsewhere ask sudo.
sudo=
[ "$(id -u)" -eq 0 ] || sudo=sudo

# libcurl: the benchmark's hand-written baseline; clang + its runtime: AddressSanitizer runs;
# openssl: the C++ and Python CA-file tests make their certificates (and the C++ one its server) with it.
apt_packages=(pkg-config valgrind libcurl4-openssl-dev clang libclang-rt-14-dev cmake g++ make curl strace openssl)
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
fi

python3 -c 'import pytest' 2>/dev/null || python3 -m pip install -q pytest
# requests: the benchmark's hand-written Python baseline.
python3 -c 'import requests' 2>/dev/null || python3 -m pip install -q requests
# The Python suite runs in a venv; Debian's system Python needs python3-venv for that.
if ! python3 -c 'import ensurepip' 2>/dev/null; then
    $sudo apt-get update -qq
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3-venv
fi
