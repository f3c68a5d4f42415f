"""Reading a file the user named (draft, watchlist, requests CSV, a report's JSON): one clear error per
way it fails, and bounded work however the file is made."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from pipeline.controls import escaped
from pipeline.errors import UsageError

MAX_INPUT_BYTES = 2 * 1024 * 1024
#: How deep JSON from a file may nest. A report's JSON nests 5 levels; Python's parser recurses once
#: per level, so a file nested 1,000 deep would end in a RecursionError instead of an error message.
MAX_JSON_DEPTH = 64

# What decides JSON's nesting: brackets, and quotes and escapes (a bracket inside a string doesn't count).
_JSON_STRUCTURE = re.compile(r'[\[\]{}"]|\\.', re.DOTALL)


def read_text_file(path: Path, what: str, *, max_bytes: int = MAX_INPUT_BYTES) -> str:
    """``path`` as UTF-8 text (a BOM is dropped), or ``UsageError`` naming the file and the problem.

    ``what`` names the kind of file for messages, e.g. ``report draft`` or ``watchlist``.
    """
    if not path.exists():
        raise UsageError(f"{path}: no such file (expected a {what})")
    if not path.is_file():
        raise UsageError(f"{path}: not a file (expected a {what})")
    size = path.stat().st_size
    if size > max_bytes:
        raise UsageError(f"{path}: {size:,} bytes is too large for a {what} (the limit is {max_bytes:,})")
    try:
        data = path.read_bytes()
    except OSError as error:
        raise UsageError(f"{path}: can't be read ({error.strerror or error})") from None
    return decoded_text(data, str(path), what)


def decoded_text(data: bytes, name: str, what: str) -> str:
    """``data`` (of the file or download ``name``) as UTF-8 text, a BOM dropped; ``UsageError`` if it isn't."""
    if b"\x00" in data:
        raise UsageError(f"{name}: a binary file, not a {what}")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        text = escaped(data.splitlines()[line - 1].decode("utf-8", "surrogateescape"))
        shown = text if len(text) <= 80 else text[:77] + "..."
        raise UsageError(f"{name}: line {line} is not UTF-8 text ('{shown}'); save the {what} as UTF-8") from None


def load_json(text: str, *, max_chars: int = MAX_INPUT_BYTES, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """``text`` parsed as JSON, or ``ValueError`` saying why not. Its size and nesting are checked
    first, in one pass that doesn't recurse, so no file can make the parser exhaust the stack."""
    if len(text) > max_chars:
        raise ValueError(f"{len(text):,} characters, more than the {max_chars:,} allowed")
    depth, in_string = 0, False
    for token in _JSON_STRUCTURE.finditer(text):
        char = token[0]
        if char == '"':
            in_string = not in_string
        elif in_string or char[0] == "\\":
            continue
        elif char in "[{":
            depth += 1
            if depth > max_depth:
                raise ValueError(f"nested more than {max_depth} levels deep")
        else:
            depth -= 1
    return json.loads(text)  # a ValueError for bad JSON, and for a number too long to read
