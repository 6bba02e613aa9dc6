"""Builds the native library into the package, with setuptools-rust.

The Rust crate is the repository's root package (``../../Cargo.toml``, lib
``coveo_ua``); setuptools-rust runs ``cargo rustc --lib --release`` on it and
the resulting ``libcoveo_ua.so`` lands in the package as
``coveo_ua/_lib/libcoveo_ua.so``, where ``coveo_ua._library`` looks for it.
The package itself is pure Python (ctypes): the wheel works with any Python 3
but only on the platform the library was built for, so it is tagged
``py3-none-<platform>``.

Wheels for other platforms (``make python-dist``) pack what cargo already
built for them instead: ``COVEO_UA_PREBUILT_DIR`` names cargo's output folder
of one target (``target/<triple>/release``) and ``COVEO_UA_WHEEL_PLATFORM``
the wheel's platform tag (``manylinux_2_17_aarch64``, ``win_amd64``...).
Every per-platform file of the wheel (library and emulator) comes from that
one folder. The sdist carries the workspace's sources in ``crate/``.

The wheel also carries the ``ua-emulator`` binary of its platform, as
``coveo_ua/_bin/ua-emulator``, for ``coveo_ua.emulator`` and the pytest plugin
(``coveo_ua_pytest``). ``EMULATOR_BINARY`` below is the one place that names
it; ``build_py_with_emulator`` copies it from ``UA_EMULATOR_BIN`` when set (the
Makefile exports its release build there; a per-platform build points it at the
binary it built for its target), else asks cargo to build it with the
workspace's features, so the library's build is reused.

Everything else (name, version, packages) is in pyproject.toml.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
from typing import Any, Callable, Tuple

from setuptools import Distribution, setup
from setuptools.command.bdist_wheel import bdist_wheel
from setuptools.command.build_py import build_py
from setuptools.command.sdist import sdist
from setuptools_rust import Binding, RustExtension, Strip
from setuptools_rust.build import build_rust

HERE = os.path.dirname(os.path.abspath(__file__))
#: The workspace root: the checkout's, or the copy the sdist carries.
WORKSPACE = next(
    (d for d in (os.path.join(HERE, "crate"), os.path.join(HERE, "..", "..")) if os.path.isfile(os.path.join(d, "Cargo.toml"))),
    os.path.join(HERE, "..", ".."),
)
CRATE_MANIFEST = os.path.join(WORKSPACE, "Cargo.toml")
#: What of the workspace the sdist carries in crate/: enough for
#: `cargo build --release --workspace --locked` (the benches' one example
#: target is declared in Cargo.toml, so its source comes along).
SDIST_CRATE_FILES = ("Cargo.toml", "Cargo.lock", "build.rs", "src", "emulator/Cargo.toml", "emulator/src", "benches/checks.rs")

PREBUILT_DIR = os.environ.get("COVEO_UA_PREBUILT_DIR")
WHEEL_PLATFORM = os.environ.get("COVEO_UA_WHEEL_PLATFORM")
#: The library's file name on each platform family, as cargo writes it.
LIBRARY_FILE_NAMES = ("libcoveo_ua.so", "coveo_ua.dll", "libcoveo_ua.dylib")
#: The emulator binary the wheel carries, and where in the package it goes
#: (coveo_ua.emulator looks for it there).
EMULATOR_BINARY = "ua-emulator.exe" if sys.platform == "win32" else "ua-emulator"
EMULATOR_IN_PACKAGE = os.path.join("coveo_ua", "_bin", EMULATOR_BINARY)


def _library_module() -> Any:
    """coveo_ua._library, the module that looks for the library, read from its
    file: importing the package would try to load the library being built."""
    path = os.path.join(HERE, "src", "coveo_ua", "_library.py")
    spec = importlib.util.spec_from_file_location("_coveo_ua_library_for_setup", path)
    if spec is None or spec.loader is None:
        raise RuntimeError(f"coveo-ua: cannot read {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


#: The platform's file name of the library, the one coveo_ua._library looks for.
library_file_name: Callable[[], str] = _library_module().library_file_name


class build_rust_plain_library(build_rust):
    """Gives the library its plain name, not a Python extension's
    (``libcoveo_ua.cpython-311-x86_64-linux-gnu.so``): it is a C library
    loaded with ctypes, the same for every Python version."""

    def get_dylib_ext_path(self, ext: RustExtension, target_fname: str) -> str:
        path = super().get_dylib_ext_path(ext, target_fname)
        return os.path.join(os.path.dirname(path), library_file_name())

    def build_extension(self, ext, *args, **kwargs):  # type: ignore[no-untyped-def]
        # setuptools-rust pairs cargo's crate kinds with its file names by
        # position; make sure the one it picked is the shared library.
        dylib_paths, artifact_dir = super().build_extension(ext, *args, **kwargs)
        for _, path in dylib_paths:
            if os.path.basename(path) != library_file_name():
                raise RuntimeError(f"coveo-ua: cargo's shared library should be {library_file_name()}, got {path}")
        return dylib_paths, artifact_dir


def emulator_binary() -> str:
    """The path of the emulator binary to put in the package."""
    given = os.environ.get("UA_EMULATOR_BIN")
    if given:
        if not os.path.isfile(given):
            raise RuntimeError(f"coveo-ua: UA_EMULATOR_BIN={given!r} is not a file")
        return given
    # The whole workspace's features, as `make build` builds: the library's
    # dependencies are not built a second time with other features.
    command = ["cargo", "build", "--release", "--locked", "--workspace", "--bin", "ua-emulator",
               "--manifest-path", CRATE_MANIFEST, "--message-format=json-render-diagnostics"]
    output = subprocess.run(command, check=True, stdout=subprocess.PIPE, text=True).stdout
    for line in output.splitlines():
        message = json.loads(line) if line.startswith("{") else {}
        if message.get("reason") == "compiler-artifact" and message["target"]["name"] == "ua-emulator":
            if message.get("executable"):
                return str(message["executable"])
    raise RuntimeError("coveo-ua: cargo built no ua-emulator executable")


class build_py_with_emulator(build_py):
    """Copies the emulator binary into the package being built."""

    def run(self) -> None:
        super().run()
        target = os.path.join(self.build_lib, EMULATOR_IN_PACKAGE)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        shutil.copyfile(emulator_binary(), target)
        os.chmod(target, 0o755)


class bdist_wheel_any_python(bdist_wheel):
    """py3-none-<platform>: no Python ABI is involved, the platform is (the
    build machine's, or COVEO_UA_WHEEL_PLATFORM for a prebuilt folder)."""

    def get_tag(self) -> Tuple[str, str, str]:
        if WHEEL_PLATFORM:
            return "py3", "none", WHEEL_PLATFORM
        _, _, platform = super().get_tag()
        return "py3", "none", platform


def prebuilt_library(folder: str) -> str:
    """The one library cargo wrote into `folder` (a target's release folder)."""
    found = [os.path.join(folder, n) for n in LIBRARY_FILE_NAMES if os.path.isfile(os.path.join(folder, n))]
    if len(found) != 1:
        raise RuntimeError(f"coveo-ua: {folder} should hold one of {LIBRARY_FILE_NAMES}, found {found}")
    return found[0]


class PlatformDistribution(Distribution):
    """A package with a native library (not a Python extension) in it: its
    wheel is a platform wheel whose files install into platlib."""

    def has_ext_modules(self) -> bool:
        return True


class build_py_with_prebuilt(build_py):
    """Copies the prebuilt library into coveo_ua/_lib/ of the build tree, and
    the emulator of the same target into coveo_ua/_bin/ when it was built
    (the emulator is a Unix program: a Windows wheel has none)."""

    def run(self) -> None:
        super().run()
        library = prebuilt_library(str(PREBUILT_DIR))
        target = os.path.join(self.build_lib, "coveo_ua", "_lib")
        os.makedirs(target, exist_ok=True)
        shutil.copy2(library, os.path.join(target, os.path.basename(library)))
        windows = os.path.basename(library).endswith(".dll")
        emulator = os.path.join(str(PREBUILT_DIR), "ua-emulator.exe" if windows else "ua-emulator")
        if os.path.isfile(emulator):
            in_package = os.path.join(self.build_lib, "coveo_ua", "_bin", os.path.basename(emulator))
            os.makedirs(os.path.dirname(in_package), exist_ok=True)
            shutil.copyfile(emulator, in_package)
            os.chmod(in_package, 0o755)


class sdist_with_crate(sdist):
    """Carries the workspace's sources in crate/, so the sdist builds alone."""

    def make_release_tree(self, base_dir: str, files: Any) -> None:
        super().make_release_tree(base_dir, files)
        for name in SDIST_CRATE_FILES:
            source = os.path.join(WORKSPACE, name)
            target = os.path.join(base_dir, "crate", name)
            os.makedirs(os.path.dirname(target), exist_ok=True)
            if os.path.isdir(source):
                shutil.copytree(source, target)
            else:
                shutil.copy2(source, target)




def setup_from_prebuilt() -> None:
    """The wheel of another platform, from cargo's output folder for it."""
    if not WHEEL_PLATFORM:
        sys.exit("coveo-ua: COVEO_UA_PREBUILT_DIR needs COVEO_UA_WHEEL_PLATFORM (the wheel's platform tag)")
    setup(
        distclass=PlatformDistribution,
        cmdclass={"build_py": build_py_with_prebuilt, "bdist_wheel": bdist_wheel_any_python},
        zip_safe=False,
    )


def setup_from_source() -> None:
    """The library built here by cargo, from the checkout or the sdist."""
    if not os.path.isfile(CRATE_MANIFEST):
        sys.exit(
            f"coveo-ua: {os.path.normpath(CRATE_MANIFEST)} not found. The Python package "
            "builds the library from the coveo-ua repository it lives in, or from the "
            "sdist: install it from a checkout (pip install ./bindings/python), the "
            "sdist or a built wheel."
        )
    setup(
        rust_extensions=[
            RustExtension(
                "coveo_ua._lib.libcoveo_ua",
                path=CRATE_MANIFEST,
                binding=Binding.NoBinding,
                # The crate types of Cargo.toml, passed explicitly: otherwise
                # setuptools-rust asks for a cdylib alone, which cargo treats as
                # another build of the library. With the same crate types, profile
                # and features, a release build made by `make build` (same target
                # folder, CARGO_TARGET_DIR included) is reused as it is.
                args=["--crate-type", "cdylib,staticlib,rlib"],
                cargo_manifest_args=["--locked"],
                # Local symbols only; the exported ua_* functions stay.
                strip=Strip.All,
            )
        ],
        cmdclass={
            "build_rust": build_rust_plain_library,
            "build_py": build_py_with_emulator,
            "bdist_wheel": bdist_wheel_any_python,
            "sdist": sdist_with_crate,
        },
        zip_safe=False,
    )


if PREBUILT_DIR:
    setup_from_prebuilt()
else:
    setup_from_source()
