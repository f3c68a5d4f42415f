"""``groundbrief diff``: findings added, removed and changed, queries and sources, text and JSON."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from click.testing import CliRunner

from pipeline.cli import groundbrief
from pipeline.drafts.diff import preview
from tests.drafts.conftest import edit, edit_field, finding_block, generated, relabel_impact


def diff(old: Path, new: Path, *options: str):
    result = CliRunner().invoke(groundbrief, ["diff", str(old), str(new), *options])
    assert result.exit_code == 0, result.output
    return result.output


REMOVED, RAISED, RELABELLED, ANNOTATED = 5, 0, 1, 2  # positions of the findings each edit touches


def other_consensus(label: str) -> str:
    return "Widely known" if label == "Overlooked" else "Overlooked"


def edited_copy(draft: Path) -> Path:
    """A copy with one finding removed, one's impact raised, one's consensus relabelled, one's
    rationale annotated, a query and a source changed, and a finding added."""
    report = generated(draft)
    new = Path(shutil.copy(draft, draft.with_name("edited.md")))
    raised = "Low" if report.findings[RAISED].impact.value == "High" else "High"
    edit_field(new, RAISED, "Impact", lambda line: relabel_impact(line, raised + "."))
    relabelled = report.findings[RELABELLED].consensus
    edit_field(new, RELABELLED, "Consensus Check",
               lambda line: line.replace(f"**Consensus Check:** {relabelled}.", f"**Consensus Check:** {other_consensus(relabelled)}."))
    edit_field(new, ANNOTATED, "Impact", lambda line: line + " As the editor notes.")
    markdown = new.read_text(encoding="utf-8")
    new.write_text(markdown.replace(finding_block(markdown, REMOVED), ""), encoding="utf-8")
    edit(new, "- Cerebras risks problems strike lawsuit investigation last 18 months\n", "- Cerebras wafer yield last 18 months\n")
    lines = new.read_text(encoding="utf-8").split("\n")
    new.write_text("\n".join(line for line in lines if not line.endswith(f"]({report.sources[-1].url})")), encoding="utf-8")
    edit(new, "**Contradictions and Gaps:**", '*   **Snippet:** "Groq doubled its inference capacity in 2026."\n'
         "    *   **Date:** 2026\n    *   **Source:** groq.com\n    *   **Impact:** Low. Vendor claim.\n"
         "    *   **Consensus Check:** Overlooked. Only Groq says so.\n\n**Contradictions and Gaps:**")
    return new


def test_terminal_output_calls_out_impact_and_consensus_changes(draft):
    report = generated(draft)
    new = edited_copy(draft)
    output = diff(draft, new)
    lines = output.split("\n")
    assert lines[0] == "Findings: 1 added, 1 removed, 3 changed"
    assert f'  + [Low · Overlooked] "Groq doubled its inference capacity in 2026."  ({new}:' in output
    removed = report.findings[REMOVED]
    assert f"  - [{removed.impact.value} · {removed.consensus}] {preview(removed.snippet, 70)}" in output
    raised = report.findings[RAISED].impact.value
    assert f"      IMPACT: {raised} → {'Low' if raised == 'High' else 'High'}" in lines
    relabelled = report.findings[RELABELLED].consensus
    assert f"      CONSENSUS: {relabelled} → {other_consensus(relabelled)}" in lines
    assert "      impact rationale edited" in lines
    assert "Queries: 1 added, 1 removed\n  + Cerebras wafer yield last 18 months\n  - Cerebras risks problems strike lawsuit investigation last 18 months" in output
    assert f"Sources: 0 added, 1 removed\n  - {report.sources[-1].url}" in output
    assert output.endswith("Analysis: unchanged\n")


def test_json_output_for_tooling(draft):
    report = generated(draft)
    new = edited_copy(draft)
    result = json.loads(diff(draft, new, "--format", "json"))
    findings = result["findings"]
    assert [f["snippet"] for f in findings["added"]] == ["Groq doubled its inference capacity in 2026."]
    assert findings["removed"][0]["impact"] == report.findings[REMOVED].impact.value and findings["removed"][0]["line"] > 40
    changes = {tuple(c["changes"]) for c in findings["changed"]}
    assert changes == {("impact",), ("consensus",), ("impact rationale",)}
    impact = next(c for c in findings["changed"] if "impact" in c["changes"])
    raised = report.findings[RAISED].impact.value
    assert impact["changes"]["impact"] == {"old": raised, "new": "Low" if raised == "High" else "High"}
    assert result["queries"] == {"added": ["Cerebras wafer yield last 18 months"], "removed": ["Cerebras risks problems strike lawsuit investigation last 18 months"]}
    assert result["sources"] == {"added": [], "removed": [report.sources[-1].url]}
    assert result["analysis_changed"] is False


def test_identical_reports_and_layout_only_edits_show_no_differences(draft):
    copy = Path(shutil.copy(draft, draft.with_name("copy.md")))
    copy.write_text(copy.read_text(encoding="utf-8").replace("\n", "\r\n").replace("\n*   ", "\n-   "), encoding="utf-8")
    assert diff(draft, copy) == "No differences in findings, queries, sources, gaps or analysis.\n"


def test_an_unreadable_side_is_a_one_line_error(draft, tmp_path):
    result = CliRunner().invoke(groundbrief, ["diff", str(draft), str(tmp_path / "nope.md")])
    assert result.exit_code == 1
    assert result.output == f"Error: {tmp_path / 'nope.md'}: no such file (expected a report draft)\n"


def test_a_damaged_side_is_refused_naming_the_first_problem(draft):
    cut = draft.with_name("cut.md")
    markdown = draft.read_text(encoding="utf-8")
    cut.write_text(markdown[: markdown.index("**Contradictions and Gaps:**") - 200], encoding="utf-8")
    result = CliRunner().invoke(groundbrief, ["diff", str(draft), str(cut)])
    assert result.exit_code == 1
    assert result.output.startswith(f"Error: {cut}: line ") and result.output.count("\n") == 1
    assert "the file looks truncated" in result.output and "run 'groundbrief check' for the full list" in result.output


def test_with_json_output_an_error_is_json_too(draft, tmp_path):
    missing = tmp_path / "nope.md"
    result = CliRunner().invoke(groundbrief, ["diff", str(draft), str(missing), "--format", "json"])
    assert result.exit_code == 1
    assert json.loads(result.stdout) == {"old": str(draft), "new": str(missing), "error": f"{missing}: no such file (expected a report draft)"}
