"""``groundbrief schedule WATCHLIST.toml`` and ``groundbrief batch REQUESTS.csv``: unattended runs.

Only click is imported here; the rest loads inside the commands, so ``--help`` stays fast.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from pipeline.options import parse_date, request_options, research_options
from pipeline.schedule.limits import DEFAULT_REPORT, DEFAULT_RUN, Limits, describe, duration_option

if TYPE_CHECKING:
    from pipeline.schedule.jobs import Plan

EXIT_FAILED = 3
TABLE_WIDTH = 140  # when the summary goes to a log or mail rather than a terminal

EXIT_HELP = """
\b
Exit status: 0 all done (or nothing due); 1 bad input, nothing run; 3 some runs or deliveries failed
or timed out (they are retried next time; reports that succeeded stay written); 4 another run holds the
lock past its time limit (hung: stop it); 75 another run holds the lock and is within its limit;
130 interrupted (Ctrl-C); 143 stopped (SIGTERM).
"""

SCHEDULE_EPILOG = """
\b
Examples:
  groundbrief schedule ~/watchlist.toml --dry-run
  groundbrief schedule ~/watchlist.toml
  groundbrief schedule examples/watchlist.toml --as-of 2026-11-18
\b
cron (every morning at 06:30; cron's PATH is minimal, so give the full path: command -v groundbrief):
  30 6 * * *  /path/to/groundbrief schedule ~/watchlist.toml
""" + EXIT_HELP

BATCH_EPILOG = """
\b
REQUESTS.csv has one request per row, as the example report's title line:
  question,source hints,keywords
Hints are separated by ';', keywords by spaces; quote a field that contains a comma.
\b
Examples:
  groundbrief batch examples/requests.csv --as-of 2026-11-18 --window 3m
  groundbrief batch requests.csv --dry-run
""" + EXIT_HELP


def _run_options(command: Callable) -> Callable:
    """Options ``schedule`` and ``batch`` share: how many at once, where state lives, dry run."""
    for option in reversed((
        click.option("--dry-run", is_flag=True, help="List what would run and why; run and record nothing."),
        click.option("--redo", is_flag=True, help="Run reports again that were done earlier (a new file beside the old)."),
        click.option("--report-timeout", callback=duration_option, metavar="N[s|m|h]",
                     help=f"Wall-clock limit of one report; past it the report fails and is retried next time.  "
                          f"[default: {describe(DEFAULT_REPORT)}, or the watchlist's report_timeout]"),
        click.option("--run-timeout", callback=duration_option, metavar="N[s|m|h]",
                     help=f"Wall-clock limit of the whole run; past it nothing more starts and the run ends.  "
                          f"[default: {describe(DEFAULT_RUN)}, or the watchlist's run_timeout]"),
        click.option("--workers", type=click.IntRange(1, 16), default=2, show_default=True,
                     help="Reports produced at the same time."),
        click.option("--state-dir", type=click.Path(path_type=Path), envvar="GROUNDBRIEF_STATE_DIR",
                     help="Folder of the state database and run lock.  [default: the user state folder; "
                          "env GROUNDBRIEF_STATE_DIR]"),
    )):
        command = option(command)
    return command


@click.command(name="schedule", epilog=SCHEDULE_EPILOG, context_settings={"max_content_width": 100})
@click.argument("watchlist", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--as-of", callback=parse_date, metavar="YYYY-MM-DD",
              help="Plan for this date.  [default: today in the watchlist's time zone]")
@research_options(defaults=False, unset="as the watchlist says")
@_run_options
def schedule(
    watchlist: Path, as_of: date | None, model: str | None, search: str | None, corpus: Path | None,
    prompts: Path | None, templates: Path | None, no_cache: bool,
    report_timeout: timedelta | None, run_timeout: timedelta | None, **run: Any,
) -> None:
    """Produce the pre-earnings briefings due today for every company in WATCHLIST.

    Meant for cron or a systemd timer: run it daily. Each briefing is produced once per earnings
    date and lead day, even across overlapping invocations; failed ones are retried next time.
    """
    from datetime import UTC, datetime

    from pydantic import ValidationError

    from pipeline.errors import UsageError
    from pipeline.generate import check_templates
    from pipeline.providers.secrets import check_api_keys
    from pipeline.registry import DEFAULT_MODEL, registry
    from pipeline.schedule.calendar import is_url, load_calendar
    from pipeline.schedule.due import plan_watchlist
    from pipeline.schedule.watchlist import Settings, load_watchlist

    with _clear_errors():
        check_api_keys()
        if model is not None or search is not None:
            registry().search_kind(model or DEFAULT_MODEL, corpus, search)  # checks the names, builds nothing
        check_templates(_absolute(templates), _absolute(prompts))
        try:
            chosen = Settings(model=model, search=search, corpus=_absolute(corpus), prompts=_absolute(prompts),
                              templates=_absolute(templates))
        except ValidationError as error:  # e.g. a --corpus folder that does not exist
            raise UsageError(str(error.errors()[0]["msg"]).removeprefix("Value error, ")) from None
        loaded = load_watchlist(watchlist)
        references = {ref for company in loaded.companies if (ref := loaded.calendar_of(company)) is not None}

        def plan(ends: float) -> Plan:
            calendars = {str(ref): load_calendar(ref, _warn, ends=ends) for ref in sorted(references, key=str)}
            return plan_watchlist(loaded, now=datetime.now(UTC), as_of=as_of, calendars=calendars, chosen=chosen,
                                  use_cache=not no_cache)

        nothing = f"Nothing due {f'on {as_of}' if as_of else 'today'} in {watchlist}."
        limits = Limits.chosen(report_timeout or loaded.report_timeout, run_timeout or loaded.run_timeout)
        sys.exit(_execute(plan, watchlist, nothing_due=nothing, limits=limits,
                          fetches=any(is_url(ref) for ref in references), **run))


@click.command(name="batch", epilog=BATCH_EPILOG, context_settings={"max_content_width": 100})
@click.argument("requests_csv", metavar="REQUESTS.csv", type=click.Path(path_type=Path, dir_okay=False))
@request_options
@research_options()
@click.option("--out", "out_dir", type=click.Path(path_type=Path), default=Path("reports"), show_default=True,
              help="Folder the reports are written to.")
@_run_options
def batch(
    requests_csv: Path, as_of: date | None, window: Any, query_count: int, rounds: int, focus: str | None, model: str,
    search: str | None, corpus: Path | None, prompts: Path | None, templates: Path | None, no_cache: bool,
    out_dir: Path, report_timeout: timedelta | None, run_timeout: timedelta | None, **run: Any,
) -> None:
    """Produce one report per row of REQUESTS.csv, a few at a time.

    Rows already produced for the same date and options are skipped, so a batch that was
    interrupted or partly failed is finished by running the same command again.
    """

    from pipeline.generate import check_templates
    from pipeline.providers.secrets import check_api_keys
    from pipeline.registry import registry
    from pipeline.schedule.batch import BatchSettings, read_batch

    settings = BatchSettings(
        as_of=as_of or date.today(), window=window, query_count=query_count, rounds=rounds, model=model,
        corpus=_absolute(corpus), out_dir=out_dir.expanduser().resolve(), focus=focus, search=search,
        prompts=_absolute(prompts), templates=_absolute(templates), use_cache=not no_cache,
    )
    with _clear_errors():
        check_api_keys()
        registry().search_kind(model, corpus, search)  # checks the model and search names, builds nothing
        check_templates(settings.templates, settings.prompts)
        plan = read_batch(requests_csv, settings)
        sys.exit(_execute(lambda ends: plan, requests_csv, nothing_due=f"No requests in {requests_csv}.",
                          limits=Limits.chosen(report_timeout, run_timeout), **run))


def _absolute(path: Path | None) -> Path | None:
    """The same run started from another folder (cron's is $HOME) is the same run."""
    return path.expanduser().resolve() if path else None


def _warn(message: str) -> None:
    click.echo(f"warning: {message}", err=True)


@contextmanager
def _clear_errors() -> Iterator[None]:
    """Our errors become one ``Error:`` message and exit 1; 75 if another run holds the lock, 4 if it is hung."""
    from pipeline.errors import GroundbriefError
    from pipeline.schedule.lock import EXIT_BUSY, EXIT_HUNG, RunHung, RunInProgress

    try:
        yield
    except (RunInProgress, RunHung) as error:
        click.echo(f"Error: {error}", err=True)
        sys.exit(EXIT_BUSY if isinstance(error, RunInProgress) else EXIT_HUNG)
    except GroundbriefError as error:
        raise click.ClickException(str(error)) from None


def _execute(
    plan: Callable[[float], Plan], source: Path, *, dry_run: bool, redo: bool, workers: int, state_dir: Path | None,
    limits: Limits, nothing_due: str, fetches: bool = False,
) -> int:
    """Run (or with ``dry_run`` list) the jobs ``plan`` finds in ``source``; return the exit status.

    ``plan`` is given the ``time.monotonic()`` by which the run must end. When it ``fetches`` (a
    calendar URL), a real run plans inside the run lock and its time limit, so invocations from cron
    can't pile up behind a server that answers slowly; otherwise it plans first, and a run with
    nothing due takes no lock."""
    import time

    from rich.console import Console
    from rich.text import Text

    from pipeline.controls import printable
    from pipeline.errors import GroundbriefError
    from pipeline.generate import generate_report
    from pipeline.output import ensure_writable
    from pipeline.schedule import locations, summary
    from pipeline.schedule.jobs import NoteKind
    from pipeline.schedule.lock import RunHung, RunInProgress, run_lock
    from pipeline.schedule.runner import Outcome, Result, RunInterrupted, run_jobs
    from pipeline.schedule.state import StateDB, peek

    errors = Console(stderr=True, highlight=False, soft_wrap=True)
    output = Console(highlight=False, width=None if sys.stdout.isatty() else TABLE_WIDTH)

    def say(text: str) -> None:
        errors.print(Text(printable(text)))

    directory = state_dir or locations.state_dir()
    database = locations.state_database(directory)

    def to_run(planned: Plan) -> bool:
        """Say the plan's notes; whether there is work: jobs to run, or deliveries that failed before to
        retry (never on a dry run). A report that can't be written is not researched."""
        for note in planned.notes:
            if dry_run or note.kind is not NoteKind.UPCOMING:
                say(f"note: {note.text}")
        if not planned.jobs:
            say(nothing_due)
            return not dry_run and bool(planned.targets)
        if dry_run:
            keys = [key for job in planned.jobs for key in (job.key, *job.earlier)]
            output.print(summary.plan_table(planned.jobs, peek(database, keys), redo=redo))
            return False
        for folder in sorted({job.out_dir for job in planned.jobs}):
            ensure_writable(folder, create=False)
        return True

    early = None if fetches and not dry_run else plan(time.monotonic() + limits.run.total_seconds())
    if early is not None and not to_run(early):
        return 0

    with locations.file_log(lambda message: say(f"warning: {message}")) as log:
        def progress(outcome: Outcome) -> None:
            searched = f"  (searched {outcome.searched})" if outcome.searched else ""
            say(f"{outcome.result.value:>7}  {outcome.job.label}  {outcome.detail}{searched}")

        try:
            with run_lock(directory, source, limits.run):
                ends = time.monotonic() + limits.run.total_seconds()
                planned = early if early is not None else plan(ends)
                if early is None and not to_run(planned):
                    return 0
                state = StateDB(database)
                log.info("run of %d jobs, state %s, limits %s per report, %s per run", len(planned.jobs), database,
                         describe(limits.report), describe(limits.run))
                outcomes = run_jobs(planned.jobs, state, generate_report, log, workers=workers, limits=limits,
                                    redo=redo, on_outcome=progress, ends=ends) if planned.jobs else []
                deliveries = _deliver(planned, source, state, log, say)
        except RunInterrupted as interrupted:  # say what finished before Ctrl-C
            log.warning("interrupted: %s", summary.counts(interrupted.outcomes))
            output.print(summary.outcome_table(interrupted.outcomes))
            raise
        # The log of an unattended run says why it stopped, with a status word a monitor can match.
        except RunInProgress as error:
            log.warning("busy: %s", error)
            raise
        except RunHung as error:
            log.error("hung: %s", error)
            raise
        except GroundbriefError as error:
            log.error("stopped: %s", error)
            raise
        log.info("finished: %s", summary.counts(outcomes))
    if outcomes:
        output.print(summary.outcome_table(outcomes))
    if deliveries:
        output.print(summary.delivery_table(deliveries))
    undelivered = any(delivery.result.value == "failed" for delivery in deliveries)
    return EXIT_FAILED if undelivered or any(o.result in (Result.FAILED, Result.PARTIAL) for o in outcomes) else 0


def _deliver(plan: Plan, source: Path, state: Any, log: Any, say: Callable[[str], None]) -> list:
    """The delivery step, after the reports: each done briefing to its targets, once (see ``deliveries``)."""
    if not plan.targets:
        return []
    from pipeline.schedule.deliveries import deliver_due
    from pipeline.settings import load_settings

    def progress(delivery) -> None:
        say(f"{delivery.result.value:>7}  {delivery.label}  to {delivery.target}  {delivery.detail}")

    return deliver_due(plan, source, state, log, timeout=load_settings().delivery_timeout_seconds, on_outcome=progress)
