"""Finding a model's quote in the source text, so a snippet shown in quotes is verbatim.

Models paraphrase, straighten or curl quotes, and re-flow whitespace. ``locate_quote`` returns
the source's own text for the quote: an exact match after normalising quotes and whitespace,
else the run of whole source sentences most similar to it (rapidfuzz) if it is close enough,
else ``None``: the caller then shows the quote as the model's statement, marked unverified.
"""

from __future__ import annotations

import re

from pipeline.text import sentence_spans

MIN_SIMILARITY = 90.0
_QUOTES = str.maketrans({"“": '"', "”": '"', "„": '"', "‘": "'", "’": "'", "‚": "'", "–": "-", "—": "-"})


def _normalise(text: str) -> tuple[str, list[int]]:
    """Text with quotes straightened and whitespace runs folded to one space, and for each
    character of the result its offset in the original."""
    chars: list[str] = []
    offsets: list[int] = []
    for index, char in enumerate(text.translate(_QUOTES)):
        if char.isspace():
            if chars and chars[-1] == " ":
                continue
            char = " "
        chars.append(char)
        offsets.append(index)
    return "".join(chars), offsets


def locate_quote(quote: str, source_text: str) -> str | None:
    """The verbatim span of ``source_text`` that ``quote`` reproduces, or ``None``."""
    wanted = _normalise(quote.strip().strip('"').strip())[0].strip()
    if len(wanted) < 12:
        return None
    haystack, offsets = _normalise(source_text)
    position = haystack.find(wanted)
    if position >= 0:
        return source_text[offsets[position] : offsets[position + len(wanted) - 1] + 1]
    return _closest_sentences(wanted, source_text)


def _closest_sentences(wanted: str, source_text: str) -> str | None:
    from rapidfuzz import fuzz

    spans = sentence_spans(source_text)
    best, best_score = None, 0.0
    sentence_count = max(1, len(re.findall(r"[.!?](?:\s|$)", wanted)))
    for size in {sentence_count, sentence_count + 1}:
        for start in range(len(spans) - size + 1):
            candidate = source_text[spans[start].start : spans[start + size - 1].end]
            score = fuzz.ratio(wanted, _normalise(candidate)[0])
            if score > best_score:
                best, best_score = candidate, score
    return best if best_score >= MIN_SIMILARITY else None
