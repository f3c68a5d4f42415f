"""The state database: one row per report key, so no report is produced twice and failures are retried.

A run is *claimed* (status ``running``) in a ``BEGIN IMMEDIATE`` transaction before any work starts,
so two invocations can never both start the same key, even without the run lock. A claim carries a
deadline (the report's time limit): one whose process died (same host, pid gone or reused by another
process) or whose deadline passed was abandoned by a killed or hung run and may be claimed again.
``done`` is final while its report exists (or until ``redo``); ``failed`` is retried by the next invocation.
"""

from __future__ import annotations

import socket
import sqlite3
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import Enum
from pathlib import Path

from pipeline.errors import GroundbriefError
from pipeline.providers.secrets import redact_keys
from pipeline.schedule.limits import GRACE
from pipeline.schedule.processes import is_running, this_process

SCHEMA_VERSION = 2
# Claims written before they carried a deadline are trusted this long.
LEGACY_CLAIM_LIFETIME = timedelta(hours=24)
BUSY_TIMEOUT_SECONDS = 10.0

_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    key TEXT PRIMARY KEY,
    label TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('running', 'done', 'failed')),
    attempts INTEGER NOT NULL,
    report_path TEXT,
    error TEXT,
    pid INTEGER NOT NULL,
    host TEXT NOT NULL,
    claim TEXT NOT NULL,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    deadline TEXT,
    pid_started REAL
)
"""
# Deliveries of done reports, one row per report file and target (``pipeline.schedule.deliveries``).
# A table of its own, added without a version bump: older versions never read it.
_DELIVERIES_SCHEMA = """
CREATE TABLE IF NOT EXISTS deliveries (
    report_path TEXT NOT NULL,
    target TEXT NOT NULL,
    source TEXT NOT NULL,
    report_key TEXT NOT NULL,
    label TEXT NOT NULL,
    target_label TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    error TEXT,
    queued_at TEXT NOT NULL,
    sent_at TEXT,
    PRIMARY KEY (report_path, target)
)
"""
_DELIVERY_COLUMNS = ("report_path", "target", "source", "report_key", "label", "target_label", "status", "attempts",
                     "error", "queued_at", "sent_at")
# Added in schema version 2: the claim's deadline, and its process's start time (pids are reused).
_V2_COLUMNS = ("deadline TEXT", "pid_started REAL")
_COLUMNS = ("key", "label", "status", "attempts", "report_path", "error", "pid", "host", "claim", "started_at",
            "finished_at", "deadline", "pid_started")


class StateError(GroundbriefError):
    """The state database can't be used: locked, corrupt, unwritable, or from a newer version."""


class Status(str, Enum):
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


@dataclass(frozen=True)
class RunRecord:
    key: str
    label: str
    status: Status
    attempts: int
    report_path: str | None
    error: str | None
    pid: int
    host: str
    claim: str
    started_at: datetime
    finished_at: datetime | None
    deadline: datetime | None = None
    pid_started: float | None = None

    @property
    def owner(self) -> str:
        return f"pid {self.pid} on {self.host}"

    @property
    def output_missing(self) -> bool:
        """A ``done`` run whose report has since been deleted or moved."""
        return self.status is Status.DONE and not (self.report_path and Path(self.report_path).exists())

    def is_abandoned(self, now: datetime) -> bool:
        """A ``running`` claim whose process is gone, or past its deadline: a killed or hung run left it behind."""
        if self.status is not Status.RUNNING:
            return False
        deadline = self.deadline or self.started_at + LEGACY_CLAIM_LIFETIME
        if now > deadline + GRACE:
            return True
        return self.host == socket.gethostname() and not is_running(self.pid, self.pid_started)

    def claimable(self, now: datetime, *, redo: bool) -> bool:
        """Whether a new run may take this key: failed, abandoned, or done but its report is gone (or ``redo``)."""
        if self.status is Status.DONE:
            return redo or self.output_missing
        return self.status is Status.FAILED or self.is_abandoned(now)


@dataclass(frozen=True)
class Claim:
    """``token`` is set if the run is ours to do; ``previous`` is the row as it was before."""

    token: str | None
    previous: RunRecord | None


@dataclass(frozen=True)
class DeliveryRecord:
    """One report file and one target: ``target`` is the target's identity (a name or a digest, never
    its URL), ``source`` the watchlist whose runs deliver it."""

    report_path: str
    target: str
    source: str
    report_key: str
    label: str
    target_label: str
    status: str
    attempts: int
    error: str | None
    queued_at: datetime
    sent_at: datetime | None


class StateDB:
    """The runs table in ``path``; each call opens its own connection, so threads can share one."""

    def __init__(self, path: Path, *, timeout: float = BUSY_TIMEOUT_SECONDS):
        self.path = path
        self.timeout = timeout
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise StateError(f"can't create the state folder {path.parent}: {error.strerror or error}") from None
        with self._transaction() as db:
            (version,) = db.execute("PRAGMA user_version").fetchone()
            if version > SCHEMA_VERSION:
                raise StateError(f"state database {path} was written by a newer groundbrief; upgrade groundbrief")
            db.execute(_SCHEMA)
            db.execute(_DELIVERIES_SCHEMA)
            if version == 1:
                for column in _V2_COLUMNS:
                    db.execute(f"ALTER TABLE runs ADD COLUMN {column}")
            db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    def claim(self, key: str, label: str, *, limit: timedelta, redo: bool = False) -> Claim:
        """Mark ``key`` running for this process for at most ``limit``, unless it is done (and
        its report still exists, and not ``redo``) or running elsewhere."""
        now = _now()
        pid, pid_started = this_process()
        with self._transaction() as db:
            previous = _fetch(db, [key]).get(key)
            if previous and not previous.claimable(now, redo=redo):
                return Claim(token=None, previous=previous)
            token = uuid.uuid4().hex
            db.execute(
                "INSERT INTO runs (key, label, status, attempts, pid, host, claim, started_at, deadline, pid_started)"
                " VALUES (?, ?, 'running', 1, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (key) DO UPDATE SET label = excluded.label, status = 'running',"
                " attempts = attempts + 1, report_path = NULL, error = NULL, pid = excluded.pid,"
                " host = excluded.host, claim = excluded.claim, started_at = excluded.started_at, finished_at = NULL,"
                " deadline = excluded.deadline, pid_started = excluded.pid_started",
                (key, label, pid, socket.gethostname(), token, now.isoformat(), (now + limit).isoformat(), pid_started),
            )
            return Claim(token=token, previous=previous)

    def finish(self, key: str, token: str, report_path: Path) -> None:
        self._close_claim(key, token, Status.DONE, report_path=str(report_path))

    def fail(self, key: str, token: str, error: str) -> None:
        self._close_claim(key, token, Status.FAILED, error=redact_keys(error))  # an error may quote a provider's reply

    def records(self, keys: Iterable[str]) -> dict[str, RunRecord]:
        with self._transaction() as db:
            return _fetch(db, list(keys))

    def done_reports(self, keys: Iterable[str]) -> list[str]:
        return done_reports(self.records(keys).values())

    def queue_deliveries(self, rows: Iterable[tuple[str, str, str, str, str, str]]) -> None:
        """Add ``(report_path, target, source, report_key, label, target_label)`` rows as pending,
        unless the row exists: what was sent stays sent."""
        now = _now().isoformat()
        with self._transaction() as db:
            db.executemany(
                "INSERT OR IGNORE INTO deliveries (report_path, target, source, report_key, label, target_label, status,"
                " queued_at) VALUES (?, ?, ?, ?, ?, ?, 'pending', ?)",
                [(*row, now) for row in rows],
            )

    def unsent_deliveries(self, source: str) -> list[DeliveryRecord]:
        """The deliveries of ``source`` not yet sent (pending, or failed before), oldest first."""
        with self._transaction() as db:
            rows = db.execute(f"SELECT {', '.join(_DELIVERY_COLUMNS)} FROM deliveries WHERE source = ? AND status != 'sent'"
                              " ORDER BY queued_at, report_path, target", (source,))
            return [_delivery(row) for row in rows]

    def record_delivery(self, report_path: str, target: str, *, error: str | None) -> None:
        """One attempt: sent when ``error`` is None, else failed with it (retried next time)."""
        with self._transaction() as db:
            db.execute(
                "UPDATE deliveries SET status = ?, attempts = attempts + 1, error = ?, sent_at = ?"
                " WHERE report_path = ? AND target = ?",
                ("failed" if error else "sent", error, None if error else _now().isoformat(), report_path, target),
            )

    def _close_claim(self, key: str, token: str, status: Status, *, report_path: str | None = None,
                     error: str | None = None) -> None:
        with self._transaction() as db:
            db.execute(
                "UPDATE runs SET status = ?, report_path = ?, error = ?, finished_at = ? WHERE key = ? AND claim = ?",
                (status.value, report_path, error, _now().isoformat(), key, token),
            )

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """A write transaction taken up front (``BEGIN IMMEDIATE``): claims never interleave."""
        try:
            db = sqlite3.connect(self.path, timeout=self.timeout, isolation_level=None)
        except sqlite3.Error as error:
            raise explain(self.path, error, self.timeout) from None
        try:
            db.execute("BEGIN IMMEDIATE")
            yield db
            db.execute("COMMIT")
        except sqlite3.Error as error:
            raise explain(self.path, error, self.timeout) from None
        finally:
            _rollback_and_close(db)


def peek(path: Path, keys: Iterable[str]) -> dict[str, RunRecord]:
    """The records for ``keys`` without writing anything (``--dry-run``); none if there's no database."""
    if not path.exists():
        return {}
    try:
        db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=BUSY_TIMEOUT_SECONDS)
        try:
            return _fetch(db, list(keys))
        finally:
            db.close()
    except sqlite3.Error as error:
        raise explain(path, error, BUSY_TIMEOUT_SECONDS) from None


def done_reports(records: Iterable[RunRecord]) -> list[str]:
    """The report paths of the ``records`` that are done, the most recently finished first."""
    done = [record for record in records if record.status is Status.DONE and record.report_path]
    done.sort(key=lambda record: record.finished_at or record.started_at, reverse=True)
    return [record.report_path for record in done if record.report_path]


def explain(path: Path, error: sqlite3.Error, timeout: float) -> StateError:
    """One clear line for what went wrong with the database file."""
    text = str(error)
    if "locked" in text or "busy" in text:
        return StateError(f"state database {path} is locked by another process (waited {timeout:g} s); "
                          "try again when it finishes")
    if "not a database" in text or "malformed" in text:
        return StateError(f"state database {path} is corrupt ({text}); move it aside to start afresh "
                          "(reports already written are kept)")
    if "full" in text:
        return StateError(f"state database {path} can't be written: its disk is full")
    if "readonly" in text or "unable to open" in text or "disk" in text:
        return StateError(f"state database {path} is not writable ({text})")
    return StateError(f"state database {path} failed: {text}")


def _fetch(db: sqlite3.Connection, keys: list[str]) -> dict[str, RunRecord]:
    present = {row[1] for row in db.execute("PRAGMA table_info(runs)")}
    if not present:
        return {}
    # A read-only peek at a version 1 database (``--dry-run``) finds no v2 columns: read them as NULL.
    columns = ", ".join(name if name in present else f"NULL AS {name}" for name in _COLUMNS)
    records: dict[str, RunRecord] = {}
    for start in range(0, len(keys), 500):  # SQLite limits the number of parameters
        chunk = keys[start : start + 500]
        rows = db.execute(f"SELECT {columns} FROM runs WHERE key IN ({','.join('?' * len(chunk))})", chunk)
        records.update((row[0], _record(row)) for row in rows)
    return records


def _record(row: tuple) -> RunRecord:
    key, label, status, attempts, report_path, error, pid, host, claim, started, finished, deadline, pid_started = row
    return RunRecord(
        key=key, label=label, status=Status(status), attempts=attempts, report_path=report_path, error=error,
        pid=pid, host=host, claim=claim, started_at=datetime.fromisoformat(started),
        finished_at=datetime.fromisoformat(finished) if finished else None,
        deadline=datetime.fromisoformat(deadline) if deadline else None, pid_started=pid_started,
    )


def _delivery(row: tuple) -> DeliveryRecord:
    values = dict(zip(_DELIVERY_COLUMNS, row))
    values["queued_at"] = datetime.fromisoformat(values["queued_at"])
    values["sent_at"] = datetime.fromisoformat(values["sent_at"]) if values["sent_at"] else None
    return DeliveryRecord(**values)


def _rollback_and_close(db: sqlite3.Connection) -> None:
    try:
        if db.in_transaction:
            db.execute("ROLLBACK")
    except sqlite3.Error:
        pass  # the error that got us here is the one to report
    db.close()


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)
