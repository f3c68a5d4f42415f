"""Property: ``groundbrief check`` passes every report the tool writes.

Findings are generated as an analyst could return them, many near-duplicates among them (the same
sentence with other figures, the same figures in other words, exact repeats in other case or
spacing), with any question, sources, analysis and gaps. They go through the real orchestrator,
renderer and writer, with fake backends that return them, and the written file is checked as
``groundbrief check`` reads it.
"""

from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from pipeline.cache import StageCache
from pipeline.controls import has_text, printable
from pipeline.drafts.check import check_draft
from pipeline.drafts.files import read_draft
from pipeline.models import (
    Assessment,
    Consensus,
    Evidence,
    Finding,
    Gap,
    Impact,
    SearchQuery,
    SearchResults,
    Source,
    Synthesis,
    TokenUsage,
)
from pipeline.orchestrator import run_research
from pipeline.output import write_report
from pipeline.report.render import render_markdown
from pipeline.stages import Backends
from tests.conftest import make_request
from tests.drafts.test_draft_roundtrip import text, url, words

SYNTHESIS = Synthesis(analysis=["Cerebras grows."], gaps=[Gap(title="Coverage", text="Thin.")])


class FakeAnalyst:
    """A fake backend: returns the generated findings as its assessment."""

    identity = "fake-analyst"
    model_label = "fake analyst"
    usage = TokenUsage()

    def __init__(self, findings: list[Finding], synthesis: Synthesis = SYNTHESIS):
        self.findings = findings
        self.synthesis = synthesis

    def expand(self, request):
        return [SearchQuery(text="Cerebras revenue")]

    def assess(self, request, results):
        return Assessment(findings=self.findings)

    def synthesize(self, request, results, assessment):
        self.synthesized = assessment.findings
        return self.synthesis


class FakeSearcher:
    """A fake backend: one passage from each generated source."""

    identity = "fake-searcher"
    description = "fake search"
    usage = TokenUsage()

    def __init__(self, sources: list[Source]):
        self.sources = sources

    def search(self, request, queries):
        evidence = [Evidence(text="Cerebras grows.", source=source, query=queries[0].text) for source in self.sources]
        return SearchResults(evidence=evidence, executed_queries=[q.text for q in queries])


figure = st.builds(lambda n, unit: f"${n}{unit}", st.sampled_from([136, 212, 301, 1, 13, 2026]), st.sampled_from(["m", " billion", ""]))
near_duplicate = st.builds(
    lambda template, value, quarter: template.format(value=value, quarter=quarter),
    st.sampled_from([
        "Quarterly revenue of {value} in {quarter}.",
        "Quarterly revenue of {value} in {quarter}!",
        "quarterly  REVENUE of {value} in {quarter}.",
        "Cerebras reported quarterly revenue of {value} in {quarter}.",
        "In {quarter}, quarterly revenue reached {value}.",
    ]),
    figure,
    st.sampled_from(["Q1", "Q2", "Q3 2026", "the third quarter"]),
)
# What every analyst guarantees (the rules always write text; a model's reply is validated): a quote
# and an impact rationale that show a letter or digit.
shown = words.filter(has_text)
snippet = near_duplicate | shown
publisher = st.none() | words | st.sampled_from(["Smith, Jones & Co", "Reuters", "Business Wire (press release)"])
source = st.builds(Source, url=url, publisher=publisher, published=st.none() | st.dates(date(2020, 1, 1), date(2026, 11, 24)))


@st.composite
def findings(draw, sources: list[Source]) -> list[Finding]:
    """Findings as an analyst returns them, citing sources from the evidence (the orchestrator labels them)."""
    found = []
    for _ in range(draw(st.integers(0, 8))):
        cited = draw(st.lists(st.sampled_from(sources), min_size=1, max_size=3, unique_by=lambda s: s.url))
        found.append(Finding(
            snippet=draw(snippet),
            sources=cited,
            impact=draw(st.sampled_from(list(Impact))),
            impact_rationale=draw(shown),
            consensus=draw(st.sampled_from([c.value for c in Consensus])),
            consensus_rationale=draw(text),
            verified=draw(st.booleans()),
        ))
    return found


# A model's analysis and gaps, read as its reply is (terminal escapes removed); the rules' are words.
synthesis = st.builds(
    Synthesis,
    analysis=st.lists(text.map(printable), min_size=1, max_size=3),
    gaps=st.lists(st.builds(Gap, title=text.map(printable), text=text.map(printable)), max_size=3),
)
question = words.filter(lambda value: any(char.isalpha() for char in printable(value)))


@st.composite
def research(draw) -> tuple[str, list[Source], list[Finding], Synthesis]:
    """What a run can be made of: a question, the sources found, the analyst's findings and synthesis."""
    sources = draw(st.lists(source, min_size=1, max_size=4, unique_by=lambda s: s.url))
    return draw(question), sources, draw(findings(sources)), draw(synthesis)


def _published(sources: list[Source], *snippets: str) -> tuple[str, list[Source], list[Finding], Synthesis]:
    cited = [sources[0]]
    return "Cerebras vs NVIDIA", sources, [
        Finding(snippet=s, sources=cited, impact=Impact.HIGH, impact_rationale="Big.", consensus="Emerging",
                consensus_rationale="Two say so.")
        for s in snippets
    ], SYNTHESIS


WIRE = [Source(url="https://www.businesswire.com/a", publisher="Business Wire")]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(research())
@example(_published(WIRE, *(f"Cerebras reported quarterly revenue of ${n}m." for n in (136, 212, 301))))
@example(_published(WIRE, "Cerebras sold $1B of systems.", "cerebras sold  $1B of systems!", "Cerebras sold $1B of systems."))
@example(_published([Source(url="https://a.example/x", publisher="Smith, Jones & Co")], "Groq raised $640m."))
@example(_published([Source(url="file:///corpus/,\u2603")], "Groq raised $640m."))  # a file named by a comma and a symbol
def test_check_passes_every_written_report(case):
    topic, sources, generated, synthesized = case
    backends = Backends(analyst=FakeAnalyst(generated, synthesized), searcher=FakeSearcher(sources))
    report = run_research(make_request(topic), backends, StageCache(None, warn=lambda message: None))
    with tempfile.TemporaryDirectory() as folder:
        path = write_report(Path(folder), "report", render_markdown(report), report.model_dump_json())
        errors = [issue for issue in check_draft(read_draft(path)) if issue.severity == "error"]
    assert errors == []


def test_findings_that_differ_only_in_figures_are_all_kept_and_a_repeat_is_dropped_before_synthesis():
    _, sources, generated, _ = _published(WIRE, *(f"Cerebras reported quarterly revenue of ${n}m." for n in (136, 212, 301)))
    repeat = generated[0].model_copy(update={"snippet": "cerebras reported quarterly  revenue of $136m!"})
    analyst = FakeAnalyst([*generated, repeat])
    report = run_research(make_request(), Backends(analyst=analyst, searcher=FakeSearcher(sources)),
                          StageCache(None, warn=lambda message: None))
    snippets = [f.snippet for f in generated]
    assert [f.snippet for f in report.findings] == [f.snippet for f in analyst.synthesized] == snippets
