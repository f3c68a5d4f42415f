"""A job is one report to produce unattended; its key is what the state database remembers it by."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from pipeline.delivery.targets import Target
from pipeline.models import ResearchRequest

MAX_LABEL_QUESTION = 60


@dataclass(frozen=True)
class Job:
    """``key`` identifies the report across invocations: the same key is never produced twice."""

    key: str
    label: str
    reason: str
    request: ResearchRequest
    model: str
    corpus: Path | None
    out_dir: Path
    name: str | None = None  # what the report's file name is made from; default: the question
    search: str | None = None
    prompts: Path | None = None
    templates: Path | None = None
    use_cache: bool = True
    origin: str = ""  # the calendar event the date comes from, if it does
    earlier: tuple[str, ...] = ()  # keys of the briefings before this one in its series, nearest first
    deliver: tuple[Target, ...] = ()  # where the report goes once written; not part of its key


class NoteKind(Enum):
    PAST = "past"
    UPCOMING = "upcoming"
    NO_DATES = "no dates"
    DUPLICATE = "duplicate"
    CONFLICT = "conflict"  # a calendar date the watchlist overrides


@dataclass(frozen=True)
class Note:
    """Something skipped or not yet due; ``kind`` decides whether an unattended run mentions it."""

    kind: NoteKind
    text: str


@dataclass(frozen=True)
class Plan:
    """What a watchlist or a CSV asks to run now, and why anything else is not run."""

    jobs: list[Job]
    notes: list[Note]
    digest: bool = False  # deliver a run's briefings as one message per target
    targets: tuple[Target, ...] = ()  # every target the input names: failed deliveries to them are retried


def fingerprint(
    request: ResearchRequest, model: str, corpus: Path | None, out_dir: Path, *, exclude: set[str],
    search: str | None = None, prompts: Path | None = None,
) -> str:
    """A short hash of everything that decides what a report says and where it goes.

    Editing a request, its window, model, corpus or output folder makes it a new report; ``exclude``
    drops fields that must not (a scheduled report's as-of date moves while its milestone doesn't).
    """
    chosen = [request.model_dump(mode="json", exclude=exclude), model, str(corpus or ""), str(out_dir)]
    if search or prompts:  # only then, so the keys of existing state stay the same
        chosen += [search or "", str(prompts or "")]
    payload = json.dumps(
        chosen,
        sort_keys=True,
        separators=(",", ":"),
    )
    return hashlib.sha256(payload.encode()).hexdigest()[:12]


def short_question(question: str) -> str:
    """The question cut to fit a table cell."""
    if len(question) <= MAX_LABEL_QUESTION:
        return question
    return question[: MAX_LABEL_QUESTION - 1].rsplit(" ", 1)[0] + "…"
