"""The standard streams of a command: closed, cut short by their reader, and never carrying a key.

What a command prints is a report of what it did, not part of doing it: a reader that goes away
(``| head -1``) or a stream closed from the start (``>&-``, a cron job's or a daemon's) must change
neither what is written nor the exit status that says so. So:

- a closed descriptor 0, 1 or 2 is opened on the null device before anything else opens a file,
  so a report or database never gets the number a stray write to "stdout" would land in;
- once a reader has gone, what is left to print is discarded (``EPIPE`` is not an error here),
  and the process still ends with its own status rather than Python's 120 for a failed flush;
- every credential in the environment is replaced by ``***`` in whatever is printed.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TextIO

from pipeline.providers.secrets import secret_values

_NAMES = ("stdin", "stdout", "stderr")


class GuardedStream:
    """A text stream whose reader may go away, with the credentials in what it writes masked."""

    def __init__(self, stream: TextIO, secrets: list[str]):
        self._stream = stream
        self._secrets = secrets
        self.reader_gone = False

    def write(self, text: str) -> int:
        if isinstance(text, str):
            for secret in self._secrets:
                text = text.replace(secret, "***")
        if self.reader_gone:
            return len(text)
        try:
            return self._stream.write(text)
        except BrokenPipeError:
            self._discard_the_rest()
            return len(text)

    def flush(self) -> None:
        if self.reader_gone:
            return
        try:
            self._stream.flush()
        except BrokenPipeError:
            self._discard_the_rest()

    def _discard_the_rest(self) -> None:
        """The reader closed the pipe: point the descriptor at the null device, so the data still
        buffered and every later flush (Python's own at exit too) go nowhere without an error."""
        self.reader_gone = True
        try:
            null = os.open(os.devnull, os.O_WRONLY)
            os.dup2(null, self._stream.fileno())
            os.close(null)
            self._stream.flush()
        except (OSError, ValueError):  # no descriptor of its own (a test's buffer): nothing is left to flush
            pass

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def _open_closed_descriptors() -> None:
    """A descriptor 0-2 closed when the process started: the null device takes its number, and a
    stream Python could not create (``sys.stdout is None``) is made on it."""
    for number, name in enumerate(_NAMES):
        try:
            os.fstat(number)
        except OSError:
            null = os.open(os.devnull, os.O_RDWR)
            if null != number:
                os.dup2(null, number)
                os.close(null)
        if getattr(sys, name) is None:
            setattr(sys, name, open(number, "r" if number == 0 else "w", encoding="utf-8", closefd=False))  # noqa: SIM115


@contextmanager
def standard_streams() -> Iterator[None]:
    """Run a command with stdout and stderr guarded; restore them (flushed) afterwards."""
    _open_closed_descriptors()
    secrets = secret_values()
    originals = sys.stdout, sys.stderr
    guarded = GuardedStream(sys.stdout, secrets), GuardedStream(sys.stderr, secrets)
    sys.stdout, sys.stderr = guarded
    try:
        yield
    finally:
        for stream in guarded:
            stream.flush()
        sys.stdout, sys.stderr = originals
