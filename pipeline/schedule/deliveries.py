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
from pipeline.delivery.send import Sent, send
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
    for rows in filter(None, groups):
        for outcome in _send(rows, targets[rows[0].target], state, log, timeout):
            outcomes.append(outcome)
            on_outcome(outcome)
    return outcomes


def _send(rows: list[DeliveryRecord], target: Target, state: StateDB, log: logging.Logger, timeout: float) -> list[DeliveryOutcome]:
    """One message to ``target`` holding the briefings of ``rows``; one outcome per row."""
    files: list[tuple[DeliveryRecord, ReportFile]] = []
    results: dict[str, Sent] = {}
    for row in rows:
        try:
            files.append((row, read_briefing(Path(row.report_path), warn=lambda message: log.warning("%s", message))))
        except GroundbriefError as error:
            results[row.report_path] = Sent(False, str(error))
    if files:
        try:
            sent = send(compose([file for _, file in files]), target, timeout=timeout)
        except GroundbriefError as error:  # a broken HTML template
            sent = Sent(False, str(error))
        results.update((row.report_path, sent) for row, _ in files)
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

