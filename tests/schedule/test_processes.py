"""Real processes: a batch killed midway is finished without repeats, and overlapping runs don't collide.

The children run the shipped command; only ``generate_report`` is wrapped, to die or to pause at a
known point, and it calls the real one for every report it lets through.
"""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import time
from pathlib import Path

from pipeline.schedule.lock import EXIT_BUSY
from pipeline.schedule.state import StateDB, Status
from tests.schedule.helpers import PYTHON, REPO, child_env, reports, run

# Runs ``groundbrief ARGS``; the second report it starts kills the process, like kill -9 mid-batch.
DIES_ON_SECOND_REPORT = """
import os, signal, sys
import pipeline.generate
real = pipeline.generate.generate_report
started = []
def fake_generate_killed_on_second_report(request, **options):
    started.append(request)
    if len(started) == 2:
        os.kill(os.getpid(), signal.SIGKILL)
    return real(request, **options)
pipeline.generate.generate_report = fake_generate_killed_on_second_report
from pipeline.cli import groundbrief
groundbrief(sys.argv[1:])
"""

# Runs ``groundbrief ARGS``; the first report announces itself in STARTED and waits for RELEASE.
PAUSES_IN_FIRST_REPORT = """
import sys, time
from pathlib import Path
import pipeline.generate
real = pipeline.generate.generate_report
started, release = Path(sys.argv[1]), Path(sys.argv[2])
def fake_generate_paused_until_released(request, **options):
    if not started.exists():
        started.touch()
        deadline = time.monotonic() + 20
        while not release.exists() and time.monotonic() < deadline:
            time.sleep(0.01)
    return real(request, **options)
pipeline.generate.generate_report = fake_generate_paused_until_released
from pipeline.cli import groundbrief
groundbrief(sys.argv[3:])
"""


def wait_for(path: Path, process: subprocess.Popen, timeout: float = 20) -> None:
    """Block until ``path`` exists (the child reached its pause), failing fast if the child died."""
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "the child never reached its pause"
        time.sleep(0.01)


def test_a_batch_killed_midway_is_finished_by_the_next_run_and_nothing_is_repeated(tmp_path, state_dir):
    out = tmp_path / "out"
    args = ["batch", str(REPO / "examples" / "requests.csv"), "--as-of", "2026-11-18", "--window", "3m",
            "--out", str(out), "--workers", "1"]
    killed = subprocess.run([PYTHON, "-c", DIES_ON_SECOND_REPORT, *args], env=child_env(), capture_output=True)
    assert killed.returncode == -signal.SIGKILL
    assert len(reports(out)) == 1

    resumed = run(*args)
    assert resumed.exit_code == 0, resumed.output
    assert "2 done, 1 skipped" in resumed.stdout
    assert len(reports(out)) == 3 and not list(out.glob("*-2.md"))
    state = StateDB(state_dir / "runs.sqlite3")
    records = sorted(state.records(_keys(state_dir)).values(), key=lambda record: record.label)
    assert [(record.status, record.attempts) for record in records] == [
        (Status.DONE, 1),  # line 4: written before the kill, not repeated
        (Status.DONE, 2),  # line 5: killed mid-run, claimed again
        (Status.DONE, 1),  # line 6: never started
    ]


def test_two_overlapping_invocations_never_run_the_same_report_twice(watchlist, tmp_path, state_dir):
    started, release = tmp_path / "started", tmp_path / "release"
    args = ["schedule", str(watchlist), "--as-of", "2026-11-18"]
    first = subprocess.Popen([PYTHON, "-c", PAUSES_IN_FIRST_REPORT, str(started), str(release), *args],
                             env=child_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_for(started, first)
        second = subprocess.run([PYTHON, "-m", "pipeline", *args], env=child_env(), capture_output=True, text=True)
    finally:
        release.touch()
        stdout, stderr = first.communicate(timeout=60)
    assert second.returncode == EXIT_BUSY
    assert f"(pid {first.pid} on" in second.stderr and "another groundbrief run of" in second.stderr
    assert first.returncode == 0, stderr
    assert "2 done" in stdout
    assert len(reports(watchlist.parent / "reports")) == 2
    state = StateDB(state_dir / "runs.sqlite3")
    assert [record.attempts for record in state.records(_keys(state_dir)).values()] == [1, 1]


def _keys(state_dir: Path) -> list[str]:
    """Every key in the state database, whatever produced it."""
    with sqlite3.connect(state_dir / "runs.sqlite3") as db:
        return [key for (key,) in db.execute("SELECT key FROM runs")]
