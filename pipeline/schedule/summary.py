"""The tables an unattended run leaves in its mail or journal: what would run and why, what ran and how.

Cells are ``Text``, never markup: questions and errors come from user files and must print as they
are, less any terminal escapes.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

from rich.table import Table
from rich.text import Text

from pipeline.controls import printable
from pipeline.schedule.jobs import Job
from pipeline.schedule.runner import Outcome, Result
from pipeline.schedule.state import RunRecord, Status

_STYLES = {Result.DONE: "green", Result.PARTIAL: "yellow", Result.FAILED: "red", Result.SKIPPED: "dim"}


def plan_table(jobs: list[Job], records: dict[str, RunRecord], *, redo: bool = False) -> Table:
    """``--dry-run``: each due report, why it is due, and what the state database says will happen."""
    table = Table(title="Due reports (dry run: nothing is run or recorded)", title_justify="left")
    for column in ("#", "Report", "Why", "State"):
        table.add_column(column, overflow="fold")
    now = datetime.now(UTC)
    for number, job in enumerate(jobs, 1):
        table.add_row(str(number), _text(job.label), _text(job.reason), _text(_state(records.get(job.key), now, redo)))
    return table


def _state(record: RunRecord | None, now: datetime, redo: bool) -> str:
    if record is None:
        return "new: will run"
    if record.status is Status.DONE and record.output_missing:
        return f"done earlier, but {record.report_path} is gone: will run again"
    if record.status is Status.DONE:
        return f"done earlier ({record.report_path}): " + ("will run again (--redo)" if redo else "skip")
    if record.status is Status.FAILED:
        return f"failed {record.attempts}×, last: {record.error}: will retry"
    if record.is_abandoned(now):
        return f"abandoned by {record.owner}: will run again"
    return f"running in {record.owner}: skip"


def outcome_table(outcomes: list[Outcome]) -> Table:
    """What each job did: the report written, the error, or why it was skipped."""
    table = Table(title=f"groundbrief: {counts(outcomes)}", title_justify="left")
    for column, justify in (("#", "right"), ("Report", "left"), ("Result", "left"), ("Try", "right"),
                            ("Time", "right"), ("Output or reason", "left")):
        table.add_column(column, justify=justify, overflow="fold")
    for number, outcome in enumerate(outcomes, 1):
        table.add_row(
            str(number),
            _text(outcome.job.label),
            Text(outcome.result.value, style=_STYLES[outcome.result]),
            str(outcome.attempt or ""),
            f"{outcome.seconds:.1f} s" if outcome.attempt else "",
            _text(outcome.detail),
        )
    return table


def _text(value: str) -> Text:
    return Text(printable(value))


def counts(outcomes: list[Outcome]) -> str:
    """``2 done, 1 failed``, in a fixed order."""
    tally = Counter(outcome.result for outcome in outcomes)
    return ", ".join(f"{tally[result]} {result.value}" for result in Result if tally[result])
