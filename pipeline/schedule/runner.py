"""Run jobs a few at a time; each is claimed in the state database first, so none runs twice.

Threads suit the work (file and network I/O, SQLite); the default of two matches the two cores
the tool is sized for. A job that fails is recorded and retried by the next invocation; the
others carry on, and every report already written stays written.

Every job has a wall-clock limit, and so has the whole run. A thread can't be stopped from
outside, so a job past its limit is recorded as failed and left behind: its thread is a daemon,
the run goes on without it, and the process ends when the run does. Claims and records are
written by the calling thread only, so a late result of an abandoned job changes nothing.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from pipeline.errors import GroundbriefError
from pipeline.generate import GeneratedReport
from pipeline.interrupts import Interrupted
from pipeline.schedule.jobs import Job
from pipeline.schedule.limits import Limits, describe
from pipeline.schedule.state import RunRecord, StateDB, StateError, Status

DEFAULT_WORKERS = 2

Generate = Callable[..., GeneratedReport]


class Result(str, Enum):
    DONE = "done"
    PARTIAL = "partial"  # written, but some searches failed: done, and the exit status says so
    FAILED = "failed"
    SKIPPED = "skipped"


@dataclass(frozen=True)
class Outcome:
    job: Job
    result: Result
    detail: str
    attempt: int = 0
    seconds: float = 0.0


class RunInterrupted(Interrupted):
    """Ctrl-C during a run: ``outcomes`` says what finished, what was stopped, and what never started."""

    note = "the reports marked done are written; run the same command again to finish the rest"

    def __init__(self, outcomes: list[Outcome]):
        super().__init__()
        self.outcomes = outcomes


@dataclass(frozen=True)
class _Running:
    """A claimed job whose report is being produced in its own thread."""

    job: Job
    token: str
    attempt: int
    started: float
    rerun: str  # why a job done earlier runs again, or ""


def run_jobs(
    jobs: list[Job],
    state: StateDB,
    generate: Generate,
    log: logging.Logger,
    *,
    workers: int = DEFAULT_WORKERS,
    limits: Limits = Limits(),
    redo: bool = False,
    on_outcome: Callable[[Outcome], None] = lambda outcome: None,
) -> list[Outcome]:
    """Run ``jobs`` with at most ``workers`` at once within ``limits``; outcomes in job order.

    ``redo`` runs jobs again that were done earlier. Raises ``RunInterrupted`` on Ctrl-C.
    """
    finished: queue.Queue[tuple[int, GeneratedReport | Exception]] = queue.Queue()
    waiting = deque(enumerate(jobs))
    running: dict[int, _Running] = {}
    outcomes: dict[int, Outcome] = {}
    run_ends = time.monotonic() + limits.run.total_seconds()

    def record(index: int, outcome: Outcome) -> None:
        outcomes[index] = outcome
        on_outcome(outcome)

    try:
        while waiting or running:
            while waiting and len(running) < workers and time.monotonic() < run_ends:
                index, job = waiting.popleft()
                started = _start(index, job, state, generate, log, finished, limits, redo)
                if isinstance(started, Outcome):
                    record(index, started)
                else:
                    running[index] = started
            if not running:
                break  # the run's time is up: what is still waiting runs next time
            deadline = min(min(job.started for job in running.values()) + limits.report.total_seconds(), run_ends)
            try:
                index, result = finished.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                for index in _overdue(running, limits, run_ends):
                    record(index, _time_out(running.pop(index), state, log, limits, run_ends))
                continue
            if index in running:  # else: a job already recorded as timed out finished late
                record(index, _finish(running.pop(index), result, state, log))
    except KeyboardInterrupt:
        for index, running_job in running.items():
            outcomes[index] = _close(running_job, state, Result.FAILED, "interrupted (Ctrl-C); runs again next time")
        for index, job in enumerate(jobs):  # a job claimed in the instant of the Ctrl-C is retried next time too
            outcomes.setdefault(index, Outcome(job, Result.SKIPPED, "not started: interrupted (Ctrl-C)"))
        raise RunInterrupted([outcomes[index] for index in range(len(jobs))]) from None
    for index, job in waiting:
        record(index, Outcome(job, Result.SKIPPED, f"not started: the run reached its {describe(limits.run)} "
                                                   "limit; runs next time"))
    return [outcomes[index] for index in range(len(jobs))]


def _start(
    index: int, job: Job, state: StateDB, generate: Generate, log: logging.Logger,
    finished: queue.Queue, limits: Limits, redo: bool,
) -> _Running | Outcome:
    """Claim ``job`` and start producing it in a daemon thread; or say why it is not run."""
    try:
        claim = state.claim(job.key, job.label, limit=limits.report, redo=redo)
    except StateError as error:
        return Outcome(job, Result.FAILED, str(error))
    previous = claim.previous
    if claim.token is None:
        assert previous is not None
        return Outcome(job, Result.SKIPPED, _skip_reason(previous))
    attempt = previous.attempts + 1 if previous else 1
    rerun = _rerun_reason(previous)
    log.info("start %s (attempt %d): %s%s", job.key, attempt, job.label, f" ({rerun})" if rerun else "")

    def produce() -> None:
        try:
            report: GeneratedReport | Exception = generate(
                job.request, model=job.model, corpus=job.corpus, out_dir=job.out_dir, name=job.name,
                search=job.search, prompts=job.prompts, templates=job.templates, use_cache=job.use_cache,
                warn=lambda message: log.warning("%s: %s", job.key, message),
            )
        except Exception as error:  # any failure is recorded for a retry; the other jobs carry on
            report = error
        finished.put((index, report))

    threading.Thread(target=produce, name=f"groundbrief-{index}", daemon=True).start()
    return _Running(job, claim.token, attempt, time.monotonic(), rerun)


def _finish(running: _Running, result: GeneratedReport | Exception, state: StateDB, log: logging.Logger) -> Outcome:
    job = running.job
    if isinstance(result, Exception):
        message = str(result) if isinstance(result, GroundbriefError) else f"{type(result).__name__}: {result}"
        log.error("failed %s: %s", job.key, message, exc_info=None if isinstance(result, GroundbriefError) else result)
        return _close(running, state, Result.FAILED, message)
    path = result.markdown_path
    log.info("done %s: %s", job.key, path)
    notes = [note for note in (running.rerun, "some searches failed" if result.report.metadata.partial else "") if note]
    detail = f"{path} ({'; '.join(notes)})" if notes else str(path)
    return _close(running, state, Result.PARTIAL if result.report.metadata.partial else Result.DONE, detail, path=path)


def _overdue(running: dict[int, _Running], limits: Limits, run_ends: float) -> list[int]:
    now = time.monotonic()
    return [index for index, job in running.items()
            if now >= min(job.started + limits.report.total_seconds(), run_ends)]


def _time_out(running: _Running, state: StateDB, log: logging.Logger, limits: Limits, run_ends: float) -> Outcome:
    """Record a job past its limit (or the run's) as failed; its thread is left behind."""
    if time.monotonic() >= run_ends:
        reason = f"stopped: the run reached its {describe(limits.run)} limit; runs again next time"
    else:
        reason = f"timed out after {describe(limits.report)}; runs again next time"
    log.error("failed %s: %s", running.job.key, reason)
    return _close(running, state, Result.FAILED, reason)


def _close(running: _Running, state: StateDB, result: Result, detail: str, *, path: Path | None = None) -> Outcome:
    """Record the end of a claimed run: done with ``path``, else failed with ``detail`` as the error.

    If the database fails now, say so next to what happened."""
    seconds = time.monotonic() - running.started
    job, token = running.job, running.token
    try:
        if path is None:
            state.fail(job.key, token, detail)
        else:
            state.finish(job.key, token, path)
    except StateError as error:
        return Outcome(job, Result.FAILED, f"{detail}; but recording it failed: {error}", running.attempt, seconds)
    return Outcome(job, result, detail, running.attempt, seconds)


def _rerun_reason(previous: RunRecord | None) -> str:
    """Why a job recorded as done runs again: its report is gone, or ``--redo``."""
    if previous is None or previous.status is not Status.DONE:
        return ""
    if previous.output_missing:
        return f"ran again: the report done earlier, {previous.report_path}, is gone"
    return f"redone (--redo); earlier: {previous.report_path}"


def _skip_reason(previous: RunRecord) -> str:
    if previous.status is Status.DONE:
        return f"done earlier: {previous.report_path}"
    return f"running in another invocation ({previous.owner}, since {previous.started_at:%Y-%m-%d %H:%M} UTC)"
