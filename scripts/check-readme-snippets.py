#!/usr/bin/env python3
"""Compiles the C, C++ and Python snippets of README.md, so the page users copy
from cannot drift from the API. C and C++ are checked with the real headers
(-fsyntax-only, warnings as errors); Python is compiled to bytecode."""

import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COMPILERS = {
    "c": ["cc", "-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic", "-fsyntax-only", "-x", "c"],
    "cpp": ["c++", "-std=c++17", "-Wall", "-Wextra", "-Werror", "-pedantic", "-fsyntax-only", "-x", "c++"],
}


def main() -> int:
    text = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```(\w+)\n(.*?)```", text, flags=re.S)
    checked = {"c": 0, "cpp": 0, "python": 0}
    failed = 0
    for lang, code in blocks:
        if lang in COMPILERS:
            with tempfile.NamedTemporaryFile("w", suffix="." + lang) as f:
                f.write(code)
                f.flush()
                cmd = COMPILERS[lang] + ["-I", str(ROOT / "include"), f.name]
                run = subprocess.run(cmd, capture_output=True, text=True)
            if run.returncode != 0:
                failed += 1
                print(f"README {lang} snippet does not compile:\n{run.stderr}", file=sys.stderr)
            checked[lang] += 1
        elif lang == "python":
            try:
                compile(code, "README.md python snippet", "exec")
            except SyntaxError as error:
                failed += 1
                print(f"README python snippet: {error}", file=sys.stderr)
            checked[lang] += 1
    missing = [lang for lang, n in checked.items() if n == 0]
    if missing:
        print(f"README has no {', '.join(missing)} snippet to check", file=sys.stderr)
        failed += 1
    print(f"readme snippets: {sum(checked.values())} checked; {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
