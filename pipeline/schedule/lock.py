"""One unattended run at a time per watchlist or CSV: cron firing while the last run still goes.

The lock is ``flock`` on a file in the state folder named after the input file, taken without
waiting: a second invocation of the same file says who holds it and exits with ``EXIT_BUSY`` (75,
sysexits' "try again later") rather than queueing behind it, because the running invocation
already produces everything that file has due. Runs of other files are not held up (their
reports are kept apart by the claims in the state database). The kernel releases the lock when
its holder exits, however it exits, so a killed run never leaves it behind.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from pipeline.errors import GroundbriefError
from pipeline.schedule.state import StateError

EXIT_BUSY = 75


class RunInProgress(GroundbriefError):
    """Another invocation holds the run lock."""


@contextmanager
def run_lock(directory: Path, subject: Path) -> Iterator[None]:
    """Hold the run lock for ``subject`` (a watchlist or CSV) in ``directory`` for the block."""
    digest = hashlib.sha256(str(subject.resolve()).encode()).hexdigest()[:12]
    path = directory / f"run-{subject.stem}-{digest}.lock"
    try:
        directory.mkdir(parents=True, exist_ok=True)
        handle = open(path, "a+", encoding="utf-8")
    except OSError as error:
        raise StateError(f"can't create the lock file {path}: {error.strerror or error}") from None
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            raise RunInProgress(
                f"another groundbrief run of {subject} ({holder}) holds {path}; nothing was started. "
                f"It produces what {subject.name} has due; run again after it finishes."
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()} on {socket.gethostname()}, started {datetime.now().astimezone():%Y-%m-%d %H:%M:%S %Z}")
        handle.flush()
        yield
