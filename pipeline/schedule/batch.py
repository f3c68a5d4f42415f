"""A CSV of requests, one report per row: ``question,source hints,keywords``, the example's title line.

Hints are separated by ``;`` and keywords by spaces; a row may also be a question alone. A header
row, blank lines and ``#`` comment lines are skipped. Every bad row is reported together, by line,
and by column for quoting mistakes.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from pydantic import ValidationError

from pipeline.errors import UsageError
from pipeline.inputs import read_text_file
from pipeline.models import ResearchRequest, TimeWindow
from pipeline.schedule.jobs import Job, Note, NoteKind, Plan, fingerprint, short_question
from pipeline.schedule.problems import Problem, ProblemsError

COLUMNS = ("question", "source hints", "keywords")


@dataclass(frozen=True)
class BatchSettings:
    """What every row shares: the command's options."""

    as_of: date
    window: TimeWindow
    query_count: int
    model: str
    corpus: Path | None
    out_dir: Path
    focus: str | None
    search: str | None = None
    prompts: Path | None = None
    templates: Path | None = None
    use_cache: bool = True
    rounds: int = 2


def read_batch(path: Path, settings: BatchSettings) -> Plan:
    """One job per row of ``path``; raise ``ProblemsError`` listing every bad row."""
    rows, problems = _rows(read_text_file(path, "requests CSV"))
    if _semicolon_separated(rows):
        raise UsageError(f"{path} looks ';'-separated: separate the columns with commas, as {','.join(COLUMNS)} "
                         "(';' separates the hints inside the second column)")
    jobs: dict[str, Job] = {}
    notes: list[Note] = []
    for line, fields in rows:
        try:
            job = _job(path, line, fields, settings)
        except ValidationError as error:
            problems.append(Problem(line, str(error.errors()[0]["msg"]).removeprefix("Value error, "), where="question"))
            continue
        if job.key in jobs:
            notes.append(Note(NoteKind.DUPLICATE, f"line {line} repeats {jobs[job.key].reason}: run once"))
        jobs.setdefault(job.key, job)
    if problems:
        raise ProblemsError(path, problems)
    if not jobs:
        raise UsageError(f"{path} has no requests: write one per row, as {','.join(COLUMNS)}")
    return Plan(jobs=list(jobs.values()), notes=notes)


def _rows(text: str) -> tuple[list[tuple[int, list[str]]], list[Problem]]:
    """``(line, fields)`` for every request row, and a problem for every row that isn't one."""
    lines = text.splitlines(keepends=True)
    reader = csv.reader(io.StringIO(text, newline=""), strict=True, skipinitialspace=True)
    rows: list[tuple[int, list[str]]] = []
    problems: list[Problem] = []
    while True:
        start = reader.line_num + 1
        try:
            fields = next(reader)
        except StopIteration:
            return rows, problems
        except csv.Error as error:
            problems.append(_quoting_problem("".join(lines[start - 1 : reader.line_num]), start, str(error)))
            continue
        if not fields or fields[0].lstrip().startswith("#") or (not rows and not problems and _is_header(fields)):
            continue
        if len(fields) not in (1, len(COLUMNS)):
            problems.append(Problem(start, f"{len(fields)} fields; a row is {','.join(COLUMNS)} or a question alone "
                                           '(quote a field that contains a comma: "A, B")'))
            continue
        rows.append((start, fields))


def _is_header(fields: list[str]) -> bool:
    """The column names, or their first ones (a header of just ``question`` is not a question)."""
    names = [field.strip().lower().replace("_", " ") for field in fields]
    return names == list(COLUMNS[: len(names)])


def _semicolon_separated(rows: list[tuple[int, list[str]]]) -> bool:
    """Columns separated by ``;`` (a spreadsheet's export in some locales): read as commas, every row
    would be one long question. Seen in a header, or when every row is one field of three ``;`` parts
    (a question alone may hold a ``;`` or two, rarely in every row exactly two)."""
    if not rows or any(len(fields) > 1 for _, fields in rows):
        return False
    first = rows[0][1][0].split(";")
    return (_is_header(first) and len(first) > 1) or all(len(fields[0].split(";")) == len(COLUMNS) for _, fields in rows)


def _quoting_problem(record: str, start: int, message: str) -> Problem:
    """Where in ``record`` (starting on line ``start``) the quoting goes wrong, as line and column."""
    found = _quoting_mistake(record)
    if found is None:
        return Problem(start, f"invalid CSV: {message}")
    offset, mistake = found
    line = start + record.count("\n", 0, offset)
    column = offset - (record.rfind("\n", 0, offset) + 1) + 1
    return Problem(line, f"invalid CSV: {mistake}", column=column)


def _quoting_mistake(record: str) -> tuple[int, str] | None:
    """The offset and nature of the first quoting mistake in ``record``, as ``csv`` reads it."""
    quoted, opened, field_start, index = False, 0, True, 0
    while index < len(record):
        char, following = record[index], record[index + 1 : index + 2]
        if quoted and char == '"' and following == '"':
            index += 2
            continue
        if quoted and char == '"':
            quoted = False
            if following not in (",", "\r", "\n", ""):
                return index + 1, 'text after a closing quote (inside a quoted field, write a quote as "")'
        elif not quoted and char == '"' and field_start:
            quoted, opened = True, index
        field_start = not quoted and (char == "," or (field_start and char == " "))
        index += 1
    return (opened, "this quote is never closed") if quoted else None


def _job(path: Path, line: int, fields: list[str], settings: BatchSettings) -> Job:
    question, hints, keywords = (fields + ["", ""])[:3]
    request = ResearchRequest(
        question=question,
        source_hints=[hint.strip() for hint in hints.split(";") if hint.strip()],
        keywords=keywords.split(),
        focus=settings.focus,
        as_of=settings.as_of,
        window=settings.window,
        query_count=settings.query_count,
        rounds=settings.rounds,
    )
    identity = fingerprint(
        request, settings.model, settings.corpus, settings.out_dir, exclude=set(),
        search=settings.search, prompts=settings.prompts,
    )
    return Job(
        key=f"batch:{settings.as_of}:{identity}",
        label=f"line {line} · {short_question(request.question)}",
        reason=f"{path.name} line {line}",
        request=request,
        model=settings.model,
        corpus=settings.corpus,
        out_dir=settings.out_dir,
        search=settings.search,
        prompts=settings.prompts,
        templates=settings.templates,
        use_cache=settings.use_cache,
    )
