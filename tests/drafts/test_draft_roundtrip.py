"""Property: parsing what the renderer wrote gives back a report that renders byte-identically."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.drafts.files import parse_report, parse_text
from pipeline.drafts.model import DraftError
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
from pipeline.render import render_markdown

# Any text, including markdown, HTML, quotes and unicode; values that fold to nothing are kept out of
# lists whose blank items have no line of their own (an empty analysis paragraph is just blank lines).
text = st.text(st.characters(exclude_categories=["Cs"]), max_size=40)
words = text.filter(lambda value: value.strip())
# The consensus label ends at the first '. ' of its line, so a label can't contain one.
consensus = st.sampled_from([c.value for c in Consensus]) | text.filter(lambda v: not re.search(r"\.(\s|$)", " ".join(v.split())))
host = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,10}\.){0,3}[a-z]{2,6}", fullmatch=True)
path = st.text(st.characters(exclude_categories=["Cs", "Cc"]), max_size=25)
url = st.builds(lambda scheme, h, p: f"{scheme}://{h}/{p}", st.sampled_from(["http", "https"]), host, path) | st.builds(
    lambda p: f"file:///corpus/{p}", path
)
source = st.builds(Source, url=url, publisher=st.none() | words, label=st.none() | words)

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
    question=words,
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
                              timezones=st.none() | st.just(timezone.utc) | st.just(timezone(timedelta(hours=-5)))),
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


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(reports)
def test_render_parse_render_is_byte_identical(report):
    markdown = render_markdown(report)
    assert render_markdown(parse_report(markdown)) == markdown


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
