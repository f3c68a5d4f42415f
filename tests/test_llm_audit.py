"""The prose audit on the LLM path, end to end through the orchestrator with the scripted fake chat model:
one repair round, true rationales, unverified findings kept unverified, repeats merged, unusable output named."""

from __future__ import annotations

import json

from pipeline.analysts.llm import LLMAnalyst
from pipeline.cache import StageCache
from pipeline.drafts.check import check_draft
from pipeline.drafts.files import parse_text
from pipeline.models import GapKind, SearchResults
from pipeline.orchestrator import run_research
from pipeline.report.render import render_markdown
from pipeline.stages import Backends
from tests.conftest import FixedSearcher, make_request
from tests.test_llm_analyst import PASSAGE, FakeChatModel, _evidence, _finding

EXPANSION = json.dumps({"queries": [{"text": "Cerebras vs NVIDIA last 18 months"}]})
INVENTED = {
    "analysis": ["Cerebras served Llama 4 Maverick at 2,522 tokens per second. Cerebras now holds 73.4% of the "
                 "inference market."],
    "gaps": [{"title": "Valuation", "text": "NVIDIA lost $918 billion in value."}],
}


def run(replies: dict[str, list], results: SearchResults | None = None):
    """A report from the LLM analyst on the fake chat model, over fixed search results; and the fake. The
    analyst assesses and synthesizes apart when ``replies`` script the stages apart, else in one call."""
    chat = FakeChatModel({"expand": [EXPANSION], **{stage: [json.dumps(r) for r in items] for stage, items in replies.items()}})
    results = results or SearchResults(evidence=[_evidence(PASSAGE, "Wire")], executed_queries=["q"])
    backends = Backends(LLMAnalyst(chat, separate="assess" in replies), FixedSearcher(results))
    return run_research(make_request(), backends, StageCache(None, lambda message: None)), chat


def markdown_of(report) -> str:
    markdown = render_markdown(report)
    assert [i for i in check_draft(parse_text(markdown, report)) if i.severity == "error"] == []
    return markdown


def test_one_repair_round_then_what_is_still_unsupported_is_removed():
    finding = _finding() | {"impact_rationale": "Revenue grew 512% last quarter."}
    revision = {"sentences": [
        {"id": "S1", "text": "Cerebras now leads on inference speed."},  # fixed
        {"id": "S2", "text": "Revenue grew 510% last quarter."},  # still invented
    ]}
    report, chat = run({"assess": [{"findings": [finding]}], "synthesize": [INVENTED], "revise": [revision]})
    stages = [stage for stage, _ in chat.prompts]
    assert stages == ["expand", "assess", "synthesize", "revise"]  # one round, no more
    revise_prompt = chat.prompts[-1][1]
    assert "73.4%" in revise_prompt and "512%" in revise_prompt and "$918 billion" in revise_prompt
    markdown = markdown_of(report)
    for invented in ("73.4%", "512%", "510%", "918"):
        assert invented not in markdown
    assert "Cerebras now leads on inference speed." in markdown and "2,522 tokens per second" in markdown
    outcomes = {(s.section, s.outcome) for s in report.audit.sentences if s.outcome != "kept"}
    assert outcomes == {("analysis", "revised"), ("impact", "removed"), ("gap", "removed")}
    assert report.audit.revised and report.audit.removed == 2
    assert "**Unsupported statements removed:** 2 sentences" in markdown


def test_supported_prose_costs_no_repair_call():
    synthesis = {"analysis": ["Wire reported 2,522 tokens per second for Cerebras."], "gaps": []}
    report, chat = run({"assess": [{"findings": [_finding()]}], "synthesize": [synthesis]})
    assert [stage for stage, _ in chat.prompts] == ["expand", "assess", "synthesize"]
    assert report.audit.flagged == [] and not report.audit.revised
    assert {s.stage for s in report.metadata.stages} == {"expand", "search", "assess", "plan", "follow-up", "judge", "synthesize"}


def test_a_failed_repair_call_removes_the_unsupported_sentences():
    report, _ = run({"assess": [{"findings": [_finding()]}], "synthesize": [INVENTED], "revise": ["{", "{"]})
    assert report.audit.removed == 2 and "73.4%" not in markdown_of(report)


def test_an_unverified_quote_reaches_synthesis_marked_and_all_unverified_is_a_gap(capsys):
    invented_quote = _finding(quote="Cerebras is ten times faster than anything NVIDIA sells.")
    synthesis = {"analysis": ["The one finding could not be verified."], "gaps": []}
    report, chat = run({"assess": [{"findings": [invented_quote]}], "synthesize": [synthesis]})
    synthesize_prompt = dict(chat.prompts)["synthesize"]
    assert "<<<FINDING 1 UNVERIFIED " in synthesize_prompt and "UNVERIFIED is a model's" in synthesize_prompt
    (gap,) = [g for g in report.gaps if g.kind == GapKind.UNVERIFIED]
    assert gap.title == "No verified finding" and "None of the 1 findings could be verified" in gap.text


def test_all_unverified_is_said_on_stderr(tmp_path, monkeypatch):
    from pipeline import generate
    from pipeline.registry import Registry

    invented_quote = _finding(quote="Cerebras is ten times faster than anything NVIDIA sells.")
    chat = FakeChatModel({
        "expand": [EXPANSION],
        "assess": [json.dumps({"findings": [invented_quote]})],
        "synthesize": [json.dumps({"analysis": ["Nothing verified."], "gaps": []})],
    })
    results = SearchResults(evidence=[_evidence(PASSAGE, "Wire")], executed_queries=["q"])
    monkeypatch.setattr(Registry, "backends", lambda self, options, search=None: Backends(LLMAnalyst(chat, separate=True), FixedSearcher(results)))
    warnings: list[str] = []
    generate.research(make_request(query_count=2), use_cache=False, warn=warnings.append)
    assert warnings == ["None of the 1 findings could be verified: no quote was found in the source it cites, so every "
                        "finding is the model's statement, not evidence."]


def test_a_repeated_finding_is_merged_and_the_report_passes_check():
    results = SearchResults(
        evidence=[_evidence(PASSAGE, "Wire"), _evidence(PASSAGE, "Echo", url="https://echo.example/")],
        executed_queries=["q"],
    )
    repeated = {"findings": [_finding(), _finding(evidence_id="E2"), _finding(quote="Cerebras served Llama 4 Maverick at 2,522 tokens per second")]}
    synthesis = {"analysis": ["Wire and Echo report 2,522 tokens per second."], "gaps": []}
    report, _ = run({"assess": [repeated], "synthesize": [synthesis]}, results)
    (finding,) = report.findings
    # the same passage on two sites is one text republished: one publisher, both sites named
    assert finding.consensus == "Overlooked" and {s.publisher for s in finding.sources} == {"Wire", "Echo"}
    assert "Wire (also on Echo)" in finding.consensus_rationale
    markdown_of(report)


def test_unusable_model_output_is_named_not_blamed_on_the_evidence():
    report, _ = run({"assess": ["not json", "still not json"], "synthesize": [{"analysis": ["No findings."], "gaps": []}]})
    assert report.findings == [] and report.metadata.partial
    (gap,) = [g for g in report.gaps if g.kind == GapKind.UNUSABLE]
    assert gap.title == "Unusable model output"
    markdown = markdown_of(report)
    assert "the model's assessment of the evidence could not be used" in markdown
    assert "no retrieved passage made a measurable or commercial claim" not in markdown


def test_the_dry_run_says_the_revise_call_is_not_counted():
    from pipeline.generate import plan_report

    assert "Not counted: the one revise call" in plan_report(make_request(), model="gemini").table()
    assert "revise" not in plan_report(make_request()).table()  # the embedded analyst makes no model call


# --- assess and synthesize in one call (the default when the evidence fits one) ------------------------


def _combined(findings: list[dict], synthesis: dict) -> dict:
    return {"findings": findings, **synthesis}


def test_assess_and_synthesize_is_one_call_and_one_cached_stage(tmp_path):
    synthesis = {"analysis": ["Wire reported 2,522 tokens per second for Cerebras."], "gaps": [{"title": "Prices", "text": "None."}]}
    results = SearchResults(evidence=[_evidence(PASSAGE, "Wire")], executed_queries=["q"])
    cache = StageCache(tmp_path / "stages", print)
    chat = FakeChatModel({"expand": [EXPANSION], "assess+synthesize": [json.dumps(_combined([_finding()], synthesis))]})
    report = run_research(make_request(), Backends(LLMAnalyst(chat), FixedSearcher(results)), cache)
    assert [stage for stage, _ in chat.prompts] == ["expand", "assess+synthesize"]
    assert [s.stage for s in report.metadata.stages] == ["expand", "search", "assess+synthesize", "plan", "follow-up", "judge"]
    assert report.findings[0].verified and report.findings[0].consensus and report.analysis == synthesis["analysis"]
    assert [g.title for g in report.gaps if g.kind == GapKind.WRITTEN] == ["Prices"]
    assert report.metadata.model == "fake-model-001" and report.audit.flagged == []

    again = run_research(make_request(), Backends(LLMAnalyst(FakeChatModel({})), FixedSearcher(results)), cache)
    assert all(s.cached for s in again.metadata.stages) and again.analysis == report.analysis
    assert again.metadata.model == "fake-model-001"  # the version that wrote it, from the cache


def test_the_combined_call_is_revised_once_only_when_the_audit_flags_a_sentence():
    revision = {"sentences": [{"id": "S1", "text": "Cerebras now leads on inference speed."}, {"id": "S2", "text": ""}]}
    report, chat = run({"assess+synthesize": [_combined([_finding()], INVENTED)], "revise": [revision]})
    assert [stage for stage, _ in chat.prompts] == ["expand", "assess+synthesize", "revise"]
    assert "73.4%" not in markdown_of(report) and report.audit.revised


def test_the_combined_prompt_marks_unverified_passages_and_leaves_consensus_to_the_evidence():
    unverified = _evidence("Cerebras is ten times faster than anything NVIDIA sells.", "Blog").model_copy(update={"verified": False})
    results = SearchResults(evidence=[_evidence(PASSAGE, "Wire"), unverified], executed_queries=["q"])
    synthesis = {"analysis": ["Wire reported 2,522 tokens per second for Cerebras."], "gaps": []}
    _, chat = run({"assess+synthesize": [_combined([_finding()], synthesis)]}, results)
    prompt = dict(chat.prompts)["assess+synthesize"]
    assert "<<<EVIDENCE E2 UNVERIFIED " in prompt and "<<<EVIDENCE E1 " in prompt
    assert "Do not say how widely a finding is known, whether\n  it is overlooked or whether it is priced in" in prompt
