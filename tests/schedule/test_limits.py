"""Nothing holds the lock forever: time limits per report and per run, hung lock holders, reruns, Ctrl-C.

In this process a hang is a fake ``generate_report`` waiting on an event the test releases at the
end, under a limit of a few seconds; a hang that must end the process, and Ctrl-C, run in a child
process with a timeout. A regression fails instead of hanging the suite.
"""

from __future__ import annotations

import json
import subprocess
import threading
from datetime import timedelta
from pathlib import Path

import pytest

import pipeline.generate
from pipeline.interrupts import EXIT_INTERRUPTED
from pipeline.schedule.limits import parse_duration
from pipeline.schedule.lock import EXIT_BUSY, EXIT_HUNG, run_lock
from tests.schedule.helpers import PYTHON, REPO, child_env, reports, run, write

REAL_GENERATE = pipeline.generate.generate_report


def last_column(table: str) -> str:
    """The last column of a rich table, its folded lines joined: a long cell reads as one line."""
    return " ".join(line.split("│")[-2].strip() for line in table.splitlines() if line.count("│") >= 2)


@pytest.fixture
def hang_groq(monkeypatch):
    """``generate_report`` that never returns for the "Groq vs NVIDIA" request (until the test ends)."""
    release = threading.Event()

    def fake_generate_hanging_on_groq(request, **options):
        if request.question == "Groq vs NVIDIA":
            release.wait(60)
        return REAL_GENERATE(request, **options)

    monkeypatch.setattr(pipeline.generate, "generate_report", fake_generate_hanging_on_groq)
    yield
    release.set()


def test_a_report_past_its_limit_fails_and_the_run_ends(watchlist, hang_groq):
    # Long enough for the other report on a cold cache on a busy machine.
    result = run("schedule", watchlist, "--as-of", "2026-11-18", "--report-timeout", "8s")
    assert result.exit_code == 3
    assert "1 done, 1 failed" in result.stdout
    assert "timed out after 8 s; runs again next time" in result.stdout
    assert len(reports(watchlist.parent / "reports")) == 1
    log = (watchlist.parent / "log" / "schedule.log").read_text()
    assert "timed out after 8 s" in log


# Runs ``groundbrief ARGV[3:]``; researching a question that starts with ARGV[2] does what ARGV[1] says:
# "hang" never returns, "ctrl-c" is a user pressing Ctrl-C while the report is under way.
MISBEHAVING_RESEARCH = """
import os, signal, sys, time
import pipeline.generate
real = pipeline.generate.research
def fake_research_misbehaving(request, **options):
    if request.question.startswith(sys.argv[2]):
        if sys.argv[1] == "ctrl-c":
            time.sleep(0.5)
            os.kill(os.getpid(), signal.SIGINT)
        time.sleep(3600)
    return real(request, **options)
pipeline.generate.research = fake_research_misbehaving
from pipeline.cli import groundbrief
groundbrief(sys.argv[3:])
"""


def misbehave(tmp_path: Path, how: str, question: str, *args: str | Path) -> subprocess.CompletedProcess:
    """Run a groundbrief command in a child whose research on ``question`` misbehaves; 90 s at most."""
    command = [PYTHON, "-c", MISBEHAVING_RESEARCH, how, question, *map(str, args)]
    return subprocess.run(command, env=child_env(), capture_output=True, text=True, timeout=90, cwd=tmp_path)


def test_a_hung_report_never_keeps_the_process_or_its_lock(tmp_path):
    """The thread of a timed-out report can't be stopped; the process must end without waiting for it."""
    args = ["batch", REPO / "examples" / "requests.csv", "--as-of", "2026-11-18", "--out", tmp_path / "out",
            "--report-timeout", "5s"]
    hung = misbehave(tmp_path, "hang", "Cerebras vs", *args)
    assert hung.returncode == 3, hung.stderr
    assert "2 done, 1 failed" in hung.stdout and "timed out after 5 s" in hung.stdout
    assert "Traceback" not in hung.stderr
    again = run(*args)  # the lock was released: the failed row runs, the others are done
    assert again.exit_code == 0 and "1 done, 2 skipped" in again.stdout


GROQ_FIRST = """\
out_dir = "reports"
[[companies]]
name = "NVIDIA"
ticker = "NVDA"
earnings = [{ quarter = "Q3 FY2027", date = 2026-11-25 }]
requests = ["Groq vs NVIDIA", "Cerebras vs NVIDIA"]
"""


def test_a_run_past_its_limit_stops_and_starts_nothing_more(tmp_path, hang_groq):
    watchlist = write(tmp_path / "groq-first.toml", GROQ_FIRST)
    result = run("schedule", watchlist, "--as-of", "2026-11-18", "--workers", "1", "--run-timeout", "1s")
    assert result.exit_code == 3, result.output
    assert "1 failed, 1 skipped" in result.stdout
    assert "stopped: the run reached its 1 s limit; runs again next time" in result.stdout
    assert "not started: the run reached its 1 s limit; runs next time" in result.stdout.replace("\n", "")
    assert not (tmp_path / "reports").exists()


def test_the_watchlist_sets_the_limits(watchlist, hang_groq):
    write(watchlist, 'report_timeout = "1s"\n' + GROQ_FIRST)
    result = run("schedule", watchlist, "--as-of", "2026-11-18", "--workers", "1", "--run-timeout", "1h")
    assert "timed out after 1 s" in result.stdout


@pytest.mark.parametrize("text", ["0m", "soon", "-5m", "15d"])
def test_a_bad_limit_is_refused(watchlist, text):
    with pytest.raises(ValueError, match="not a time limit"):
        parse_duration(text)
    assert run("schedule", watchlist, "--report-timeout", text).exit_code == 2
    write(watchlist, f'run_timeout = "{text}"\n' + watchlist.read_text())
    refused = run("schedule", watchlist)
    assert refused.exit_code == 1 and "line 1: run_timeout: " in refused.stderr


def test_limits_read_as_minutes_hours_and_seconds():
    assert [parse_duration(text) for text in ("15", "15m", "2h", "90s")] == [
        timedelta(minutes=15), timedelta(minutes=15), timedelta(hours=2), timedelta(seconds=90)]


def test_a_lock_holder_past_its_limit_is_reported_as_hung_not_busy(watchlist, state_dir):
    with run_lock(state_dir, Path(watchlist), timedelta(minutes=-10)):  # a run whose limit ran out 10 min ago
        hung = run("schedule", watchlist, "--as-of", "2026-11-18")
    assert hung.exit_code == EXIT_HUNG
    assert "past its time limit: it is hung, and nothing was started. Stop it (kill" in hung.stderr
    with run_lock(state_dir, Path(watchlist), timedelta(hours=2)):
        busy = run("schedule", watchlist, "--as-of", "2026-11-18")
    assert busy.exit_code == EXIT_BUSY
    log = (watchlist.parent / "log" / "schedule.log").read_text()
    assert " ERROR hung: the groundbrief run of" in log and " WARNING busy: another groundbrief run of" in log
    holder = json.loads(next(state_dir.glob("run-*.lock")).read_text())
    assert set(holder) == {"pid", "host", "started", "deadline"}


def test_a_deleted_report_is_written_again_and_redo_forces_a_run(watchlist):
    folder = watchlist.parent / "reports"
    assert run("schedule", watchlist, "--as-of", "2026-11-18").exit_code == 0
    deleted = folder / "2026-11-18-nvda-t-7-groq-vs-nvidia.md"
    deleted.unlink()
    deleted.with_suffix(".json").unlink()  # (had the .json stayed, the new report would be written as …-2.md)
    planned = run("schedule", watchlist, "--as-of", "2026-11-18", "--dry-run").stdout
    assert "is gone: will run again" in last_column(planned)
    again = run("schedule", watchlist, "--as-of", "2026-11-18")
    assert again.exit_code == 0
    assert "1 done, 1 skipped" in again.stdout
    assert f"ran again: the report done earlier, {deleted}, is gone" in again.stderr
    assert deleted.exists()
    redone = run("schedule", watchlist, "--as-of", "2026-11-18", "--redo")
    assert "2 done" in redone.stdout and "redone (--redo)" in redone.stderr
    assert len(reports(folder)) == 4 and deleted.with_name(deleted.stem + "-2.md").exists()


def test_ctrl_c_in_generate_exits_130_with_one_line(tmp_path):
    result = misbehave(tmp_path, "ctrl-c", "Groq", "generate", "Groq vs NVIDIA", "--out", tmp_path / "out")
    assert result.returncode == EXIT_INTERRUPTED
    assert result.stderr.strip().splitlines() == [
        "Interrupted (Ctrl-C): stopped; every file is written whole or not at all"]
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").iterdir())


def test_ctrl_c_in_a_batch_prints_what_finished_and_the_next_run_finishes_it(tmp_path):
    out = tmp_path / "out"
    args = ["batch", REPO / "examples" / "requests.csv", "--as-of", "2026-11-18", "--window", "3m", "--out", out,
            "--workers", "1"]
    interrupted = misbehave(tmp_path, "ctrl-c", "Cerebras vs NVIDIA", *args)  # the second row
    assert interrupted.returncode == EXIT_INTERRUPTED, interrupted.stderr
    assert "1 done, 1 failed, 1 skipped" in interrupted.stdout
    assert "interrupted (Ctrl-C); runs again next time" in interrupted.stdout
    assert "not started: interrupted (Ctrl-C)" in interrupted.stdout
    assert interrupted.stderr.strip().splitlines()[-1] == (
        "Interrupted (Ctrl-C): the reports marked done are written; run the same command again to finish the rest")
    assert "Traceback" not in interrupted.stderr
    assert len(reports(out)) == 1
    resumed = run(*args)
    assert "2 done, 1 skipped" in resumed.stdout and len(reports(out)) == 3


def test_ctrl_c_in_an_editor_command_exits_130(tmp_path):
    draft = tmp_path / "draft.md"
    generated = run("generate", "Groq vs NVIDIA", "--out", tmp_path, "--as-of", "2026-11-18")
    Path(generated.stdout.strip()).rename(draft)
    Path(generated.stdout.strip()).with_suffix(".json").rename(draft.with_suffix(".json"))
    result = misbehave(tmp_path, "ctrl-c", "Groq", "refresh", draft)
    assert result.returncode == EXIT_INTERRUPTED
    assert result.stderr.strip().splitlines()[-1].startswith("Interrupted (Ctrl-C): ")
    assert "Traceback" not in result.stderr
