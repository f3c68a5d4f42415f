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
from dataclasses import dataclass, replace
from enum import Enum
from pathlib import Path

from pipeline.errors import GroundbriefError
from pipeline.generate import GeneratedReport
from pipeline.interrupts import Interrupted
from pipeline.models import Report
from pipeline.schedule.jobs import Job
from pipeline.schedule.limits import Limits, describe
from pipeline.schedule.state import RunRecord, StateDB, StateError, Status
from pipeline.series import find_previous
from pipeline.stopping import stop_writes

DEFAULT_WORKERS = 2
HANDOVER_SECONDS = 2.0  # a report thread's hand-over of a written report, after a stop waited for the write

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
    searched: str = ""  # where a written report's evidence came from: its corpus, or the web


class RunInterrupted(Interrupted):
    """Ctrl-C or SIGTERM during a run: ``outcomes`` says what finished, what was stopped, and what never started."""

    note = "the reports marked done are written; run the same command again to finish the rest"

    def __init__(self, outcomes: list[Outcome], signal_number: int):
        super().__init__(signal_number)
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
    ends: float | None = None,
) -> list[Outcome]:
    """Run ``jobs`` with at most ``workers`` at once within ``limits``; outcomes in job order.

    ``redo`` runs jobs again that were done earlier. ``ends`` (``time.monotonic()``) is when the run's
    limit is up, if it started before the jobs (a calendar fetched first); else the limit starts now.
    Raises ``RunInterrupted`` on Ctrl-C or SIGTERM, after the reports being written are whole (and
    recorded as done).
    """
    run = _Run(jobs, state, generate, log, limits=limits, redo=redo, on_outcome=on_outcome, ends=ends)
    try:
        while run.start_more(workers):
            run.wait_for_one()
    except KeyboardInterrupt as interrupt:
        stopped = interrupt if isinstance(interrupt, Interrupted) else Interrupted()
        run.collect_written(stop_writes())
        raise RunInterrupted(run.interrupted(stopped.cause), stopped.signal_number) from None
    return run.ended()


class _Run:
    """One invocation's jobs: which are waiting, which are running (and since when), what each came to.

    Only the calling thread touches it: the report threads hand their results over ``finished``.
    """

    def __init__(self, jobs: list[Job], state: StateDB, generate: Generate, log: logging.Logger, *,
                 limits: Limits, redo: bool, on_outcome: Callable[[Outcome], None], ends: float | None = None):
        self.jobs, self.state, self.generate, self.log = jobs, state, generate, log
        self.limits, self.redo, self.on_outcome = limits, redo, on_outcome
        self.finished: queue.Queue[tuple[int, GeneratedReport | Exception]] = queue.Queue()
        self.waiting = deque(enumerate(jobs))
        self.running: dict[int, _Running] = {}
        self.outcomes: dict[int, Outcome] = {}
        self.ends = ends if ends is not None else time.monotonic() + limits.run.total_seconds()

    def start_more(self, workers: int) -> bool:
        """Start waiting jobs while fewer than ``workers`` run and the run has time; False when all is done."""
        while self.waiting and len(self.running) < workers and time.monotonic() < self.ends:
            index, job = self.waiting.popleft()
            started = _start(index, job, self.state, self.generate, self.log, self.finished, self.limits, self.redo)
            if isinstance(started, Outcome):
                self._record(index, started)
            else:
                self.running[index] = started
        return bool(self.running)  # nothing running: all done, or the run's time is up

    def wait_for_one(self) -> None:
        """Record the next report to finish, or every one past its limit, whichever comes first."""
        deadline = min(min(job.started for job in self.running.values()) + self.limits.report.total_seconds(),
                       self.ends)
        try:
            index, result = self.finished.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            now = time.monotonic()
            for index, job in list(self.running.items()):
                if now >= min(job.started + self.limits.report.total_seconds(), self.ends):
                    del self.running[index]
                    self._record(index, _time_out(job, self.state, self.log, self.limits, run_over=now >= self.ends))
            return
        if index in self.running:  # else: a job already recorded as timed out finished late
            self._record(index, _finish(self.running.pop(index), result, self.state, self.log))

    def ended(self) -> list[Outcome]:
        """Every outcome in job order; jobs still waiting were not started within the run's limit."""
        for index, job in self.waiting:
            self._record(index, Outcome(job, Result.SKIPPED, f"not started: the run reached its "
                                                             f"{describe(self.limits.run)} limit; runs next time"))
        return [self.outcomes[index] for index in range(len(self.jobs))]

    def collect_written(self, writes: int) -> None:
        """After a stop that waited for ``writes`` reports being written: record them as done (their
        threads hand them over within moments), so a rerun doesn't write them again."""
        for _ in range(writes):
            try:
                index, result = self.finished.get(timeout=HANDOVER_SECONDS)
            except queue.Empty:
                return
            if index in self.running:
                self._record(index, _finish(self.running.pop(index), result, self.state, self.log))

    def interrupted(self, cause: str) -> list[Outcome]:
        """After Ctrl-C or SIGTERM (``cause``): running jobs recorded as failed (retried next time),
        the rest as not started."""
        for index, job in self.running.items():
            self.outcomes[index] = _close(job, self.state, Result.FAILED, f"interrupted ({cause}); runs again next time")
        for index, waiting in enumerate(self.jobs):  # a job claimed in the instant of the stop is retried too
            self.outcomes.setdefault(index, Outcome(waiting, Result.SKIPPED, f"not started: interrupted ({cause})"))
        return [self.outcomes[index] for index in range(len(self.jobs))]

    def _record(self, index: int, outcome: Outcome) -> None:
        self.outcomes[index] = outcome
        self.on_outcome(outcome)


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

    def warn(message: str) -> None:
        log.warning("%s: %s", job.key, message)

    def produce() -> None:
        try:
            report: GeneratedReport | Exception = generate(
                job.request, model=job.model, corpus=job.corpus, out_dir=job.out_dir, name=job.name,
                search=job.search, prompts=job.prompts, templates=job.templates, use_cache=job.use_cache,
                amend=_series_link(job, state, warn), warn=warn,
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
    path, searched = result.markdown_path, result.report.metadata.search_backend
    log.info("done %s: %s; searched %s", job.key, path, searched)
    notes = [note for note in (running.rerun, "some searches failed" if result.report.metadata.partial else "") if note]
    detail = f"{path} ({'; '.join(notes)})" if notes else str(path)
    outcome = _close(running, state, Result.PARTIAL if result.report.metadata.partial else Result.DONE, detail, path=path)
    return replace(outcome, searched=searched)


def _series_link(job: Job, state: StateDB, warn: Callable[[str], None]) -> Callable[[Report], Report] | None:
    """What opens the briefing's analysis: the changes since the latest earlier briefing of its series."""
    previous = find_previous(state.done_reports(job.earlier), warn) if job.earlier else None
    return previous.link if previous else None


def _time_out(running: _Running, state: StateDB, log: logging.Logger, limits: Limits, *, run_over: bool) -> Outcome:
    """Record a job past its limit (or the run's) as failed; its thread is left behind."""
    if run_over:
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
