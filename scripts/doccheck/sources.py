"""The string literals of the library, the emulator and the bindings: what
tells a quote in the docs that it quotes one of their messages.

Literals are cut at format placeholders ({...}, %s, {!r}...) and at line
breaks into segments; literals joined with `+` (Go, Python) or split with a
backslash-newline (Rust) are put back together first. Python docstrings are
not messages and are left out.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Iterable, List, Set

from .env import REPO

# Where messages a user can see are written.
MESSAGE_SOURCES = ["src/**/*.rs", "emulator/src/**/*.rs", "bindings/python/src/**/*.py", "bindings/go/*.go",
                   "include/coveo_ua.hpp"]
# Where tests write the messages they expect (a quote found there was seen
# by a test that passes).
TEST_SOURCES = ["tests/**/*.rs", "tests/**/*.c", "tests/**/*.cpp", "emulator/tests/**/*.rs",
                "bindings/python/tests/*.py", "bindings/go/*_test.go"]

_PLACEHOLDER = re.compile(r"\{[^{}]*\}|%[-+ #0-9.]*[a-zA-Z]")
_C_LIKE_LITERAL = re.compile(r'"((?:[^"\\\n]|\\.)*)"')


def _files(patterns: Iterable[str], tests: bool) -> List[Path]:
    found = sorted({p for pattern in patterns for p in REPO.glob(pattern)})
    return [p for p in found if tests or not p.name.endswith("_test.go")]


def _python_literals(text: str) -> List[str]:
    tree = ast.parse(text)
    docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                  if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
                  and node.body and isinstance(node.body[0], ast.Expr)
                  and isinstance(node.body[0].value, ast.Constant)}
    out: List[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
            out.append(node.value)
        elif isinstance(node, ast.JoinedStr):  # an f-string: its fixed parts, a placeholder between
            out.append("{}".join(v.value if isinstance(v, ast.Constant) else "" for v in node.values))
    return out


def _c_like_literals(text: str) -> List[str]:
    text = re.sub(r"\\\n\s*", "", text)  # Rust's backslash-newline inside a literal
    text = re.sub(r'"\s*\+\s*"', "", text)  # "a" + "b" (Go)
    text = re.sub(r'"\s*\n\s*"', "", text)  # "a" "b" (C, C++)
    return [m.group(1).replace('\\"', '"').replace("\\n", "\n").replace("\\'", "'") for m in
            _C_LIKE_LITERAL.finditer(text)]


def literals(tests: bool = False) -> List[str]:
    """Every string literal of the message sources (or of the tests)."""
    out: List[str] = []
    for path in _files(TEST_SOURCES if tests else MESSAGE_SOURCES, tests):
        text = path.read_text()
        out += _python_literals(text) if path.suffix == ".py" else _c_like_literals(text)
    return out


def segments(texts: Iterable[str], shortest: int = 12) -> Set[str]:
    """The fixed pieces of the literals; by default those worth recognising a
    message by: 3 words or more, 12 characters or more."""
    out: Set[str] = set()
    for text in texts:
        for piece in _PLACEHOLDER.split(text):
            for line in piece.split("\n"):
                line = line.strip()
                if len(line) >= shortest and (shortest < 12 or len(re.findall(r"\w+", line)) >= 3):
                    out.add(line)
    return out
