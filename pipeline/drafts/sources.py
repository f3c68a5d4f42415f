"""Which listed sources a finding's Source line names: ``Business Wire, Cerebras.ai`` against links.

A finding names its sources by publisher or site (``Business Wire``, ``Groq.com (Case Studies)``);
Sources Referenced lists links. A name matches a source when, ignoring case and punctuation, it
equals the source's publisher, link text, domain, or the domain's main label (``businesswire``).
"""

from __future__ import annotations

import re

from pipeline.models import Source

_PARENTHESES = re.compile(r"\([^()]*\)")


def source_names(label: str) -> list[str]:
    """The names in a Source line, split at commas outside parentheses (a lone ``(`` opens nothing:
    a file may be called ``notes (draft.md``)."""
    opened: list[int] = []
    paired: set[int] = set()
    for index, char in enumerate(label):
        if char == "(":
            opened.append(index)
        elif char == ")" and opened:
            paired.update((opened.pop(), index))
    names: list[str] = []
    current: list[str] = []
    depth = 0
    for index, char in enumerate(label):
        if index in paired:
            depth += 1 if char == "(" else -1
        if char == "," and depth == 0:
            names.append("".join(current))
            current = []
        else:
            current.append(char)
    names.append("".join(current))
    return [name.strip() for name in names if name.strip()]


class SourceIndex:
    """The listed sources by every name they answer to, built once for a draft, so that matching each
    finding's Source line takes time that doesn't grow with how many sources are listed."""

    #: Neighbouring pieces of a Source line tried as one name (``Smith, Jones & Co`` is three).
    MAX_PIECES = 6

    def __init__(self, sources: list[Source]):
        self._by_name: dict[str, list[tuple[int, Source]]] = {}
        for position, source in enumerate(sources):
            for variant in _source_variants(source):
                self._by_name.setdefault(variant, []).append((position, source))

    def unmatched(self, label: str) -> list[str]:
        """The names in ``label`` that no listed source answers to."""
        return [name for name, named in self._named(label) if not named]

    def named(self, label: str) -> list[Source]:
        """The listed sources that the names in ``label`` refer to, in the order they are named."""
        found = [source for _, named in self._named(label) for source in named]
        return list({source.url: source for source in reversed(found)}.values())[::-1]

    def _named(self, label: str) -> list[tuple[str, list[Source]]]:
        """Each name in ``label`` with the sources it answers to. Neighbouring pieces that together
        answer to a source are one name: a publisher may have a comma in it (``Smith, Jones & Co``)."""
        pieces = source_names(label)
        found: list[tuple[str, list[Source]]] = []
        start = 0
        while start < len(pieces):
            for end in range(min(len(pieces), start + self.MAX_PIECES), start, -1):
                name = ", ".join(pieces[start:end])
                named = self._answering(name)
                if named:
                    break
            if not named and "," in name:  # parentheses paired across two names: "Acme (, ) Beta" is "Acme (" and ") Beta"
                pieces[start:end] = [piece.strip() for piece in name.split(",") if piece.strip()]
                continue
            found.append((name, named))
            start = end
        return found

    def _answering(self, name: str) -> list[Source]:
        """The sources ``name`` answers to, in the order they are listed."""
        hits = {position: source for variant in _variants(name) for position, source in self._by_name.get(variant, [])}
        return [hits[position] for position in sorted(hits)]


def named_sources(label: str, sources: list[Source]) -> list[Source]:
    """The sources in ``sources`` that the names in ``label`` refer to, in the order they are named."""
    return SourceIndex(sources).named(label)


def _key(text: str) -> str:
    """Letters and digits, case-free; a name without any (a file called ``(!)``) is its own key, less the
    commas a Source line splits names at (a file called ``,퟼`` is named ``퟼`` there)."""
    return re.sub(r"[\W_]+", "", text.casefold()) or " ".join(text.casefold().split()).strip(", ")


def _variants(name: str) -> set[str]:
    return {key for key in (_key(name), _key(_PARENTHESES.sub("", name))) if key}


def _source_variants(source: Source) -> set[str]:
    found = set()
    for text in (source.publisher, source.label, source.domain):
        if text:
            found |= _variants(text)
            host = text.lower().removeprefix("www.").split("/")[0].split(".")
            if len(host) >= 2:
                found.add(_key(host[-2]))
    return found - {""}
