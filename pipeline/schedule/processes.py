"""Is the process that claimed a report, or took a lock, still running? A pid alone can't say.

Pids are reused: a run killed last night may have a stranger's process under its pid today. A
process is therefore identified by its pid *and* its start time (``psutil``, Linux and macOS).
"""

from __future__ import annotations

import os

import psutil

# Start times are read from the system with a resolution of a clock tick; allow for rounding.
_START_TOLERANCE_SECONDS = 1.0


def start_time(pid: int) -> float | None:
    """When process ``pid`` started (seconds since the epoch), or ``None`` if there is no such process."""
    try:
        return psutil.Process(pid).create_time()
    except psutil.NoSuchProcess:
        return None
    except psutil.Error:  # e.g. access denied to another user's process: it exists
        return 0.0


def this_process() -> tuple[int, float]:
    """Our pid and start time, as recorded in claims and the lock file."""
    pid = os.getpid()
    return pid, start_time(pid) or 0.0


def is_running(pid: int, started: float | None) -> bool:
    """Whether ``pid`` is still the process that started at ``started`` (``None``: unknown, pid alone decides)."""
    now_started = start_time(pid)
    if now_started is None:
        return False
    if not started or not now_started:  # recorded by an older version, or unreadable: trust the pid
        return True
    return abs(now_started - started) <= _START_TOLERANCE_SECONDS
