"""Characters that act on a terminal instead of showing: what no value groundbrief writes or prints may carry.

A topic, a document's title or a web page can hold escape sequences (``cat report.md`` would recolour
the terminal or retitle its window), other control characters, or bidi overrides that make text
read differently from what it is. ``printable`` removes them where text enters (the request, sources,
documents) and again where it leaves (the report template's filters, warnings and errors).
"""

from __future__ import annotations

import re

# Terminal escape sequences (CSI such as colours, OSC such as window titles, and the other ESC forms),
# removed whole so no "[31m" is left behind.
_ESCAPE_SEQUENCE = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x9b[0-?]*[ -/]*[@-~]|[\x1b\x9d][\]P^_X][^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?|\x1b[ -~]?")
# Control characters but line break and tab (C0, DEL, C1), and the bidi embeddings, overrides,
# isolates and marks.
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def printable(text: str) -> str:
    """``text`` without what would act on a terminal or reorder what it shows: escape sequences,
    control characters (a line break or tab stays; other spacing controls become a space) and bidi
    controls. Applied to every value written to a report or printed, and to text where it enters."""
    text = str(text)
    if _UNSAFE.search(text) is None:  # escape sequences start with a character it finds
        return text
    return _UNSAFE.sub(lambda match: " " if match[0].isspace() else "", _ESCAPE_SEQUENCE.sub("", text))


def one_line(text: str) -> str:
    """``printable`` text with its whitespace folded to single spaces: a title, a name, a topic."""
    return " ".join(printable(text).split())


def has_text(text: str) -> bool:
    """Whether ``text`` shows a letter or digit: what a name, a quote or a rationale needs to say anything."""
    return any(char.isalnum() for char in printable(text))
