"""Messages quoted in the docs must be the library's, word for word.

A quote is a "..." or `...` span of the prose (outside code blocks and
generated tables). It is taken for a message when it contains a fixed piece
of a string literal of the library, the emulator or a binding (sources.py),
or when a part of it of three words or more is inside one.
Such a quote must then be found, its `...` standing for any text and a
leading code name (`UA_INVALID_ARGUMENT: `, `UA_INVALID_ARGUMENT (100): `)
set aside (`<org>` and the like stand for any text too), in one of:

1. the messages produced by calling the real library (through the Python
   binding) and the real emulator with the inputs of producers.py;
2. the fixed pieces of the literals (text that no placeholder can change),
   each part of the quote inside one;
3. a string literal of a test (a message a passing test expects).

So "timeout 0 is out of range (1 to 600000)" fails: the library says
"timeout 0 ms is out of range (1 to 600000 ms)", and no literal holds it.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Iterable, List, Optional, Set, Tuple

from .blocks import prose_of

_CODE_SPAN = re.compile(r"`([^`]*)`")
_DOUBLE_QUOTED = re.compile(r'"([^"\x00]{8,}?)"')
_CODE_PREFIX = re.compile(r"^UA_[A-Z_]+(?: \(\d+\))?: ")
# What a quote leaves open: `...`, and a placeholder such as `<org>`.
_ELLIPSIS = re.compile(r"\s*(?:\.\.\.|…|<[a-z][a-z_ -]*>)\s*")


def quotes(path: Path, text: Optional[str] = None) -> List[Tuple[int, str]]:
    """(line, quoted text) of the page's prose; a quote may run over lines
    of one paragraph."""
    out: List[Tuple[int, str]] = []
    paragraph: List[Tuple[int, str]] = []
    for number, line in [*prose_of(path, text), (0, "")]:
        if line.strip():
            paragraph.append((number, line.strip()))
            continue
        joined = ""
        starts: List[Tuple[int, int]] = []  # (offset in joined, line number)
        for n, piece in paragraph:
            starts.append((len(joined), n))
            joined += piece + " "
        # Code spans first (they pair from the left), then "..." outside them.
        found = [(m.start(), m.group(1)) for m in _CODE_SPAN.finditer(joined) if len(m.group(1)) >= 8]
        outside = _CODE_SPAN.sub(lambda m: "\x00" * len(m.group(0)), joined)
        found += [(m.start(), m.group(1)) for m in _DOUBLE_QUOTED.finditer(outside)]
        for start, quote in sorted(found):
            out.append((max(n for offset, n in starts if offset <= start), quote))
        paragraph = []
    return out


def is_message(quote: str, pieces: Set[str]) -> bool:
    """Whether the quote holds a piece of a literal, or one of its parts of
    three words or more is inside one."""
    if quote.lstrip().startswith(("{", "[")):
        return False  # a JSON shape, not a sentence
    if any(piece in quote for piece in pieces):
        return True
    long_parts = [p for p in parts(quote) if len(re.findall(r"\w+", p)) >= 3]
    return any(part in piece for part in long_parts for piece in pieces)


def parts(quote: str) -> List[str]:
    """The fixed parts of a quote, in order (its `...` cut out)."""
    return [p for p in _ELLIPSIS.split(_CODE_PREFIX.sub("", quote.strip())) if p]


def _in_order(needles: List[str], haystack: str) -> bool:
    at = 0
    for needle in needles:
        found = haystack.find(needle, at)
        if found < 0:
            return False
        at = found + len(needle)
    return True


def verified(quote: str, produced: Iterable[str], fixed: Set[str], test_literals: Iterable[str]) -> bool:
    wanted = parts(quote)
    if not wanted:
        return True
    if any(_in_order(wanted, message) for message in produced):
        return True
    if all(any(part in piece for piece in fixed) for part in wanted):
        return True
    return any(_in_order(wanted, literal) for literal in test_literals)
