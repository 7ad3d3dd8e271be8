"""The curl commands the docs tell a reader to run, pointed at a test stack.

Why: a documented command that fails when followed (a path without `/v1`, a missing API
key) is worse than none. The commands are taken from fenced blocks and inline code spans;
pipes into other tools (`| jq .`, `| grep`) and comments are dropped, the documented hosts
and `$VARIABLES` are replaced by the test stack's.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

ROOT = Path(__file__).parents[1]


def documents() -> list[Path]:
    """The documents whose curl lines must work against a local stack."""
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")), ROOT / "deploy/README.md"]


_INLINE = re.compile(r"`(curl [^`]+)`")
_VARIABLE = re.compile(r"\$\{?([A-Z_][A-Z0-9_]*)\}?")


def curl_commands(markdown: str) -> list[str]:
    """Every curl command of `markdown`: inline `curl ...` spans and lines of fenced blocks
    (with their `\\` continuations), as written."""
    found: list[str] = []
    fenced = False
    pending = ""
    for line in markdown.splitlines():
        if line.lstrip().startswith("```"):
            fenced, pending = not fenced, ""
            continue
        if not fenced:
            found += _INLINE.findall(line)
            continue
        text = pending + line.strip()
        if text.endswith("\\"):
            pending = text[:-1].rstrip() + " "
            continue
        pending = ""
        # A body read from a pipe (`--data @-`) needs the command before the pipe: not run.
        if text.startswith("curl ") and "@-" not in text.split():
            found.append(text)
    return found


def localized(command: str, replacements: dict[str, str], variables: dict[str, str]) -> list[str]:
    """`command` as curl arguments for the test stack: no pipe, no comment, no `-o FILE`,
    documented `host:port`s and `<agreement>` replaced, `$VARIABLES` expanded (an unknown one
    is a KeyError: the test must know what every documented variable stands for)."""
    words = shlex.split(command, comments=True)
    if "|" in words:
        words = words[: words.index("|")]
    args: list[str] = []
    skip = False
    for word in words[1:]:
        if skip or word in ("-o", "--output"):
            skip = not skip
            continue
        for documented, local in replacements.items():
            word = word.replace(documented, local)
        args.append(_VARIABLE.sub(lambda m: variables[m.group(1)], word))
    return args
