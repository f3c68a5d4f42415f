"""Done-when of the prose audit: a Gemini model that invents figures in its analysis, its rationales and
its gaps gets one request to revise them, and the report prints none of them as fact (replayed from a
cassette through the real google-genai client)."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from pipeline.drafts.cli import check
from tests.gemini.scenarios import INVENTED_GROWTH, gemini_requests, report
from tests.gemini.test_gemini_report import check_report_against_its_cassette

INVENTED = ("73.4%", "512%", "$918 billion", "918", "Reuters")


@pytest.mark.vcr
@pytest.mark.default_cassette("invented_figures.yaml")
def test_figures_the_model_invents_are_never_printed_as_fact(tmp_path, vcr):
    result = report(tmp_path)
    report_, markdown = check_report_against_its_cassette(result, vcr)
    for invented in INVENTED:
        assert invented not in markdown, invented
    titles = [body["generationConfig"].get("responseSchema", {}).get("title") for body in gemini_requests(vcr)]
    assert titles.count("RevisionResponse") == 1  # one repair round
    (revise_prompt,) = [b["contents"][0]["parts"][0]["text"] for b in gemini_requests(vcr)
                        if b["generationConfig"].get("responseSchema", {}).get("title") == "RevisionResponse"]
    assert "73.4%" in revise_prompt and "512%" in revise_prompt and "$918 billion" in revise_prompt

    assert report_.findings[0].consensus_rationale.startswith("Only Business Wire carries")  # recomputed
    assert "Cerebras leads the measured benchmarks." in report_.analysis[0]
    saved = json.loads(result.markdown_path.with_suffix(".json").read_text())
    removed = {(s["section"], tuple(s["unsupported"])) for s in saved["audit"]["sentences"] if s["outcome"] == "removed"}
    assert removed == {("impact", ("512%",)), ("impact", ("Reuters",)), ("gap", ("$918 billion",))}
    revised = [s for s in saved["audit"]["sentences"] if s["outcome"] == "revised"]
    assert [s["original"] for s in revised] == ["Cerebras now holds 73.4% of the inference market."]
    assert all("verified" in finding for finding in saved["findings"])
    assert INVENTED_GROWTH in json.dumps(saved["audit"])  # recorded for the reader of the .json, not printed
    assert "**Unsupported statements removed:** 3 sentences" in markdown

    checked = CliRunner().invoke(check, [str(result.markdown_path), "--format", "json"])
    assert checked.exit_code == 0, checked.output
    assert json.loads(checked.output)["errors"] == 0
