"""The schedule's delivery step: each briefing a run has due goes once to each of its targets.

After the reports are produced, every due job that is done (now or earlier) gets a row per target
in the state database's ``deliveries`` table; then every row of this watchlist not yet sent is sent,
to targets the watchlist still names (a target removed from it is no longer tried). A row is marked
sent only once its target took the message, so a failure is retried on the next run, and a row
sent is never sent again. What is sent is the report file as it stands (an editor's changes go
out); delivery only reads it, so it never loses, holds up or rewrites a report. With ``digest``
each target gets one message holding all its briefings of the run.

The one case that can repeat a message: a target that took it but whose answer never arrived
(the time limit passed, or the run was killed in that instant) is retried, as nothing says it was sent.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from pipeline.delivery.briefings import ReportFile, compose, read_briefing
from pipeline.delivery.send import Message, Sent, send
from pipeline.delivery.targets import Target
from pipeline.errors import GroundbriefError
from pipeline.schedule.jobs import Plan
from pipeline.schedule.state import DeliveryRecord, StateDB, Status


class Delivered(str, Enum):
    SENT = "sent"
    FAILED = "failed"


@dataclass(frozen=True)
class DeliveryOutcome:
    """One briefing to one target in this run: ``detail`` is the file sent, or why it was not."""

    label: str
    target: str
    result: Delivered
    attempt: int
    detail: str


def deliver_due(
    plan: Plan, source: Path, state: StateDB, log: logging.Logger, *, timeout: float,
    on_outcome: Callable[[DeliveryOutcome], None] = lambda outcome: None,
) -> list[DeliveryOutcome]:
    """Queue the deliveries of ``plan``'s done reports, then send every unsent one of ``source``."""
    key = str(source.resolve())
    records = state.records(job.key for job in plan.jobs if job.deliver)
    state.queue_deliveries(
        (record.report_path, target.identity, key, job.key, job.label, target.label)
        for job in plan.jobs
        if (record := records.get(job.key)) and record.status is Status.DONE and record.report_path
        and not record.output_missing
        for target in job.deliver
    )
    targets = {target.identity: target for target in plan.targets}
    unsent = [row for row in state.unsent_deliveries(key) if row.target in targets and Path(row.report_path).is_file()]
    groups = ([[row for row in unsent if row.target == target] for target in targets] if plan.digest
              else [[row] for row in unsent])
    outcomes: list[DeliveryOutcome] = []
    messages = _Messages(log)
    for rows in filter(None, groups):
        for outcome in _send(rows, targets[rows[0].target], messages, state, log, timeout):
            outcomes.append(outcome)
            on_outcome(outcome)
    return outcomes


class _Messages:
    """Each report read and each message rendered once per run, however many targets it goes to."""

    def __init__(self, log: logging.Logger):
        self.log = log
        self.files: dict[str, ReportFile | GroundbriefError] = {}
        self.messages: dict[tuple[str, ...], Message | GroundbriefError] = {}

    def file(self, path: str) -> ReportFile | GroundbriefError:
        if path not in self.files:
            try:
                self.files[path] = read_briefing(Path(path), warn=lambda message: self.log.warning("%s", message))
            except GroundbriefError as error:  # damaged by an edit: this delivery fails, and is retried
                self.files[path] = error
        return self.files[path]

    def message(self, files: list[ReportFile]) -> Message | GroundbriefError:
        key = tuple(str(file.path) for file in files)
        if key not in self.messages:
            try:
                self.messages[key] = compose(files)
            except GroundbriefError as error:  # a broken HTML template
                self.messages[key] = error
        return self.messages[key]


def _send(rows: list[DeliveryRecord], target: Target, messages: _Messages, state: StateDB, log: logging.Logger,
          timeout: float) -> list[DeliveryOutcome]:
    """One message to ``target`` holding the briefings of ``rows``; one outcome per row."""
    read = {row.report_path: messages.file(row.report_path) for row in rows}
    files = [file for file in read.values() if isinstance(file, ReportFile)]
    results = {path: Sent(False, str(file)) for path, file in read.items() if not isinstance(file, ReportFile)}
    if files:
        message = messages.message(files)
        sent = send(message, target, timeout=timeout) if isinstance(message, Message) else Sent(False, str(message))
        results.update((path, sent) for path, file in read.items() if isinstance(file, ReportFile))
    outcomes = []
    digest = f" (in a digest of {len(files)})" if len(files) > 1 else ""
    for row in rows:
        result = results[row.report_path]
        state.record_delivery(row.report_path, row.target, error=None if result.ok else result.reason)
        if result.ok:
            log.info("sent %s to %s%s", row.report_path, target.label, digest)
        else:
            log.error("delivery failed %s to %s (attempt %d): %s", row.report_path, target.label, row.attempts + 1, result.reason)
        outcomes.append(DeliveryOutcome(
            label=row.label, target=target.label, result=Delivered.SENT if result.ok else Delivered.FAILED,
            attempt=row.attempts + 1,
            detail=f"{row.report_path}{digest}" if result.ok else f"{result.reason}; retried next run",
        ))
    return outcomes

