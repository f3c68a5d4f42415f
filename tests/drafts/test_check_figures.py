"""``groundbrief check`` warns (exit 0) about figures and publishers in the Analysis or a rationale that no
finding supports: editors add knowledge, so these ask for a second look rather than fail the draft."""

from __future__ import annotations

import json
import re
from pathlib import Path

from click.testing import CliRunner

from pipeline.cli import groundbrief
from tests.drafts.conftest import edit


def check_json(path: Path) -> tuple[int, dict]:
    result = CliRunner().invoke(groundbrief, ["check", str(path), "--format", "json"])
    return result.exit_code, json.loads(result.output)


def unsupported(payload: dict) -> list[tuple[int, str]]:
    return [(i["line"], i["message"].split("'")[1]) for i in payload["issues"] if i["code"] == "unsupported-figure"]


def line_of(path: Path, text: str) -> int:
    return next(n for n, line in enumerate(path.read_text(encoding="utf-8").split("\n"), 1) if text in line)


def first_paragraph(path: Path) -> str:
    lines = path.read_text(encoding="utf-8").split("\n")
    return next(line for line in lines[lines.index("## Analysis") + 1 :] if line.strip())


def first_impact(path: Path) -> str:
    return next(line for line in path.read_text(encoding="utf-8").split("\n") if "**Impact:** " in line)


def test_figures_no_finding_supports_are_warnings_listed_in_json(draft):
    paragraph, impact = first_paragraph(draft), first_impact(draft)
    edit(draft, paragraph, paragraph + " Cerebras now holds 73.4% of the market, according to Reuters.")
    edit(draft, impact, re.sub(r"(\*\*Impact:\*\* \w+\. )", r"\1Deals worth \\$12bn. ", impact, count=1))
    status, payload = check_json(draft)
    assert status == 0 and payload["clean"] and payload["errors"] == 0
    analysis, rationale = line_of(draft, "73.4%"), line_of(draft, "Deals worth")
    assert unsupported(payload) == [(analysis, "73.4%"), (analysis, "Reuters"), (rationale, "$12bn")]
    assert all(i["severity"] == "warning" for i in payload["issues"] if i["code"] == "unsupported-figure")


def test_figures_a_finding_states_in_another_form_are_supported(draft):
    paragraph = first_paragraph(draft)
    edit(draft, paragraph, paragraph + " The IPO raised \\$4,800 million at a \\$33bn valuation, as of November 24, 2026.")
    status, payload = check_json(draft)
    assert status == 0 and unsupported(payload) == []


def test_a_generated_report_has_no_such_warning_even_without_its_json(draft):
    draft.with_suffix(".json").unlink()
    status, payload = check_json(draft)
    assert status == 0 and payload["issues"] == []


def test_an_impossible_date_typed_into_a_date_line_is_no_crash(draft):
    """An editor's "June 31" is not a date of the report's own; check reads on."""
    text = draft.read_text(encoding="utf-8")
    date_line = next(line for line in text.split("\n") if line.lstrip().startswith("*   **Date:**"))
    edit(draft, date_line, "    *   **Date:** June 31, 2026", count=text.count(date_line))
    code, payload = check_json(draft)
    assert code == 0 and payload["issues"] is not None
