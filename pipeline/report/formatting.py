"""How values look in a report: dates as the example writes them, and text made safe for markdown.

Text from documents or the web is data. ``inline`` turns any string into markdown that renders as
exactly that text on one line: it cannot open emphasis, links, HTML or math, and cannot end the
list item it sits in. ``unescape_inline`` undoes it for tools that read reports back.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from urllib.parse import quote

from pipeline.controls import printable
from pipeline.models import is_safe_link

_SPECIAL = re.compile(r"([\\`*_\[\]<>$|~&#])")
_BLOCK_START = re.compile(r"^(\s*)([-+=>]|\d+[.)])")
_ESCAPED = re.compile(r"\\([!-/:-@\[-`{-~])")


def format_date(day: date) -> str:
    """``May 28, 2025``."""
    return f"{day:%B} {day.day}, {day.year}"


def format_timestamp(moment: datetime) -> str:
    """``Wednesday, August 27, 2025 at 11:58:35 AM``, the example's Generated line."""
    hour = moment.hour % 12 or 12
    return f"{moment:%A}, {format_date(moment)} at {hour}:{moment:%M:%S} {'AM' if moment.hour < 12 else 'PM'}"


def inline(text: str) -> str:
    """One line of literal markdown text: whitespace folded, markdown and HTML characters escaped,
    control and bidi characters removed."""
    return _SPECIAL.sub(r"\\\1", " ".join(printable(text).split()))


def paragraph(text: str) -> str:
    """Like ``inline``, and a paragraph can't turn into a heading, list or quote by how it starts."""
    def escape_marker(match: re.Match) -> str:
        marker = match.group(2)
        return match.group(1) + marker[:-1] + "\\" + marker[-1]

    return _BLOCK_START.sub(escape_marker, inline(text), count=1)


def unescape_inline(text: str) -> str:
    return _ESCAPED.sub(r"\1", text)


def safe_url(url: str) -> str:
    """A link target that can't break out of ``(...)`` or run script; unsafe schemes become ``#``."""
    if not is_safe_link(url):
        return "#"
    return quote(url, safe=":/?#@!$&'*+,;=%~-._")
