"""Reading a CSV of requests: the example's title-line format, one report per row."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from pipeline.errors import UsageError
from pipeline.models import TimeWindow
from pipeline.schedule.batch import BatchSettings, read_batch
from pipeline.schedule.jobs import NoteKind
from pipeline.schedule.problems import ProblemsError
from tests.conftest import EXAMPLE_TITLE_LINE
from tests.schedule.helpers import REPO, write


def settings(tmp_path: Path, **changes) -> BatchSettings:
    fields = dict(as_of=date(2026, 11, 18), window=TimeWindow.parse("3m"), query_count=12, model="offline-rules",
                  corpus=None, out_dir=tmp_path / "out", focus=None)
    return BatchSettings(**{**fields, **changes})


def test_rows_are_title_lines_with_header_comments_and_quoting(tmp_path):
    text = f"""question,source hints,keywords
# a comment
{EXAMPLE_TITLE_LINE}

Groq vs NVIDIA
"Cerebras, Groq and NVIDIA: who wins inference?",,Cerebras Groq
Groq vs NVIDIA
"""
    plan = read_batch(write(tmp_path / "requests.csv", text), settings(tmp_path))
    first, second, third = (job.request for job in plan.jobs)
    assert first.title_line == EXAMPLE_TITLE_LINE
    assert first.source_hints == ["Customer case studies", "vendor blogs", "arXiv"]
    assert (second.question, second.source_hints, second.keywords) == ("Groq vs NVIDIA", [], [])
    assert (third.question, third.keywords) == ("Cerebras, Groq and NVIDIA: who wins inference?", ["Cerebras", "Groq"])
    assert [job.label.split(" · ")[0] for job in plan.jobs] == ["line 3", "line 5", "line 6"]
    assert [(note.kind, note.text) for note in plan.notes] == [
        (NoteKind.DUPLICATE, "line 7 repeats requests.csv line 5: run once")]
    assert all(job.request.as_of == date(2026, 11, 18) and job.request.earnings is None for job in plan.jobs)


def test_the_key_changes_with_the_date_and_options_but_not_the_row(tmp_path):
    path = write(tmp_path / "r.csv", "Groq vs NVIDIA\n")
    moved = write(tmp_path / "moved.csv", "\n\nGroq vs NVIDIA\n")

    def key(csv: Path, **changes) -> str:
        return read_batch(csv, settings(tmp_path, **changes)).jobs[0].key

    assert key(path) == key(moved)
    assert key(path) != key(path, as_of=date(2026, 11, 19))
    assert key(path) != key(path, window=TimeWindow.parse("6m"))
    assert key(path) != key(path, out_dir=tmp_path / "elsewhere")


def test_every_bad_row_is_reported_by_line_and_column(tmp_path):
    text = 'a,b\nok question\n"bad"x,y,z\n  ,hint,kw\none,two,three,four\n"never closed,\nx,y\n'
    with pytest.raises(ProblemsError) as raised:
        read_batch(write(tmp_path / "r.csv", text), settings(tmp_path))
    assert [str(problem) for problem in raised.value.problems] == [
        'line 1: 2 fields; a row is question,source hints,keywords or a question alone '
        '(quote a field that contains a comma: "A, B")',
        'line 3, column 6: invalid CSV: text after a closing quote (inside a quoted field, write a quote as "")',
        'line 4: question: the topic is empty: give a question, e.g. "Cerebras vs NVIDIA"',
        'line 5: 4 fields; a row is question,source hints,keywords or a question alone '
        '(quote a field that contains a comma: "A, B")',
        "line 6, column 1: invalid CSV: this quote is never closed",
    ]


@pytest.mark.parametrize("text", ["", "question,source hints,keywords\n", "# only a comment\n\n"])
def test_a_file_without_requests_is_bad_input(tmp_path, text):
    with pytest.raises(UsageError, match="has no requests"):
        read_batch(write(tmp_path / "r.csv", text), settings(tmp_path))


def test_the_shipped_example_csv_is_valid(tmp_path):
    plan = read_batch(REPO / "examples" / "requests.csv", settings(tmp_path))
    assert plan.jobs[0].request.title_line == EXAMPLE_TITLE_LINE
    assert len(plan.jobs) == 3
