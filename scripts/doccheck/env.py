"""Where the checkout and its release build are, as the Makefile says."""

from __future__ import annotations

import os
import platform
import re
from pathlib import Path
from typing import Dict

REPO = Path(__file__).resolve().parents[2]
TARGET_DIR = Path(os.environ.get("CARGO_TARGET_DIR") or REPO / "target")
if not TARGET_DIR.is_absolute():
    TARGET_DIR = REPO / TARGET_DIR
RELEASE_DIR = TARGET_DIR / "release"
EMULATOR = Path(os.environ.get("UA_EMULATOR_BIN") or RELEASE_DIR / "ua-emulator")
LIBRARY = Path(os.environ.get("COVEO_UA_LIBRARY") or RELEASE_DIR / "libcoveo_ua.so")

# The first `version = "..."` of Cargo.toml, as mk/00-vars.mk reads it.
VERSION = re.search(r'^version = "(.*)"$', (REPO / "Cargo.toml").read_text(), re.M).group(1)
# linux-x86_64, as mk/45-dist.mk names the tarball's platform.
PLATFORM = f"{platform.system().lower()}-{platform.machine()}"
TARBALL = TARGET_DIR / "dist" / f"coveo-ua-{VERSION}-{PLATFORM}.tar.gz"


def go_intree_env() -> Dict[str, str]:
    """What GO_INTREE_ENV (mk/00-vars.mk) gives the repository's own Go builds."""
    return {"CGO_LDFLAGS": f"-L{RELEASE_DIR} -Wl,-rpath,{RELEASE_DIR}"}


def render_dist_readme(text: str) -> str:
    """packaging/dist-README.md with the values packaging/dist.sh puts in
    (which also drops the check markers, kept here)."""
    return text.replace("@VERSION@", VERSION).replace("@PLATFORM@", PLATFORM)
