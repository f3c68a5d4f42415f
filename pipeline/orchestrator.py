"""The whole flow in one place: expand → search → assess → second round (``pipeline.judgement``) →
synthesize, then assemble the report with the labels and gaps every backend's report shares
(``pipeline.gaps``) and audit its prose. An analyst that can assess and synthesize in one model call
(``CombinedAnalyst``) does both in one stage, one round fewer; the second round then follows it.

Rendering and writing files are separate (``pipeline.report.render``, ``pipeline.output``) so a report
can be rendered again, or read back, without re-running research.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from functools import partial
from typing import Any, Protocol, TypeVar

from pipeline.audit import audited_report
from pipeline.baseline import distinct_claims
from pipeline.cache import StageCache
from pipeline.gaps import evidence_gaps, labelled
from pipeline.judgement import CORROBORATE, COVER, JUDGEMENT_CODE, follow_up_queries, judged, with_follow_up
from pipeline.models import (
    Assessment,
    AuditedSentence,
    Gap,
    Report,
    ResearchRequest,
    RunMetadata,
    SearchQuery,
    SearchResults,
    StageRun,
    Synthesis,
    TokenUsage,
)
from pipeline.resources import code_digest
from pipeline.stages import Analyst, Backends, CombinedAnalyst, DocumentReader, Reassessor, Reviser, Searcher
from pipeline.version import __version__

T = TypeVar("T")


def run_research(
    request: ResearchRequest,
    backends: Backends,
    cache: StageCache,
    *,
    on_stage: Callable[[str], None] = lambda stage: None,
    now: Callable[[], datetime] = lambda: datetime.now().astimezone(),
) -> Report:
    """Research ``request`` with ``backends`` and return the finished report model."""
    analyst, searcher = backends.analyst, backends.searcher
    stages: list[StageRun] = []
    request_json = request.model_dump(mode="json")

    def stage(
        name: str,
        identity: str,
        inputs: Any,
        result_type: Any,
        compute: Callable[[], T],
        complete: Callable[[T], bool] = lambda result: True,
    ) -> T:
        on_stage(name)
        started = time.perf_counter()
        result, cached = cache.get_or_compute(name, identity, inputs, result_type, compute, keep=complete)
        stages.append(StageRun(stage=name, seconds=round(time.perf_counter() - started, 4), cached=cached))
        return result

    queries = stage(
        "expand", analyst.identity, request_json, list[SearchQuery], lambda: analyst.expand(request)
    )
    results = stage(
        "search",
        searcher.identity,
        [request_json, [q.model_dump(mode="json") for q in queries]],
        SearchResults,
        lambda: searcher.search(request, queries),
        complete=lambda found: not found.failures,
    )
    round_two = partial(_second_round, request, queries, analyst, searcher, stage)
    if isinstance(analyst, CombinedAnalyst) and analyst.combines(request, results):
        results_json = results.model_dump(mode="json")
        assessment, synthesis = stage(
            "assess+synthesize", analyst.identity, [request_json, results_json], tuple[Assessment, Synthesis],
            lambda: _one_per_claim_signed(analyst.assess_and_synthesize(request, results), analyst.model_label),
            complete=lambda judged: not judged[0].partial,
        )
        assessment, results = round_two(assessment, results)
    else:
        assessment = stage(
            "assess", analyst.identity, [request_json, results.model_dump(mode="json")], Assessment,
            lambda: _one_per_claim(analyst.assess(request, results)),
            complete=lambda assessed: not assessed.partial,
        )
        assessment, results = round_two(assessment, results)
        synthesis = stage(
            "synthesize",
            analyst.identity,
            [request_json, results.model_dump(mode="json"), assessment.model_dump(mode="json")],
            Synthesis,
            lambda: analyst.synthesize(request, results, assessment).model_copy(update={"model": analyst.model_label}),
        )
    report = Report(
        request=request,
        queries=_unique([q.text for q in queries] + results.executed_queries),
        sources=results.sources,
        analysis=synthesis.analysis,
        findings=assessment.findings,
        gaps=assessment.conflicts + synthesis.gaps + assessment.omissions + evidence_gaps(request, results, assessment.findings),
        metadata=RunMetadata(
            model=synthesis.model or analyst.model_label,
            search_backend=searcher.description,
            generated_at=now().replace(microsecond=0),
            tool_version=__version__,
            usage=_total_usage(analyst.usage, searcher.usage),
            stages=stages,
            warnings=results.warnings,
            partial=bool(results.failures) or assessment.partial,
        ),
    )

    def revise(reviser: Reviser, flagged: list[AuditedSentence]) -> list[str]:
        inputs = [request_json, [f.model_dump(mode="json") for f in report.findings], [s.text for s in flagged]]
        return stage(
            "revise", analyst.identity, inputs, list[str], lambda: reviser.revise(request, report.findings, flagged),
            complete=lambda rewrites: len(rewrites) == len(flagged),  # a failed call is not cached
        )

    reviser = analyst if isinstance(analyst, Reviser) else None
    report = audited_report(report, results, partial(revise, reviser) if reviser else None)
    spent = {"stages": stages, "usage": _total_usage(analyst.usage, searcher.usage)}  # the revise call included
    return report.model_copy(update={"metadata": report.metadata.model_copy(update=spent)})


class _Stage(Protocol):
    def __call__(self, name: str, identity: str, inputs: Any, result_type: Any, compute: Callable[[], T],
                 complete: Callable[[T], bool] = ...) -> T: ...


def _second_round(
    request: ResearchRequest, queries: list[SearchQuery], analyst: Analyst, searcher: Searcher, stage: _Stage,
    assessment: Assessment, results: SearchResults,
) -> tuple[Assessment, SearchResults]:
    """The briefing checks its own judgements (``pipeline.judgement``): with ``--rounds 2``, one more
    parallel round of searches aimed at the findings' claims and at what the first round missed, and the
    documents found read in full where the searcher can; then Consensus counted again over everything,
    conflicts collected and events dated, for every analyst alike. An analyst whose assessment costs
    nothing (the rules) assesses again with the coverage searches' evidence. Planning the searches
    reads the findings' claims, so it is a stage of its own: a re-run with everything cached reads none."""
    request_json = request.model_dump(mode="json")
    judgement = f"judgement@{code_digest(*JUDGEMENT_CODE)}"
    follow_up: list[SearchQuery] = []
    if request.rounds > 1:
        plan_inputs = [request_json, [q.model_dump(mode="json") for q in queries], assessment.model_dump(mode="json"),
                       results.model_dump(mode="json")]
        follow_up = stage("plan", judgement, plan_inputs, list[SearchQuery],
                          lambda: follow_up_queries(request, queries, assessment.findings, results))
    if follow_up:
        found = stage(
            "follow-up", searcher.identity, [request_json, [q.model_dump(mode="json") for q in follow_up]], SearchResults,
            lambda: searcher.search(request, follow_up), complete=lambda found: not found.failures,
        )
        covering = {q.text for q in follow_up if q.angle == COVER}
        coverage = with_follow_up(results, found.model_copy(update={"evidence": [e for e in found.evidence if e.query in covering]}))
        if len(coverage.evidence) > len(results.evidence) and isinstance(analyst, Reassessor):
            assessment = stage(
                "reassess", analyst.identity, [request_json, coverage.model_dump(mode="json")], Assessment,
                lambda: _one_per_claim(analyst.reassess(request, coverage)),
            )
        results = with_follow_up(results, found)
    read_in_full: set[str] = set()
    if request.rounds > 1 and isinstance(searcher, DocumentReader):
        documents = results.sources
        read = stage(
            "read", searcher.identity, [request_json, [s.model_dump(mode="json") for s in documents]], SearchResults,
            lambda: searcher.read_documents(request, documents),
        )
        read_in_full = {item.query for item in read.evidence}
        results = with_follow_up(results, read)
    targeted = {q.text for q in follow_up if q.angle == CORROBORATE} | read_in_full
    proposed = assessment.conflicts  # an analyst's own, already checked against the evidence
    judgement_inputs = [request_json, assessment.model_dump(mode="json"), results.model_dump(mode="json"), sorted(targeted)]
    assessment, results, conflicts = stage(
        "judge", judgement, judgement_inputs, tuple[Assessment, SearchResults, list[Gap]],
        lambda: judged(request, assessment, results, targeted),
    )
    conflicts += [gap for gap in proposed if gap.title not in {c.title for c in conflicts}]
    return _labelled(assessment).model_copy(update={"conflicts": conflicts}), results


def _one_per_claim_signed(judged: tuple[Assessment, Synthesis], model: str) -> tuple[Assessment, Synthesis]:
    """Each claim once, and the synthesis signed with the model version that wrote it (so a cached re-run
    reports it too), as the separate stages do."""
    assessment, synthesis = judged
    return _one_per_claim(assessment), synthesis.model_copy(update={"model": model})


def _labelled(assessment: Assessment) -> Assessment:
    return assessment.model_copy(update={"findings": [labelled(f) for f in assessment.findings]})


def _one_per_claim(assessment: Assessment) -> Assessment:
    """Each claim once, however often the analyst stated it, so ``groundbrief check`` passes the report."""
    return assessment.model_copy(update={"findings": distinct_claims(assessment.findings, lambda finding: finding.snippet)})


def _total_usage(analyst: TokenUsage, searcher: TokenUsage) -> TokenUsage:
    """Both ledgers, counted once when the analyst and the searcher share one model."""
    return analyst if searcher is analyst else analyst + searcher


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(item for item in items if item.strip()))
