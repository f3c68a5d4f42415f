"""Ctrl-C: one line saying what was left, and exit status 130 (128 + SIGINT, as shells report it).

Every command inherits this from its click class; without it click prints "Aborted!" and exits 1,
which the exit statuses reserve for bad input.
"""

from __future__ import annotations

import sys
from typing import Any

import click

EXIT_INTERRUPTED = 130


class Interrupted(KeyboardInterrupt):
    """A Ctrl-C that knows what the user should hear about the work it stopped."""

    note = "stopped; every file is written whole or not at all"


class InterruptibleMixin:
    """For a click command or group: Ctrl-C anywhere in it becomes the note and exit 130."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)  # type: ignore[misc]
        except KeyboardInterrupt as interrupt:
            note = interrupt.note if isinstance(interrupt, Interrupted) else Interrupted.note
            start = "\n" if sys.stderr.isatty() else ""  # after the terminal's ^C
            click.echo(f"{start}Interrupted (Ctrl-C): {note}", err=True)
            ctx.exit(EXIT_INTERRUPTED)


class InterruptibleCommand(InterruptibleMixin, click.Command):
    """A click command whose Ctrl-C exits 130 with one line."""
