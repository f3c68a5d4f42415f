"""Click option callbacks shared by every command that takes a date or a window."""

from __future__ import annotations

from datetime import date, timedelta

import click


MAX_DAYS_AHEAD = 366


def parse_date(ctx: click.Context, param: click.Parameter, value: str | None) -> date | None:
    """A YYYY-MM-DD date, at most a year ahead: evidence can't be dated after today, so a briefing
    for 2099 would pass silently as one about nothing."""
    if value is None:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a valid date: use YYYY-MM-DD, e.g. 2026-11-24") from None
    if (day - date.today()).days > MAX_DAYS_AHEAD:
        raise click.BadParameter(f"{value} is more than a year ahead; give a date up to {date.today() + timedelta(days=MAX_DAYS_AHEAD)}")
    return day


def parse_window(ctx: click.Context, param: click.Parameter, value: str | None):
    if value is None:
        return None
    from pipeline.models import TimeWindow

    try:
        return TimeWindow.parse(value)
    except ValueError as error:
        raise click.BadParameter(str(error)) from None
