"""``groundbrief diff``: findings added, removed and changed, queries and sources, text and JSON."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from click.testing import CliRunner

from pipeline.cli import groundbrief
from tests.drafts.conftest import edit, finding_block


def diff(old: Path, new: Path, *options: str):
    result = CliRunner().invoke(groundbrief, ["diff", str(old), str(new), *options])
    assert result.exit_code == 0, result.output
    return result.output


def edited_copy(draft: Path) -> Path:
    new = Path(shutil.copy(draft, draft.with_name("edited.md")))
    markdown = new.read_text(encoding="utf-8")
    new.write_text(markdown.replace(finding_block(markdown, "OpenAI's large deal"), ""), encoding="utf-8")
    edit(new, "**Impact:** Medium. 2 signals: commercial traction (deals)", "**Impact:** High. 2 signals: commercial traction (deals)")
    edit(new, "**Consensus Check:** Emerging. Two independent publishers carry it (AI industry explainer",
         "**Consensus Check:** Overlooked. Two independent publishers carry it (AI industry explainer")
    edit(new, "primary source (Business Wire).", "primary source (Business Wire), as the editor notes.")
    edit(new, "- Cerebras analyst skepticism risks last 18 months\n", "- Cerebras wafer yield last 18 months\n")
    edit(new, "- [stratechery.com](https://stratechery.com/)\n", "")
    edit(new, "**Contradictions and Gaps:**", '*   **Snippet:** "Groq doubled its inference capacity in 2026."\n'
         "    *   **Date:** 2026\n    *   **Source:** groq.com\n    *   **Impact:** Low. Vendor claim.\n"
         "    *   **Consensus Check:** Overlooked. Only Groq says so.\n\n**Contradictions and Gaps:**")
    return new


def test_terminal_output_calls_out_impact_and_consensus_changes(draft):
    new = edited_copy(draft)
    output = diff(draft, new)
    lines = output.split("\n")
    assert lines[0] == "Findings: 1 added, 1 removed, 3 changed"
    assert f'  + [Low · Overlooked] "Groq doubled its inference capacity in 2026."  ({new}:' in output
    assert f"  - [Medium · Overlooked] \"OpenAI's large deal with Cerebras is about faster inference," in output
    assert "      IMPACT: Medium → High" in lines
    assert "      CONSENSUS: Emerging → Overlooked" in lines
    assert "      impact rationale edited" in lines
    assert "Queries: 1 added, 1 removed\n  + Cerebras wafer yield last 18 months\n  - Cerebras analyst skepticism risks last 18 months" in output
    assert "Sources: 0 added, 1 removed\n  - https://stratechery.com/" in output
    assert output.endswith("Analysis: unchanged\n")


def test_json_output_for_tooling(draft):
    new = edited_copy(draft)
    result = json.loads(diff(draft, new, "--format", "json"))
    findings = result["findings"]
    assert [f["snippet"] for f in findings["added"]] == ["Groq doubled its inference capacity in 2026."]
    assert findings["removed"][0]["impact"] == "Medium" and findings["removed"][0]["line"] > 40
    changes = {tuple(c["changes"]) for c in findings["changed"]}
    assert changes == {("impact",), ("consensus",), ("impact rationale",)}
    impact = next(c for c in findings["changed"] if "impact" in c["changes"])
    assert impact["changes"]["impact"] == {"old": "Medium", "new": "High"}
    assert result["queries"] == {"added": ["Cerebras wafer yield last 18 months"], "removed": ["Cerebras analyst skepticism risks last 18 months"]}
    assert result["sources"] == {"added": [], "removed": ["https://stratechery.com/"]}
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
