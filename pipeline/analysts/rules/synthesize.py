"""Rule-based synthesis: a short analysis built from the top findings, and the real gaps.

Gaps are computed, not invented: angles whose queries found nothing, companies no source covers,
claims resting on one publisher, undated evidence, documents the window excluded, searches that
failed, and publishers that disagree about the same company.
"""

from __future__ import annotations

import re
from collections import defaultdict

from pipeline.analysts.rules import signals
from pipeline.entities import Entities, find_entities, mention_pattern, mentions
from pipeline.models import Consensus, Evidence, Finding, Gap, GapKind, Impact, ResearchRequest, SearchResults, Synthesis
from pipeline.report.formatting import format_date
from pipeline.text import join_names, sentence_spans

_FILLER = frozenset("vs versus the and for with from last per".split())


def synthesize(request: ResearchRequest, results: SearchResults, findings: list[Finding], conflicts: list[Gap]) -> Synthesis:
    """The analysis and the gaps; ``conflicts`` are the disagreements the judgement found, which the
    analysis names beside the views the rules see contrasted."""
    entities = find_entities(request)
    contradictions = _contradictions(results.evidence, entities)
    return Synthesis(
        analysis=_analysis(request, results, findings, entities, conflicts + contradictions),
        gaps=contradictions + _gaps(request, results, findings, entities),
    )


def _analysis(
    request: ResearchRequest,
    results: SearchResults,
    findings: list[Finding],
    entities: Entities,
    contradictions: list[Gap],
) -> list[str]:
    documents = {(e.source.url, e.source.title): e.source for e in results.evidence}
    publishers = {s.publisher_key for s in documents.values()}
    dated = sorted(s.published for s in documents.values() if s.published)
    span = f", dated {format_date(dated[0])} to {format_date(dated[-1])}" if dated else ""
    subject = " and ".join(entities.challengers) or "the topic"
    opening = f"{_earnings_context(request)}, this briefing reviews"
    if not findings:
        return [
            f"{opening} the evidence on {subject}"
            f"{' against ' + entities.focus if entities.focus else ''} in the {request.window.phrase}, "
            f"and finds no passage that makes a measurable or commercial claim. "
            "See Contradictions and Gaps for what is missing before drawing conclusions."
        ]
    first = (
        f"{opening} {_count(len(documents), 'document', 'documents')} from "
        f"{_count(len(publishers), 'publisher', 'publishers')}{span}, retrieved by "
        f"{_count(len(set(results.executed_queries)), 'search', 'searches')} over the {request.window.phrase}, "
        f"on {subject}{' measured against ' + entities.focus if entities.focus else ''}."
    )
    high = [f for f in findings if f.impact is Impact.HIGH]
    lead = high or findings
    strongest = "; ".join(_headline(f) for f in lead[:2])
    second = (
        f"{len(high)} of {_count(len(findings), 'key finding rates', 'key findings rate')} High impact. "
        f"The strongest {'signal' if len(lead[:2]) == 1 else 'signals'}: {strongest}."
    )
    overlooked = sum(f.consensus == Consensus.OVERLOOKED.value for f in findings)
    widely = sum(f.consensus == Consensus.WIDELY_KNOWN.value for f in findings)
    third = (
        f"{_count(overlooked, 'finding rests', 'findings rest')} on a single publisher and "
        f"{'looks' if overlooked == 1 else 'look'} overlooked, while "
        f"{'none is' if widely == 0 else _count(widely, 'is', 'are')} carried by three or more publishers "
        "and likely priced in."
    )
    if contradictions:
        disputed = join_names([_disputed(g.title) for g in contradictions])
        third += f" Publishers disagree about {disputed}: weigh the claims in Contradictions and Gaps."
    return [first, second, third]


def _disputed(title: str) -> str:
    """What a contradiction is about, from its title: "Cerebras", "Boeing's net orders"."""
    for prefix in ("Conflicting views on ", "Conflicting accounts of ", "Conflicting figures on "):
        if title.startswith(prefix):
            subject, _, topic = title.removeprefix(prefix).partition(": ")
            return f"{subject}'s {topic}" if topic and prefix == "Conflicting figures on " else subject
    return title


def _earnings_context(request: ResearchRequest) -> str:
    """How the example opens: the company, the quarter and when it reports, counted from the as-of date."""
    if not request.earnings:
        return f"As of {format_date(request.as_of)}"
    event = request.earnings
    days = (event.report_date - request.as_of).days
    if days < 0:
        return f"After {event.company} reported its {event.quarter} earnings on {format_date(event.report_date)}"
    when = {0: "today", 1: "tomorrow"}.get(days, f"in {days} days")
    return (f"As {event.company} prepares to report its {event.quarter} earnings on "
            f"{format_date(event.report_date)} ({when})")


def _headline(finding: Finding, max_words: int = 24) -> str:
    """The finding's own first words, attributed: the rules don't paraphrase what they can't read."""
    words = finding.snippet.split()
    quote = " ".join(words[:max_words]).rstrip(".,;:") + ("…" if len(words) > max_words else "")
    return f"{finding.source_label} ({finding.date_label.split(' (')[0]}): \u201c{quote}\u201d"


def _contradictions(evidence: list[Evidence], entities: Entities) -> list[Gap]:
    """Publishers that praise a challenger and publishers that question it, side by side."""
    gaps: list[Gap] = []
    for entity in entities.challengers:
        bullish: dict[str, set[str]] = defaultdict(set)
        skeptic: dict[str, set[str]] = defaultdict(set)
        for item in evidence:
            label = item.source.publisher or item.source.domain
            for span in sentence_spans(item.text):
                sentence = item.text[span.start : span.end]
                if _subject(sentence, entities.all) != entity:
                    continue
                bullish[label].update(signals.bullish_words(sentence))
                skeptic[label].update(signals.skeptic_words(sentence))
        praising = [p for p, words in bullish.items() if words and not skeptic.get(p)]
        doubting = [p for p, words in skeptic.items() if words]
        if praising and doubting:
            cues = sorted({w for p in doubting for w in skeptic[p]})[:4]
            gaps.append(
                Gap(
                    title=f"Conflicting views on {entity}",
                    text=(
                        f"{join_names(praising)} {_verb(praising, 'presents', 'present')} {entity}'s results "
                        f"favourably, while {join_names(doubting)} {_verb(doubting, 'questions', 'question')} them "
                        f"({', '.join(cues)}). The retrieved sources do not "
                        "settle which view holds."
                    ),
                    kind=GapKind.VIEWS,
                )
            )
    return gaps


def _subject(sentence: str, companies: list[str]) -> str | None:
    """The company a sentence's praise or doubt is about: the one it names first, its subject ("Airbus
    widened its lead over Boeing" praises Airbus, not Boeing); none when it names none."""
    named = [(found.start(), company) for company in companies if (found := mention_pattern(company).search(sentence))]
    return min(named)[1] if named else None


def _gaps(request: ResearchRequest, results: SearchResults, findings: list[Finding], entities: Entities) -> list[Gap]:
    gaps: list[Gap] = []
    if not results.evidence:
        gaps.append(Gap(
            title="No evidence found",
            text=f"None of the {len(results.executed_queries)} searches matched a document dated in the "
            f"{request.window.phrase} (or undated). Widen --window, or add documents to the corpus.",
            kind=GapKind.COVERAGE,
        ))
    unanswered = _unanswered_angles(request, results, entities)
    if results.evidence and unanswered:
        gaps.append(Gap(
            title="Angles without evidence",
            text=f"{len(unanswered)} of {len(results.executed_queries)} searches found no passage about their "
            "angle (only passages naming the company): " + "; ".join(unanswered[:4])
            + ("; …" if len(unanswered) > 4 else "") + ".",
            kind=GapKind.COVERAGE,
        ))
    uncovered = [e for e in entities.all if not any(mentions(ev.text, e) for ev in results.evidence)]
    if results.evidence and uncovered:
        gaps.append(Gap(
            title="Companies without coverage",
            text=f"No retrieved passage mentions {join_names(uncovered)}, so the comparison is one-sided.",
            kind=GapKind.COVERAGE,
        ))
    return gaps


def _verb(subjects: list[str], singular: str, plural: str) -> str:
    return singular if len(subjects) == 1 else plural


def _unanswered_angles(request: ResearchRequest, results: SearchResults, entities: Entities) -> list[str]:
    """Searches none of whose passages contains a word of the search's angle.

    A company name alone satisfies the corpus search, so "arXiv Cerebras NVIDIA" can return
    passages about Cerebras that say nothing about arXiv; those don't answer the angle.
    """
    ignored = {n.lower() for n in entities.all} | set(request.window.phrase.split())
    unanswered: list[str] = []
    for query in results.executed_queries:
        angle = {w[:5] for w in re.findall(r"[a-z][a-z-]{2,}", query.lower()) if w not in ignored | _FILLER}
        found = " ".join(e.text.lower() for e in results.evidence if e.query == query)
        if angle and not any(prefix in found for prefix in angle):
            unanswered.append(query)
    return unanswered


def _count(number: int, singular: str, plural: str) -> str:
    return f"{'No' if number == 0 else number} {singular if number == 1 else plural}"

