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
    """The names in a Source line, split at commas outside parentheses."""
    names, depth, current = [], 0, []
    for char in label:
        depth += (char == "(") - (char == ")")
        if char == "," and depth <= 0:
            names.append("".join(current))
            current = []
        else:
            current.append(char)
    names.append("".join(current))
    return [name.strip() for name in names if name.strip()]


def names(name: str, source: Source) -> bool:
    return bool(_variants(name) & _source_variants(source))


def unmatched_names(label: str, sources: list[Source]) -> list[str]:
    """The names in ``label`` that no source in ``sources`` answers to."""
    return [name for name in source_names(label) if not any(names(name, source) for source in sources)]


def named_sources(label: str, sources: list[Source]) -> list[Source]:
    """The sources in ``sources`` that the names in ``label`` refer to, in the order they are named."""
    found = [source for name in source_names(label) for source in sources if names(name, source)]
    return list({source.url: source for source in reversed(found)}.values())[::-1]


def _key(text: str) -> str:
    return re.sub(r"[\W_]+", "", text.casefold())


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
