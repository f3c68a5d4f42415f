"""One unattended run at a time per state folder: cron firing while the last run is still going.

The lock is ``flock`` on a file in the state folder, taken without waiting: a second invocation
says who holds it and exits with ``EXIT_BUSY`` (75, sysexits' "try again later") rather than
queueing behind it, because the running invocation already produces everything due. The kernel
releases the lock when its holder exits, however it exits, so a killed run never leaves it behind.
"""

from __future__ import annotations

import fcntl
import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from pipeline.errors import GroundbriefError
from pipeline.schedule.state import StateError

EXIT_BUSY = 75
LOCK_FILE = "run.lock"


class RunInProgress(GroundbriefError):
    """Another invocation holds the run lock."""


@contextmanager
def run_lock(directory: Path) -> Iterator[None]:
    """Hold the run lock of ``directory`` for the duration of the block."""
    path = directory / LOCK_FILE
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
                f"another groundbrief run ({holder}) holds {path}; nothing was started. "
                "It produces what is due; run again after it finishes."
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()} on {socket.gethostname()}, started {datetime.now().astimezone():%Y-%m-%d %H:%M:%S %Z}")
        handle.flush()
        yield
