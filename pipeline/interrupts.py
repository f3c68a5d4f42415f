"""Ctrl-C and SIGTERM: one line saying what was left, and exit status 128 + the signal, as shells
report it (130 for Ctrl-C, 143 for SIGTERM: what ``kill``, systemd and a container's stop send).

Every command inherits this from its click class; without it click prints "Aborted!" and exits 1,
which the exit statuses reserve for bad input, and SIGTERM would end the process where it stands.
A signal that arrives while a report is being written waits for the write (``pipeline.stopping``),
so every file is whole or absent.
"""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import click

from pipeline import stopping
from pipeline.terminal import standard_streams

EXIT_INTERRUPTED = 128 + signal.SIGINT
EXIT_TERMINATED = 128 + signal.SIGTERM
_CAUSES: dict[int, str] = {signal.SIGINT: "Ctrl-C", signal.SIGTERM: "SIGTERM"}


class Interrupted(KeyboardInterrupt):
    """A Ctrl-C or SIGTERM that knows what the user should hear about the work it stopped."""

    note = "stopped; every file is written whole or not at all"

    def __init__(self, signal_number: int = signal.SIGINT):
        super().__init__()
        self.signal_number = signal_number

    @property
    def cause(self) -> str:
        """``Ctrl-C`` or ``SIGTERM``: what stopped the run, in the words of its last line."""
        return _CAUSES.get(self.signal_number, f"signal {self.signal_number}")


def _stop(signal_number: int, frame: object) -> None:
    if not stopping.hold(signal_number):  # else: acted on when the write under way is whole
        raise Interrupted(signal_number)


@contextmanager
def _stop_signals() -> Iterator[None]:
    """Ctrl-C and SIGTERM raise ``Interrupted`` while the command runs (only the main thread may
    install handlers: a command run from another thread keeps Python's defaults)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    stopping.reopen()
    previous = {number: signal.signal(number, _stop) for number in _CAUSES}
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


class InterruptibleMixin:
    """For a click command or group: Ctrl-C or SIGTERM anywhere in it becomes the note and exit 130
    or 143; its standard streams may be closed or cut short by their reader (``pipeline.terminal``)."""

    def main(self, *args: Any, **kwargs: Any) -> Any:
        with standard_streams(), _stop_signals():
            return super().main(*args, **kwargs)  # type: ignore[misc]

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)  # type: ignore[misc]
        except KeyboardInterrupt as interrupt:
            stopping.stop_writes()  # a report a thread is writing is finished first
            stopped = interrupt if isinstance(interrupt, Interrupted) else Interrupted()
            start = "\n" if stopped.signal_number == signal.SIGINT and sys.stderr.isatty() else ""  # after ^C
            click.echo(f"{start}Interrupted ({stopped.cause}): {stopped.note}", err=True)
            ctx.exit(128 + stopped.signal_number)


class InterruptibleCommand(InterruptibleMixin, click.Command):
    """A click command whose Ctrl-C exits 130 and SIGTERM 143, with one line."""
