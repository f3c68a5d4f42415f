"""``groundbrief refresh``: re-run a draft's research and merge it in without losing an edit.

Findings in the draft stay exactly as written; findings the research newly turns up are added
with a ``New`` status; a draft finding the research no longer supports (neither its snippet nor
any of its documents turns up) gets a ``Source not found`` status and stays. Its documents are the
links recorded for it (the ``.json`` beside the draft) or, for a finding the editor added, the
listed links its Source line names; only a finding whose Source names nothing listed is matched by
name against what the research retrieved. Research that was partial (a search or a model call
failed) flags nothing: what it missed may still be there. A finding the editor
deleted stays deleted unless it comes back with evidence from a source the draft did not list.
An edited analysis is kept and the regenerated one offered beside it; an untouched one (its
digest matches the baseline) is regenerated. Gaps: untouched are regenerated, edited are kept.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from pydantic import ValidationError

from pipeline.baseline import analysis_digest, finding_key, fold, gaps_digest, take_match
from pipeline.drafts.diff import preview
from pipeline.drafts.files import read_draft, require_report
from pipeline.drafts.model import ParsedDraft
from pipeline.drafts.sources import named_sources
from pipeline.errors import UsageError
from pipeline.generate import check_templates, research
from pipeline.models import Baseline, Finding, Gap, GapKind, Report, ResearchRequest, RunMetadata, Source, TimeWindow
from pipeline.output import ensure_writable, write_report
from pipeline.registry import DEFAULT_MODEL
from pipeline.report.formatting import format_date
from pipeline.report.render import render_markdown

NEW = "New in refresh of {date}"
NOT_FOUND = "Source not found in refresh of {date}"
_NOT_FOUND_PREFIX = NOT_FOUND.split(" {", 1)[0]
_REFRESHED_STEM = re.compile(r"-refreshed(?:-\d+)?$")


@dataclass(frozen=True)
class RefreshOptions:
    """What to change from the draft's recorded request and research; None keeps the recorded value."""

    as_of: date | None = None
    window: TimeWindow | None = None
    query_count: int | None = None
    topic: str | None = None
    model: str | None = None
    search: str | None = None
    corpus: Path | None = None
    prompts: Path | None = None
    templates: Path | None = None
    use_cache: bool = True


@dataclass
class RefreshSummary:
    kept: int = 0
    new: list[str] = field(default_factory=list)
    flagged: list[str] = field(default_factory=list)
    partial: str = ""
    unconfirmed: list[str] = field(default_factory=list)
    stayed_deleted: int = 0
    analysis: str = ""
    gaps: str = ""
    gaps_not_added: list[str] = field(default_factory=list)
    queries_added: int = 0
    queries_removed: int = 0
    sources_added: int = 0
    no_baseline: bool = False

    def lines(self) -> list[str]:
        """The summary printed after a refresh."""
        counts = [f"{self.kept} kept as written", f"{len(self.new)} new", f"{len(self.flagged)} flagged (source not found)"]
        if self.stayed_deleted:
            counts.append(f"{self.stayed_deleted} you deleted stayed deleted")
        lines = []
        if self.partial:
            unconfirmed = len(self.unconfirmed)
            lines.append(f"Warning: research was partial: {self.partial}, so nothing was flagged as source not found"
                         + (f"; {unconfirmed} finding{'s' * (unconfirmed != 1)} it did not turn up (?) {'are' if unconfirmed != 1 else 'is'} unconfirmed"
                            if unconfirmed else ""))
        lines.append("Findings: " + ", ".join(counts))
        lines += [f"  + {preview(s)}" for s in self.new] + [f"  ! {preview(s)}" for s in self.flagged]
        lines += [f"  ? {preview(s)}" for s in self.unconfirmed]
        lines.append(f"Analysis: {self.analysis}")
        lines.append(f"Gaps: {self.gaps}")
        lines += [f"  not added: {title}" for title in self.gaps_not_added]
        lines.append(f"Queries: {self.queries_added} added, {self.queries_removed} removed; sources: {self.sources_added} added")
        if self.no_baseline:
            lines.append("Note: the draft records no baseline, so its analysis and gaps were treated as edited "
                         "and any finding it lacks was added as new")
        return lines


@dataclass(frozen=True)
class Refreshed:
    path: Path
    report: Report
    summary: RefreshSummary


def refresh_draft(
    path: Path,
    options: RefreshOptions,
    *,
    warn: Callable[[str], None] = lambda message: None,
    on_stage: Callable[[str], None] = lambda stage: None,
) -> Refreshed:
    """Research the draft's request again and write the merge beside the draft (never over it)."""
    parsed = read_draft(path)
    request = refresh_request(parsed, options)
    recorded = require_report(parsed).metadata if parsed.request_origin != "inferred" else None
    corpus = options.corpus or _recorded_corpus(parsed, recorded)
    templates = options.templates or recorded_templates(recorded, warn)
    check_templates(templates, options.prompts)
    ensure_writable(path.parent)
    fresh = research(
        request,
        model=options.model or (recorded and recorded.requested_model) or DEFAULT_MODEL,
        corpus=corpus,
        search=options.search or (None if corpus else (recorded.search if recorded else None)),
        prompts=options.prompts,
        use_cache=options.use_cache,
        warn=warn,
        on_stage=on_stage,
    )
    merged, summary = merge(parsed, fresh)
    stem = _REFRESHED_STEM.sub("", path.stem) + "-refreshed"
    if templates is not None:
        merged = merged.model_copy(update={"metadata": merged.metadata.model_copy(update={"templates": str(templates)})})
    markdown = render_markdown(merged, templates)
    written = write_report(path.parent, stem, markdown, merged.model_dump_json(indent=2))
    return Refreshed(path=written, report=merged, summary=summary)


def recorded_templates(recorded: RunMetadata | None, warn: Callable[[str], None]) -> Path | None:
    """The ``--templates`` folder the draft was made with, so the refresh keeps its layout."""
    if recorded is None or recorded.templates is None:
        return None
    folder = Path(recorded.templates)
    if not folder.is_dir():
        warn(f"the draft was rendered with templates from {folder}, which is gone; the built-in template is used")
        return None
    return folder


def refresh_request(parsed: ParsedDraft, options: RefreshOptions) -> ResearchRequest:
    """The draft's request, as of today (or ``--as-of``); ``--topic`` stands in for a deleted one."""
    recorded = require_report(parsed).request
    as_of = options.as_of or date.today()
    if parsed.request_origin == "inferred":
        if not options.topic:
            raise UsageError(
                f"{parsed.path}: the draft's request metadata is gone (no hidden groundbrief comment, no .json "
                f"beside it), so what to research is unknown: pass --topic, e.g. --topic "
                f"{shlex.quote(recorded.title_line)} (and --window if not {recorded.window}, read from its queries); "
                f"the corpus and model it was researched with are not recorded either: pass --corpus DIR and --model "
                f"NAME (its Model line says {_model_line(parsed)!r}) unless the sample corpus and {DEFAULT_MODEL} will do"
            )
        try:
            return ResearchRequest.from_title_line(
                options.topic, as_of=as_of, window=options.window or recorded.window,
                query_count=options.query_count or recorded.query_count,
            )
        except ValidationError as error:
            raise UsageError(f"--topic: {error.errors()[0]['msg'].removeprefix('Value error, ')}") from None
    if options.topic:
        raise UsageError(f"{parsed.path}: the draft records its request; --topic is only for drafts whose metadata was deleted")
    update: dict[str, object] = {"as_of": as_of}
    if options.window:
        update["window"] = options.window
    if options.query_count:
        update["query_count"] = options.query_count
    return recorded.model_copy(update=update)


def _model_line(parsed: ParsedDraft) -> str:
    return fold(parsed.report.metadata.model) if parsed.report else "unknown"


def _recorded_corpus(parsed: ParsedDraft, recorded: RunMetadata | None) -> Path | None:
    """The local corpus the draft was researched in, as the ``.json`` beside it records it; None for
    the sample corpus or the web.

    A folder named only in the draft's hidden comment is not searched: a draft can come from
    anyone, and its comment could point the research at a private folder whose notes would end up
    in the new version. The run names the folder instead, and ``--corpus`` confirms it."""
    if recorded is None:
        return None
    trusted = parsed.companion.metadata.corpus if parsed.companion else None
    if recorded.corpus is not None and trusted != recorded.corpus:
        beside = (f"the .json beside it records {trusted or 'the sample corpus'}" if parsed.companion
                  else "no .json beside it records it")
        raise UsageError(
            f"{parsed.path}: the draft's hidden comment names the corpus {recorded.corpus}, but {beside}; "
            f"it is searched only when you name it: pass --corpus {shlex.quote(recorded.corpus)}"
        )
    if trusted is None:  # no corpus: the sample one, or a search that takes none
        return None
    if Path(trusted).is_dir():
        return Path(trusted)
    raise UsageError(f"{parsed.path}: the draft was researched in {trusted}, which is not here: pass --corpus")


def merge(parsed: ParsedDraft, fresh: Report) -> tuple[Report, RefreshSummary]:
    """The draft brought up to date with ``fresh`` research, and what changed."""
    draft = _described(require_report(parsed), fresh)
    baseline = parsed.baseline
    summary = RefreshSummary(no_baseline=baseline is None, partial=_partial_research(fresh))
    listed = {s.url for s in draft.sources} | {s.url for s in (parsed.companion.sources if parsed.companion else [])}
    recorded = {finding_key(f.snippet) for f in parsed.companion.findings} if parsed.companion else set()
    findings = _merge_findings(draft, fresh, baseline, listed, recorded, summary)
    analysis, offered = _merge_analysis(draft, fresh, baseline, summary)
    gaps = _merge_gaps(draft, fresh, baseline, summary)
    new_sources = [s for s in fresh.sources if s.url not in {d.url for d in draft.sources}]
    summary.sources_added = len(new_sources)
    summary.queries_added = len(set(fresh.queries) - set(draft.queries))
    summary.queries_removed = len(set(draft.queries) - set(fresh.queries))
    merged = Report(
        request=fresh.request,
        queries=fresh.queries,
        sources=draft.sources + new_sources,
        analysis=analysis,
        findings=findings,
        gaps=gaps,
        metadata=fresh.metadata,
        offered_analysis=offered,
        # An edited analysis is kept, and with it the paragraph on what changed since the previous briefing.
        series=draft.series if draft.series and fold(draft.series.summary) in map(fold, analysis) else None,
        baseline=Baseline(
            analysis=analysis_digest(fresh.analysis),
            gaps=gaps_digest(fresh.gaps),
            findings=list(dict.fromkeys([*(baseline.findings if baseline else []), *(finding_key(f.snippet) for f in fresh.findings)])),
        ),
    )
    return merged, summary


def _described(draft: Report, fresh: Report) -> Report:
    """``draft`` with the title and date of each of its documents that the research read again, where the
    draft records none (a draft of an older version without its ``.json``, a link an editor added): they say
    whose claim "the drug maker posted…" is, so the new version keeps them."""
    read = {source.url: source for source in [*fresh.sources, *(s for f in fresh.findings for s in f.sources)]}

    def described(source: Source) -> Source:
        found = read.get(source.url)
        if found is None:
            return source
        dated = {"published": found.published, "date_source": found.date_source} if source.published is None else {}
        return source.model_copy(update={"title": source.title or found.title, **dated})

    return draft.model_copy(update={
        "sources": [described(s) for s in draft.sources],
        "findings": [f.model_copy(update={"sources": [described(s) for s in f.sources]}) for f in draft.findings],
    })


def _partial_research(report: Report) -> str:
    """What failed in ``report``'s research (``2 searches failed``), or "" if it is complete."""
    if not report.metadata.partial:
        return ""
    failures = [g for g in report.gaps if g.kind == GapKind.FAILURE]
    searches = sum(g.title == "Failed search" for g in failures)
    calls = len(failures) - searches
    parts = [f"{searches} search{'es' * (searches != 1)} failed"] if searches else []
    parts += [f"{calls} model call{'s' * (calls != 1)} failed"] if calls else []
    return ", ".join(parts) or "a search or model call failed"


def _merge_findings(
    draft: Report, fresh: Report, baseline: Baseline | None, listed: set[str], recorded: set[str], summary: RefreshSummary
) -> list[Finding]:
    stamp = format_date(fresh.request.as_of)
    unmatched = list(fresh.findings)
    merged = []
    for finding in draft.findings:
        found = take_match(finding.snippet, unmatched, _snippet) is not None or _turns_up(
            finding, fresh.sources, by_url=finding_key(finding.snippet) in recorded
        )
        if found:
            summary.kept += 1
            status = None if (finding.status or "").startswith(_NOT_FOUND_PREFIX) else finding.status
        elif summary.partial:  # what a failed search or model call missed may still be there
            summary.kept += 1
            summary.unconfirmed.append(finding.snippet)
            status = finding.status
        else:
            summary.flagged.append(finding.snippet)
            status = NOT_FOUND.format(date=stamp)
        merged.append(finding.model_copy(update={"status": status}))
    deleted = set(baseline.findings) if baseline else set()
    for finding in unmatched:
        if finding_key(finding.snippet) in deleted and not {s.url for s in finding.sources} - listed:
            summary.stayed_deleted += 1
            continue
        summary.new.append(finding.snippet)
        merged.append(finding.model_copy(update={"status": NEW.format(date=stamp)}))
    return merged


def _snippet(finding: Finding) -> str:
    return finding.snippet


def _turns_up(finding: Finding, sources: list[Source], *, by_url: bool) -> bool:
    """Whether one of the finding's own documents is among ``sources``, by link.

    ``by_url``: the finding's documents are recorded. Otherwise they are the listed links its Source
    line names; a hand-added finding that names nothing listed is matched by name, as nothing else
    says which documents it means.
    """
    urls = {s.url for s in finding.sources}
    if by_url or urls:
        return any(s.url in urls for s in sources)
    return bool(named_sources(finding.source_label, sources))


def _merge_analysis(
    draft: Report, fresh: Report, baseline: Baseline | None, summary: RefreshSummary
) -> tuple[list[str], list[str]]:
    """(analysis, offered analysis)."""
    if baseline is not None and analysis_digest(draft.analysis) == baseline.analysis:
        summary.analysis = "regenerated (it was not edited)"
        return fresh.analysis, []
    if analysis_digest(draft.analysis) == analysis_digest(fresh.analysis):
        summary.analysis = "kept (the regenerated one is the same)"
        return draft.analysis, []
    summary.analysis = "kept your edited analysis; the regenerated one is offered beside it"
    return draft.analysis, fresh.analysis


def _merge_gaps(draft: Report, fresh: Report, baseline: Baseline | None, summary: RefreshSummary) -> list[Gap]:
    if baseline is not None and gaps_digest(draft.gaps) == baseline.gaps:
        summary.gaps = "regenerated (they were not edited)"
        return fresh.gaps
    titles = {fold(g.title).casefold() for g in draft.gaps}
    summary.gaps_not_added = [g.title for g in fresh.gaps if fold(g.title).casefold() not in titles]
    summary.gaps = "kept your edited gaps" + ("; regenerated gaps not in them:" if summary.gaps_not_added else "")
    return draft.gaps

