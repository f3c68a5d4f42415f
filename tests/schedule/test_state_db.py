"""The state database: claim-a-run semantics, abandoned claims, and clear errors for a bad file."""

from __future__ import annotations

import sqlite3
import subprocess
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from pipeline.schedule.limits import GRACE
from pipeline.schedule.state import StateDB, StateError, Status, peek
from tests.schedule.helpers import PYTHON, child_env

LIMIT = timedelta(minutes=15)


@pytest.fixture
def database(tmp_path: Path) -> Path:
    return tmp_path / "state" / "runs.sqlite3"


def test_a_run_is_claimed_once_finished_once_and_then_final(database, tmp_path):
    state = StateDB(database)
    first = state.claim("k", "label", limit=LIMIT)
    assert first.token and first.previous is None
    again = state.claim("k", "label", limit=LIMIT)  # this process is alive: its claim stands
    assert again.token is None and again.previous.status is Status.RUNNING
    report = tmp_path / "report.md"
    report.write_text("the report")
    state.finish("k", first.token, report)
    done = state.claim("k", "label", limit=LIMIT)
    assert done.token is None
    assert (done.previous.status, done.previous.report_path, done.previous.attempts) == (Status.DONE, str(report), 1)


def test_a_done_run_whose_report_is_gone_or_redone_is_claimed_again(database, tmp_path):
    state = StateDB(database)
    report = tmp_path / "report.md"
    report.write_text("the report")
    state.finish("k", state.claim("k", "label", limit=LIMIT).token, report)
    redo = state.claim("k", "label", limit=LIMIT, redo=True)
    assert redo.token and redo.previous.status is Status.DONE
    state.finish("k", redo.token, report)
    report.unlink()
    gone = state.claim("k", "label", limit=LIMIT)
    assert gone.token and gone.previous.output_missing
    assert state.records(["k"])["k"].attempts == 3


def test_a_failed_run_is_retried_and_counts_attempts(database):
    state = StateDB(database)
    state.fail("k", state.claim("k", "label", limit=LIMIT).token, "boom")
    retry = state.claim("k", "label", limit=LIMIT)
    assert retry.token and (retry.previous.status, retry.previous.error) == (Status.FAILED, "boom")
    assert state.records(["k"])["k"].attempts == 2


def test_a_claim_left_by_a_dead_process_is_claimed_again(database):
    StateDB(database)
    child = f"from datetime import timedelta; from pathlib import Path; from pipeline.schedule.state import StateDB; StateDB(Path({str(database)!r})).claim('k', 'l', limit=timedelta(minutes=15))"
    subprocess.run([PYTHON, "-c", child], check=True, env=child_env())
    abandoned = StateDB(database).claim("k", "label", limit=LIMIT)
    assert abandoned.token and abandoned.previous.status is Status.RUNNING
    assert StateDB(database).records(["k"])["k"].attempts == 2


def test_a_claim_from_another_host_is_trusted_until_its_deadline(database):
    state = StateDB(database)
    state.claim("k", "label", limit=LIMIT)
    with sqlite3.connect(database) as db:
        db.execute("UPDATE runs SET host = 'elsewhere', pid = 1")
    assert state.claim("k", "label", limit=LIMIT).token is None
    past_its_grace = (datetime.now(UTC) - GRACE - timedelta(minutes=1)).isoformat()
    with sqlite3.connect(database) as db:
        db.execute("UPDATE runs SET deadline = ?", (past_its_grace,))
    assert state.claim("k", "label", limit=LIMIT).token


def test_a_live_pid_that_is_another_process_does_not_hold_a_claim(database):
    """Pid reuse: the claim's pid is running, but it started at another time, so it is someone else."""
    state = StateDB(database)
    state.claim("k", "label", limit=LIMIT)
    with sqlite3.connect(database) as db:
        db.execute("UPDATE runs SET pid_started = pid_started - 3600")
    assert state.claim("k", "label", limit=LIMIT).token


def test_a_version_1_database_is_upgraded_and_its_claims_kept_for_a_day(database):
    database.parent.mkdir(parents=True)
    with sqlite3.connect(database) as db:
        db.execute("CREATE TABLE runs (key TEXT PRIMARY KEY, label TEXT NOT NULL, status TEXT NOT NULL, attempts "
                   "INTEGER NOT NULL, report_path TEXT, error TEXT, pid INTEGER NOT NULL, host TEXT NOT NULL, claim "
                   "TEXT NOT NULL, started_at TEXT NOT NULL, finished_at TEXT)")
        db.execute("INSERT INTO runs VALUES ('k', 'l', 'running', 1, NULL, NULL, 1, 'elsewhere', 't', ?, NULL)",
                   (datetime.now(UTC).isoformat(),))
        db.execute("PRAGMA user_version = 1")
    assert peek(database, ["k"])["k"].deadline is None  # a dry run reads the old table as it is
    state = StateDB(database)
    assert state.claim("k", "label", limit=LIMIT).token is None
    with sqlite3.connect(database) as db:
        db.execute("UPDATE runs SET started_at = ?", ((datetime.now(UTC) - timedelta(hours=25)).isoformat(),))
    assert state.claim("k", "label", limit=LIMIT).token


def test_concurrent_claims_on_separate_connections_give_the_run_to_exactly_one(database):
    StateDB(database)
    workers = 8
    barrier = threading.Barrier(workers)
    tokens: list[str | None] = []

    def contend() -> None:
        state = StateDB(database)
        barrier.wait()
        tokens.append(state.claim("k", "label", limit=LIMIT).token)

    threads = [threading.Thread(target=contend) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(tokens) == workers
    assert sum(token is not None for token in tokens) == 1


def test_a_corrupt_database_is_a_clear_error(database):
    database.parent.mkdir(parents=True)
    database.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StateError, match=r"is corrupt .*move it aside to start afresh"):
        StateDB(database)
    with pytest.raises(StateError, match="is corrupt"):
        peek(database, ["k"])


def test_an_unusable_state_folder_is_a_clear_error(tmp_path):
    (tmp_path / "file").write_text("a file, not a folder")
    with pytest.raises(StateError, match="can't create the state folder"):
        StateDB(tmp_path / "file" / "state" / "runs.sqlite3")


def test_a_locked_database_is_a_clear_error(database):
    StateDB(database)
    holder = sqlite3.connect(database, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(StateError, match=r"is locked by another process \(waited 0.1 s\)"):
            StateDB(database, timeout=0.1).claim("k", "label", limit=LIMIT)
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def test_a_database_from_a_newer_version_is_refused(database):
    StateDB(database)
    with sqlite3.connect(database) as db:
        db.execute("PRAGMA user_version = 99")
    with pytest.raises(StateError, match="newer groundbrief"):
        StateDB(database)


def test_peek_reads_without_creating_anything(database):
    assert peek(database, ["k"]) == {}
    assert not database.parent.exists()
    state = StateDB(database)
    state.claim("k", "label", limit=LIMIT)
    assert peek(database, ["k", "other"])["k"].status is Status.RUNNING
