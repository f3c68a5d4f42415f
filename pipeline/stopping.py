"""Stopping without half a file: a write, once started, finishes before a stop takes effect.

Ctrl-C or SIGTERM reaches the main thread wherever it is. A report is a pair of files (``.md`` and
``.json``) reserved under their names and then filled; stopped between the two steps it would leave
empty placeholders. So a write runs inside ``whole()``:

- on the main thread, a signal that arrives during it is held and acted on when it ends;
- on a report thread (``schedule``, ``batch``), the main thread stops, then ``stop_writes`` waits for
  the writes under way and refuses new ones, before the process ends and takes the thread with it.

The command line (``pipeline.interrupts``) installs the signal handlers that consult this module.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from pipeline.errors import GroundbriefError

#: A write of a report takes milliseconds; a stop waits this long at most for those under way.
WRITE_WAIT_SECONDS = 30.0

_writes = threading.Condition()
_active = 0  # writes under way, on any thread
_main_writing = 0  # of them, on the main thread (where signals arrive)
_closed = False
_held: list[int] = []


class Stopping(GroundbriefError):
    """A write refused because the process is stopping."""


@contextmanager
def whole() -> Iterator[None]:
    """Run a write to its end: a signal waits for it (main thread), a stop waits for it (other threads)."""
    global _active, _main_writing
    main = threading.current_thread() is threading.main_thread()
    with _writes:
        if _closed:
            raise Stopping("not written: the run is stopping")
        _active += 1
        _main_writing += main
    try:
        yield
    finally:
        with _writes:
            _active -= 1
            _main_writing -= main
            _writes.notify_all()
        if main and not _main_writing and _held:
            signal.raise_signal(_held.pop())  # the write is whole: now the signal is acted on


def hold(signal_number: int) -> bool:
    """For a signal handler: keep ``signal_number`` for later if the main thread is writing."""
    if _main_writing:
        _held.append(signal_number)
        return True
    return False


def stop_writes(timeout: float = WRITE_WAIT_SECONDS) -> int:
    """Start no more writes; wait (at most ``timeout``) for those under way. Returns how many there were."""
    global _closed
    _closed = True
    with _writes:
        under_way = _active
        _writes.wait_for(lambda: _active == 0, timeout)
    return under_way


def reopen() -> None:
    """Allow writes again: a new command starts (the tests run many in one process)."""
    global _closed
    _closed = False
    _held.clear()
