"""Reading reports back: the example, generated reports, editors' habits, and what can't be read."""

from __future__ import annotations

import json
import re
from datetime import date, datetime

import pytest

from pipeline.drafts.files import parse_report, parse_text, read_draft
from pipeline.errors import UsageError
from pipeline.inputs import MAX_INPUT_BYTES
from pipeline.models import Impact
from pipeline.report.formatting import inline
from pipeline.report.render import render_markdown
from pipeline.report.structure import DraftError
from tests.conftest import EXAMPLE_REPORT, EXAMPLE_TITLE_LINE
from tests.drafts.conftest import as_older_version, edit, edit_field, finding_blocks, first_finding, generated, relabel_impact


def test_reads_the_example_report():
    parsed = read_draft(EXAMPLE_REPORT)
    report = parsed.report
    assert report is not None and not parsed.errors
    assert report.request.title_line == EXAMPLE_TITLE_LINE
    assert report.request.source_hints == ["Customer case studies", "vendor blogs", "arXiv"]
    assert (str(report.request.window), report.request.as_of.isoformat()) == ("3m", "2025-08-27")
    assert parsed.request_origin == "inferred"
    assert report.metadata.model == "gemini-2.5-flash"
    assert report.metadata.generated_at == datetime(2025, 8, 27, 11, 58, 35)
    assert len(report.queries) == 12 and report.queries[-1] == "arXiv Groq NVIDIA displacement last 3 months"
    assert [s.label for s in report.sources] == ["businesswire.com", "cerebras.ai", "cerebras.ai", "groq.com", "groq.com"]
    assert all(s.url.startswith("https://vertexaisearch.cloud.google.com/grounding-api-redirect/") for s in report.sources)
    assert len(report.analysis) == 2 and report.analysis[1].startswith("While NVIDIA remains the market leader")
    first, second, third = report.findings
    assert first.snippet.startswith("Cerebras has beaten the Llama 4 Maverick") and first.snippet.endswith("flagship model.")
    assert (first.date_label, first.source_label, first.impact) == ("May 28, 2025", "Business Wire, Cerebras.net", Impact.HIGH)
    assert first.impact_rationale.startswith("This is a direct, recent")
    assert (first.consensus, second.consensus) == ("Overlooked", "Overlooked")
    assert first.consensus_rationale.startswith("While Cerebras is actively promoting this")
    assert second.date_label == "Undated (presented as current information, references May 28, 2025 news)"
    assert (third.impact, third.source_label) == (Impact.MEDIUM, "Groq.com (Case Studies, Blog)")
    assert third.consensus.startswith("Widely known within the niche communities")
    assert third.consensus_rationale.startswith("The specific customer names")
    assert [g.title for g in report.gaps] == ["Direct Head-to-Head Comparisons", "Scale of Displacement", "NVIDIA's Response", "Training vs. Inference"]


def test_rerendering_the_example_changes_no_text_and_says_where_formatting_is_lost():
    example = EXAMPLE_REPORT.read_text(encoding="utf-8").split("\n")
    parsed = parse_text("\n".join(example))
    rendered = render_markdown(parsed.report).split("\n")
    assert rendered[len(example)].startswith("<!-- groundbrief:report ")
    changed = [n for n, (a, b) in enumerate(zip(example, rendered), 1) if a != b]
    assert changed == [48, 56, 59]  # '|' and '*emphasis*' gain backslashes: same text, emphasis shown literally
    assert all(example[n - 1] == rendered[n - 1].replace("\\", "") for n in changed)
    assert {i.line for i in parsed.issues if i.code == "formatting"} == {56, 59}


def test_generated_report_round_trips_byte_for_byte(draft):
    markdown = draft.read_text(encoding="utf-8")
    assert render_markdown(parse_report(markdown)) == markdown
    assert not parse_text(markdown).issues


def _dash_bullets(md: str) -> str:
    return re.sub(r"^( *)\*   ", r"\1-   ", md, flags=re.MULTILINE)


def _reindent(md: str) -> str:
    return md.replace("\n    *   **", "\n\t* **").replace("\n*   **", "\n* **")


def _extra_blank_lines(md: str) -> str:
    return md.replace("\n", "\n\n")


def _no_blank_lines(md: str) -> str:
    """No blank lines, except between the analysis paragraphs (without them, markdown joins the paragraphs)."""
    head, analysis, tail = re.split(r"(?<=## Analysis\n)|(?=\*\*Key Findings:\*\*)", md)
    return re.sub(r"\n\n+", "\n", head) + analysis.strip("\n") + "\n" + re.sub(r"\n\n+", "\n", tail)


def _crlf(md: str) -> str:
    return md.replace("\n", "\r\n")


def _curly_snippet_quotes(md: str) -> str:
    return re.sub(r'\*\*Snippet:\*\* "(.*)"$', r"**Snippet:** “\1”", md, flags=re.MULTILINE)


def _wrapped_lines(md: str) -> str:
    """Long values wrapped at about 60 columns, continuation lines indented, as editors' tools do."""
    out = []
    for line in md.split("\n"):
        if line.lstrip().startswith(("*   **Impact", "*   **Consensus")) and len(line) > 80:
            head, _, _ = line[:60].rpartition(" ")
            out += [head, "      " + line[len(head) + 1 :]]
        else:
            out.append(line)
    return "\n".join(out)


def _bold_colon_outside(md: str) -> str:
    return md.replace("**Date:**", "**Date**:").replace("**Source:**", "**Source**:")


@pytest.mark.parametrize(
    "habit",
    [_dash_bullets, _reindent, _extra_blank_lines, _no_blank_lines, _crlf, _curly_snippet_quotes, _wrapped_lines, _bold_colon_outside],
)
def test_layout_habits_change_nothing_in_the_report(draft, habit):
    markdown = draft.read_text(encoding="utf-8")
    changed = habit(markdown)
    assert changed != markdown
    parsed = parse_text(changed)
    assert not parsed.errors, parsed.errors
    assert render_markdown(parsed.report) == markdown


def one_line(text: str) -> str:
    """Text as the markdown shows it: a snippet spanning paragraphs is one line there."""
    return " ".join(text.split())


def test_edited_reordered_deleted_and_added_findings_are_read_as_written(draft):
    markdown = draft.read_text(encoding="utf-8")
    generated_findings = generated(draft).findings
    blocks = finding_blocks(markdown)
    moved_up, moved_down, deleted = blocks[3], blocks[1], blocks[5]
    level_line = next(line for line in moved_down.split("\n") if "**Impact:**" in line)
    added = (
        '*   **Snippet:** "Groq said a bank cut inference latency by 80% after moving off GPUs."\n'
        "    *   **Date:** November 2, 2026\n    *   **Source:** Business Wire\n"
        "    *   **Impact:** High. Added by the editor from a call with the bank.\n"
        "    *   **Consensus Check:** Overlooked. Nobody else has reported it.\n\n"
    )
    edited = (
        markdown.replace(deleted, "")
        .replace(moved_down, "@@moved@@")
        .replace(moved_up, moved_down.replace(level_line, level_line + " And my own reasoning."))
        .replace("@@moved@@", relabel_impact(moved_up, "High."))
        .replace("**Contradictions and Gaps:**", added + "**Contradictions and Gaps:**")
    )
    report = parse_report(edited)
    order = [0, 3, 2, 1, 4]
    assert [one_line(f.snippet) for f in report.findings] == [one_line(generated_findings[n].snippet) for n in order] + [
        "Groq said a bank cut inference latency by 80% after moving off GPUs."]
    assert report.findings[1].impact == Impact.HIGH
    assert report.findings[3].impact_rationale == generated_findings[1].impact_rationale + " And my own reasoning."
    assert report.findings[5].source_label == "Business Wire" and report.findings[5].sources[0].domain == "businesswire.com"


def test_a_finding_without_a_date_is_read_and_rendered_without_losing_anything(draft):
    dated = first_finding(draft, lambda f: f.sources[0].published is not None)
    edit_field(draft, dated, "Date", lambda line: None)
    parsed = read_draft(draft)
    finding = parsed.report.findings[dated]
    assert one_line(finding.snippet) == one_line(generated(draft).findings[dated].snippet)
    assert finding.date_label == "" and not parsed.errors
    assert "    *   **Date:**\n" in render_markdown(parsed.report)


def test_empty_values_render_without_a_stray_space_or_period(draft):
    report = read_draft(draft).report
    first = report.findings[0]
    emptied = report.model_copy(update={"findings": [
        first.model_copy(update={"date_label": "", "source_label": "", "impact_rationale": "", "consensus": "", "consensus_rationale": ""}),
        first.model_copy(update={"snippet": "Said by the model.", "verified": False, "consensus_rationale": ""}),
        first.model_copy(update={"snippet": "No label.", "consensus": ""}),
    ]})
    markdown = render_markdown(emptied)
    assert not [line for line in markdown.split("\n") if line != line.rstrip()]
    findings = markdown[markdown.index("**Key Findings:**") : markdown.index("**Contradictions and Gaps:**")]
    assert f"    *   **Date:**\n    *   **Source:**\n    *   **Impact:** {first.impact.value}.\n    *   **Consensus Check:**\n" in findings
    assert f"    *   **Consensus Check:** {first.consensus}.\n" in findings  # a label without a rationale
    assert f"    *   **Consensus Check:** . {inline(first.consensus_rationale)}" in findings  # the '. ' marks where a missing label ends
    assert render_markdown(parse_report(markdown)) == markdown


def test_status_lines_and_an_offered_analysis_are_read_back(draft):
    report = read_draft(draft).report
    marked = report.model_copy(update={
        "findings": [report.findings[0].model_copy(update={"status": "New in refresh of November 24, 2026"}), *report.findings[1:]],
        "offered_analysis": ["A regenerated first paragraph.", "- A second one that starts like a list."],
    })
    markdown = render_markdown(marked)
    assert "    *   **Status:** New in refresh of November 24, 2026\n" in markdown
    assert "> \\- A second one that starts like a list.\n" in markdown
    again = parse_report(markdown)
    assert again.offered_analysis == marked.offered_analysis and again.analysis == marked.analysis
    assert [f.status for f in again.findings] == ["New in refresh of November 24, 2026"] + [None] * 5
    assert render_markdown(again) == markdown


def test_an_edited_title_is_the_request_and_edited_header_lines_are_reported(draft):
    edit(draft, "# Research Query: Cerebras vs NVIDIA", "# Research Query: Groq vs NVIDIA")
    edit(draft, "**Model:** offline-rules", "**Model:** my own judgement, offline-rules")
    parsed = read_draft(draft)
    assert parsed.report.request.question == "Groq vs NVIDIA" and str(parsed.report.request.window) == "18m"
    assert [(i.line, i.code, i.severity) for i in parsed.issues] == [(1, "title", "warning"), (3, "header", "warning")]
    assert render_markdown(parsed.report).split("\n")[0] == "# Research Query: Groq vs NVIDIA"


def _problem_lines(markdown: str) -> list[tuple[int | None, str]]:
    return [(i.line, i.code) for i in parse_text(markdown).errors]


def test_text_that_has_no_place_in_the_report_is_an_error_with_its_line(draft):
    lines = draft.read_text(encoding="utf-8").split("\n")
    gaps = lines.index("**Contradictions and Gaps:**")
    impact = next(n for n, line in enumerate(lines) if "**Impact:**" in line)
    lines[impact] = lines[impact].replace("**Impact:** High.", "**Impact:** Very high.")
    lines[gaps:gaps] = ["A note the editor left between findings.", "", "## Notes", "", "Call the bank.", ""]
    lines.insert(5, "<!-- TODO: check queries -->")
    markdown = "\n".join(lines)
    problems = _problem_lines(markdown)
    assert (6, "unreadable") in problems  # the HTML comment
    assert (impact + 2, "impact-level") in problems
    assert {(gaps + 2, "unreadable"), (gaps + 4, "unreadable"), (gaps + 6, "unreadable")} <= set(problems)
    with pytest.raises(DraftError, match=r"line 6: an HTML comment .* \(and 4 more\)"):
        parse_report(markdown)


def test_a_damaged_metadata_comment_is_reported(draft):
    markdown = draft.read_text(encoding="utf-8")
    cut = markdown[: markdown.rindex(" -->")]
    assert [i.code for i in parse_text(cut).errors] == ["truncated"]
    damaged = markdown.replace('"schema_version": 1', '"schema_version": "one"')
    assert "metadata comment is damaged" in parse_text(damaged).errors[0].message


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"Just some notes.\nNothing like a report.\n", "is not a groundbrief report"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "a binary file"),
        (b"# Research Query: caf\xe9\n", "not UTF-8"),
    ],
)
def test_files_that_are_not_reports_are_refused(tmp_path, content, message):
    path = tmp_path / "draft.md"
    path.write_bytes(content)
    with pytest.raises(UsageError, match=message):
        read_draft(path)


def test_huge_missing_and_folder_paths_are_refused(tmp_path):
    huge = tmp_path / "huge.md"
    huge.write_text("# Research Query: x\n" + "x" * MAX_INPUT_BYTES)
    for path, message in [(huge, "too large"), (tmp_path / "missing.md", "no such file"), (tmp_path, "not a file")]:
        with pytest.raises(UsageError, match=message):
            read_draft(path)


def test_a_report_from_a_newer_format_version_is_refused(draft):
    edit(draft, '"schema_version": 1', '"schema_version": 2')
    with pytest.raises(UsageError, match=r"newer groundbrief \(report format 2; this version reads format 1\)"):
        read_draft(draft)
    draft.with_suffix(".json").unlink()
    with pytest.raises(UsageError, match="upgrade groundbrief"):
        read_draft(draft)


def test_the_json_beside_the_draft_stands_in_for_deleted_metadata(draft):
    markdown = draft.read_text(encoding="utf-8")
    without = markdown[: markdown.rindex("<!-- groundbrief:report")]
    draft.write_text(without, encoding="utf-8")
    parsed = read_draft(draft)
    assert parsed.request_origin == "json" and parsed.baseline is not None
    assert render_markdown(parsed.report) == markdown
    draft.with_suffix(".json").unlink()
    parsed = read_draft(draft)
    assert parsed.request_origin == "inferred" and parsed.baseline is None
    assert [i.code for i in parsed.issues] == ["no-metadata"]


def test_without_the_json_the_hidden_metadata_still_names_every_source(draft):
    original = json.loads(draft.with_suffix(".json").read_text())
    draft.with_suffix(".json").unlink()
    report = read_draft(draft).report
    assert [s.publisher for s in report.sources] == [s["publisher"] for s in original["sources"]]
    for finding, recorded in zip(report.findings, original["findings"], strict=True):
        # A name can't tell two documents of one publisher apart, so it resolves to both.
        assert {s["url"] for s in recorded["sources"]} <= {s.url for s in finding.sources}
        assert {s.publisher for s in finding.sources} == {s["publisher"] for s in recorded["sources"]}


def test_without_the_json_the_hidden_metadata_still_gives_every_source_its_title_and_date(draft):
    """The title says whose claim "the drug maker posted…" is; the date is one of the report's own."""
    original = json.loads(draft.with_suffix(".json").read_text())
    draft.with_suffix(".json").unlink()
    report = read_draft(draft).report
    assert [(s.title, s.published) for s in report.sources] == [(s["title"], _day(s["published"])) for s in original["sources"]]
    assert all(s.title for s in report.sources)
    for finding, recorded in zip(report.findings, original["findings"], strict=True):
        titles = {s.url: s.title for s in finding.sources}
        assert all(titles[s["url"]] == s["title"] for s in recorded["sources"])


def _day(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


def test_a_draft_of_an_older_version_without_titles_and_dates_reads_as_before(draft):
    older = as_older_version(draft)
    draft.with_suffix(".json").unlink()
    parsed = read_draft(draft)
    assert not parsed.issues and parsed.report is not None
    assert {s.url: s.publisher for s in parsed.report.sources if s.publisher} == older["publishers"]
    assert all(s.title == "" and s.published is None for s in parsed.report.sources)


def test_a_paragraph_that_reads_like_a_section_name_stays_in_the_analysis(draft):
    markdown = draft.read_text(encoding="utf-8")
    lead_ins = "Key findings:\n\nSOURCES REFERENCED\n\nAnalysis\n\n"
    edited = markdown.replace("## Analysis\n\n", "## Analysis\n\n" + lead_ins, 1)
    parsed = parse_text(edited)
    assert not parsed.errors and not parsed.issues, parsed.issues
    assert parsed.report.analysis[:3] == ["Key findings:", "SOURCES REFERENCED", "Analysis"]
    assert render_markdown(parsed.report) == edited


@pytest.mark.parametrize(
    ("heading", "variant"),
    [
        ("**Key Findings:**", "**key findings**:"),
        ("**Key Findings:**", "## Key  Findings"),
        ("**Contradictions and Gaps:**", "** CONTRADICTIONS AND GAPS: **"),
        ("## Sources Referenced", "### sources referenced:"),
        ("## Analysis", "## **Analysis**"),
    ],
)
def test_section_headings_may_vary_in_case_and_spacing(draft, heading, variant):
    markdown = draft.read_text(encoding="utf-8")
    parsed = parse_text(markdown.replace(f"\n{heading}\n", f"\n{variant}\n", 1))
    assert not parsed.errors, parsed.errors
    assert render_markdown(parsed.report) == markdown


def _first_consensus(markdown: str, value: str) -> str:
    return re.sub(r"(?m)^(    \*   \*\*Consensus Check:\*\*) .*$", lambda m: f"{m[1]} {value}", markdown, count=1)


def test_a_known_consensus_label_followed_by_punctuation_is_the_label(draft):
    markdown = draft.read_text(encoding="utf-8")
    parsed = parse_text(_first_consensus(markdown, "Emerging, e.g. SEC filings show it. Two publishers carry it."))
    finding = parsed.report.findings[0]
    assert (finding.consensus, finding.consensus_rationale) == ("Emerging", "e.g. SEC filings show it. Two publishers carry it.")
    assert [i.code for i in parsed.issues] == ["normalized"]
    assert "    *   **Consensus Check:** Emerging. e.g. SEC filings show it. Two publishers carry it.\n" in render_markdown(parsed.report)
    for written, label in [("Widely known — to analysts. Many carry it.", "Widely known"),
                           ("Widely known among analysts. Many carry it.", "Widely known among analysts")]:
        assert parse_text(_first_consensus(markdown, written)).report.findings[0].consensus == label
