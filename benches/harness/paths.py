"""Where things are: the repository, the build outputs, the bench programs."""

import os
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
BENCHES = REPO / "benches"
# Cargo's output folder: $CARGO_TARGET_DIR (relative: to the repository), else target/.
TARGET = REPO / (os.environ.get("CARGO_TARGET_DIR") or "target")
RELEASE = TARGET / "release"
# Everything the benchmark builds or writes goes here (target/ is ignored by git).
OUT = TARGET / "bench"

TOKEN = "xx-bench-key"
ORG = "bench-org"


def library_path() -> Path:
    """libcoveo_ua.so: $COVEO_UA_LIBRARY, else target/release."""
    return Path(os.environ.get("COVEO_UA_LIBRARY") or RELEASE / "libcoveo_ua.so")


def emulator_path() -> Path:
    """ua-emulator: $UA_EMULATOR_BIN, else target/release."""
    return Path(os.environ.get("UA_EMULATOR_BIN") or RELEASE / "ua-emulator")


def loadgen_path() -> Path:
    """ua-loadgen, built by the workspace next to the emulator."""
    return Path(os.environ.get("UA_LOADGEN_BIN") or emulator_path().parent / "ua-loadgen")
