"""The state database: claim-a-run semantics, abandoned claims, and clear errors for a bad file."""

from __future__ import annotations

import sqlite3
import subprocess
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from pipeline.schedule.state import StateDB, StateError, Status, peek
from tests.schedule.helpers import PYTHON, child_env


@pytest.fixture
def database(tmp_path: Path) -> Path:
    return tmp_path / "state" / "runs.sqlite3"


def test_a_run_is_claimed_once_finished_once_and_then_final(database, tmp_path):
    state = StateDB(database)
    first = state.claim("k", "label")
    assert first.token and first.previous is None
    again = state.claim("k", "label")  # this process is alive: its claim stands
    assert again.token is None and again.previous.status is Status.RUNNING
    state.finish("k", first.token, tmp_path / "report.md")
    done = state.claim("k", "label")
    assert done.token is None
    assert (done.previous.status, done.previous.report_path, done.previous.attempts) == (
        Status.DONE, str(tmp_path / "report.md"), 1)


def test_a_failed_run_is_retried_and_counts_attempts(database):
    state = StateDB(database)
    state.fail("k", state.claim("k", "label").token, "boom")
    retry = state.claim("k", "label")
    assert retry.token and (retry.previous.status, retry.previous.error) == (Status.FAILED, "boom")
    assert state.records(["k"])["k"].attempts == 2


def test_a_claim_left_by_a_dead_process_is_claimed_again(database):
    StateDB(database)
    child = f"from pathlib import Path; from pipeline.schedule.state import StateDB; StateDB(Path({str(database)!r})).claim('k', 'l')"
    subprocess.run([PYTHON, "-c", child], check=True, env=child_env())
    abandoned = StateDB(database).claim("k", "label")
    assert abandoned.token and abandoned.previous.status is Status.RUNNING
    assert StateDB(database).records(["k"])["k"].attempts == 2


def test_a_claim_from_another_host_is_trusted_until_it_is_stale(database):
    state = StateDB(database)
    state.claim("k", "label")
    with sqlite3.connect(database) as db:
        db.execute("UPDATE runs SET host = 'elsewhere', pid = 1")
    assert state.claim("k", "label").token is None
    long_ago = (datetime.now(UTC) - timedelta(hours=25)).isoformat()
    with sqlite3.connect(database) as db:
        db.execute("UPDATE runs SET started_at = ?", (long_ago,))
    assert state.claim("k", "label").token


def test_concurrent_claims_on_separate_connections_give_the_run_to_exactly_one(database):
    StateDB(database)
    workers = 8
    barrier = threading.Barrier(workers)
    tokens: list[str | None] = []

    def contend() -> None:
        state = StateDB(database)
        barrier.wait()
        tokens.append(state.claim("k", "label").token)

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
            StateDB(database, timeout=0.1).claim("k", "label")
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
    state.claim("k", "label")
    assert peek(database, ["k", "other"])["k"].status is Status.RUNNING
