"""Briefing series: a new briefing says first what changed since the previous one of its series.

Scheduled briefings for the same company, request and quarter form a series (T-7, T-1, T-0); an
ad-hoc run joins one with ``generate-report --since PREVIOUS.md``. The previous briefing is read as
the editor left it (the drafts reader), so an edited impact or a deleted finding is what the new
briefing is compared with. The paragraph is computed from the findings, never written by a model:
it quotes only verified snippets of the new briefing, and the report records it in ``series``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from pipeline.baseline import fold
from pipeline.drafts.diff import ReportDiff, diff_reports
from pipeline.drafts.files import read_draft, require_report
from pipeline.errors import GroundbriefError
from pipeline.models import Finding, ImpactChange, Report, SeriesChanges, SeriesLink, Source
from pipeline.report.formatting import format_date

EXCERPT_CHARS = 100
LISTED = 3  # findings named one by one; the rest are counted


@dataclass(frozen=True)
class PreviousBriefing:
    """A briefing as the editor left it, and where it is."""

    path: Path
    report: Report

    def link(self, report: Report) -> Report:
        """``report`` with the what-changed paragraph opening its Analysis, and the link recorded.

        Passed to ``generate_report(amend=…)``, which applies it before rendering.
        """
        diff = diff_reports(self.report, report)
        since = self.report.request.as_of
        summary = f"Since the {format_date(since)} briefing: {_sentences(diff, report)}"
        link = SeriesLink(previous_path=str(self.path.resolve()), previous_date=since, changes=_changes(diff),
                          summary=summary)
        return report.model_copy(update={"analysis": [summary, *report.analysis], "series": link})


def load_previous(path: Path) -> PreviousBriefing:
    """Read ``path`` as a report draft; ``UsageError`` (one line, naming the file) if it can't be one."""
    return PreviousBriefing(path=path, report=require_report(read_draft(path)))


def find_previous(report_paths: Iterable[str], warn: Callable[[str], None]) -> PreviousBriefing | None:
    """The first of ``report_paths`` (most recent first) that is still there and readable as a report.

    A deleted briefing is passed over; one that can't be read any more is named in a warning, and the
    new briefing goes out without the comparison rather than not at all.
    """
    for path in map(Path, report_paths):
        if not path.is_file():
            continue
        try:
            return load_previous(path)
        except GroundbriefError as error:
            warn(f"not compared with the previous briefing: {error}")
            return None
    return None


def _changes(diff: ReportDiff) -> SeriesChanges:
    return SeriesChanges(
        new_findings=[entry.finding.snippet for entry in diff.added],
        dropped_findings=[entry.finding.snippet for entry in diff.removed],
        impact_changes=[
            ImpactChange(snippet=change.new.finding.snippet, before=change.changes["impact"][0],
                         after=change.changes["impact"][1])
            for change in diff.changed
            if "impact" in change.changes
        ],
        new_sources=diff.sources_added,
        dropped_sources=diff.sources_removed,
    )


def _sentences(diff: ReportDiff, report: Report) -> str:
    """What changed, one sentence per kind of change; the first starts lower-case after the colon."""
    impact_changes = [change for change in diff.changed if "impact" in change.changes]
    new_sources = [source for source in report.sources if source.url in diff.sources_added]
    sentences = []
    if diff.added:
        sentences.append(f"{_count(len(diff.added), 'new finding')}: {_listed([_named(e.finding) for e in diff.added])}")
    if impact_changes:
        changes = [f"{_quoted(c.new.finding)}, from {' to '.join(c.changes['impact'])}" for c in impact_changes]
        sentences.append(f"{_count(len(impact_changes), 'finding')} changed impact: {_listed(changes)}")
    if diff.removed:
        where = _listed([_where(entry.finding) for entry in diff.removed])
        sentences.append(f"{_count(len(diff.removed), 'finding')} of that briefing no longer turned up ({where})")
    if new_sources:
        sentences.append(f"{_count(len(new_sources), 'new source')}: {', '.join(_publishers(new_sources))}")
    if not sentences:
        return "no new findings, impact changes, dropped findings or new sources."
    return ". ".join([sentences[0], *(s[:1].upper() + s[1:] for s in sentences[1:])]) + "."


def _listed(items: list[str]) -> str:
    """``a; b; c; and 2 more``: the first few named, the rest counted."""
    more = f"; and {len(items) - LISTED} more" if len(items) > LISTED else ""
    return "; ".join(items[:LISTED]) + more


def _named(finding: Finding) -> str:
    what = _quoted(finding) if finding.verified else "an unverified model statement"
    return f"{what} ({finding.source_label}, {finding.impact.value} impact)"


def _quoted(finding: Finding) -> str:
    """The start of a verified snippet, verbatim; an unverified statement is named, never quoted."""
    if not finding.verified:
        return f"an unverified model statement from {finding.source_label}"
    text = fold(finding.snippet)
    if len(text) > EXCERPT_CHARS:
        text = text[:EXCERPT_CHARS].rsplit(" ", 1)[0].rstrip(",;:") + "…"
    return f'"{text}"'


def _where(finding: Finding) -> str:
    return ", ".join(part for part in (finding.source_label, finding.date_label) if part)


def _publishers(sources: list[Source]) -> list[str]:
    return list(dict.fromkeys(source.publisher or source.domain for source in sources))


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"
