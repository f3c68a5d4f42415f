"""Click option callbacks shared by every command that takes a date or a window."""

from __future__ import annotations

from datetime import date

import click


def parse_date(ctx: click.Context, param: click.Parameter, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a valid date: use YYYY-MM-DD, e.g. 2026-11-24") from None


def parse_window(ctx: click.Context, param: click.Parameter, value: str | None):
    if value is None:
        return None
    from pipeline.models import TimeWindow

    try:
        return TimeWindow.parse(value)
    except ValueError as error:
        raise click.BadParameter(str(error)) from None
