"""Finds and loads the native library ``libcoveo_ua``.

Search order (first hit wins):

1. the path in the environment variable ``COVEO_UA_LIBRARY`` (when set, it
   must name an existing file: a wrong path is an error, not a fallback, so a
   typo never silently loads some other copy);
2. the copy shipped inside this package, ``coveo_ua/_lib/<file name>``: what
   ``pip install ./bindings/python`` (or the wheel) installs, built by cargo
   when the package was built;
3. ``target/release/<file name>`` in the nearest enclosing directory, walking
   up from this package: the source tree used in place (``PYTHONPATH`` set to
   ``bindings/python/src`` of a checkout after ``make build``).

Otherwise importing :mod:`coveo_ua` raises :class:`ImportError` that names
this platform and the wheel built for it.
"""

from __future__ import annotations

import ctypes
import os
import platform
import sys
from pathlib import Path
from typing import Optional

ENV_VAR = "COVEO_UA_LIBRARY"


def library_file_name() -> str:
    """The platform's file name of the shared library."""
    if sys.platform == "darwin":
        return "libcoveo_ua.dylib"
    if sys.platform == "win32":
        return "coveo_ua.dll"
    return "libcoveo_ua.so"


def platform_wheel_tag() -> str:
    """The platform tag of the wheel built for this machine (docs/platforms.md),
    or a description of the platform when no wheel is built for it."""
    machine = platform.machine().lower()
    if sys.platform == "win32":
        return "win_amd64" if machine in ("amd64", "x86_64") else f"none (Windows {machine})"
    if sys.platform == "darwin":
        return f"none yet (macOS {machine}: build from the sdist)"
    if sys.platform.startswith("linux") and machine in ("x86_64", "aarch64"):
        libc, _ = platform.libc_ver()
        return f"manylinux_2_17_{machine}" if libc == "glibc" else f"musllinux_1_2_{machine}"
    return f"none ({sys.platform} {machine}: build from the sdist)"


def _install_hint() -> str:
    return (
        f"This is {sys.platform} {platform.machine()}; the coveo-ua wheel for it is tagged "
        f"{platform_wheel_tag()}: install that wheel (pip picks it by itself from an index), "
        f"or the sdist, which builds the library with a Rust toolchain."
    )


def _bundled_copy() -> Path:
    return Path(__file__).resolve().parent / "_lib" / library_file_name()


def _build_tree_copy() -> Optional[Path]:
    name = library_file_name()
    for directory in Path(__file__).resolve().parents:
        candidate = directory / "target" / "release" / name
        if candidate.is_file():
            return candidate
    return None


def find_library() -> Path:
    """Returns the path of the library to load, or raises ImportError."""
    from_env = os.environ.get(ENV_VAR)
    if from_env:
        path = Path(from_env)
        if not path.is_file():
            raise ImportError(
                f"{ENV_VAR}={from_env!r} does not name an existing file. Point it at "
                f"the built library (e.g. <coveo-ua checkout>/target/release/"
                f"{library_file_name()}, made by `make build`) or unset it."
            )
        return path
    bundled = _bundled_copy()
    if bundled.is_file():
        return bundled
    built = _build_tree_copy()
    if built is not None:
        return built
    raise ImportError(
        f"coveo_ua cannot find its native library {library_file_name()}. "
        f"{_install_hint()} From a coveo-ua checkout, `pip install ./bindings/python` "
        f"builds it; or build it with `make build` (or `cargo build --release`) and set "
        f"{ENV_VAR}=/path/to/coveo-ua/target/release/{library_file_name()}."
    )


def load_library(path: Path) -> ctypes.CDLL:
    """Loads the library at `path` with ctypes.CDLL.

    CDLL (not PyDLL) releases the GIL for the whole duration of every foreign
    call, so a send blocked on the network never stops other Python threads.
    """
    try:
        return ctypes.CDLL(str(path))
    except OSError as exc:
        raise ImportError(f"coveo_ua could not load {path}: {exc}. {_install_hint()}") from exc
