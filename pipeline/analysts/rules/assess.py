"""Rule-based assessment: pick claim-bearing snippets and rate impact and consensus from signals.

Impact counts explicit signals: a quantified claim, a direct comparison with the focus company,
commercial traction (customers, deals, revenue), recency, and a primary source. Consensus counts
the independent publishers among the retrieved evidence that carry the same figures (or, for a
claim without figures, a near-identical statement). Every rationale names its signals.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pipeline.analysts.rules import signals
from pipeline.analysts.rules.expand import Entities, find_entities
from pipeline.formatting import format_date
from pipeline.models import Consensus, Evidence, Finding, Impact, ResearchRequest, SearchResults, Source

MAX_FINDINGS = 6
RECENT_DAYS = 90
MIN_SNIPPET_CHARS = 40
MAX_SNIPPET_CHARS = 420
_SIMILAR_STATEMENT = 85  # rapidfuzz token_set_ratio at which two sentences state the same thing


@dataclass
class Candidate:
    """A claim-bearing snippet from one passage, with the signals read from it."""

    snippet: str
    evidence: Evidence
    entities: list[str]
    figures: list[str]
    signals: list[str] = field(default_factory=list)
    score: int = 0
    corroborators: list[Source] = field(default_factory=list)

    @property
    def document(self) -> tuple[str, str]:
        return self.evidence.source.url, self.evidence.source.title


def assess(request: ResearchRequest, results: SearchResults) -> list[Finding]:
    entities = find_entities(request)
    passages = _unique_passages(results.evidence)
    candidates = _dedupe(c for ev in passages for c in _candidates(ev, entities))
    for candidate in candidates:
        _rate(candidate, request, entities)
        candidate.corroborators = _corroborators(candidate, passages)
    publishers = len({ev.source.publisher_key for ev in passages})
    chosen = _select(candidates, entities)
    chosen.sort(key=lambda c: -c.score)
    return [_finding(c, publishers) for c in chosen]


def _unique_passages(evidence: list[Evidence]) -> list[Evidence]:
    seen: dict[tuple[str, str], Evidence] = {}
    for item in evidence:
        seen.setdefault((item.source.url + item.source.title, item.text), item)
    return list(seen.values())


def _candidates(evidence: Evidence, entities: Entities) -> list[Candidate]:
    text = evidence.text
    spans = signals.sentence_spans(text)
    passage_entities = [e for e in entities.all if signals.mentions(text, e)]
    found: list[Candidate] = []
    for i, span in enumerate(spans):
        sentence = text[span.start : span.end]
        if not _is_claim(sentence):
            continue
        end = span.end
        following = spans[i + 1] if i + 1 < len(spans) else None
        if (
            following is not None
            and "\n" not in text[span.end : following.start]
            and following.end - span.start <= MAX_SNIPPET_CHARS
            and _is_claim(text[following.start : following.end])
            and signals.figures(text[following.start : following.end])
        ):
            end = following.end
        snippet = text[span.start : end]
        named = [e for e in entities.all if signals.mentions(snippet, e)] or passage_entities
        found.append(Candidate(snippet, evidence, named, signals.figures(snippet)))
    return found


def _is_claim(sentence: str) -> bool:
    """A standalone statement (not a heading or question) that carries a figure, comparison or deal."""
    stripped = sentence.strip()
    if not MIN_SNIPPET_CHARS <= len(stripped) <= MAX_SNIPPET_CHARS or stripped.endswith("?"):
        return False
    if stripped[-1] not in ".!\"”')":
        return False
    return bool(signals.figures(stripped) or signals.comparison_words(stripped) or signals.commercial_words(stripped))


def _dedupe(candidates) -> list[Candidate]:
    unique: dict[str, Candidate] = {}
    for candidate in candidates:
        unique.setdefault(" ".join(candidate.snippet.split()), candidate)
    return list(unique.values())


def _rate(candidate: Candidate, request: ResearchRequest, entities: Entities) -> None:
    snippet, source = candidate.snippet, candidate.evidence.source
    if candidate.figures:
        candidate.signals.append(f"quantified claim ({', '.join(candidate.figures[:3])})")
    compared = signals.comparison_words(snippet)
    if entities.focus and signals.mentions(snippet, entities.focus) and compared:
        candidate.signals.append(f"direct comparison with {entities.focus} ({', '.join(compared[:2])})")
    commercial = signals.commercial_words(snippet)
    if commercial:
        candidate.signals.append(f"commercial traction ({', '.join(commercial[:3])})")
    if source.published and (request.as_of - source.published).days <= RECENT_DAYS:
        age = (request.as_of - source.published).days
        candidate.signals.append(f"recent ({format_date(source.published)}, {age} days before the as-of date)")
    if _is_primary(source, candidate.entities):
        candidate.signals.append(f"primary source ({source.publisher or source.domain})")
    candidate.score = len(candidate.signals)


def _is_primary(source: Source, entities: list[str]) -> bool:
    """Company's own channel, a press wire or a regulatory filing, rather than commentary about it."""
    publisher = (source.publisher or "").lower()
    if publisher in signals.WIRE_SERVICES or source.domain in signals.PRIMARY_DOMAINS:
        return True
    return any(e.lower() in publisher or source.domain.startswith(e.lower() + ".") for e in entities)


def _corroborators(candidate: Candidate, passages: list[Evidence]) -> list[Source]:
    """Sources from other publishers that carry the same figures (or the same statement)."""
    own = candidate.evidence.source.publisher_key
    keys = {signals.figure_key(f) for f in candidate.figures if _is_distinctive(f)}
    found: dict[str, Source] = {}
    for evidence in passages:
        publisher = evidence.source.publisher_key
        if publisher == own or publisher in found:
            continue
        if candidate.entities and not any(signals.mentions(evidence.text, e) for e in candidate.entities):
            continue
        if keys:
            shared = keys & {signals.figure_key(f) for f in signals.figures(evidence.text)}
            if len(shared) >= min(2, len(keys)) or any(_digits(key) >= 3 for key in shared):
                found[publisher] = evidence.source
        elif _states_same(candidate.snippet, evidence.text):
            found[publisher] = evidence.source
    return list(found.values())


def _digits(text: str) -> int:
    return sum(ch.isdigit() for ch in text)


def _is_distinctive(figure: str) -> bool:
    """Figures specific enough that a match means the same fact (``2,522``, ``$4.8 billion``), not ``10x``."""
    digits = _digits(figure)
    return digits >= 3 or (digits >= 2 and not figure[-1].isdigit() and not figure.lower().endswith("x"))


def _states_same(snippet: str, text: str) -> bool:
    from rapidfuzz import fuzz

    return any(
        fuzz.token_set_ratio(snippet, text[s.start : s.end]) >= _SIMILAR_STATEMENT
        for s in signals.sentence_spans(text)
    )


def _select(candidates: list[Candidate], entities: Entities) -> list[Candidate]:
    """The strongest claims, one per document, making sure each named company is represented."""
    ranked = sorted(
        candidates, key=lambda c: (-c.score, -len(c.corroborators), -len(c.figures), -c.evidence.score)
    )
    chosen: list[Candidate] = []
    documents: set[tuple[str, str]] = set()

    def take(candidate: Candidate) -> None:
        chosen.append(candidate)
        documents.add(candidate.document)

    for entity in entities.all:
        best = next((c for c in ranked if entity in c.entities and c.document not in documents), None)
        if best is not None and best.score >= 2 and len(chosen) < MAX_FINDINGS:
            take(best)
    for candidate in ranked:
        if len(chosen) >= MAX_FINDINGS:
            break
        if candidate not in chosen and candidate.document not in documents:
            take(candidate)
    return chosen


def _finding(candidate: Candidate, publishers: int) -> Finding:
    source = candidate.evidence.source
    impact = Impact.HIGH if candidate.score >= 3 else Impact.MEDIUM if candidate.score == 2 else Impact.LOW
    sources = [source, *candidate.corroborators]
    consensus, consensus_rationale = _consensus(source, candidate.corroborators, publishers)
    return Finding(
        snippet=candidate.snippet,
        date_label=format_date(source.published) if source.published
        else "Undated (the source document carries no publication date)",
        source_label=", ".join(s.publisher or s.domain for s in sources),
        sources=sources,
        impact=impact,
        impact_rationale=_impact_rationale(candidate),
        consensus=consensus.value,
        consensus_rationale=consensus_rationale,
        corroboration=len(sources),
    )


def _impact_rationale(candidate: Candidate) -> str:
    if not candidate.signals:
        return "No impact signal: no figure, comparison, commercial detail, recency or primary source."
    count = len(candidate.signals)
    text = f"{count} signal{'s' if count > 1 else ''}: " + "; ".join(candidate.signals) + "."
    if not candidate.evidence.source.published:
        text += " The source is undated, so recency can't be judged."
    return text


def _consensus(source: Source, corroborators: list[Source], publishers: int) -> tuple[Consensus, str]:
    label = source.publisher or source.domain
    others = ", ".join(s.publisher or s.domain for s in corroborators)
    if not corroborators:
        return Consensus.OVERLOOKED, (
            f"Only {label} carries this claim among the {publishers} publishers retrieved; "
            "no independent source repeats it, so it is unlikely to be priced in."
        )
    if len(corroborators) == 1:
        return Consensus.EMERGING, (
            f"Two independent publishers carry it ({label}, {others}) out of {publishers} retrieved; "
            "it is starting to circulate but is not yet widely reported."
        )
    return Consensus.WIDELY_KNOWN, (
        f"{len(corroborators) + 1} independent publishers carry it ({label}, {others}) out of "
        f"{publishers} retrieved, so it is likely already priced in."
    )

