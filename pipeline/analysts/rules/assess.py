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
from pipeline.models import Consensus, Evidence, Finding, Impact, ResearchRequest, SearchResults, Source
from pipeline.report.formatting import format_date
from pipeline.text import sentence_spans

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
    figures: list[signals.Figure]
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
    spans = sentence_spans(text)
    found: list[Candidate] = []
    for i, span in enumerate(spans):
        sentence = text[span.start : span.end]
        if not _is_claim(sentence):
            continue
        end = span.end
        following = spans[i + 1] if i + 1 < len(spans) else None
        if (
            following is not None
            and following.end - span.start <= MAX_SNIPPET_CHARS
            and _is_claim(text[following.start : following.end])
            and signals.figures(text[following.start : following.end])
        ):
            end = following.end
        snippet = text[span.start : end]
        named = [e for e in entities.all if signals.mentions(snippet, e)]
        if entities.all and not named:
            continue  # a claim that names none of the question's companies is about something else
        found.append(Candidate(snippet, evidence, named, signals.figures(snippet)))
    return found


def _is_claim(sentence: str) -> bool:
    """A standalone statement (not a heading or question) that carries a figure, comparison or deal."""
    stripped = sentence.strip()
    if not MIN_SNIPPET_CHARS <= len(stripped) <= MAX_SNIPPET_CHARS or stripped.endswith("?"):
        return False
    if stripped[-1] not in ".!\"”')" or signals.states_absence(stripped):
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
        candidate.signals.append(f"quantified claim ({', '.join(f.text for f in candidate.figures[:3])})")
    if entities.focus and entities.focus in candidate.entities:
        compared = signals.comparison_words(snippet)
        how = _figures_compared(candidate, entities.focus) or ", ".join(compared[:2])
        if how:
            candidate.signals.append(f"direct comparison with {entities.focus} ({how})")
    commercial = signals.commercial_words(snippet)
    if commercial:
        candidate.signals.append(f"commercial traction ({', '.join(commercial[:3])})")
    if source.published and (request.as_of - source.published).days <= RECENT_DAYS:
        candidate.signals.append(f"recent ({format_date(source.published)})")
    if _is_primary(source, candidate.entities):
        candidate.signals.append(f"primary source ({source.publisher or source.domain})")
    candidate.score = len(candidate.signals)


def _figures_compared(candidate: Candidate, focus: str) -> str:
    """``2,522 tokens per second against 1,038 tokens/s``: a figure for a rival and a like-for-like
    figure for the focus company, or nothing."""
    owned = signals.figures_by_company(candidate.snippet, candidate.entities)
    for rival in (o for o in owned if o.company != focus):
        match = next((o for o in owned if o.company == focus and signals.like_for_like(rival, o)), None)
        if match is not None:
            return f"{rival.figure.text} for {rival.company} against {match.figure.text} for {focus}"
    return ""


def _is_primary(source: Source, entities: list[str]) -> bool:
    """Company's own channel, a press wire or a regulatory filing, rather than commentary about it
    (a summary of a filing "as cited" by the press is commentary)."""
    publisher = (source.publisher or "").lower()
    if "as cited" in publisher:
        return False
    if publisher in signals.WIRE_SERVICES or source.domain in signals.PRIMARY_DOMAINS:
        return True
    return any(e.lower() in publisher or source.domain.startswith(e.lower() + ".") for e in entities)


def _corroborators(candidate: Candidate, passages: list[Evidence]) -> list[Source]:
    """Sources from other publishers that carry the same figures (or the same statement)."""
    own = candidate.evidence.source.publisher_key
    keys = _fact_keys(candidate.figures)
    found: dict[str, Source] = {}
    for evidence in passages:
        publisher = evidence.source.publisher_key
        if publisher == own or publisher in found:
            continue
        if candidate.entities and not any(signals.mentions(evidence.text, e) for e in candidate.entities):
            continue
        if keys:
            if _same_fact(keys, _fact_keys(signals.figures(evidence.text))):
                found[publisher] = evidence.source
        elif _states_same(candidate.snippet, evidence.text):
            found[publisher] = evidence.source
    return list(found.values())


def _fact_keys(figures: list[signals.Figure]) -> set[str]:
    return {f.key for f in figures if f.distinctive}


def _same_fact(keys: set[str], other: set[str]) -> bool:
    """Two texts state the same fact when they share its figures: two of them, or one specific
    enough on its own (three or more digits, like 2,522)."""
    shared = keys & other
    return bool(shared) and (len(shared) >= min(2, len(keys)) or any(_digits(key) >= 3 for key in shared))


def _digits(key: str) -> int:
    return sum(ch.isdigit() for ch in key.split("e")[0])


def _states_same(snippet: str, text: str) -> bool:
    """A whole sentence of ``text`` says what ``snippet`` says (word order aside).

    Not ``token_set_ratio``: it scores 100 whenever one side's words are a subset of the other's,
    so a one-word heading such as "Cerebras" would "corroborate" every claim about Cerebras.
    """
    from rapidfuzz import fuzz

    return any(
        fuzz.token_sort_ratio(snippet, text[s.start : s.end]) >= _SIMILAR_STATEMENT
        for s in sentence_spans(text)
        if s.end - s.start >= MIN_SNIPPET_CHARS
    )


def _select(candidates: list[Candidate], entities: Entities) -> list[Candidate]:
    """Each document's strongest claim; of those, the strongest, making sure each named company is
    represented."""
    ranked = sorted(
        candidates, key=lambda c: (-c.score, -len(c.corroborators), -len(c.figures), -c.evidence.score)
    )
    leaders: dict[tuple[str, str], Candidate] = {}
    for candidate in ranked:
        leaders.setdefault(candidate.document, candidate)
    ranked = list(leaders.values())
    chosen: list[Candidate] = []

    def new_fact(candidate: Candidate) -> bool:
        """Another document's statement of a chosen fact is its corroboration, not a new finding."""
        keys = _fact_keys(candidate.figures)
        return candidate not in chosen and not any(_same_fact(keys, _fact_keys(c.figures)) for c in chosen)

    for entity in entities.all:
        lead = next((c for c in ranked if entity in c.entities and new_fact(c)), None)
        if lead is not None and lead.score >= 2 and len(chosen) < MAX_FINDINGS:
            chosen.append(lead)
    for candidate in ranked:
        if len(chosen) < MAX_FINDINGS and new_fact(candidate):
            chosen.append(candidate)
    return chosen


def _finding(candidate: Candidate, publishers: int) -> Finding:
    source = candidate.evidence.source
    impact = Impact.HIGH if candidate.score >= 3 else Impact.MEDIUM if candidate.score == 2 else Impact.LOW
    sources = [source, *candidate.corroborators]
    consensus, consensus_rationale = _consensus(source, candidate.corroborators, publishers)
    return Finding(
        snippet=candidate.snippet,
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
            f"Only {label} carries this claim among the {publishers} publisher{'s' if publishers != 1 else ''} retrieved; "
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



def corroborate(request: ResearchRequest, snippet: str, cited: Evidence, evidence: list[Evidence]) -> tuple[list[Source], Consensus, str]:
    """The sources that really carry ``snippet`` (``cited`` first) and the consensus they make, judged as
    for the rules' own findings, so any analyst's Consensus Check names the publishers the evidence shows."""
    entities = find_entities(request)
    named = [e for e in entities.all if signals.mentions(snippet, e)]
    passages = _unique_passages(evidence)
    corroborators = _corroborators(Candidate(snippet, cited, named, signals.figures(snippet)), passages)
    consensus, rationale = _consensus(cited.source, corroborators, len({e.source.publisher_key for e in passages}))
    return [cited.source, *corroborators], consensus, rationale
