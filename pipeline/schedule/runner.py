"""Run jobs a few at a time; each is claimed in the state database first, so none runs twice.

Threads suit the work (file and network I/O, SQLite); the default of two matches the two cores
the tool is sized for. A job that fails is recorded and retried by the next invocation; the
others carry on, and every report already written stays written.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from enum import Enum

from pipeline.errors import GroundbriefError
from pipeline.generate import GeneratedReport
from pipeline.schedule.jobs import Job
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


def run_jobs(
    jobs: list[Job],
    state: StateDB,
    generate: Generate,
    log: logging.Logger,
    *,
    workers: int = DEFAULT_WORKERS,
    on_outcome: Callable[[Outcome], None] = lambda outcome: None,
) -> list[Outcome]:
    """Run ``jobs`` with at most ``workers`` at once; outcomes in job order."""
    outcomes: dict[int, Outcome] = {}
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="groundbrief")
    try:
        futures: dict[Future[Outcome], int] = {
            pool.submit(_run_one, job, state, generate, log): index for index, job in enumerate(jobs)
        }
        for future in as_completed(futures):
            outcomes[futures[future]] = future.result()
            on_outcome(outcomes[futures[future]])
    finally:
        pool.shutdown(wait=True, cancel_futures=True)  # on Ctrl-C: finish running jobs, start no more
    return [outcomes[index] for index in range(len(jobs))]


def _run_one(job: Job, state: StateDB, generate: Generate, log: logging.Logger) -> Outcome:
    try:
        claim = state.claim(job.key, job.label)
    except StateError as error:
        return Outcome(job, Result.FAILED, str(error))
    if claim.token is None:
        assert claim.previous is not None
        return Outcome(job, Result.SKIPPED, _skip_reason(claim.previous))
    attempt = claim.previous.attempts + 1 if claim.previous else 1
    log.info("start %s (attempt %d): %s", job.key, attempt, job.label)
    started = time.monotonic()
    try:
        report = generate(
            job.request, model=job.model, corpus=job.corpus, out_dir=job.out_dir, name=job.name,
            search=job.search, prompts=job.prompts, templates=job.templates, use_cache=job.use_cache, warn=lambda message: log.warning("%s: %s", job.key, message),
        )
    except Exception as error:  # any failure is recorded for a retry; the other jobs carry on
        message = str(error) if isinstance(error, GroundbriefError) else f"{type(error).__name__}: {error}"
        log.error("failed %s: %s", job.key, message, exc_info=not isinstance(error, GroundbriefError))
        return _closed(job, attempt, started, lambda: state.fail(job.key, claim.token, message), Result.FAILED, message)
    path = report.markdown_path
    log.info("done %s: %s", job.key, path)
    partial = report.report.metadata.partial
    result, detail = (Result.PARTIAL, f"{path} (some searches failed)") if partial else (Result.DONE, str(path))
    return _closed(job, attempt, started, lambda: state.finish(job.key, claim.token, path), result, detail)


def _closed(job: Job, attempt: int, started: float, record: Callable[[], None], result: Result, detail: str) -> Outcome:
    """Record the end of a claimed run; if the database fails now, say so next to what happened."""
    seconds = time.monotonic() - started
    try:
        record()
    except StateError as error:
        return Outcome(job, Result.FAILED, f"{detail}; but recording it failed: {error}", attempt, seconds)
    return Outcome(job, result, detail, attempt, seconds)


def _skip_reason(previous: RunRecord) -> str:
    if previous.status is Status.DONE:
        return f"done earlier: {previous.report_path}"
    return f"running in another invocation ({previous.owner}, since {previous.started_at:%Y-%m-%d %H:%M} UTC)"
