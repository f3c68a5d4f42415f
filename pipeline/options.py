"""Options shared by every command that researches: the same names, help and checks everywhere.

``research_options`` are who thinks and where evidence comes from (``generate``, ``batch``,
``refresh``); ``request_options`` shape the request (``generate``, ``batch``). ``refresh`` passes
``defaults=False``: a missing option means "as the draft was made".
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import TypeVar

import click

F = TypeVar("F", bound=Callable)


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


def named_in_report(ctx: click.Context, param: click.Parameter, value: Path | None) -> Path | None:
    """A folder the report records by name (the corpus, the templates): the name must be text."""
    from pipeline.controls import escaped, has_undecodable

    if value is not None and has_undecodable(str(value)):
        raise click.BadParameter(f"'{escaped(value)}' is not UTF-8 text, and the report records this folder by name: rename it")
    return value


def _apply(command: F, options: list[Callable[[F], F]]) -> F:
    for option in reversed(options):
        command = option(command)
    return command


def research_options(*, defaults: bool = True, unset: str = "as the draft was made") -> Callable[[F], F]:
    """``--model``, ``--search``, ``--corpus``, ``--prompts``, ``--templates``, ``--no-cache``.

    Model and search names are checked against the backend registry when the command runs, so a
    plugin's backends are accepted like the built-in ones.
    """
    from pipeline.registry import DEFAULT_MODEL

    unset = f"  [default: {unset}]"

    def decorate(command: F) -> F:
        return _apply(command, [
            click.option(
                "--model", default=DEFAULT_MODEL if defaults else None, show_default=defaults, metavar="NAME",
                help="Analyst that expands, assesses and synthesizes: offline-rules; gemini or gemini-… (needs "
                     "GEMINI_API_KEY); or provider:model through LangChain, e.g. ollama:qwen2.5:7b, "
                     "openai:gpt-4.1-mini." + ("" if defaults else unset)),
            click.option(
                "--search", metavar="KIND",
                help="Where evidence comes from: corpus, web (Google Search grounding through Gemini), edgar (SEC "
                     "filings; needs sec_user_agent in settings), a plugin's kind, or several at once: corpus,edgar.  "
                     "[default: web for a Gemini model without --corpus, else corpus]"),
            click.option(
                "--corpus", type=click.Path(path_type=Path, readable=False), callback=named_in_report, help="Folder of .md/.txt/.html documents to search.  "
                + ("[default: the sample corpus]" if defaults else unset.strip())),
            click.option(
                "--prompts", type=click.Path(path_type=Path, file_okay=False),
                help="Folder of prompt templates (expand.md.j2, search.md.j2, …) that replace the built-in ones."),
            click.option(
                "--templates", type=click.Path(path_type=Path, file_okay=False), callback=named_in_report,
                help="Folder whose report.md.j2 replaces the built-in template." + ("" if defaults else unset)),
            click.option("--no-cache", is_flag=True, help="Recompute every stage instead of reusing cached results."),
        ])

    return decorate


def request_options(command: F) -> F:
    """``--as-of``, ``--window``, ``--queries``, ``--rounds``, ``--focus``: what every request of a run shares."""
    return _apply(command, [
        click.option("--as-of", callback=parse_date, metavar="YYYY-MM-DD",
                     help="Date the briefing is written for; the window ends here.  [default: today]"),
        click.option("--window", default="12m", show_default=True, callback=parse_window, metavar="N[d|w|m|y]",
                     help="How far back evidence may be dated, e.g. 90d or 3m."),
        click.option("--queries", "query_count", type=click.IntRange(1, 60), default=12, show_default=True,
                     help="Number of search queries to expand each request into."),
        click.option("--rounds", type=click.IntRange(1, 2), default=2, show_default=True,
                     help="2: a second round of searches checks the findings' claims (who else states them, who "
                     "disagrees) and what the first round missed; 1: judge the first round's evidence only."),
        click.option("--focus", metavar="COMPANY",
                     help="Company the others are measured against.  [default: the one after 'vs', else the last named]"),
    ])
