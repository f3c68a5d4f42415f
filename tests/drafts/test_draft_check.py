"""``groundbrief check``: line-numbered messages, exit 0 clean / 1 problems / 2 not checkable, JSON."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipeline.cli import groundbrief
from tests.conftest import EXAMPLE_REPORT
from tests.drafts.conftest import edit, edit_field, field_line, finding_block, first_finding, generated, relabel_impact


def check(path: Path, *options: str):
    return CliRunner().invoke(groundbrief, ["check", str(path), *options])


def line_of(path: Path, text: str) -> int:
    return next(n for n, line in enumerate(path.read_text(encoding="utf-8").split("\n"), 1) if text in line)


def test_a_generated_report_is_clean(draft):
    result = check(draft)
    assert result.exit_code == 0, result.output
    assert result.output == f"{draft}: clean\n"


def test_each_rule_is_reported_at_its_line(draft):
    report = generated(draft)
    dated = first_finding(draft, lambda f: f.sources[0].published is not None)
    single = first_finding(draft, lambda f: len(f.sources) == 1)
    relabelled = next(n for n in range(len(report.findings)) if n not in (dated, single))
    cited = {s.url for f in report.findings for s in f.sources}
    link = next(s for s in report.sources if s.url.startswith("https://") and s.url not in cited)
    markdown = draft.read_text(encoding="utf-8")
    duplicate = finding_block(markdown, dated)
    snippet_line = markdown.split("\n")[field_line(markdown, dated, "Snippet") - 1]
    edit_field(draft, dated, "Date", lambda line: None)
    edit_field(draft, relabelled, "Impact", lambda line: relabel_impact(line, "Big."))
    edit_field(draft, single, "Source", lambda line: line + ", Bloomberg")
    edit(draft, f"({link.url})", "(javascript:alert(1))")
    edit(draft, "**Contradictions and Gaps:**", duplicate + "**Contradictions and Gaps:**")
    result = check(draft, "--format", "json")
    assert result.exit_code == 1, result.output
    report = json.loads(result.output)
    found = {(issue["line"], issue["code"]) for issue in report["issues"]}
    assert found == {
        (line_of(draft, snippet_line), "missing-field"),
        (line_of(draft, "**Impact:** Big."), "impact-level"),
        (line_of(draft, ", Bloomberg"), "unlisted-source"),
        (line_of(draft, "javascript:alert"), "link-scheme"),
        (line_of(draft, "**Contradictions and Gaps:**") - 6, "duplicate-finding"),
    }
    assert report["clean"] is False and report["errors"] == 5 and report["warnings"] == 0
    messages = {issue["code"]: issue["message"] for issue in report["issues"]}
    assert messages["missing-field"] == "the finding has no **Date:** line"
    assert messages["unlisted-source"] == "source 'Bloomberg' is not listed under ## Sources Referenced"
    assert messages["duplicate-finding"] == f"this finding repeats the one on line {line_of(draft, snippet_line)}"


def test_sections_missing_and_out_of_order(draft):
    markdown = draft.read_text(encoding="utf-8")
    queries = markdown[markdown.index("## Search Queries Used") : markdown.index("## Sources Referenced")]
    draft.write_text(markdown.replace(queries, "").replace("**Contradictions and Gaps:**", queries + "**Contradictions and Gaps:**"))
    result = check(draft)
    assert result.exit_code == 1
    line = line_of(draft, "## Search Queries Used")
    assert f"{draft}:{line}: error: ## Search Queries Used is out of order: it belongs before ## Sources Referenced (line 5)" in result.output
    assert result.output.count("out of order") == 1
    edit(draft, "## Search Queries Used\n", "")
    assert "error: section ## Search Queries Used is missing" in check(draft).output


def test_a_truncated_report_says_so(draft):
    markdown = draft.read_text(encoding="utf-8")
    draft.write_text(markdown[: markdown.index("**Contradictions and Gaps:**") - 200])
    result = check(draft)
    assert result.exit_code == 1
    assert "without **Contradictions and Gaps:**: the file looks truncated" in result.output


def test_warnings_alone_leave_the_draft_clean(draft):
    level = generated(draft).findings[0].impact.value
    edit_field(draft, 0, "Impact", lambda line: relabel_impact(line, f"{level.lower()} -"))
    result = check(draft)
    assert result.exit_code == 0, result.output
    line = line_of(draft, f"**Impact:** {level.lower()} -")
    assert f"{draft}:{line}: warning: the impact is written as '{level}.'" in result.output
    assert result.output.endswith(f"{draft}: clean, 1 warning\n")


def test_the_example_report_names_a_source_it_may_not_list():
    result = check(EXAMPLE_REPORT)
    assert result.exit_code == 0, result.output  # without metadata, which link is which publisher is unknown
    assert (f"{EXAMPLE_REPORT}:38: warning: source 'Cerebras.net' is not listed under ## Sources Referenced, as far as "
            "can be told: without groundbrief metadata, which link a publisher stands for is unknown") in result.output
    assert "refresh needs --topic" in result.output


def _strip_metadata(draft: Path) -> None:
    markdown = draft.read_text(encoding="utf-8")
    draft.write_text(markdown[: markdown.index("<!-- groundbrief:report")], encoding="utf-8")


def test_an_untouched_report_without_its_metadata_is_clean_with_warnings(draft):
    _strip_metadata(draft)
    assert check(draft).exit_code == 0  # the .json beside it knows every publisher
    draft.with_suffix(".json").unlink()
    result = check(draft, "--format", "json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["clean"] is True and report["errors"] == 0
    unlisted = [issue for issue in report["issues"] if issue["code"] == "unlisted-source"]
    assert unlisted and all(issue["severity"] == "warning" for issue in unlisted)


def test_an_unlisted_source_is_an_error_where_publishers_are_known(draft):
    edit(draft, "**Contradictions and Gaps:**", '*   **Snippet:** "Groq doubled its inference capacity in 2026."\n'
         "    *   **Date:** 2026\n    *   **Source:** Bloomberg\n    *   **Impact:** Low. Vendor claim.\n"
         "    *   **Consensus Check:** Overlooked. Only Groq says so.\n\n**Contradictions and Gaps:**")
    line = line_of(draft, "**Source:** Bloomberg")
    expected = f"{draft}:{line}: error: source 'Bloomberg' is not listed under ## Sources Referenced\n"
    assert expected in check(draft).output  # hidden metadata
    _strip_metadata(draft)
    assert expected in check(draft).output  # the .json beside the draft
    draft.with_suffix(".json").unlink()
    result = check(draft)
    assert result.exit_code == 0 and f"{draft}:{line}: warning: source 'Bloomberg' is not listed" in result.output


def test_a_section_name_as_text_is_text_and_headings_may_vary_in_case_and_spacing(draft):
    edit(draft, "## Analysis\n\n", "## Analysis\n\nKey findings:\n\nSOURCES REFERENCED\n\n")
    result = check(draft)
    assert result.exit_code == 0, result.output
    edit(draft, "**Key Findings:**", "## key  findings")
    edit(draft, "**Contradictions and Gaps:**", "**CONTRADICTIONS AND GAPS**:")
    edit(draft, "## Sources Referenced", "### Sources Referenced:")
    assert check(draft).exit_code == 0


@pytest.mark.parametrize("output_format", ["text", "json"])
def test_a_file_that_is_not_a_report_exits_2(tmp_path, output_format):
    path = tmp_path / "notes.md"
    path.write_text("Shopping list\n- milk\n")
    result = check(path, "--format", output_format)
    assert result.exit_code == 2
    assert "is not a groundbrief report" in result.output
    if output_format == "json":
        assert json.loads(result.stdout) == {"file": str(path), "clean": False, "error": f"{path}: it is not a groundbrief report: there is no '# Research Query:' title line and none of its sections"}
    assert path.read_text() == "Shopping list\n- milk\n"
