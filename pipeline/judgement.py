"""The second round: a briefing checks its own judgements before it is written.

After the first assessment, one more parallel round of searches (``--rounds 2``, the default):

- **corroborate**: a targeted search for each finding's claim, its companies and its figure in every
  written form, over the whole corpus (on the web, a grounded search each), so Consensus counts the
  publishers that really carry the claim, not only those the first searches happened to return;
- **cover**: one rephrased search for each company the question names that no finding covers, and for
  each search that found nothing.

Then, for every analyst alike, Consensus is counted again over all the evidence, conflicts between
publishers are collected for Contradictions and Gaps, and each finding records the day its text dates
the event to. With ``--rounds 1`` the same judgement runs over the first round's evidence alone.

Both steps are cached stages (``plan`` and ``judge``, in ``pipeline.orchestrator``): the claims reader and
the corroboration it drives are imported when one of them is computed, so a cached re-run starts without them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline.entities import STOPWORDS, Entities, find_entities, mentions
from pipeline.models import CORROBORATE, Assessment, Evidence, Finding, Gap, ResearchRequest, SearchQuery, SearchResults

if TYPE_CHECKING:
    from pipeline.claims import Claim
    from pipeline.corroboration import Conflict

#: The modules whose code decides a judgement: a cached one is reused only while they are unchanged.
JUDGEMENT_CODE = (Path(__file__).parent / "claims",
                  *(Path(__file__).parent / f"{name}.py" for name in ("judgement", "corroboration", "figures", "entities", "text")))
COVER = "cover"
MAX_COVER_SEARCHES = 2
_QUERY_WORDS = 10


def follow_up_queries(
    request: ResearchRequest, queries: list[SearchQuery], findings: list[Finding], results: SearchResults
) -> list[SearchQuery]:
    """The second round's searches: one per verified finding's claim, then the coverage follow-ups for
    the companies no finding covers and the report's ``queries`` (its angles) that found nothing."""
    entities = find_entities(request)
    targeted = [query for finding in findings if finding.verified for query in [_targeted(finding, entities)] if query]
    covered = list(_coverage(queries, findings, results, entities))[:MAX_COVER_SEARCHES]
    seen: set[str] = set()
    unique = []
    for query in targeted + covered:
        if query.text.lower() not in seen and query.text.lower() not in {q.lower() for q in results.executed_queries}:
            seen.add(query.text.lower())
            unique.append(query)
    return unique


def _targeted(finding: Finding, entities: Entities) -> SearchQuery | None:
    """A search for the finding's claim: its companies and its figure ("Groq NVIDIA $20 billion deal"),
    or, without a figure, its companies and its own words."""
    from pipeline.claims import measure_words

    claim = _claim(finding, entities.all)
    if claim is None or not claim.companies:
        return None
    companies = [e for e in entities.all if e in claim.companies]
    fact = claim.principal
    entity = fact.owner if fact is not None and fact.owner else companies[0]
    if fact is not None:
        # The figure finds those who repeat it; the words naming its measure, those who give another.
        words = [w for w in measure_words(claim.text, fact) if w not in fact.text.lower()]
        text = " ".join([*companies, fact.text, *words])
        return SearchQuery(text=text, entity=entity, angle=CORROBORATE, anchors=[fact.text, *words])
    words = [w for w in re.findall(r"[\w'-]+", claim.text) if w.lower() not in STOPWORDS and w not in companies]
    return SearchQuery(text=" ".join([*companies, *words[:_QUERY_WORDS]]), entity=entity, angle=CORROBORATE)


def _coverage(
    queries: list[SearchQuery], findings: list[Finding], results: SearchResults, entities: Entities
) -> Iterable[SearchQuery]:
    """A rephrased search for each company no finding covers, then for each search that found nothing."""
    for company in entities.all:
        if not any(mentions(f.snippet, company) for f in findings):
            yield SearchQuery(text=f"{company} results deals customers outlook", entity=company, angle=COVER)
    answered = {item.query for item in results.evidence}
    failed = {failure.query for failure in results.failures}
    for query in queries:
        if query.text in answered or query.text in failed:
            continue
        named = query.entity or next((e for e in entities.all if mentions(query.text, e)), None)
        words = [w for w in re.findall(r"[\w'-]+", query.text) if w.lower() not in STOPWORDS | _WINDOW_WORDS
                 and not any(mentions(w, e) for e in entities.all)]
        if named and words:  # the angle in fewer words, for its company alone: "NVIDIA response competition"
            yield SearchQuery(text=f"{named} {' '.join(words[:3])}", entity=named, angle=COVER)


_WINDOW_WORDS = frozenset("last past day days week weeks month months year years".split()) | {str(n) for n in range(1, 100)}


def with_follow_up(results: SearchResults, follow_up: SearchResults) -> SearchResults:
    """The first round's results with the second round's searches and evidence added."""
    return results.model_copy(update={
        "evidence": results.evidence + follow_up.evidence,
        "executed_queries": list(dict.fromkeys(results.executed_queries + follow_up.executed_queries)),
        "failures": list({(f.query, f.error): f for f in results.failures + follow_up.failures}.values()),
        "out_of_window": max(results.out_of_window, follow_up.out_of_window),
        "warnings": list(dict.fromkeys(results.warnings + follow_up.warnings)),
    })


def judged(
    request: ResearchRequest, assessment: Assessment, results: SearchResults, targeted: set[str]
) -> tuple[Assessment, SearchResults, list[Gap]]:
    """Consensus counted again over all the evidence, the events' dates, and the conflicts as gaps.

    ``targeted`` are the searches aimed at the findings' claims and the documents read in full (none with
    one round), so the rationale says how far the count looked. The evidence comes back without their
    passages that carry nothing the report uses, so Sources Referenced lists the sources it rests on.
    """
    from pipeline.corroboration import find_conflicts, reach_of

    companies = find_entities(request).all
    evidence = _unique(results.evidence)
    searched = "retrieved" if not targeted else (
        f"reached by {len(results.executed_queries)} searches and read in full where the corpus holds them"
    )
    reach = reach_of(evidence, searched)
    conflicts = find_conflicts(evidence, companies)
    findings = [_judged(f, evidence, companies, reach, conflicts, request) for f in assessment.findings]
    used = {s.url for f in findings for s in f.sources} | {s.url for c in conflicts for side in c.sides for s in side.sources}
    kept = _unique([e for e in results.evidence if e.query not in targeted or e.source.url in used])
    gaps = [conflict.as_gap() for conflict in conflicts]
    return (
        assessment.model_copy(update={"findings": findings}),
        results.model_copy(update={"evidence": kept}),
        gaps,
    )


def _judged(finding: Finding, evidence: list[Evidence], companies: list[str], reach: str, conflicts: list[Conflict],
            request: ResearchRequest) -> Finding:
    from pipeline.corroboration import corroborate

    claim = _claim(finding, companies)
    update: dict = {"event_date": claim.event_date(request.as_of) if claim else None}
    cited = next((e for e in evidence if e.source.url == finding.sources[0].url and finding.snippet in e.text), None)
    if finding.verified and cited is not None:
        linked = [e for e in evidence if e.source.url in finding.linked]
        carried = corroborate(finding.snippet, cited, evidence, companies, reach, linked)
        rationale = carried.rationale + _disputed(claim, conflicts)
        update |= {"sources": carried.sources, "consensus": carried.consensus.value, "consensus_rationale": rationale,
                   "corroboration": carried.publishers}
    return finding.model_copy(update=update)


def _claim(finding: Finding, companies: list[str]) -> Claim | None:
    """The claim a finding states, read with its first source's title ("the drug maker" is the title's company)."""
    from pipeline.corroboration import claim_of

    return claim_of(finding.snippet, companies, finding.sources[0].title if finding.sources else "")


def _disputed(claim: Claim | None, conflicts: list[Conflict]) -> str:
    from pipeline.corroboration import conflicting

    conflict = conflicting(claim, conflicts)
    return "" if conflict is None else " Other publishers give a different account: see Contradictions and Gaps."


def _unique(evidence: list[Evidence]) -> list[Evidence]:
    seen: dict[tuple[str, str], Evidence] = {}
    for item in evidence:
        seen.setdefault((item.source.url, item.text), item)
    return list(seen.values())

