"""The public entry point: research a request, render it, write it. The CLI is a thin layer on this."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline.cache import StageCache
from pipeline.errors import UsageError
from pipeline.models import GapKind, Report, ResearchRequest
from pipeline.orchestrator import run_research
from pipeline.output import ensure_writable, slugify, write_report
from pipeline.prompts import PromptBook
from pipeline.registry import DEFAULT_MODEL, BackendOptions, registry, search_kinds
from pipeline.report.render import load_template, render_markdown
from pipeline.resources import cache_dir

if TYPE_CHECKING:
    from pipeline.plan import RunPlan


@dataclass(frozen=True)
class GeneratedReport:
    report: Report
    markdown_path: Path


def research(
    request: ResearchRequest,
    *,
    model: str = DEFAULT_MODEL,
    corpus: Path | None = None,
    use_cache: bool = True,
    search: str | None = None,
    prompts: Path | None = None,
    warn: Callable[[str], None] = lambda message: None,
    on_stage: Callable[[str], None] = lambda stage: None,
) -> Report:
    """Research ``request`` and return the report model, recording how it was made.

    ``search`` is ``corpus``, ``web``, ``edgar`` or several joined by commas (``corpus,edgar``; default: the
    web for Gemini without ``corpus``); ``prompts`` is a
    folder whose prompt templates replace the built-in ones. ``on_stage`` hears each stage's name as it
    starts, and a stage's own progress as it moves (web search: ``search 7/12, pages 10/31``).
    """
    _check_prompts(prompts)
    cache_root = cache_dir()
    for problem in registry().problems:
        warn(problem)
    kind = registry().search_kind(model, corpus, search)
    options = BackendOptions(
        model=model, corpus=corpus, cache_root=cache_root, prompts=prompts, warn=warn, progress=on_stage
    )
    backends = registry().backends(options, kind)
    cache = StageCache(cache_root / "stages" if use_cache else None, warn)
    try:
        report = run_research(request, backends, cache, on_stage=on_stage)
    finally:
        cache.close()
    for gap in report.gaps:
        if gap.kind == GapKind.UNVERIFIED:
            warn(gap.text)
    made_with: dict[str, object] = {"requested_model": model, "search": kind, "corpus": str(corpus.resolve()) if corpus else None}
    if report.metadata.usage.calls:
        made_with["priced_on"] = date.today()  # the providers price calls on the day they are made
    shortfall = _query_shortfall(report)
    if shortfall:
        warn(shortfall)
        made_with["warnings"] = [*report.metadata.warnings, shortfall]
    return report.model_copy(update={"metadata": report.metadata.model_copy(update=made_with)})


def _query_shortfall(report: Report) -> str | None:
    """Fewer queries than asked for (the analyst ran out of distinct angles), said rather than hidden."""
    asked, written = report.request.query_count, len(report.queries)
    if written >= asked:
        return None
    return (f"{asked} search queries were asked for; the analyst found only {written} distinct ones for this "
            f"question, so the report lists {written}")


def generate_report(
    request: ResearchRequest,
    *,
    model: str = DEFAULT_MODEL,
    corpus: Path | None = None,
    out_dir: Path = Path("reports"),
    use_cache: bool = True,
    templates: Path | None = None,
    search: str | None = None,
    prompts: Path | None = None,
    name: str | None = None,
    amend: Callable[[Report], Report] | None = None,
    warn: Callable[[str], None] = lambda message: None,
    on_stage: Callable[[str], None] = lambda stage: None,
) -> GeneratedReport:
    """Research ``request`` and write ``out_dir/YYYY-MM-DD-<slug>.md`` and ``.json`` beside it.

    The slug is made from ``name`` (default: the question); scheduled runs put the ticker in it.
    ``amend`` changes the researched report before it is rendered: a briefing series
    (``pipeline.series``) opens the Analysis with what changed since the previous briefing.
    """
    check_templates(templates, prompts)
    ensure_writable(out_dir)
    report = research(
        request, model=model, corpus=corpus, use_cache=use_cache, search=search, prompts=prompts,
        warn=warn, on_stage=on_stage,
    )
    if templates is not None:
        made_with = {"templates": str(templates.expanduser().resolve())}
        report = report.model_copy(update={"metadata": report.metadata.model_copy(update=made_with)})
    if amend is not None:
        report = amend(report)
    on_stage("render")
    markdown = render_markdown(report, templates)
    stem = f"{request.as_of:%Y-%m-%d}-{slugify(name or request.question)}"
    path = write_report(out_dir, stem, markdown, report.model_dump_json(indent=2))
    return GeneratedReport(report=report, markdown_path=path)


def plan_report(
    request: ResearchRequest,
    *,
    model: str = DEFAULT_MODEL,
    corpus: Path | None = None,
    search: str | None = None,
    prompts: Path | None = None,
    templates: Path | None = None,
) -> RunPlan:
    """The model calls and page fetches a run would make, with a token and cost estimate; calls nothing.
    The prompts and the report template are checked as a run would."""
    from pipeline.plan import plan_run

    check_templates(templates, prompts)
    analyst = registry().analyst_kind(model)
    kinds = search_kinds(registry().search_kind(model, corpus, search))
    return plan_run(request, model, analyst_calls=analyst.calls_model, web="web" in kinds, prompts=prompts, searches=kinds)


def check_templates(templates: Path | None, prompts: Path | None) -> None:
    """A missing or broken report template or prompt, refused before anything is researched."""
    load_template(templates)
    _check_prompts(prompts)
    if prompts is not None:
        PromptBook(prompts)  # compiles every prompt


def _check_prompts(prompts: Path | None) -> None:
    if prompts is not None and not prompts.is_dir():
        raise UsageError(f"prompts folder {prompts} does not exist")
