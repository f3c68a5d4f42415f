"""Plain-text helpers shared by search, quote checks, analysts and gaps: sentence boundaries, lists of names."""

from __future__ import annotations

import re
from dataclasses import dataclass

# A sentence ends at . ! or ? followed by space and an upper-case letter, digit, quote or bracket, or, where
# scraping lost the space, at a stop between a word and a capitalised one ("certain promotions.Wall Street");
# not at an initial ("U.S.Steel"), an abbreviation that never ends one ("$5.32 vs. $4.95", "Mr. Ortberg") nor
# a month's before its day ("ended Nov. 4").
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"”')\]]?\s+(?=[A-Z0-9\"“'(\[$])|(?<=[a-z]{2}[.!?])(?=[A-Z][a-z]{2})")
_NEVER_ENDS = re.compile(r"\b(?:vs|Vs|Mr|Mrs|Ms|Dr)\.$")
_MONTH_BEFORE_DAY = re.compile(r"\b(?:Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)\.$")
_LONGEST_ABBREVIATION = 6  # "Sept." with the character before it, for the word boundary


@dataclass(frozen=True)
class Span:
    start: int
    end: int


def sentence_spans(text: str) -> list[Span]:
    """Sentence boundaries in ``text``; slicing ``text`` with them gives verbatim sentences."""
    spans: list[Span] = []
    for block in re.finditer(r"(?:[^\n]|(?<=,)\n(?=[^\n]))+", text):  # a line ending in a comma goes on
        start, line = block.start(), block.group()
        for boundary in _SENTENCE_END.finditer(line):
            # the few characters before the boundary, not a copy of the line up to it at every boundary
            before = max(0, boundary.start() - _LONGEST_ABBREVIATION)
            if _NEVER_ENDS.search(line, before, boundary.start()) or (
                    line[boundary.end() : boundary.end() + 1].isdigit() and _MONTH_BEFORE_DAY.search(line, before, boundary.start())):
                continue
            spans.append(Span(start, block.start() + boundary.start() + len(boundary.group().rstrip())))
            start = block.start() + boundary.end()
        spans.append(Span(start, block.end()))
    return [_trim(text, s) for s in spans if text[s.start : s.end].strip()]


def _trim(text: str, span: Span) -> Span:
    start, end = span.start, span.end
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return Span(start, end)


def join_names(names: list[str]) -> str:
    """``A``, ``A and B``, ``A, B and C``: each name once, in the order given."""
    names = list(dict.fromkeys(names))
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
