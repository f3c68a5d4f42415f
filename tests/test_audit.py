"""The prose audit: figures read across their written forms, unsupported statements found and removed,
the tool's own counts left alone, and the embedded analyst's prose fully supported on the sample corpus."""

from __future__ import annotations

import pytest

from pipeline.audit import REMOVED_RATIONALE, audited_report
from pipeline.figures import extract
from pipeline.generate import research
from pipeline.models import Evidence, Gap, GapKind, SearchResults, Source
from tests.conftest import FixedSearcher, make_request


def one(text: str):
    (figure,) = extract(text)
    return figure


@pytest.mark.parametrize(
    ("written", "same"),
    [
        ("$10bn", "$10 billion"),
        ("$10 billion", "$10,000 million"),
        ("USD 10 billion", "10 billion dollars"),
        ("2,522", "2522"),
        ("2,522 tokens per second", "2522 tokens/s"),
        ("21x", "21×"),
        ("21x", "21 times"),
        ("87%", "87 percent"),
        ("$1.1B", "$1,100 million"),
        ("May 28, 2025", "2025-05-28"),
        ("28 May 2025", "May 28"),
    ],
)
def test_a_figure_matches_its_other_forms(written, same):
    assert one(written).matches(one(same)) and one(same).matches(one(written))


@pytest.mark.parametrize(
    ("written", "other"),
    [("$10bn", "$10 million"), ("87%", "87x"), ("$10bn", "€10bn"), ("May 28, 2025", "May 28, 2026"), ("73.4%", "73%")],
)
def test_different_figures_do_not_match(written, other):
    assert not one(written).matches(one(other))


def test_ranges_are_two_figures_with_one_unit_and_names_are_not_figures():
    assert [(f.kind, f.value) for f in extract("margins of 10-60%")] == [("percent", 10.0), ("percent", 60.0)]
    assert [(f.kind, f.value) for f in extract("$115-$125 per share")] == [("money", 115.0), ("money", 125.0)]
    assert extract("gpt-oss-120B on H100 and B300, Q3 FY2027, in its 10-K") == []
    assert [f.kind for f in extract("by 2027, at 2,522 t/s")] == ["year", "number"]


PASSAGE = (
    "Cerebras Systems has upsized its IPO to raise $4.8 billion, valuing the company at roughly $33 billion. "
    "Cerebras served Llama 4 Maverick at 2,522 tokens per second, 2.5x NVIDIA's Blackwell, on May 28, 2026."
)


@pytest.fixture
def made():
    """A real report from the embedded analyst over a one-document corpus, and its search results."""
    source = Source(url="https://www.businesswire.com/x", publisher="Business Wire")
    results = SearchResults(evidence=[Evidence(text=PASSAGE, source=source, query="q")], executed_queries=["q"])

    from pipeline.analysts.rules import RuleAnalyst
    from pipeline.cache import StageCache
    from pipeline.orchestrator import run_research
    from pipeline.stages import Backends

    report = run_research(make_request(), Backends(RuleAnalyst(), FixedSearcher(results)), StageCache(None, lambda m: None))
    return report, results


def test_invented_figures_and_publishers_are_removed_and_the_report_says_so(made):
    report, results = made
    invented = report.model_copy(update={
        "analysis": [*report.analysis, "Cerebras now holds 73.4% of the inference market. The IPO raised $4,800 million, "
                     "valuing it at $33bn. According to Reuters, demand is strong."],
        "findings": [report.findings[0].model_copy(update={"impact_rationale": "Revenue grew 512% last quarter."})],
        "gaps": [*report.gaps, Gap(title="Value", text="NVIDIA lost $918 billion in value.", kind=GapKind.WRITTEN)],
    })
    audited = audited_report(invented, results)
    unsupported = {(s.section, tuple(s.unsupported)) for s in audited.audit.sentences if not s.supported}
    assert unsupported == {("analysis", ("73.4%",)), ("analysis", ("Reuters",)), ("impact", ("512%",)), ("gap", ("$918 billion",))}
    text = " ".join([*audited.analysis, *(g.text for g in audited.gaps), audited.findings[0].impact_rationale])
    for figure in ("73.4%", "Reuters", "512%", "$918 billion"):
        assert figure not in text
    assert "The IPO raised $4,800 million, valuing it at $33bn." in audited.analysis[-1]  # supported: kept
    assert audited.findings[0].impact_rationale == REMOVED_RATIONALE
    assert [g.title for g in audited.gaps if g.kind == GapKind.WRITTEN] == []  # emptied, so dropped
    (note,) = [g for g in audited.gaps if g.kind == GapKind.AUDIT]
    assert note.text.startswith("4 sentences of the prose stated figures")
    assert audited.audit.removed == 4 and audited.audit.figures_checked > 8


def test_an_impact_rationale_is_held_to_its_own_snippet(made):
    report, results = made
    other = Evidence(text="Groq reached 1,345 tokens per second.", source=Source(url="https://groq.com/"), query="q")
    results = results.model_copy(update={"evidence": [*results.evidence, other]})
    claimed = report.model_copy(update={"findings": [
        report.findings[0].model_copy(update={"impact_rationale": "Faster than Groq's 1,345 tokens per second."})
    ]})
    (flagged,) = audited_report(claimed, results).audit.flagged
    assert (flagged.section, flagged.unsupported) == ("impact", ["1,345"])


def test_the_tools_own_counts_and_computed_gaps_are_not_claims(made):
    report, results = made
    counted = report.model_copy(update={
        "analysis": ["This briefing reviews 1 document; 1 of 1 key findings rates High, with 3 signals."],
        "gaps": [Gap(title="Failed search", text="2 searches failed after 3 attempts (HTTP 503).", kind=GapKind.FAILURE)],
    })
    assert audited_report(counted, results).audit.flagged == []
    written = counted.model_copy(update={"gaps": [Gap(title="x", text="503 customers left.", kind=GapKind.WRITTEN)]})
    assert [s.unsupported for s in audited_report(written, results).audit.flagged] == [["503"]]


def test_a_revision_replaces_the_flagged_sentence_once(made):
    report, results = made
    invented = report.model_copy(update={"analysis": ["Cerebras holds 73.4% of the market. Demand is strong."]})
    asked = []

    def revise(flagged):
        asked.append([s.unsupported for s in flagged])
        return ["Cerebras raised $4.8 billion in its IPO."]

    audited = audited_report(invented, results, revise)
    assert asked == [[["73.4%"]]]
    assert audited.analysis == ["Cerebras raised $4.8 billion in its IPO. Demand is strong."]
    (revised,) = [s for s in audited.audit.sentences if s.outcome == "revised"]
    assert revised.original == "Cerebras holds 73.4% of the market." and audited.audit.revised
    assert not [g for g in audited.gaps if g.kind == GapKind.AUDIT]


def test_a_revision_that_still_invents_is_removed(made):
    report, results = made
    invented = report.model_copy(update={"analysis": ["Cerebras holds 73.4% of the market."]})
    audited = audited_report(invented, results, lambda flagged: ["Cerebras holds 71% of the market."])
    assert audited.analysis == ["The analysis was removed: every sentence of it stated figures or named publishers "
                                "that the retrieved evidence does not support (see Contradictions and Gaps)."]
    (removed,) = [s for s in audited.audit.sentences if s.section == "analysis"]
    assert (removed.outcome, removed.unsupported, removed.original) == ("removed", ["71%"], "Cerebras holds 73.4% of the market.")


@pytest.mark.parametrize("window", ["3m", "12m", "5y"])
@pytest.mark.parametrize(
    "topic",
    [
        "Cerebras vs NVIDIA",
        "Groq vs NVIDIA",
        "How do Cerebras, Groq, and NVIDIA compare",
        "Are Cerebras/Groq customers publishing training/inference metrics displacing NVIDIA in production?,"
        "Customer case studies; vendor blogs; arXiv,Cerebras Groq production displacement metrics training inference",
    ],
)
def test_the_embedded_analyst_writes_no_unsupported_prose_on_the_sample_corpus(topic, window):
    report = research(make_request(topic, window=window, as_of=__import__("datetime").date(2026, 11, 24)), use_cache=False)
    assert report.audit.figures_checked > 0
    assert [(s.section, s.text, s.unsupported) for s in report.audit.flagged] == []
    assert not [g for g in report.gaps if g.kind == GapKind.AUDIT]


def test_verbose_prints_what_the_audit_checked(tmp_path):
    import re

    from click.testing import CliRunner

    from pipeline.cli import generate_report

    args = ["Cerebras vs NVIDIA", "--out", str(tmp_path), "--as-of", "2026-11-24", "-v"]
    result = CliRunner().invoke(generate_report, args)
    assert result.exit_code == 0, result.output
    line = re.search(r"(\d+) figures checked, (\d+) unsupported removed", result.stderr)
    assert line and int(line[1]) > 0 and line[2] == "0"


def test_a_report_json_from_before_the_audit_still_reads(made, tmp_path):
    """No ``audit`` key and only the gap kinds of the time: read as a report without an audit, and a draft
    beside such a .json is still checked with it."""
    import json

    from pipeline.drafts.files import read_draft
    from pipeline.models import Report
    from pipeline.report.render import render_markdown

    report, _ = made
    old = json.loads(report.model_dump_json())
    del old["audit"]
    assert {gap["kind"] for gap in old["gaps"]} <= {"contradiction", "coverage", "single-source", "undated", "window"}
    assert Report.model_validate(old).audit is None
    (tmp_path / "old.json").write_text(json.dumps(old))
    (tmp_path / "old.md").write_text(render_markdown(report))
    parsed = read_draft(tmp_path / "old.md")
    assert parsed.companion is not None and parsed.companion.audit is None and not parsed.issues


def test_an_unverified_snippet_supports_nothing(made):
    report, results = made
    unverified = report.findings[0].model_copy(update={
        "snippet": "Groq said GroqCloud passed 2.5 million developers.", "verified": False,
        "impact_rationale": "2.5 million developers is a leading indicator.",
    })
    claimed = report.model_copy(update={
        "findings": [unverified], "analysis": ["GroqCloud has 2.5 million developers."],
    })
    flagged = {(s.section, tuple(s.unsupported)) for s in audited_report(claimed, results).audit.flagged}
    assert flagged == {("analysis", ("2.5 million",)), ("impact", ("2.5 million",))}


def test_a_publisher_counts_only_where_a_statement_is_attributed_to_it(made):
    report, results = made
    prose = report.model_copy(update={"analysis": [
        "Customers said the move was about speed. Business Wire reported the IPO. The Information reported a deal."
    ]})
    (flagged,) = audited_report(prose, results).audit.flagged
    assert flagged.unsupported == ["The Information"]


def test_figures_about_the_world_are_claims_even_when_they_count_calls_or_companies(made):
    """Only the tool's own counts are exempt: "900 million API calls" and "250 companies" are claims."""
    report, results = made
    claimed = report.model_copy(update={"analysis": [
        "Groq served 900 million API calls in May. Cerebras now counts 250 enterprise companies as customers."
    ]})
    flagged = audited_report(claimed, results).audit.flagged
    assert sorted(figure for s in flagged for figure in s.unsupported) == ["250", "900 million"]


def test_a_range_of_years_is_read_as_years(made):
    report, results = made
    assert [f.kind for f in extract("from 2023 to 2025")] == ["year", "year"]
    assert [f.kind for f in extract("2023-2025")] == ["year", "year"]
    dated = report.model_copy(update={"analysis": ["Cerebras's inference record came in 2026, between 2025 and 2026."]})
    assert audited_report(dated, results).audit.flagged == []
