"""``groundbrief schedule`` and ``groundbrief batch`` end to end on the embedded default."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import pipeline.generate
from pipeline.errors import UsageError
from pipeline.schedule.limits import DEFAULT_RUN
from pipeline.schedule.lock import EXIT_BUSY, run_lock
from tests.schedule.helpers import REPO, reports, run, write


def analysis_paragraphs(markdown: Path) -> list[str]:
    section = markdown.read_text(encoding="utf-8").split("## Analysis\n\n", 1)[1].split("**Key Findings:**", 1)[0]
    return [paragraph for paragraph in section.split("\n\n") if paragraph.strip()]


def analysis_opening(markdown: Path) -> str:
    return analysis_paragraphs(markdown)[0]


def test_due_briefings_open_with_the_earnings_event(watchlist):
    result = run("schedule", watchlist, "--as-of", "2026-11-18")
    assert result.exit_code == 0, result.output
    written = sorted((watchlist.parent / "reports").glob("*.md"))
    assert [path.name for path in written] == [
        "2026-11-18-nvda-t-7-are-cerebras-groq-customers-publishing-training.md",
        "2026-11-18-nvda-t-7-groq-vs-nvidia.md",
    ]
    assert analysis_opening(written[0]).startswith(
        "As NVIDIA prepares to report its Q3 FY2027 earnings on November 25, 2026 (in 7 days), this briefing reviews")
    stored = json.loads(written[0].with_suffix(".json").read_text())["request"]
    assert (stored["as_of"], stored["focus"], stored["earnings"]["report_date"]) == ("2026-11-18", "NVIDIA", "2026-11-25")
    assert "groundbrief: 2 done" in result.stdout
    assert "NVDA Q3 FY2027 T-7" in result.stdout


def test_each_briefing_is_produced_once_per_milestone(watchlist):
    folder = watchlist.parent / "reports"
    assert run("schedule", watchlist, "--as-of", "2026-11-18").exit_code == 0
    again = run("schedule", watchlist, "--as-of", "2026-11-18")
    later_same_milestone = run("schedule", watchlist, "--as-of", "2026-11-20")
    assert (again.exit_code, later_same_milestone.exit_code) == (0, 0)
    assert "2 skipped" in again.stdout and "done earlier" in again.stdout
    assert "2 skipped" in later_same_milestone.stdout
    assert len(reports(folder)) == 2
    day_before = run("schedule", watchlist, "--as-of", "2026-11-24")
    assert "2 done" in day_before.stdout
    assert len(reports(folder)) == 4
    on_the_day = run("schedule", watchlist, "--as-of", "2026-11-25")
    assert "2 done" in on_the_day.stdout
    since, opening = analysis_paragraphs(folder / "2026-11-25-nvda-t-0-groq-vs-nvidia.md")[:2]
    assert since.startswith("Since the November 24, 2026 briefing: ")  # the T-1 one: same series
    assert opening.startswith("As NVIDIA prepares to report its Q3 FY2027 earnings on November 25, 2026 (today)")


def test_dry_run_lists_what_would_run_and_why_and_touches_nothing(watchlist, state_dir):
    result = run("schedule", watchlist, "--as-of", "2026-11-20", "--dry-run")
    assert result.exit_code == 0
    assert "dry run" in result.stdout and "new: will run" in result.stdout
    assert "catching up 2 days late" in result.stdout
    assert not (watchlist.parent / "reports").exists() and not state_dir.exists()
    run("schedule", watchlist, "--as-of", "2026-11-20")
    assert "done earlier" in run("schedule", watchlist, "--as-of", "2026-11-20", "--dry-run").stdout


def test_nothing_due_and_past_dates_exit_zero_with_a_note(watchlist, state_dir):
    early = run("schedule", watchlist, "--as-of", "2026-11-01")
    assert early.exit_code == 0
    assert "Nothing due on 2026-11-01" in early.stderr
    assert "first briefing due" not in early.stderr  # upcoming dates are for --dry-run, not the daily mail
    assert "first briefing due November 18, 2026" in run("schedule", watchlist, "--as-of", "2026-11-01",
                                                          "--dry-run").stderr
    late = run("schedule", watchlist, "--as-of", "2026-11-26")
    assert late.exit_code == 0
    assert "note: NVDA Q3 FY2027 reported on November 25, 2026, before November 26, 2026: skipped" in late.stderr
    assert not state_dir.exists()


def test_a_failed_run_exits_3_keeps_the_others_and_is_retried_next_time(watchlist, monkeypatch):
    real = pipeline.generate.generate_report

    def fake_generate_failing_for_groq(request, **options):
        if request.question == "Groq vs NVIDIA":
            raise UsageError("the search backend is down")
        return real(request, **options)

    monkeypatch.setattr(pipeline.generate, "generate_report", fake_generate_failing_for_groq)
    failed = run("schedule", watchlist, "--as-of", "2026-11-18")
    assert failed.exit_code == 3
    assert "1 done, 1 failed" in failed.stdout and "the search backend is down" in failed.stdout
    assert len(reports(watchlist.parent / "reports")) == 1
    monkeypatch.setattr(pipeline.generate, "generate_report", real)
    retried = run("schedule", watchlist, "--as-of", "2026-11-19")
    assert retried.exit_code == 0
    assert "1 done, 1 skipped" in retried.stdout
    assert reports(watchlist.parent / "reports") == [
        "2026-11-18-nvda-t-7-are-cerebras-groq-customers-publishing-training.md",
        "2026-11-19-nvda-t-7-groq-vs-nvidia.md",
    ]
    log = (watchlist.parent / "log" / "schedule.log").read_text()
    assert "failed NVDA:2026-11-25:T-7:" in log and "(attempt 2)" in log


def test_an_invalid_watchlist_exits_1_with_every_problem(tmp_path):
    path = write(tmp_path / "w.toml", '[[companies]]\nname = "NVIDIA"\nmodel = "gpt-9"\nlead_day = [1]\n')
    result = run("schedule", path)
    assert result.exit_code == 1
    assert "4 problems, nothing was run" in result.stderr
    for expected in ("line 1: companies[0]: missing required key 'requests'",
                     "line 1: companies[0]: missing required key 'ticker'",
                     "line 3: companies[0].model: unknown model 'gpt-9'",
                     "line 4: companies[0]: unknown key 'lead_day'; did you mean 'lead_days'?"):
        assert expected in result.stderr
    assert run("schedule", tmp_path / "missing.toml").exit_code == 1


@pytest.mark.parametrize("damage", ["corrupt", "not a folder"])
def test_an_unusable_state_database_exits_1_and_runs_nothing(watchlist, state_dir, damage):
    if damage == "corrupt":
        state_dir.mkdir()
        (state_dir / "runs.sqlite3").write_bytes(b"garbage" * 200)
        expected = "is corrupt"
    else:
        state_dir.write_text("a file where the state folder should be")
        expected = "can't create the"
    result = run("schedule", watchlist, "--as-of", "2026-11-18")
    assert result.exit_code == 1
    assert expected in result.stderr
    assert not (watchlist.parent / "reports").exists()


def test_a_held_lock_stops_a_second_invocation_with_exit_75(watchlist, state_dir, tmp_path):
    other = tmp_path / "other-watchlist.toml"
    with run_lock(state_dir, Path(watchlist), DEFAULT_RUN):
        with run_lock(state_dir, other, DEFAULT_RUN):  # another file's run doesn't hold this one up
            pass
        result = run("schedule", watchlist, "--as-of", "2026-11-18")
    assert result.exit_code == EXIT_BUSY
    assert f"another groundbrief run of {watchlist} (pid" in result.stderr and "nothing was started" in result.stderr
    assert not (watchlist.parent / "reports").exists()
    assert "busy: another groundbrief run" in (watchlist.parent / "log" / "schedule.log").read_text()
    assert run("schedule", watchlist, "--as-of", "2026-11-18").exit_code == 0


def test_batch_writes_one_report_per_row_once(tmp_path):
    """On a cold cache with two workers: the corpus index is built once, before the jobs share it."""
    out = tmp_path / "out"
    args = ("batch", REPO / "examples" / "requests.csv", "--as-of", "2026-11-18", "--window", "3m", "--out", out)
    first = run(*args)
    assert first.exit_code == 0, first.output
    assert "3 done" in first.stdout
    assert len(reports(out)) == 3
    opening = analysis_opening(out / "2026-11-18-are-cerebras-groq-customers-publishing-training-inference.md")
    assert opening.startswith("As of November 18, 2026, this briefing reviews")
    second = run(*args)
    assert (second.exit_code, len(reports(out))) == (0, 3)
    assert "3 skipped" in second.stdout
    assert "line 4 · Are Cerebras/Groq" in run(*args, "--dry-run").stdout


def test_batch_rejects_bad_input_before_running_anything(tmp_path):
    bad_csv = write(tmp_path / "r.csv", 'ok question\n"unclosed,\n')
    result = run("batch", bad_csv, "--out", tmp_path / "out")
    assert result.exit_code == 1
    assert "line 2, column 1: invalid CSV: this quote is never closed" in result.stderr
    good_csv = write(tmp_path / "good.csv", "Groq vs NVIDIA\n")
    unknown = run("batch", good_csv, "--model", "gpt-9", "--out", tmp_path / "out")
    assert unknown.exit_code == 1 and "unknown model 'gpt-9'" in unknown.stderr
    assert not (tmp_path / "out").exists()


def test_schedule_takes_the_research_options_over_the_watchlist(watchlist, tmp_path):
    """The command line wins over the watchlist, as for generate, batch and refresh; a new choice is a new report."""
    from tests.conftest import write_doc

    corpus = tmp_path / "desk"
    corpus.mkdir()
    write_doc(corpus, "helix.md", "Groq said Helix Bank moved 40% of its inference traffic from NVIDIA to Groq in 2026.",
              title="Helix Bank moves to Groq", publisher="Desk Wire", url="https://desk.example/helix", date="2026-11-10")
    assert run("schedule", watchlist, "--as-of", "2026-11-18").exit_code == 0
    chosen = run("schedule", watchlist, "--as-of", "2026-11-18", "--corpus", corpus, "--no-cache")
    assert chosen.exit_code == 0, chosen.output
    written = sorted((watchlist.parent / "reports").glob("*groq-vs-nvidia*.json"))
    assert len(written) == 2  # the corpus is part of what a briefing is, so it ran again
    (second,) = [path for path in written if path.stem.endswith("-2")]
    stored = json.loads(second.read_text())
    assert stored["metadata"]["corpus"] == str(corpus.resolve())
    assert [source["url"] for source in stored["sources"]] == ["https://desk.example/helix"]

    missing = run("schedule", watchlist, "--as-of", "2026-11-18", "--corpus", tmp_path / "nowhere")
    assert missing.exit_code == 1 and "nowhere does not exist" in missing.output
