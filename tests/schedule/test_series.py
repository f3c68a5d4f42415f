"""Briefing series: a T-1 briefing opens with what changed since the T-7 one; ``--since`` does it ad hoc."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipeline.cli import generate_report
from pipeline.models import Report
from pipeline.resources import sample_corpus_dir
from tests.conftest import write_doc
from tests.schedule.helpers import NVIDIA_WATCHLIST, run, write

NEW_SENTENCE = ("Groq said Helix Bank moved 40% of its production inference traffic from NVIDIA H100 GPUs to GroqCloud, "
                "cutting its cost per million tokens by 35%.")


def series_watchlist(folder: Path) -> Path:
    corpus = folder / "corpus"
    shutil.copytree(sample_corpus_dir(), corpus)
    return write(folder / "watchlist.toml", NVIDIA_WATCHLIST.replace('out_dir = "reports"', 'out_dir = "reports"\ncorpus = "corpus"'))


def analysis(path: Path) -> list[str]:
    section = path.read_text(encoding="utf-8").split("## Analysis\n\n", 1)[1].split("**Key Findings:**", 1)[0]
    return [paragraph for paragraph in section.split("\n\n") if paragraph.strip()]


def stored(path: Path) -> Report:
    return Report.model_validate_json(path.with_suffix(".json").read_text(encoding="utf-8"))


def test_the_t1_briefing_names_the_t7_date_and_the_finding_found_since(tmp_path):
    watchlist = series_watchlist(tmp_path)
    assert run("schedule", watchlist, "--as-of", "2026-11-18").exit_code == 0
    write_doc(tmp_path / "corpus", "helix.md", NEW_SENTENCE, title="Helix Bank moves inference to Groq",
              publisher="Test Wire", url="https://wire.example.com/helix", date="2026-11-21")
    dry = run("schedule", watchlist, "--as-of", "2026-11-24", "--dry-run")
    assert "compared with" in dry.stdout and "new: will run" in dry.stdout
    result = run("schedule", watchlist, "--as-of", "2026-11-24")
    assert result.exit_code == 0, result.output

    t7, t1 = sorted((tmp_path / "reports").glob("*are-cerebras*.md"))
    assert "t-7" in t7.name and "t-1" in t1.name
    since, opening = analysis(t1)[:2]
    series = stored(t1).series
    assert series is not None and NEW_SENTENCE in series.changes.new_findings
    count = len(series.changes.new_findings)  # the rules may also rank another finding in, beside the new document's
    assert since.startswith(f"Since the November 18, 2026 briefing: {count} new finding{'s' if count > 1 else ''}: "
                            "\"Groq said Helix Bank moved 40% of its")
    (helix,) = [f for f in stored(t1).findings if f.snippet == NEW_SENTENCE]  # its rating is the analyst's, not this test's
    assert f"(Test Wire, {helix.impact.value} impact)" in since and "1 new source: Test Wire" in since
    assert opening.startswith("As NVIDIA prepares to report its Q3 FY2027 earnings")
    assert analysis(t7)[0].startswith("As NVIDIA prepares")  # the first of its series compares with nothing

    assert (series.previous_path, series.previous_date.isoformat()) == (str(t7), "2026-11-18")
    assert series.changes.new_findings[0] == NEW_SENTENCE
    assert series.changes.new_sources == ["https://wire.example.com/helix"]
    assert series.summary == since.replace("\\", "")  # the markdown escapes what the JSON keeps as written
    assert run("check", t1).exit_code == 0


def test_an_edited_previous_briefing_is_the_one_compared_with(tmp_path):
    """The editor raised an impact and deleted a finding in the T-7 draft: the T-1 briefing sees their version."""
    watchlist = series_watchlist(tmp_path)
    assert run("schedule", watchlist, "--as-of", "2026-11-18").exit_code == 0
    (t7,) = (tmp_path / "reports").glob("*are-cerebras*.md")
    report = stored(t7)
    first, deleted = report.findings[0], report.findings[-1]
    text = t7.read_text(encoding="utf-8")
    raised = text.replace(f"**Impact:** {first.impact.value}.", "**Impact:** Low.", 1) if first.impact.value != "Low" \
        else text.replace("**Impact:** Low.", "**Impact:** High.", 1)
    block_start = raised.index(f"*   **Snippet:** \"{deleted.snippet[:40]}")
    block_end = raised.index("**Contradictions and Gaps:**")
    t7.write_text(raised[:block_start] + raised[block_end:], encoding="utf-8")

    assert run("schedule", watchlist, "--as-of", "2026-11-24").exit_code == 0
    (t1,) = (tmp_path / "reports").glob("*t-1-are-cerebras*.md")
    since = analysis(t1)[0]
    assert since.startswith("Since the November 18, 2026 briefing: 1 new finding")
    assert "1 finding changed impact" in since and f"to {first.impact.value}" in since
    changes = stored(t1).series.changes
    assert changes.new_findings == [deleted.snippet]
    assert [(c.snippet, c.after) for c in changes.impact_changes] == [(first.snippet, first.impact.value)]


def test_a_deleted_previous_briefing_is_passed_over_for_the_one_before(tmp_path):
    watchlist = series_watchlist(tmp_path)
    for day in ("2026-11-18", "2026-11-24"):
        assert run("schedule", watchlist, "--as-of", day).exit_code == 0
    for path in (tmp_path / "reports").glob("2026-11-24-*"):
        path.unlink()
    assert run("schedule", watchlist, "--as-of", "2026-11-25").exit_code == 0
    (t0,) = (tmp_path / "reports").glob("*t-0-are-cerebras*.md")
    assert analysis(t0)[0].startswith("Since the November 18, 2026 briefing: ")


def test_an_unreadable_previous_briefing_is_a_warning_and_the_briefing_still_goes_out(tmp_path):
    watchlist = series_watchlist(tmp_path)
    assert run("schedule", watchlist, "--as-of", "2026-11-18").exit_code == 0
    (t7,) = (tmp_path / "reports").glob("*are-cerebras*.md")
    t7.write_text("# Notes\nnot a report any more\n", encoding="utf-8")
    result = run("schedule", watchlist, "--as-of", "2026-11-24")
    assert result.exit_code == 0 and "2 done" in result.stdout
    (t1,) = (tmp_path / "reports").glob("*t-1-are-cerebras*.md")
    assert analysis(t1)[0].startswith("As NVIDIA prepares")
    log = (tmp_path / "log" / "schedule.log").read_text(encoding="utf-8")
    assert "not compared with the previous briefing: " in log and str(t7) in log


def generate(*args: str | Path):
    return CliRunner().invoke(generate_report, [str(arg) for arg in args], catch_exceptions=False)


def test_generate_report_since_an_earlier_briefing(tmp_path):
    first = generate("Cerebras vs NVIDIA", "--as-of", "2026-06-01", "--out", tmp_path, "-q")
    assert first.exit_code == 0, first.output
    previous = Path(first.stdout.strip())
    second = generate("Cerebras vs NVIDIA", "--as-of", "2026-11-24", "--out", tmp_path, "--since", previous, "-q")
    assert second.exit_code == 0, second.output
    path = Path(second.stdout.strip())
    assert analysis(path)[0].startswith("Since the June 1, 2026 briefing: ")
    series = stored(path).series
    assert series is not None and series.previous_date.isoformat() == "2026-06-01"
    assert series.changes.new_findings or series.changes.impact_changes or series.changes.dropped_findings


@pytest.mark.parametrize("content", [None, "just some notes\n"])
def test_since_a_file_that_is_not_a_briefing_is_one_error_and_nothing_written(tmp_path, content):
    since = tmp_path / "previous.md"
    if content is not None:
        since.write_text(content, encoding="utf-8")
    result = generate("Cerebras vs NVIDIA", "--out", tmp_path / "out", "--since", since)
    assert result.exit_code == 1
    assert len(result.stderr.strip().splitlines()) == 1 and result.stderr.startswith(f"Error: {since}: ")
    assert not (tmp_path / "out").exists()


def test_a_report_json_without_a_series_reads_and_writes_as_before(tmp_path):
    result = generate("Cerebras vs NVIDIA", "--as-of", "2026-06-01", "--out", tmp_path, "-q")
    data = json.loads(Path(result.stdout.strip()).with_suffix(".json").read_text(encoding="utf-8"))
    assert "series" not in data
    assert Report.model_validate(data).series is None


def test_the_paragraph_names_a_few_counts_the_rest_and_never_quotes_an_unverified_statement():
    from pipeline.generate import research
    from pipeline.series import PreviousBriefing
    from tests.conftest import make_request

    report = research(make_request("Cerebras vs NVIDIA"))
    assert len(report.findings) >= 5
    gone = report.findings[0].model_copy(update={"snippet": "A claim only the earlier briefing made.",
                                                 "source_label": "Old Wire", "date_label": "May 1, 2026"})
    previous = report.model_copy(update={"findings": [gone, *report.findings[4:]], "sources": report.sources[:1]})
    unverified = report.findings[3].model_copy(update={"verified": False, "source_label": "Model Wire"})
    current = report.model_copy(update={"findings": [*report.findings[:3], unverified, *report.findings[4:]]})

    linked = PreviousBriefing(Path("earlier.md"), previous).link(current)
    summary = linked.analysis[0]
    assert summary == linked.series.summary and linked.analysis[1:] == report.analysis
    assert summary.startswith(f"Since the {report.request.as_of:%B} {report.request.as_of.day}, "
                              f"{report.request.as_of.year} briefing: 4 new findings: \"")
    assert "; and 1 more. " in summary  # three named, the fourth (the unverified one) counted
    assert unverified.snippet[:30] not in summary
    assert "1 finding of that briefing no longer turned up (Old Wire, May 1, 2026)" in summary
    assert linked.series.changes.dropped_findings == [gone.snippet]
    assert len(linked.series.changes.new_findings) == 4


def test_an_unverified_new_finding_is_named_not_quoted():
    from pipeline.generate import research
    from pipeline.series import PreviousBriefing
    from tests.conftest import make_request

    report = research(make_request("Cerebras vs NVIDIA"))
    unverified = report.findings[0].model_copy(update={"verified": False, "source_label": "Model Wire"})
    current = report.model_copy(update={"findings": [unverified, *report.findings[1:]]})
    previous = report.model_copy(update={"findings": report.findings[1:]})
    summary = PreviousBriefing(Path("earlier.md"), previous).link(current).analysis[0]
    assert "1 new finding: an unverified model statement (Model Wire, " in summary
    assert unverified.snippet[:30] not in summary


def test_a_moved_earnings_date_stays_in_the_series_of_its_quarter(tmp_path):
    """The T-7 briefing was for November 25; the company then moved the report to the 26th."""
    watchlist = series_watchlist(tmp_path)
    assert run("schedule", watchlist, "--as-of", "2026-11-18").exit_code == 0
    watchlist.write_text(watchlist.read_text(encoding="utf-8").replace("2026-11-25", "2026-11-26"), encoding="utf-8")
    assert run("schedule", watchlist, "--as-of", "2026-11-25").exit_code == 0
    (t1,) = (tmp_path / "reports").glob("2026-11-25-nvda-t-1-are-cerebras*.md")
    since, opening = analysis(t1)[:2]
    assert since.startswith("Since the November 18, 2026 briefing: ")
    assert opening.startswith("As NVIDIA prepares to report its Q3 FY2027 earnings on November 26, 2026")


def test_check_treats_the_what_changed_paragraph_as_computed_text(tmp_path):
    """An editor changed the analysis: check audits their prose, not the tool's own what-changed paragraph."""
    first = generate("Cerebras vs NVIDIA", "--as-of", "2026-06-01", "--out", tmp_path, "-q")
    second = generate("Cerebras vs NVIDIA", "--as-of", "2026-11-24", "--out", tmp_path, "--since", first.stdout.strip(), "-q")
    path = Path(second.stdout.strip())
    since, *rest = analysis(path)
    text = path.read_text(encoding="utf-8").replace(rest[-1], rest[-1] + " Edited by the desk.", 1)
    path.write_text(text, encoding="utf-8")
    result = run("check", path, "--format", "json")
    assert result.exit_code == 0, result.output
    assert "June 1, 2026" in since and "June 1, 2026" not in result.stdout


def test_refresh_keeps_the_series_link_with_an_edited_analysis_and_drops_it_with_a_regenerated_one(tmp_path):
    first = generate("Cerebras vs NVIDIA", "--as-of", "2026-06-01", "--out", tmp_path, "-q")
    second = generate("Cerebras vs NVIDIA", "--as-of", "2026-11-24", "--out", tmp_path, "--since", first.stdout.strip(), "-q")
    path = Path(second.stdout.strip())
    untouched = run("refresh", path, "--as-of", "2026-11-25")
    assert untouched.exit_code == 0, untouched.output
    regenerated = path.with_name(path.stem + "-refreshed.md")
    assert stored(regenerated).series is None and not analysis(regenerated)[0].startswith("Since the")
    regenerated.unlink()
    regenerated.with_suffix(".json").unlink()

    _, *rest = analysis(path)
    path.write_text(path.read_text(encoding="utf-8").replace(rest[-1], rest[-1] + " Edited by the desk.", 1), encoding="utf-8")
    edited = run("refresh", path, "--as-of", "2026-11-25")
    assert edited.exit_code == 0, edited.output
    kept = stored(path.with_name(path.stem + "-refreshed.md")).series
    assert kept is not None and kept.summary == stored(path).series.summary
