"""Rule-based assessment: pick claim-bearing snippets and rate impact and consensus from signals.

A finding is one sentence stating one claim (``pipeline.claims``). Impact counts explicit signals: a
quantified claim, a direct comparison with the focus company, commercial traction (customers, deals,
revenue), a financial result or outlook (profit or loss, margins, guidance, deliveries), a sum of a
billion or more, recency (of the publication, else of the event the text dates), and a primary source.
Consensus counts the independent publishers among the evidence that state the same claim
(``pipeline.corroboration``, the same count for every analyst). Every rationale names its signals.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from pipeline.analysts.rules import signals
from pipeline.claims import Claim, Fact, describes_company, period_end, read_claims, same_fact, states_same
from pipeline.corroboration import corroborate, reach_of
from pipeline.entities import Entities, aliases, find_entities, mentions
from pipeline.models import Evidence, Finding, Impact, ResearchRequest, SearchResults, Source
from pipeline.report.formatting import format_date

MAX_FINDINGS = 6
_HEADLINE_SCORE = 3  # the signals a claim needs to be a company's headline however many publishers state it
RECENT_DAYS = 90
MIN_SNIPPET_CHARS = 40
MAX_SNIPPET_CHARS = 420
LARGE_SUM = 1e9  # a sum this size moves a company's numbers whatever its industry
_ENDS_SENTENCE = re.compile(r"[.!]['\"”’)]?$")
# A company profile (a stock page's boilerplate), not news: "Ford Motor Company (F), based in Dearborn, Michigan, is engaged in…"
_PROFILE = re.compile(r"(?i)\b(?:is engaged in|engages in) the (?:design|development|manufactur\w*|production|business|sale)\b"
                      r"|\b(?:headquartered|based) in [^,.]+,\s+(?:is an? |develops|designs|manufactures|operates)")
_RESULTS = frozenset({"profit", "loss", "margin", "cash", "deliveries", "backlog", "users", "orders"})  # measures of a financial result


@dataclass
class Candidate:
    """A claim-bearing sentence from one passage, with the signals read from it."""

    claim: Claim
    evidence: Evidence
    entities: list[str]
    figures: list[signals.Quantity]
    signals: list[str] = field(default_factory=list)
    score: int = 0
    publishers: int = 1  # independent publishers stating it among the evidence
    lead: str = ""  # the sentence before it, where the claim names its company only there

    @property
    def snippet(self) -> str:
        return self.lead + self.claim.text

    @property
    def document(self) -> tuple[str, str]:
        return self.evidence.source.url, self.evidence.source.title


def assess(request: ResearchRequest, results: SearchResults) -> list[Finding]:
    entities = find_entities(request)
    passages = _unique_passages(results.evidence)
    candidates = _dedupe(c for ev in passages for c in _candidates(ev, entities))
    reach = reach_of(passages, "retrieved")
    for candidate in candidates:
        _rate(candidate, request, entities)
    chosen = _select(candidates, entities)
    chosen.sort(key=lambda c: -c.score)
    return [_finding(c, entities, passages, reach) for c in chosen]


def _unique_passages(evidence: list[Evidence]) -> list[Evidence]:
    seen: dict[tuple[str, str], Evidence] = {}
    for item in evidence:
        seen.setdefault((item.source.url + item.source.title, item.text), item)
    return list(seen.values())


def _candidates(evidence: Evidence, entities: Entities) -> list[Candidate]:
    """Each sentence of the passage that states a claim about one of the question's companies: naming it;
    quoted with the sentence before it, continuing one that did ("Novo Nordisk is tempering expectations.
    The company projects growth of 16% to 24%."); or calling it by what it is in a document whose title
    names it ("The drug maker posted…"), which the finding's source shows."""
    found: list[Candidate] = []
    before: Claim | None = None
    for claim in read_claims(evidence.text, entities.all, evidence.source.title):
        previous, before = before, claim
        lead = ""
        named = [e for e in entities.all if mentions(claim.text, e)]
        if entities.all and not named:
            lead = _antecedent(evidence.text, previous, claim)
            named = [e for e in entities.all if lead and mentions(lead, e)]
            lead = lead if named else ""  # a sentence before that names no one says nothing of whose claim it is
        if entities.all and not named and claim.subject_from == "title" and describes_company(claim.text, plainly=True):
            named = sorted(claim.companies)  # "The drug maker posted…" under a title naming the one company: the source says whose
        if not _is_claim(lead + claim.text):
            continue
        if entities.all and not named:
            continue  # a claim that names none of the question's companies is about something else
        found.append(Candidate(claim, evidence, named, signals.figures(claim.text), lead=lead))
    return found


def _antecedent(text: str, previous: Claim | None, claim: Claim) -> str:
    """The sentence right before ``claim`` in its paragraph, with the space after it, where that sentence
    names the company the claim is about and states no figure of its own: quoted together, the finding
    says whose figure it is, and still states one claim."""
    if previous is None or previous.facts or not claim.companies or previous.companies != claim.companies:
        return ""
    lead = text[previous.start : claim.start]
    if lead.strip() != previous.text.strip() or "\n" in lead or not _ENDS_SENTENCE.search(previous.text.strip()):
        return ""  # words between the two sentences, another paragraph, or a heading
    return lead


def _is_claim(sentence: str) -> bool:
    """A standalone statement (not a heading or question) that carries a figure, comparison or deal."""
    stripped = sentence.strip()
    if not MIN_SNIPPET_CHARS <= len(stripped) <= MAX_SNIPPET_CHARS or stripped.endswith("?"):
        return False
    if stripped[-1] not in ".!\"”')" or signals.states_absence(stripped) or _PROFILE.search(stripped):
        return False
    return bool(signals.figures(stripped) or signals.comparison_words(stripped) or signals.commercial_words(stripped)
                or signals.financial_words(stripped))


def _dedupe(candidates) -> list[Candidate]:
    unique: dict[str, Candidate] = {}
    for candidate in candidates:
        unique.setdefault(" ".join(candidate.snippet.split()), candidate)
    return list(unique.values())


def _rate(candidate: Candidate, request: ResearchRequest, entities: Entities) -> None:
    snippet, source = candidate.snippet, candidate.evidence.source
    if candidate.figures:
        candidate.signals.append(f"quantified claim ({', '.join(f.text for f in candidate.figures[:3])})")
    if entities.focus and entities.focus in candidate.entities and len(candidate.entities) > 1:
        measured = _figures_compared(candidate, entities.focus)
        how = measured or ", ".join(signals.comparison_words(snippet)[:2])
        if how:
            candidate.signals.append(f"direct comparison with {entities.focus} ({how})")
        if measured:  # a head-to-head measurement answers a "vs" question more directly than any word can
            candidate.signals.append("like-for-like figures for both")
    commercial = signals.commercial_words(snippet)
    if commercial:
        candidate.signals.append(f"commercial traction ({', '.join(commercial[:3])})")
    financial = signals.financial_words(snippet) or sorted({f.measure for f in candidate.claim.facts if f.measure in _RESULTS})
    if financial:  # its words ("net loss", "guidance"), or what the claim reader found its figure measures ("a $11.8 billion loss")
        candidate.signals.append(f"financial result or outlook ({', '.join(financial[:3])})")
    outlook = next((f for f in candidate.claim.facts if f.stance == "guidance" and f.measure), None)
    if outlook is not None:  # what the company expects next moves the stock more than what it reported
        candidate.signals.append(f"guidance ({outlook.measure}, {outlook.text})")
    large = [f for f in candidate.figures if f.kind == "money" and f.high >= LARGE_SUM]
    if large:
        candidate.signals.append(f"a sum of a billion or more ({large[0].text})")
    when = source.published or candidate.claim.event_date(request.as_of)
    if when and 0 <= (request.as_of - when).days <= RECENT_DAYS:
        dated = "" if source.published else "the event, as the text dates it: "
        candidate.signals.append(f"recent ({dated}{format_date(when)})")
    elif when is None and _reports_recent_period(candidate.claim, request):
        # an undated page's figure for the quarter just ended is this season's news (no date named: the
        # audit holds a rationale to its snippet)
        candidate.signals.append("recent (it reports the quarter just ended)")
    if _is_primary(source, candidate.entities, snippet):
        candidate.signals.append(f"primary source ({source.publisher or source.domain})")
    candidate.score = len(candidate.signals)


def _reports_recent_period(claim: Claim, request: ResearchRequest) -> bool:
    ended = period_end(claim.principal.period) if claim.principal else None
    return ended is not None and 0 <= (request.as_of - ended).days <= RECENT_DAYS


def _figures_compared(candidate: Candidate, focus: str) -> str:
    """``2,522 tokens per second against 1,038 tokens/s``: a figure for a rival and a like-for-like
    figure for the focus company, or nothing."""
    owned = signals.figures_by_company(candidate.snippet, candidate.entities)
    for rival in (o for o in owned if o.company != focus):
        match = next((o for o in owned if o.company == focus and signals.like_for_like(rival, o)), None)
        if match is not None:
            return f"{rival.figure.text} for {rival.company} against {match.figure.text} for {focus}"
    return ""


def _is_primary(source: Source, entities: list[str], snippet: str) -> bool:
    """Company's own channel, a press wire, a regulatory filing, or a publisher stating what it measured
    itself ("Artificial Analysis measured…" on its own page), rather than commentary about it (a summary
    of a filing "as cited" by the press is commentary)."""
    publisher = (source.publisher or "").lower()
    if "as cited" in publisher:
        return False
    if publisher in signals.WIRE_SERVICES or source.domain in signals.PRIMARY_DOMAINS:
        return True
    if publisher and re.search(rf"(?i)^(?:\W*\w+\W+){{0,3}}{re.escape(publisher)}\b", snippet):
        return True
    names = [alias.lower() for e in entities for alias in aliases(e)]
    return any(name in publisher or source.domain.startswith(name.replace(" ", "") + ".") for name in names)


def _select(candidates: list[Candidate], entities: Entities) -> list[Candidate]:
    """The strongest claims (then the more widely stated), one per document, making sure each named
    company is represented by its strongest claim and by its headline, the strong claim the most
    publishers state (what the market already knows, beside what it may not). Another document's
    statement of a chosen claim is its corroboration, not a new finding; that document may still give
    its next claim."""
    stated = _publishers_stating(candidates)
    ranked = sorted(candidates, key=lambda c: (-c.score, -stated[id(c)], -len(c.figures), -c.evidence.score))
    headlines = sorted(ranked, key=lambda c: -stated[id(c)])  # stable: the strongest first among equals
    chosen: list[Candidate] = []

    def fits(candidate: Candidate) -> bool:
        return len(chosen) < MAX_FINDINGS and candidate.document not in {c.document for c in chosen} and not any(
            _same_claim(c, candidate) for c in chosen
        )

    by_document: dict[tuple[str, str], list[Candidate]] = {}
    for candidate in ranked:
        by_document.setdefault(candidate.document, []).append(candidate)

    def leads_its_document(candidate: Candidate) -> bool:
        """Its document's strongest claim not yet shown: a weaker one must not take the document's place."""
        return next((c for c in by_document[candidate.document] if fits(c)), None) is candidate

    for entity in entities.all:
        lead = next((c for c in ranked if entity in c.entities and fits(c) and leads_its_document(c)), None)
        if lead is not None and lead.score >= 2:
            chosen.append(lead)
    for entity in entities.all:
        headline = next((c for c in headlines if entity in c.entities and c.score >= _HEADLINE_SCORE and fits(c)), None)
        if headline is not None and stated[id(headline)] > 1:
            chosen.append(headline)
    for candidate in ranked:
        if fits(candidate):
            chosen.append(candidate)
    bands = _Bands(ranked, stated)
    plainest: list[Candidate] = []
    for candidate in chosen:  # each swap weighed against the findings as already swapped: two never share a page
        plainest.append(_plainest(candidate, ranked, plainest + chosen[len(plainest) + 1 :], bands))
    return plainest


class _Bands:
    """How many publishers among the candidates state each claim and each fact a sentence packs, for the
    choice of the plainest statement of a claim: counted once per fact, over the candidates stating a fact
    of its measure."""

    def __init__(self, candidates: list[Candidate], stated: dict[int, int]):
        self.stated = stated
        self.by_measure: dict[str, list[tuple[Fact, Candidate]]] = {}
        for candidate in candidates:
            for fact in candidate.claim.facts:
                if fact.measure:
                    self.by_measure.setdefault(fact.measure, []).append((fact, candidate))
        self._mixed: dict[int, int] = {}

    def mixed(self, candidate: Candidate) -> int:
        """How many of the other claims the sentence packs fall in another Consensus band (one, two, three
        or more publishers) than its principal claim."""
        if id(candidate) not in self._mixed:
            band = min(self.stated[id(candidate)], 3)
            self._mixed[id(candidate)] = sum(1 for fact in _packed(candidate) if min(self._stating(fact, candidate), 3) != band)
        return self._mixed[id(candidate)]

    def _stating(self, fact: Fact, candidate: Candidate) -> int:
        publishers = {candidate.evidence.source.publisher_key}
        for theirs, other in self.by_measure.get(fact.measure, []):
            if other.claim.companies & candidate.claim.companies and same_fact(fact, theirs):
                publishers.add(other.evidence.source.publisher_key)
        return len(publishers)


def _plainest(chosen: Candidate, ranked: list[Candidate], others: list[Candidate], bands: _Bands) -> Candidate:
    """A statement of ``chosen``'s claim, in a document no other finding cites, whose sentence packs fewer
    claims that more or fewer publishers state than its own (an analysts' estimate one outlet gives
    beside a result every outlet reports): its one Consensus label is then true of all it says."""
    mixed = bands.mixed(chosen)
    if not mixed:
        return chosen
    taken = {c.document for c in others}
    plainer = [c for c in ranked if c.document not in taken and c.claim.principal is not None
               and states_same(chosen.claim, c.claim) and states_same(c.claim, chosen.claim)
               and not any(_same_claim(o, c) for o in others) and bands.mixed(c) < mixed]
    return min(plainer, key=bands.mixed, default=chosen)  # the strongest of the plainest


def _same_claim(one: Candidate, other: Candidate) -> bool:
    """Whether either states the other's claim (one may state it with a figure the other lacks)."""
    return states_same(one.claim, other.claim) or states_same(other.claim, one.claim)


def _packed(candidate: Candidate) -> list[Fact]:
    """The other claims a claim's sentence states beside its principal one: specific figures of another
    measure, of another period (a year-earlier base) or of analysts' estimates. A rival's figure of the
    same measure is the comparison the claim makes, not a claim of its own."""
    principal = candidate.claim.principal
    if principal is None:
        return []
    return [f for f in candidate.claim.facts if f is not principal and f.quantity.distinctive and f.measure
            and (f.measure != principal.measure or f.stance != principal.stance
                 or (f.period != principal.period and f.owner == principal.owner))]


def _publishers_stating(candidates: list[Candidate]) -> dict[int, int]:
    """How many publishers state each candidate's claim among the candidates, a tie-breaker for ranking."""
    by_figure: dict[str, list[Candidate]] = {}
    for candidate in candidates:  # only candidates sharing a figure (or none) can state the same claim
        principal = candidate.claim.principal
        by_figure.setdefault(principal.quantity.key if principal else "", []).append(candidate)
    counts: dict[int, int] = {}
    for group in by_figure.values():
        for candidate in group:
            counts[id(candidate)] = len({other.evidence.source.publisher_key for other in group
                                         if other is candidate or states_same(candidate.claim, other.claim)})
    return counts


def _finding(candidate: Candidate, entities: Entities, passages: list[Evidence], reach: str) -> Finding:
    impact = Impact.HIGH if candidate.score >= 3 else Impact.MEDIUM if candidate.score == 2 else Impact.LOW
    carried = corroborate(candidate.snippet, candidate.evidence, passages, entities.all, reach)
    return Finding(
        snippet=candidate.snippet,
        sources=carried.sources,
        impact=impact,
        impact_rationale=_impact_rationale(candidate),
        consensus=carried.consensus.value,
        consensus_rationale=carried.rationale,
        corroboration=carried.publishers,
    )


def _impact_rationale(candidate: Candidate) -> str:
    if not candidate.signals:
        return "No impact signal: no figure, comparison, commercial detail, recency or primary source."
    count = len(candidate.signals)
    text = f"{count} signal{'s' if count > 1 else ''}: " + "; ".join(candidate.signals) + "."
    if not candidate.evidence.source.published and not any(s.startswith("recent") for s in candidate.signals):
        text += " The source is undated, so recency can't be judged."
    return text
