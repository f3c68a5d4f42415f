"""The tables an unattended run leaves in its mail or journal: what would run and why, what ran and how.

Cells are ``Text``, never markup: questions and errors come from user files and must print as they
are, less any terminal escapes.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from rich.table import Table
from rich.text import Text

from pipeline.controls import printable
from pipeline.providers.secrets import redact_keys
from pipeline.schedule.deliveries import Delivered, DeliveryOutcome
from pipeline.schedule.jobs import Job
from pipeline.schedule.runner import Outcome, Result
from pipeline.schedule.state import RunRecord, Status, done_reports

_STYLES = {Result.DONE: "green", Result.PARTIAL: "yellow", Result.FAILED: "red", Result.SKIPPED: "dim"}


def plan_table(jobs: list[Job], records: dict[str, RunRecord], *, redo: bool = False) -> Table:
    """``--dry-run``: each due report, why it is due, and what the state database says will happen."""
    table = Table(title="Due reports (dry run: nothing is run or recorded)", title_justify="left")
    for column in ("#", "Report", "Why", "State"):
        table.add_column(column, overflow="fold")
    now = datetime.now(UTC)
    for number, job in enumerate(jobs, 1):
        why = job.reason + (f"; from {job.origin}" if job.origin else "")
        record = records.get(job.key)
        state = _state(record, now, redo) + ("" if record and record.status is Status.DONE and not redo else _compared_with(job, records))
        table.add_row(str(number), _text(job.label), _text(why), _text(state))
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


def _compared_with(job: Job, records: dict[str, RunRecord]) -> str:
    """The earlier briefing of the series a new one will be compared with, if one is still there."""
    previous = next((path for path in done_reports(records[key] for key in job.earlier if key in records)
                     if Path(path).is_file()), None)
    return f"; compared with {previous}" if previous else ""


def outcome_table(outcomes: list[Outcome]) -> Table:
    """What each job did: the report written, the error, or why it was skipped."""
    table = Table(title=f"groundbrief: {counts(outcomes)}", title_justify="left")
    columns: tuple[tuple[str, Literal["left", "right"]], ...] = (("#", "right"), ("Report", "left"), ("Result", "left"), ("Try", "right"),
                            ("Time", "right"), ("Output or reason", "left"))
    for column, justify in columns:
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
    """A cell as text: no terminal escapes, and no credential (an error may quote a provider's reply)."""
    return Text(redact_keys(printable(value)))


def counts(outcomes: list[Outcome]) -> str:
    """``2 done, 1 failed``, in a fixed order."""
    tally = Counter(outcome.result for outcome in outcomes)
    return ", ".join(f"{tally[result]} {result.value}" for result in Result if tally[result])


def delivery_table(deliveries: list[DeliveryOutcome]) -> Table:
    """Each briefing sent (or not) to each target in this run: the file, or why it was not sent."""
    tally = Counter(delivery.result for delivery in deliveries)
    table = Table(title=f"deliveries: {', '.join(f'{tally[result]} {result.value}' for result in Delivered if tally[result])}",
                  title_justify="left")
    for column in ("#", "Report", "To", "Result", "Try", "File or reason"):
        table.add_column(column, justify="right" if column in ("#", "Try") else "left", overflow="fold")
    for number, delivery in enumerate(deliveries, 1):
        style = "green" if delivery.result is Delivered.SENT else "red"
        table.add_row(str(number), _text(delivery.label), _text(delivery.target), Text(delivery.result.value, style=style),
                      str(delivery.attempt), _text(delivery.detail))
    return table
