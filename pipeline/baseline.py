"""How groundbrief recognises its own text in a report an editor may have changed.

The renderer stores these digests in every report's hidden metadata; ``groundbrief refresh``
compares them with the draft to tell an editor's changes (kept) from generated text (regenerated).

A key identifies a claim by its snippet, ignoring what editors' tools change without meaning to
(case, whitespace, curly quotes); a digest fingerprints a generated section so any edit shows.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from typing import Generic, TypeVar

from pipeline.controls import printable
from pipeline.models import Baseline, Gap, Report

_CURLY = str.maketrans({"“": '"', "”": '"', "„": '"', "‘": "'", "’": "'", "‚": "'"})
T = TypeVar("T")
_SAME_CLAIM = 90  # rapidfuzz ratio at which two snippets are one claim, lightly edited
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")


def fold(text: str) -> str:
    """Whitespace folded to single spaces, as the renderer writes every value."""
    return " ".join(text.split())


def claim_text(snippet: str) -> str:
    """A snippet as compared across versions: folded, case-free, straight quotes."""
    return fold(printable(snippet).translate(_CURLY)).casefold()


def finding_key(snippet: str) -> str:
    return _digest(claim_text(snippet))


def same_claim(a: str, b: str) -> bool:
    """Whether two snippets state the same claim: equal, or one is a light edit of the other with the
    same figures (revenue of $136m and of $212m are two claims, however alike the sentences)."""
    return _same_claim_text(claim_text(a), claim_text(b))


def _same_claim_text(a: str, b: str) -> bool:
    from rapidfuzz import fuzz  # imported here: rendering imports this module and needs no fuzzy matching

    return a == b or (_NUMBER.findall(a) == _NUMBER.findall(b) and fuzz.ratio(a, b) >= _SAME_CLAIM)


class ClaimIndex(Generic[T]):
    """The claims of a long list, so that finding the earlier claim a snippet repeats takes time that
    doesn't grow with the list (``groundbrief check`` on a draft of thousands of findings).

    A repeat is found by its key at once. A light edit (``same_claim``) is looked for among the
    earlier claims that state the same figures and share a pair of neighbouring words with it, rarest
    pairs first, comparing at most ``MAX_CANDIDATES``: among thousands of look-alikes a light edit may
    go unnoticed, but a different claim is never reported as a repeat.
    """

    MAX_CANDIDATES = 32

    def __init__(self) -> None:
        self._by_text: dict[str, tuple[int, T]] = {}
        self._by_anchor: dict[tuple[str, ...], list[tuple[int, str, T]]] = {}

    def add(self, snippet: str, item: T) -> T | None:
        """Record ``item`` under ``snippet``; return the first earlier item stating the same claim."""
        text = claim_text(snippet)
        anchors = _anchors(text)
        earlier = self._earlier(text, anchors)
        position = len(self._by_text)
        self._by_text.setdefault(text, (position, item))
        for anchor in anchors:
            self._by_anchor.setdefault(anchor, []).append((position, text, item))
        return earlier

    def _earlier(self, text: str, anchors: set[tuple[str, ...]]) -> T | None:
        from rapidfuzz import fuzz

        if text in self._by_text:
            return self._by_text[text][1]
        postings = sorted((self._by_anchor[anchor] for anchor in anchors if anchor in self._by_anchor), key=len)
        compared: set[int] = set()
        matches = []
        for position, other, item in (entry for posting in postings for entry in posting):
            if len(compared) == self.MAX_CANDIDATES:
                break
            if position not in compared:
                compared.add(position)
                if fuzz.ratio(other, text, score_cutoff=_SAME_CLAIM):  # the anchor holds the figures: they are the same
                    matches.append((position, item))
        return min(matches, key=lambda match: match[0])[1] if matches else None


def _anchors(text: str) -> set[tuple[str, ...]]:
    """The figures a claim states (all of them, so two claims sharing an anchor state the same ones)
    with each pair of its neighbouring words: a light edit keeps most pairs."""
    figures = " ".join(_NUMBER.findall(text))
    words = text.split()
    return {(figures, *words[i : i + 2]) for i in range(max(1, len(words) - 1))}


def distinct_claims(items: list[T], snippet_of: Callable[[T], str]) -> list[T]:
    """The items whose snippet states a claim no earlier item states: a report never lists one twice,
    so ``groundbrief check`` passes every report the tool writes."""
    kept: list[T] = []
    for item in items:
        if not any(same_claim(snippet_of(earlier), snippet_of(item)) for earlier in kept):
            kept.append(item)
    return kept


def take_match(snippet: str, candidates: list[T], snippet_of: Callable[[T], str]) -> T | None:
    """Remove and return the candidate stating the same claim: the same key first, then a light edit."""
    key = finding_key(snippet)
    match = next((c for c in candidates if finding_key(snippet_of(c)) == key), None)
    if match is None:
        match = next((c for c in candidates if same_claim(snippet_of(c), snippet)), None)
    if match is not None:
        candidates.remove(match)
    return match


def analysis_digest(paragraphs: list[str]) -> str:
    return _digest([fold(p) for p in paragraphs])


def gaps_digest(gaps: list[Gap]) -> str:
    return _digest([[fold(g.title), fold(g.text)] for g in gaps])


def baseline_of(report: Report) -> Baseline:
    """The baseline a refreshed report carries; a generated report's is its own content."""
    if report.baseline is not None:
        return report.baseline
    return Baseline(
        analysis=analysis_digest(report.analysis),
        gaps=gaps_digest(report.gaps),
        findings=list(dict.fromkeys(finding_key(f.snippet) for f in report.findings)),
    )


def _digest(value: object) -> str:
    return hashlib.sha256(json.dumps(value, ensure_ascii=False).encode()).hexdigest()[:16]
