"""Property: parsing what the renderer wrote gives back a report that renders byte-identically."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, timezone

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from pipeline.controls import one_line
from pipeline.drafts.files import parse_report, parse_text
from pipeline.models import (
    Baseline,
    Consensus,
    Finding,
    Gap,
    Impact,
    Report,
    ResearchRequest,
    RunMetadata,
    Source,
    TimeWindow,
)
from pipeline.report.render import render_markdown
from pipeline.report.structure import DraftError

# Any text, including markdown, HTML, quotes, control characters and unicode; values that fold to
# nothing (once control characters are removed) are kept out of lists whose blank items have no line
# of their own (an empty analysis paragraph is just blank lines).
text = st.text(st.characters(exclude_categories=["Cs"]), max_size=40)
words = text.filter(one_line)
# The consensus label ends at the first '. ' of its line, so a label can't contain one; and a known
# label followed by punctuation ("Emerging, e.g") is read as that label, the rest as rationale.
KNOWN_LABEL_THEN_PUNCTUATION = re.compile(rf"^(?:{'|'.join(c.value for c in Consensus)})\s*[,;:—–-]", re.IGNORECASE)
consensus = st.sampled_from([c.value for c in Consensus]) | text.filter(
    lambda v: not re.search(r"\.(\s|$)", " ".join(v.split())) and not KNOWN_LABEL_THEN_PUNCTUATION.match(" ".join(v.split()))
)
host = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,10}\.){0,3}[a-z]{2,6}", fullmatch=True)
path = st.text(st.characters(exclude_categories=["Cs", "Cc"]), max_size=25)
url = st.builds(lambda scheme, h, p: f"{scheme}://{h}/{p}", st.sampled_from(["http", "https"]), host, path) | st.builds(
    lambda p: f"file:///corpus/{p}", path
)
source = st.builds(Source, url=url, publisher=st.none() | words, label=st.none() | words, title=st.just("") | words,
                   published=st.none() | st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 1, 1)))

finding = st.builds(
    Finding,
    snippet=text,
    date_label=text,
    source_label=text,
    sources=st.just([]),
    impact=st.sampled_from(list(Impact)),
    impact_rationale=text,
    consensus=consensus,
    consensus_rationale=text,
    verified=st.booleans(),
    status=st.none() | words,
)

request = st.builds(
    ResearchRequest,
    question=words.filter(lambda value: any(char.isalpha() for char in one_line(value))),
    source_hints=st.lists(words, max_size=2),
    keywords=st.lists(st.from_regex(r"[A-Za-z0-9]{1,8}", fullmatch=True), max_size=3),
    as_of=st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 1, 1)),
    window=st.builds(TimeWindow, amount=st.integers(1, 99), unit=st.sampled_from(["d", "w", "m", "y"])),
)

metadata = st.builds(
    RunMetadata,
    model=text,
    search_backend=text,
    generated_at=st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1),
                              timezones=st.none() | st.just(UTC) | st.just(timezone(timedelta(hours=-5)))),
    tool_version=text,
)

reports = st.builds(
    Report,
    request=request,
    queries=st.lists(text, max_size=4),
    sources=st.lists(source, max_size=4, unique_by=lambda s: s.url),
    analysis=st.lists(words, max_size=3),
    findings=st.lists(finding, max_size=3),
    gaps=st.lists(st.builds(Gap, title=text, text=text), max_size=3),
    metadata=metadata,
    offered_analysis=st.lists(words, max_size=2),
    baseline=st.none() | st.builds(Baseline, analysis=words, gaps=words, findings=st.lists(words, max_size=2)),
)


def _report(**changes) -> Report:
    """A small report, changed as given."""
    base = Report(
        request=ResearchRequest(question="Cerebras vs NVIDIA", as_of=date(2026, 11, 24), window=TimeWindow(amount=18, unit="m")),
        queries=["Cerebras inference"],
        sources=[Source(url="https://example.com/a")],
        analysis=["Cerebras gains."],
        findings=[Finding(snippet="Cerebras sold $1B.", date_label="May 1, 2026", source_label="example.com", sources=[], impact=Impact.HIGH,
                          impact_rationale="Big.", consensus="Emerging", consensus_rationale="Two say so.")],
        gaps=[Gap(title="Coverage", text="Thin.")],
        metadata=RunMetadata(model="offline-rules", search_backend="corpus", generated_at=datetime(2026, 11, 24, 9), tool_version="0.1.0"),
    )
    return base.model_copy(update=changes)


def _finding(**changes) -> Finding:
    return _report().findings[0].model_copy(update=changes)


# Text that reads like a section name is text, wherever it is: only heading syntax opens a section.
SECTION_NAMES = ["SOURCES REFERENCED", "KEY FINDINGS", "Key findings:", "Analysis", "Search Queries Used:",
                 "contradictions and gaps", "Regenerated Analysis:", "Sources  Referenced"]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(reports)
@example(_report(analysis=["SOURCES REFERENCED"]))
@example(_report(sources=[Source(url="file:///corpus/)%00"), Source(url="file:///c/My%20Notes.md")]))  # labels from decoded names
@example(_report(analysis=["KEY FINDINGS"]))
@example(_report(analysis=["Key findings:", "The IPO matters most."]))
@example(_report(analysis=SECTION_NAMES, offered_analysis=SECTION_NAMES))
@example(_report(queries=SECTION_NAMES, gaps=[Gap(title=name, text=name) for name in SECTION_NAMES]))
@example(_report(findings=[_finding(snippet=name, date_label=name, source_label=name, impact_rationale=name,
                                    consensus=name.rstrip(":"), consensus_rationale=name) for name in SECTION_NAMES]))
# Empty values render without a stray space or period, and read back as empty.
@example(_report(findings=[_finding(snippet="", date_label="", source_label="", impact_rationale="", consensus="", consensus_rationale="")]))
@example(_report(findings=[_finding(impact_rationale="", consensus_rationale=""), _finding(consensus="", consensus_rationale="Only one says so."),
                           _finding(snippet="", verified=False)]))
@example(_report(queries=[""], gaps=[Gap(title="Coverage", text="")], metadata=_report().metadata.model_copy(update={"model": ""})))
def test_render_parse_render_is_byte_identical(report):
    markdown = render_markdown(report)
    assert render_markdown(parse_report(markdown)) == markdown


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(reports)
def test_the_markdown_alone_gives_back_every_source_s_title_and_date(report):
    """Without the ``.json``: a title can be all that says whose claim a snippet states."""
    sources = parse_report(render_markdown(report)).sources
    assert [(s.title, s.published) for s in sources] == [(s.title, s.published) for s in report.sources]
    # A link with a record reads back as itself, not as another way of writing it ("{" or "%7B").
    assert all(read.url == s.url for read, s in zip(sources, report.sources, strict=True) if s.title or s.published)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(reports, st.data())
def test_a_mangled_report_yields_issues_never_a_crash(report, data):
    lines = render_markdown(report).split("\n")
    kept = data.draw(st.lists(st.sampled_from(range(len(lines))), max_size=len(lines)))
    try:
        parsed = parse_text("\n".join(lines[i] for i in kept))
    except DraftError:
        return  # too little left to be a report: refused with a message
    assert parsed.report is not None or parsed.errors
