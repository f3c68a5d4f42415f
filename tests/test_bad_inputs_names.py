"""Names, text and bounded work, case by case, in the harness of ``test_bad_inputs.py``.

Any byte sequence in a file, folder or topic name is read, or refused or skipped with the name shown
escaped (``\\xff`` for a byte that isn't UTF-8); invisible format characters are stripped; corpus
trees of any depth are walked; JSON from drafts, templates and prompts can't exhaust the stack, the
memory or the clock. Each case is also timed: a bounded failure is a fast one.
"""

# ruff: noqa: F811 (the harness's ``work`` fixture is imported, then requested by name)
from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from pipeline.cli import groundbrief
from pipeline.controls import escaped, has_undecodable, printable
from tests.test_bad_inputs import (  # noqa: F401 (work is the harness's fixture)
    GOOD_DOC,
    REPORT,
    WATCHLIST,
    Case,
    _generated_draft,
    generate,
    run_bad_input,
    snapshot,
    work,
)

SECONDS = 15  # every case, setup included, on a shared 2-core machine; a bounded template fails in about 1 s
ODD = "\udcff"  # how Python keeps the byte 0xff of a name that isn't UTF-8 (argv, file names: surrogateescape)


def _draft_metadata(change: Callable[[str], str]) -> Callable[[Path, pytest.MonkeyPatch], None]:
    """A generated ``draft.md`` whose hidden metadata comment's JSON is replaced by ``change(json_text)``."""
    def setup(work: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        _generated_draft(work)
        draft = work / "draft.md"
        draft.write_text(re.sub(r"(<!-- groundbrief:report )(\{.*\})( -->)", lambda m: m[1] + change(m[2]) + m[3],
                                draft.read_text(encoding="utf-8")), encoding="utf-8")
    return setup


def _nested(depth: int) -> str:
    return '{"deep": ' + "[" * depth + "]" * depth + ", " + "}"


def _bytes_in_topic(text: str) -> str:
    data = json.loads(text)
    data["request"]["question"] = f"Cerebras {ODD} vs NVIDIA"
    return json.dumps(data).replace("--", "-\\u002d")


def _template(name: str, message: str, body: str) -> Case:
    """A report template of ``body``, whose run fails with ``message`` (its line and what went over)."""
    return Case(f"template {name}", generate("Cerebras vs NVIDIA", "--templates", "{work}/tpl"), 1,
                f"report.md.j2, {message}", files={"tpl/report.md.j2": body})

CASES = [
    # Topics, hints and focus from the command line, with bytes that aren't UTF-8 or nothing visible.
    Case("topic with a byte that isn't UTF-8", generate(f"Cerebras {ODD} vs NVIDIA"), 1,
         "the topic 'Cerebras \\xff vs NVIDIA' is not UTF-8 text"),
    Case("focus with a byte that isn't UTF-8", generate("Cerebras vs NVIDIA", "--focus", f"NV{ODD}IDIA"), 1,
         "the focus 'NV\\xffIDIA' is not UTF-8 text"),
    Case("keyword with a byte that isn't UTF-8", generate(f"Cerebras vs NVIDIA?,vendor blogs; podcasts,Cere{ODD}bras"), 1,
         "'Cere\\xffbras' is not UTF-8 text"),
    Case("topic of zero-width characters", generate("\u200b\u200c\u200d\u2060\ufeff"), 1, "the topic is empty"),
    Case("topic of soft hyphens and tag characters", generate("\u00ad\U000e0041\U000e0042\u00ad"), 1, "the topic is empty"),
    # Folders the report records by name.
    Case("corpus folder named in bytes that aren't UTF-8", generate("Cerebras vs NVIDIA", "--corpus", f"{{work}}/c{ODD}"), 2,
         "'{work}/c\\xff' is not UTF-8 text", files={f"c{ODD}/a.md": GOOD_DOC}),
    Case("templates folder named in bytes that aren't UTF-8", generate("Cerebras vs NVIDIA", "--templates", f"{{work}}/t{ODD}"), 2,
         "'{work}/t\\xff' is not UTF-8 text", files={f"t{ODD}/report.md.j2": "x"}),
    # Files of requests whose text isn't UTF-8: the line, shown escaped.
    Case("CSV row with a byte that isn't UTF-8", ("batch", "{work}/r.csv", "--out", "{work}/out"), 1,
         "line 2 is not UTF-8 text ('Groq \\xff vs NVIDIA')", files={"r.csv": b"question\nGroq \xff vs NVIDIA\n"}),
    Case("watchlist company with a byte that isn't UTF-8", ("schedule", "{work}/w.toml", "--as-of", "2026-11-24"), 1,
         "line 7 is not UTF-8 text ('name = \"NVIDIA \\xe9\"')",
         files={"w.toml": WATCHLIST.replace('name = "NVIDIA"', 'name = "NVIDIA \udce9"').encode("utf-8", "surrogateescape")}),
    Case("watchlist request of invisible characters", ("schedule", "{work}/w.toml", "--as-of", "2026-11-24"), 1,
         "the topic is empty", files={"w.toml": WATCHLIST.replace('"Groq vs NVIDIA"', '"\u200b\u2060\u200d"')}),
    # A draft's hidden metadata: bytes in its topic, and JSON that would exhaust the parser.
    Case("draft metadata with a topic in bytes that aren't UTF-8", ("refresh", "{work}/draft.md"), 1,
         "the topic 'Cerebras \\xff vs NVIDIA' is not UTF-8 text", setup=_draft_metadata(_bytes_in_topic)),
    Case("draft metadata nested 1,000 levels deep", ("refresh", "{work}/draft.md"), 1,
         "the groundbrief metadata comment is damaged (nested more than 64 levels deep)",
         setup=_draft_metadata(lambda text: _nested(1000))),
    Case("draft metadata nested 100,000 levels deep, compared", ("diff", "{work}/draft.md", "{work}/draft.md"), 1,
         "nested more than 64 levels deep", setup=_draft_metadata(lambda text: _nested(100_000))),
    Case("draft metadata with a 5,000-digit number", ("refresh", "{work}/draft.md"), 1,
         "the groundbrief metadata comment is damaged (Exceeds the limit (4300 digits)",
         setup=_draft_metadata(lambda text: '{"n": ' + "9" * 5000 + "}")),
    # Report templates and prompts that would run without end or build more than memory holds.
    _template("multiplying a string by 3 billion", "line 2: the template would build a string of 3,000,000,000 characters",
              "ok\n{{ 'x' * 3000000000 }}\n"),
    _template("with nested range loops", "line 2: the template takes more than 2,000,000 steps",
              "ok\n{% for i in range(99999) %}{% for j in range(99999) %}{% endfor %}{% endfor %}\n"),
    _template("that includes itself", "line 2: it includes or calls itself without end", "ok\n{% include 'report.md.j2' %}\n"),
    _template("with a recursive macro", "line 1: it includes or calls itself without end",
              "{% macro again(n) %}{{ again(n) }}{% endmacro %}\n{{ again(1) }}\n"),
    _template("doubling a string in a loop", "line 2: the template would build a string",
              "{% set ns = namespace(text='x') %}\n{% for i in range(64) %}{% set ns.text = ns.text ~ ns.text %}{% endfor %}\n"),
    _template("raising 9 to a huge power", "line 1: the template would compute a number", "{{ 9 ** 99999999 }}\n"),
    _template("writing without end into a block", "line 1: the template writes more than",
              "{% set text %}{% for i in range(99999) %}{{ 'x' * 10000 }}{% endfor %}{% endset %}{{ text }}\n"),
    _template("printing a list that holds a list a thousand times", "line 2: the template would build",
              "{% set row = ['x' * 100000] * 1000 %}\n{{ [row] * 1000 }}\n"),
    _template("padding to a billion characters", "line 1: the template would build a string of 1,000,000,000 characters",
              "{{ report.request.question | center(1000000000) }}\n"),
    Case("prompt multiplying a string by 3 billion, on a dry run",
         generate("Cerebras vs NVIDIA", "--model", "gemini", "--dry-run", "--prompts", "{work}/p"), 1,
         "expand.md.j2, line 1: the template would build a string", files={"p/expand.md.j2": "{{ 'x' * 3000000000 }}\n"}),
]


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_a_bad_name_or_unbounded_input_is_one_fast_error_line(case: Case, work: Path, monkeypatch):
    case = _with_work(case, work)
    started = time.monotonic()
    result = run_bad_input(case, work, monkeypatch)
    assert time.monotonic() - started < SECONDS
    assert printable(result.stderr) == result.stderr  # nothing odd in a name or topic reaches the terminal raw
    assert "\\ud" not in result.stderr and "MemoryError" not in result.stderr and "RecursionError" not in result.stderr


def _with_work(case: Case, work: Path) -> Case:
    """The case with ``{work}`` in its message filled in (the harness fills it in arguments and files)."""
    return Case(case.name, case.args, case.status, case.message.replace("{work}", str(work)), case.files, case.setup)


# What is read or skipped with a warning: the run goes on, and says which name it skipped.


def _corpus(work: Path, *odd: bytes) -> Path:
    """``work/corpus``: two good documents and a file (or folder, ending in /) for each odd name."""
    corpus = work / "corpus"
    corpus.mkdir()
    (corpus / "a.md").write_text(GOOD_DOC, encoding="utf-8")
    (corpus / "b.md").write_text("Groq and NVIDIA compete on inference cost; Cerebras ships wafer-scale chips.", encoding="utf-8")
    for name in odd:
        path = os.path.join(os.fsencode(corpus), name.rstrip(b"/"))
        if name.endswith(b"/"):
            os.mkdir(path)
            path = os.path.join(path, b"inside.md")
        with open(path, "wb") as handle:
            handle.write(GOOD_DOC.encode())
    return corpus


@pytest.fixture
def deep_corpus(work: Path) -> Iterator[Callable[[int], Path]]:
    """``work/corpus`` with ``corpus/deep/d/d/…/deepest.md`` that many folders down; removed afterwards
    without recursion, as pytest's own clean-up (shutil.rmtree) can't remove 1,500 levels."""
    made: list[bytes] = []

    def make(depth: int) -> Path:
        corpus = _corpus(work)
        folder = os.fsencode(corpus / "deep")
        os.mkdir(folder)
        made.append(folder)
        for _ in range(depth):
            folder = os.path.join(folder, b"d")
            os.mkdir(folder)
            made.append(folder)
        with open(os.path.join(folder, b"deepest.md"), "wb") as handle:
            handle.write(GOOD_DOC.encode())
        return corpus

    yield make
    if made:
        os.unlink(os.path.join(made[-1], b"deepest.md"))
        for folder in reversed(made):
            os.rmdir(folder)


def _invoke(work: Path, args: tuple[str, ...]) -> Result:
    return CliRunner().invoke(groundbrief, [arg.replace("{work}", str(work)) for arg in args])


def _run_reading(work: Path, corpus: Path) -> tuple[list[str], str]:
    """Generate from ``corpus``; assert a report was written in time and nothing else changed; return
    the warnings and the report's markdown."""
    before = snapshot(work / "out")
    started = time.monotonic()
    result = _invoke(work, generate("Cerebras vs NVIDIA", "--corpus", str(corpus)))
    assert time.monotonic() - started < SECONDS
    assert result.exit_code == 0, result.stderr
    assert "Traceback" not in result.stderr and "Error:" not in result.stderr
    assert printable(result.stderr) == result.stderr and "\\ud" not in result.stderr
    after = snapshot(work / "out")
    new = sorted(set(after) - set(before))
    assert new == [f"{REPORT}-2.json", f"{REPORT}-2.md"]  # the existing report is untouched beside it
    assert {name: after[name] for name in before} == before
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    return warnings, (work / "out" / f"{REPORT}-2.md").read_text(encoding="utf-8")


def test_a_file_named_in_bytes_that_arent_utf8_is_skipped_with_its_name_escaped(work: Path):
    warnings, markdown = _run_reading(work, _corpus(work, b"caf\xe9 notes.md"))
    assert warnings == ["warning: skipped caf\\xe9 notes.md: its name is not UTF-8 text; rename it to read it"]
    assert "**Snippet:**" in markdown  # the folder's other documents were read


def test_a_folder_named_in_bytes_that_arent_utf8_is_skipped_once(work: Path):
    warnings, _ = _run_reading(work, _corpus(work, b"archiv\xfc/"))
    assert warnings == ["warning: skipped archiv\\xfc: its name is not UTF-8 text; rename it to read it"]


def test_a_file_named_with_controls_and_invisible_characters_is_read(work: Path):
    corpus = _corpus(work, b"evil\x1b[31m\nname\xe2\x80\x8b.md")
    warnings, markdown = _run_reading(work, corpus)
    assert warnings == [] and "\x1b" not in markdown and "\u200b" not in markdown


def test_a_corpus_of_1500_nested_folders_is_walked_with_one_warning(work: Path, deep_corpus):
    warnings, _ = _run_reading(work, deep_corpus(1500))
    assert len(warnings) == 1 and warnings[0].startswith("warning: skipped deep/" + "d/" * 63 + "d: folders more than 64 levels")


def test_a_document_64_levels_down_is_read(work: Path, deep_corpus):
    warnings, markdown = _run_reading(work, deep_corpus(63))
    assert warnings == [] and "deepest" in markdown


def test_a_sidecar_json_nested_1000_levels_deep_is_named_as_damaged_and_ignored(work: Path):
    _generated_draft(work)
    (work / "draft.json").write_text('{"a": ' * 1000 + "1" + "}" * 1000, encoding="utf-8")
    before = snapshot(work)
    started = time.monotonic()
    result = CliRunner().invoke(groundbrief, ["check", str(work / "draft.md")])
    assert time.monotonic() - started < SECONDS
    assert result.exit_code == 0 and "Traceback" not in result.output
    assert "warning: ignored draft.json: it is damaged (nested more than 64 levels deep)" in result.output
    assert snapshot(work) == before


def test_zero_width_characters_in_a_topic_research_the_company_they_split(work: Path):
    """"Cere\u200bbras vs NVIDIA" once researched a company called "Cere" under a title that looked right."""
    result = _invoke(work, generate("Cere\u200bbras vs N\u2060VIDIA\ufeff"))
    assert result.exit_code == 0, result.stderr
    report = json.loads((work / "out" / f"{REPORT}-2.json").read_text(encoding="utf-8"))
    assert report["request"]["question"] == "Cerebras vs NVIDIA"
    assert (work / "out" / f"{REPORT}-2.md").read_text(encoding="utf-8").startswith("# Research Query: Cerebras vs NVIDIA\n")
    assert any("Cerebras" in finding["snippet"] for finding in report["findings"])


def test_there_are_at_least_eighteen_cases():
    assert len(CASES) >= 18 and len({case.name for case in CASES}) == len(CASES)


# Any bytes at all, as a file name, a folder name and a topic, through the real command.

_NAME = st.binary(min_size=1, max_size=40).filter(lambda name: b"/" not in name and b"\0" not in name and name not in (b".", b".."))


@given(file=_NAME, folder=_NAME, topic=st.tuples(st.sampled_from([b"", b"Cerebras vs NVIDIA "]),
                                                st.binary(max_size=40) | st.text(max_size=20).map(str.encode)))
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@example(file=b"caf\xe9", folder=b"\xff\xfe", topic=(b"Cerebras vs NVIDIA ", b"\xff"))
@example(file=b"zero\xe2\x80\x8bwidth\x1b[31m\n", folder=b"ok", topic=(b"Cere\xe2\x80\x8bbras vs NVIDIA", b""))
def test_any_bytes_in_names_and_topics_are_read_or_named(file: bytes, folder: bytes, topic: tuple[bytes, bytes],
                                                         tmp_path_factory, monkeypatch):
    monkeypatch.setenv("GROUNDBRIEF_STATE_DIR", str(tmp_path_factory.mktemp("state")))
    monkeypatch.setenv("GROUNDBRIEF_LOG_DIR", str(tmp_path_factory.mktemp("log")))
    root = tmp_path_factory.mktemp("names")
    corpus = root / "corpus"
    corpus.mkdir()
    (corpus / "good.md").write_text(GOOD_DOC, encoding="utf-8")
    file_name = os.fsdecode(file + b".md")
    (corpus / file_name).write_text(GOOD_DOC, encoding="utf-8")
    (corpus / os.fsdecode(folder)).mkdir(exist_ok=True)  # the folder may be the file's own name without .md: fine
    (corpus / os.fsdecode(folder) / "inside.md").write_text(GOOD_DOC, encoding="utf-8")

    result = CliRunner().invoke(groundbrief, ["generate", "--corpus", str(corpus), "--out", str(root / "out"),
                                              "--as-of", "2026-11-24", "--", os.fsdecode(b"".join(topic))])

    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert printable(result.stderr) == result.stderr and "\\ud" not in result.stderr  # every odd name shown escaped
    written = sorted(path.suffix for path in (root / "out").iterdir()) if (root / "out").exists() else []
    event("refused" if result.exit_code else "written")
    if result.exit_code != 0:
        assert [line for line in result.stderr.splitlines() if line.startswith("Error:")] != [], result.stderr
        assert len([line for line in result.stderr.splitlines() if line.startswith("Error:")]) == 1
        assert written == []
        return
    assert written == [".json", ".md"]
    warnings = result.stderr
    for name in (file_name, os.fsdecode(folder)):
        skipped = f"skipped {escaped(name)}: its name is not UTF-8 text"
        assert (skipped in warnings) == (has_undecodable(name) and not name.startswith(".")), (name, warnings)
