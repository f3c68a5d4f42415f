"""Wall-clock limits of unattended runs: one report, and one whole invocation of a watchlist or CSV.

A report that hangs (a stalled network call, a stuck file system) must not hold the run lock
forever: past its limit it is recorded as failed and retried by the next invocation, and an
invocation past its own limit starts nothing more and ends, which releases the lock. The limits
are also written into the lock file and each claim, so another process can tell a run that is
merely busy from one that is hung.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

import click

DEFAULT_REPORT = timedelta(minutes=15)
DEFAULT_RUN = timedelta(hours=2)
# A run whose limit passed this long ago is hung, not finishing up.
GRACE = timedelta(minutes=5)
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours"}


@dataclass(frozen=True)
class Limits:
    report: timedelta = DEFAULT_REPORT
    run: timedelta = DEFAULT_RUN

    @classmethod
    def chosen(cls, report: timedelta | None, run: timedelta | None) -> Limits:
        """The limits asked for (an option, else the watchlist), the defaults for the rest."""
        return cls(report=report or DEFAULT_REPORT, run=run or DEFAULT_RUN)


def parse_duration(text: str) -> timedelta:
    """``90s``, ``15m`` or ``2h`` (a bare number is minutes); ``ValueError`` says what is expected."""
    match = re.fullmatch(r"\s*(\d+)\s*([smh]?)\s*", text.lower())
    if not match or int(match.group(1)) == 0:
        raise ValueError(f"{text!r} is not a time limit: use a positive number with s, m or h, e.g. 15m or 2h")
    return timedelta(**{_UNITS[match.group(2) or "m"]: int(match.group(1))})


def duration_option(ctx: click.Context, param: click.Parameter, value: str | None) -> timedelta | None:
    """Click callback for ``--report-timeout`` and ``--run-timeout``."""
    if value is None:
        return None
    try:
        return parse_duration(value)
    except ValueError as error:
        raise click.BadParameter(str(error)) from None


def describe(limit: timedelta) -> str:
    """``15 min``, ``2 h``, ``90 s``: how a limit reads in messages."""
    seconds = int(limit.total_seconds())
    if seconds % 3600 == 0:
        return f"{seconds // 3600} h"
    if seconds % 60 == 0:
        return f"{seconds // 60} min"
    return f"{seconds} s"
