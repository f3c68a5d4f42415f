"""One unattended run at a time per watchlist or CSV: cron firing while the last run still goes.

The lock is ``flock`` on a file in the state folder named after the input file, taken without
waiting: a second invocation of the same file says who holds it and exits rather than queueing
behind it, because the running invocation already produces everything that file has due. Runs of
other files are not held up (their reports are kept apart by the claims in the state database).
The kernel releases the lock when its holder exits, however it exits, so a killed run never
leaves it behind.

The holder writes its pid, start and deadline (its run limit) into the file. While the holder is
within its limit, the second invocation exits ``EXIT_BUSY`` (75, sysexits' "try again later"):
nothing is wrong. A holder past its deadline is hung (stopped, or stuck in the kernel), and that
is a failure a monitor must see: ``EXIT_HUNG``.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from pipeline.errors import GroundbriefError
from pipeline.schedule.limits import GRACE, describe
from pipeline.schedule.state import StateError

EXIT_BUSY = 75
EXIT_HUNG = 4


class RunInProgress(GroundbriefError):
    """Another invocation holds the run lock, within its time limit."""


class RunHung(GroundbriefError):
    """Another invocation holds the run lock past its time limit: it is hung."""


@dataclass(frozen=True)
class Holder:
    """Who holds a lock, as the holder wrote it into the lock file."""

    pid: int
    host: str
    started: datetime
    deadline: datetime

    def __str__(self) -> str:
        return f"pid {self.pid} on {self.host}, started {self.started.astimezone():%Y-%m-%d %H:%M %Z}"

    @classmethod
    def read(cls, text: str) -> Holder | None:
        """The holder in ``text``; ``None`` if it isn't written yet, or was written by an older version."""
        try:
            data = json.loads(text)
            return cls(pid=int(data["pid"]), host=str(data["host"]), started=datetime.fromisoformat(data["started"]),
                       deadline=datetime.fromisoformat(data["deadline"]))
        except (ValueError, KeyError, TypeError):
            return None


@contextmanager
def run_lock(directory: Path, subject: Path, limit: timedelta) -> Iterator[None]:
    """Hold the run lock for ``subject`` (a watchlist or CSV) in ``directory`` for a run of at most ``limit``."""
    digest = hashlib.sha256(os.fsencode(subject.resolve())).hexdigest()[:12]
    path = directory / f"run-{subject.stem}-{digest}.lock"
    try:
        directory.mkdir(parents=True, exist_ok=True)
        handle = open(path, "a+", encoding="utf-8")  # noqa: SIM115 (closed by the with below, after the error check)
    except OSError as error:
        raise StateError(f"can't create the lock file {path}: {error.strerror or error}") from None
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            raise _held(subject, path, handle.read()) from None
        now = datetime.now(UTC).replace(microsecond=0)
        holder = json.dumps({"pid": os.getpid(), "host": socket.gethostname(), "started": now.isoformat(),
                             "deadline": (now + limit).isoformat()})
        try:  # unbuffered: on a full disk nothing is left to fail again when the file is closed
            os.ftruncate(handle.fileno(), 0)
            os.pwrite(handle.fileno(), holder.encode(), 0)
        except OSError as error:
            raise StateError(f"can't write the lock file {path}: {error.strerror or error}") from None
        yield


def _held(subject: Path, path: Path, text: str) -> GroundbriefError:
    """Why this invocation can't run: the holder is busy, or hung past its deadline."""
    holder = Holder.read(text)
    if holder is None:
        who = text.strip() or "another process"
    else:
        who = str(holder)
        overdue = datetime.now(UTC) - holder.deadline
        if overdue > GRACE:
            return RunHung(
                f"the groundbrief run of {subject} ({who}) still holds {path}, {describe(_minutes(overdue))} past "
                f"its time limit: it is hung, and nothing was started. Stop it (kill {holder.pid}); the next run "
                "produces what it left undone."
            )
    return RunInProgress(
        f"another groundbrief run of {subject} ({who}) holds {path}; nothing was started. "
        f"It produces what {subject.name} has due; run again after it finishes."
    )


def _minutes(span: timedelta) -> timedelta:
    return timedelta(minutes=int(span.total_seconds() // 60))
