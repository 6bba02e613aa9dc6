"""Library discovery, each case in a fresh interpreter with a controlled environment."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Dict, Optional

import coveo_ua

PACKAGE_DIR = Path(coveo_ua.__file__).resolve().parent
LIBRARY = coveo_ua.LIBRARY_PATH
PROBE = "import coveo_ua; print(coveo_ua.LIBRARY_PATH)"


def _run(python_path: Path, library_env: Optional[str], cwd: Path) -> "subprocess.CompletedProcess[str]":
    env: Dict[str, str] = {k: v for k, v in os.environ.items() if k != "COVEO_UA_LIBRARY"}
    env["PYTHONPATH"] = str(python_path)
    if library_env is not None:
        env["COVEO_UA_LIBRARY"] = library_env
    return subprocess.run(
        [sys.executable, "-c", PROBE],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
    )


def _copy_package(destination: Path) -> Path:
    """A copy of the installed package outside any checkout, without a bundled library."""
    target = destination / "coveo_ua"
    shutil.copytree(PACKAGE_DIR, target, ignore=shutil.ignore_patterns("__pycache__", "*.so", "*.dylib", "*.dll"))
    return target


def test_the_environment_variable_wins(tmp_path: Path) -> None:
    _copy_package(tmp_path / "pkg")
    renamed = tmp_path / "elsewhere" / "libcoveo_ua.so"
    renamed.parent.mkdir()
    shutil.copy(LIBRARY, renamed)
    run = _run(tmp_path / "pkg", str(renamed), tmp_path)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == str(renamed)


def test_a_wrong_environment_path_is_an_error_not_a_fallback(tmp_path: Path) -> None:
    _copy_package(tmp_path / "pkg")
    missing = tmp_path / "nope" / "libcoveo_ua.so"
    run = _run(tmp_path / "pkg", str(missing), tmp_path)
    assert run.returncode != 0
    assert "ImportError" in run.stderr and str(missing) in run.stderr


def test_a_bundled_copy_is_used_when_the_variable_is_unset(tmp_path: Path) -> None:
    package = _copy_package(tmp_path / "pkg")
    bundled = package / "_lib" / LIBRARY.name
    bundled.parent.mkdir(exist_ok=True)
    shutil.copy(LIBRARY, bundled)
    run = _run(tmp_path / "pkg", None, tmp_path)
    assert run.returncode == 0, run.stderr
    assert Path(run.stdout.strip()) == bundled


def test_the_build_tree_is_found_by_walking_up(tmp_path: Path) -> None:
    checkout = tmp_path / "checkout"
    (checkout / "target" / "release").mkdir(parents=True)
    shutil.copy(LIBRARY, checkout / "target" / "release" / LIBRARY.name)
    _copy_package(checkout / "bindings" / "python" / "src")
    run = _run(checkout / "bindings" / "python" / "src", None, tmp_path)
    assert run.returncode == 0, run.stderr
    assert Path(run.stdout.strip()) == checkout / "target" / "release" / LIBRARY.name


def test_nothing_found_explains_what_to_do(tmp_path: Path) -> None:
    _copy_package(tmp_path / "pkg")
    run = _run(tmp_path / "pkg", None, tmp_path)
    assert run.returncode != 0
    assert "ImportError" in run.stderr
    assert "make build" in run.stderr and "COVEO_UA_LIBRARY" in run.stderr


def _this_platforms_wheel() -> str:
    """The wheel tag docs/platforms.md gives this machine (Linux glibc here in CI)."""
    import platform

    machine = platform.machine().lower()
    if sys.platform.startswith("linux") and machine in ("x86_64", "aarch64"):
        libc = "manylinux_2_17" if platform.libc_ver()[0] == "glibc" else "musllinux_1_2"
        return f"{libc}_{machine}"
    if sys.platform == "win32":
        return "win_amd64"
    return "none"


def test_nothing_found_names_this_platform_and_its_wheel(tmp_path: Path) -> None:
    _copy_package(tmp_path / "pkg")
    run = _run(tmp_path / "pkg", None, tmp_path)
    assert run.returncode != 0
    assert f"This is {sys.platform} " in run.stderr, run.stderr
    assert f"tagged {_this_platforms_wheel()}" in run.stderr, run.stderr


def test_a_library_of_another_platform_names_this_platform_and_its_wheel(tmp_path: Path) -> None:
    # A wheel of the wrong platform forced in: the library is not loadable here.
    package = _copy_package(tmp_path / "pkg")
    bundled = package / "_lib" / LIBRARY.name
    bundled.parent.mkdir(exist_ok=True)
    bundled.write_bytes(b"\x7fELF" + bytes(60))
    run = _run(tmp_path / "pkg", None, tmp_path)
    assert run.returncode != 0
    assert "could not load" in run.stderr and str(bundled) in run.stderr, run.stderr
    assert f"tagged {_this_platforms_wheel()}" in run.stderr, run.stderr


def test_the_suite_runs_against_the_installed_package() -> None:
    # `make test-python` sets COVEO_UA_TEST_INSTALLED: then the package under
    # test must be the one pip installed into the venv, not the source tree.
    if os.environ.get("COVEO_UA_TEST_INSTALLED") == "1":
        assert PACKAGE_DIR.is_relative_to(Path(sys.prefix).resolve()), f"imported from {PACKAGE_DIR}"
        assert (PACKAGE_DIR / "py.typed").is_file(), "py.typed was not installed"
    else:
        assert (PACKAGE_DIR / "py.typed").is_file()
