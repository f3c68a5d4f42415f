"""What every report says whichever backend made it: each finding's Date and Source labels, and the
gaps the evidence itself shows (searches that failed, documents outside the window, undated and
single-source findings). Backends return only their judgements; the orchestrator adds these."""

from __future__ import annotations

from datetime import date

from pipeline.models import DateSource, Finding, Gap, GapKind, ResearchRequest, SearchResults, Source
from pipeline.report.formatting import format_date
from pipeline.text import join_names

UNDATED = "Undated (no publication date found in the source)"
EVENT_DATED = "Undated source; the text dates the event "


def date_label(source: Source, event: date | None = None) -> str:
    """``May 28, 2025``; ``January 16, 2026 (from the URL)`` when the date was read from the source's
    address rather than stated by it; for an undated source whose text dates the event, that day in
    words that can't be taken for a publication date; else why there is no date."""
    if source.published:
        return format_date(source.published) + (" (from the URL)" if source.date_source is DateSource.URL else "")
    if event is not None:
        return f"{EVENT_DATED}{format_date(event)}"
    return UNDATED


def source_label(sources: list[Source]) -> str:
    """The publishers carrying a finding, first the one quoted: ``Business Wire, The Next Platform``."""
    return ", ".join(source.publisher or source.domain for source in sources)


def labelled(finding: Finding) -> Finding:
    """``finding`` with its Date and Source labels computed from its sources."""
    return finding.model_copy(
        update={"date_label": date_label(finding.sources[0], finding.event_date), "source_label": source_label(finding.sources)}
    )


def evidence_gaps(request: ResearchRequest, results: SearchResults, findings: list[Finding]) -> list[Gap]:
    """The gaps any backend's report needs, in the order a reader weighs them."""
    gaps: list[Gap] = []
    if findings and not any(f.verified for f in findings):
        gaps.append(Gap(
            title="No verified finding",
            text=f"None of the {len(findings)} findings could be verified: no quote was found in the source it "
            "cites, so every finding is the model's statement, not evidence.",
            kind=GapKind.UNVERIFIED,
        ))
    single = [f for f in findings if f.corroboration <= 1]
    if single:
        publishers = join_names(sorted({source_label(f.sources[:1]) for f in single}))
        gaps.append(Gap(
            title="Single-source claims",
            text=f"{len(single)} of {len(findings)} key findings rest on one publisher ({publishers}); "
            "confirm them independently before relying on them.",
            kind=GapKind.SINGLE_SOURCE,
        ))
    undated = [f for f in findings if f.sources[0].published is None]
    if undated:
        cited = sorted({source_label(f.sources[:1]) for f in undated})
        many = len(undated) > 1
        dated = sum(f.event_date is not None for f in undated)
        when = (
            "how current the claim is cannot be checked" if not dated
            else "the text itself dates the event" if dated == len(undated)
            else f"the text dates the event for {dated} of them; how current the others are cannot be checked"
        )
        gaps.append(Gap(
            title="Undated evidence",
            text=f"{len(undated)} key finding{'s' if many else ''} cite{'' if many else 's'} an undated source "
            f"({join_names(cited)}); {when}.",
            kind=GapKind.UNDATED,
        ))
    if results.out_of_window:
        many = results.out_of_window > 1
        gaps.append(Gap(
            title="Outside the time window",
            text=f"{'At least ' if results.out_of_window_at_least else ''}{results.out_of_window} matching "
            f"document{'s were' if many else ' was'} dated before "
            f"{format_date(request.window_start)} or after {format_date(request.as_of)} and excluded by the "
            f"{request.window.phrase} window.",
            kind=GapKind.WINDOW,
        ))
    gaps.extend(failure.as_gap() for failure in results.failures)
    return gaps + results.gaps

