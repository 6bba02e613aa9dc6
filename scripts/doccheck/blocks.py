"""The fenced code blocks of the user-facing pages and what each says about
how it is checked.

A block is checked the default way for its language (see DEFAULT_MODE), or as
an HTML comment on the line just before its opening fence says:

    <!-- check: MODE [NAME=VALUE ...] [-- free text] -->

The comment is invisible once the page is rendered. Values may be quoted
(shell rules). `skip` needs the free text: the reason the block cannot run.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Iterator, List, Optional

# How a block is checked when no comment says otherwise. A language missing
# here has no default: its blocks must carry a comment.
DEFAULT_MODE = {"c": "compile", "cpp": "compile", "python": "compile", "go": "compile",
                "rust": "compile", "cmake": "cmake", "json": "json"}

MODES = {"compile", "run", "cmake", "json", "output", "skip"}

_FENCE = re.compile(r"^(?P<indent> *)```(?P<lang>[\w+-]*)\s*$")
_MARKER = re.compile(r"^\s*<!--\s*check:(?P<body>.*?)-->\s*$")
_GENERATED = re.compile(r"<!-- (BEGIN|END) generated")


@dataclass
class Block:
    """One fenced block: where it is, its language, its text and its marker."""

    path: Path
    line: int  # of the opening fence, from 1
    lang: str
    code: str
    mode: str = ""
    options: Dict[str, str] = field(default_factory=dict)
    note: str = ""  # the free text after `--`

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}"


class MarkerError(ValueError):
    """A marker that cannot be understood; the message says where."""


def parse_marker(text: str, where: str) -> tuple[str, Dict[str, str], str]:
    """(mode, options, note) of a marker's body."""
    body, _, note = text.partition(" -- ")
    try:
        words = shlex.split(body)
    except ValueError as error:
        raise MarkerError(f"{where}: unreadable marker ({error})") from None
    if not words or words[0] not in MODES:
        raise MarkerError(f"{where}: the marker must start with one of {sorted(MODES)}")
    options: Dict[str, str] = {}
    for word in words[1:]:
        name, eq, value = word.partition("=")
        options[name] = value if eq else "yes"
    return words[0], options, note.strip()


def blocks_of(path: Path, text: Optional[str] = None) -> Iterator[Block]:
    """The blocks of one page (text: the page's text, if not the file's)."""
    lines = (path.read_text() if text is None else text).splitlines()
    i = 0
    while i < len(lines):
        fence = _FENCE.match(lines[i])
        if not fence:
            i += 1
            continue
        indent = fence.group("indent")
        end = i + 1
        while end < len(lines) and lines[end].strip() != "```":
            end += 1
        if end == len(lines):
            raise MarkerError(f"{path}:{i + 1}: a code block is never closed")
        code = "\n".join(line[len(indent):] if line.startswith(indent) else line for line in lines[i + 1:end])
        block = Block(path, i + 1, fence.group("lang"), code + "\n")
        marker = _MARKER.match(lines[i - 1]) if i > 0 else None
        if marker:
            block.mode, block.options, block.note = parse_marker(marker.group("body"), block.where)
        else:
            block.mode = DEFAULT_MODE.get(block.lang, "")
        yield block
        i = end + 1


def prose_of(path: Path, text: Optional[str] = None) -> List[tuple[int, str]]:
    """The page's lines outside code blocks, generated tables and check
    markers, numbered."""
    out: List[tuple[int, str]] = []
    in_code = in_generated = False
    for number, line in enumerate((path.read_text() if text is None else text).splitlines(), 1):
        if _FENCE.match(line) or (in_code and line.strip() == "```"):
            in_code = not in_code
            continue
        if _GENERATED.search(line):
            in_generated = line.lstrip().startswith("<!-- BEGIN")
            continue
        if not in_code and not in_generated and not _MARKER.match(line):
            out.append((number, line))
    return out
