"""`compile`: a block of C, C++, Python, Go or Rust must build against the
real API. A fragment (no `#include`, no `package`, no `fn main`) is first put
inside a `main` with the usual includes or imports.

- C and C++: the compiler with the project's strict flags and the real headers
  (-fsyntax-only).
- Python: compiled to bytecode, then every name it takes from coveo_ua, every
  keyword it gives Client or Queue and every method it calls on one must exist
  in the real package (imported with the release library).
- Go: `go vet` of all Go blocks at once, in a module that replaces the binding
  with this checkout's (build tag coveoua_intree, as the repository's own
  builds).
- Rust: rustc against the release build's rlib (metadata only).
"""

from __future__ import annotations

import ast
import inspect
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Dict, List

from .blocks import Block
from .env import REPO, RELEASE_DIR, go_intree_env

C_FLAGS = ["-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic"]
CXX_FLAGS = ["-std=c++17", "-Wall", "-Wextra", "-Werror", "-pedantic"]

_C_PRELUDE = "#include <coveo_ua.h>\n#include <stdio.h>\n#include <stdlib.h>\n#include <string.h>\n"
_CXX_PRELUDE = ("#include <coveo_ua.hpp>\n#include <atomic>\n#include <chrono>\n#include <cstdio>\n"
                "#include <iostream>\n#include <string>\n")
# Packages a Go fragment may use, by the name it is used under.
_GO_PACKAGES = {"context": "context", "errors": "errors", "fmt": "fmt", "json": "encoding/json", "log": "log",
                "os": "os", "slog": "log/slog", "time": "time",
                "coveoua": "github.com/coveo-ua/coveo-ua/bindings/go"}


def whole_c(block: Block) -> str:
    """The block as a translation unit: as is, or inside main()."""
    if re.search(r"^\s*#include|\bmain\s*\(", block.code, re.M):
        return block.code
    prelude = _C_PRELUDE if block.lang == "c" else _CXX_PRELUDE
    tail = "return 0;" if block.lang == "c" else ""
    return f"{prelude}\nint main({'void' if block.lang == 'c' else ''}) {{\n{block.code}{tail}\n}}\n"


def whole_go(block: Block) -> str:
    """The block as a Go file of package main: as is, or inside main()."""
    if re.search(r"^package ", block.code, re.M):
        return block.code
    used = sorted({path for name, path in _GO_PACKAGES.items() if re.search(rf"\b{name}\.", block.code)})
    imports = "".join(f'\t"{path}"\n' if not path.endswith("/go") else f'\tcoveoua "{path}"\n' for path in used)
    return f"package main\n\nimport (\n{imports})\n\nfunc main() {{\n{block.code}}}\n"


def whole_rust(block: Block) -> str:
    if "fn main" in block.code:
        return block.code
    return f"fn main() -> Result<(), Box<dyn std::error::Error>> {{\n{block.code}Ok(())\n}}\n"


def check_c(block: Block) -> str:
    """'' when the block compiles, else why not."""
    compiler = ["cc", *C_FLAGS, "-x", "c"] if block.lang == "c" else ["c++", *CXX_FLAGS, "-x", "c++"]
    run = subprocess.run([*compiler, "-fsyntax-only", "-I", str(REPO / "include"), "-"], input=whole_c(block),
                         capture_output=True, text=True, timeout=120)
    return run.stderr if run.returncode else ""


def check_rust(block: Block, scratch: Path) -> str:
    source = scratch / f"snippet_{block.line}.rs"
    source.write_text(whole_rust(block))
    run = subprocess.run(["rustc", "--edition", "2021", "--crate-type", "bin", "--emit=metadata",
                          "-o", str(scratch / f"snippet_{block.line}.rmeta"),
                          "-L", f"dependency={RELEASE_DIR / 'deps'}",
                          "--extern", f"coveo_ua={RELEASE_DIR / 'libcoveo_ua.rlib'}", str(source)],
                         capture_output=True, text=True, timeout=300)
    return run.stderr if run.returncode else ""


def check_go(blocks: List[Block]) -> Dict[str, str]:
    """go vet of every Go block, each its own package of one module: where -> why."""
    failures: Dict[str, str] = {}
    if not blocks:
        return failures
    with tempfile.TemporaryDirectory(prefix="coveo-ua-doc-go.") as tmp:
        module = Path(tmp)
        (module / "go.mod").write_text(
            "module example.com/docsnippets\n\ngo 1.22\n\n"
            "require github.com/coveo-ua/coveo-ua/bindings/go v0.0.0\n\n"
            f"replace github.com/coveo-ua/coveo-ua/bindings/go => {REPO / 'bindings/go'}\n")
        for n, block in enumerate(blocks):
            folder = module / f"snippet{n}"
            folder.mkdir()
            (folder / "main.go").write_text(whole_go(block))
        env = {**os.environ, **go_intree_env(), "GOFLAGS": "-mod=mod -tags=coveoua_intree", "GOPROXY": "off"}
        run = subprocess.run(["go", "vet", "./..."], cwd=module, env=env, capture_output=True, text=True,
                             timeout=600)
        if run.returncode:
            for n, block in enumerate(blocks):
                if f"snippet{n}/" in run.stderr or f"snippet{n}\n" in run.stderr:
                    failures[block.where] = run.stderr
            if not failures:
                failures[blocks[0].where] = run.stderr
    return failures


def check_python(block: Block) -> str:
    try:
        tree = ast.parse(block.code, filename=block.where)
    except SyntaxError as error:
        return f"not Python: {error}"
    sys.path.insert(0, str(REPO / "bindings/python/src"))
    import coveo_ua  # the release library, through COVEO_UA_LIBRARY

    problems: List[str] = []
    classes: Dict[str, type] = {}  # local name -> coveo_ua class its value is an instance of
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "coveo_ua":
            problems += [f"coveo_ua has no {a.name}" for a in node.names if not hasattr(coveo_ua, a.name)]
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "coveo_ua":
            if not hasattr(coveo_ua, node.attr):
                problems.append(f"coveo_ua has no {node.attr}")
        elif isinstance(node, ast.Call) and isinstance(node.func, (ast.Name, ast.Attribute)):
            name = node.func.id if isinstance(node.func, ast.Name) else node.func.attr
            cls = getattr(coveo_ua, name, None)
            if isinstance(cls, type) and node.keywords:
                accepted = inspect.signature(cls).parameters
                problems += [f"{name}() takes no keyword {k.arg}" for k in node.keywords
                             if k.arg is not None and k.arg not in accepted]
        # `with Client(...) as client` and `client = Client(...)` bind an instance.
        pairs = []
        if isinstance(node, ast.withitem) and isinstance(node.optional_vars, ast.Name):
            pairs.append((node.optional_vars.id, node.context_expr))
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            pairs.append((node.targets[0].id, node.value))
        for local, value in pairs:
            if isinstance(value, ast.Call) and isinstance(value.func, (ast.Name, ast.Attribute)):
                name = value.func.id if isinstance(value.func, ast.Name) else value.func.attr
                if isinstance(getattr(coveo_ua, name, None), type):
                    classes[local] = getattr(coveo_ua, name)
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in classes:
            cls = classes[node.value.id]
            if not hasattr(cls, node.attr):
                problems.append(f"{cls.__name__} has no {node.attr}")
    return "\n".join(problems)
