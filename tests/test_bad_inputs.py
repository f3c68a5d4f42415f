"""The README's promise, case by case: every bad input or fault is one ``Error:`` line and a non-zero
exit, with no traceback, nothing on stdout, and nothing written or overwritten.

Each case runs one command in a work folder that already holds a report (with the name the command
would give a new one) and its inputs; the whole folder must be byte-for-byte the same afterwards.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from pipeline.cli import groundbrief
from tests.schedule.helpers import NVIDIA_WATCHLIST

REPORT = "2026-11-24-cerebras-vs-nvidia"
GOOD_DOC = "Cerebras raised $1.1 billion from investors, and NVIDIA customers compare its inference speed."


@dataclass(frozen=True)
class Case:
    """``groundbrief ARGS`` run in the work folder; ``{work}`` in an argument is that folder."""

    name: str
    args: tuple[str, ...]
    status: int
    message: str  # a fragment of the error (its line, or the line of one problem in a file)
    files: dict[str, str | bytes] = field(default_factory=dict)  # inputs written first, by relative path
    setup: Callable[[Path, pytest.MonkeyPatch], None] | None = None


def generate(*args: str) -> tuple[str, ...]:
    return ("generate", *args, "--out", "{work}/out", "--as-of", "2026-11-24")


def _denied(name: str, modes: int = os.R_OK | os.W_OK) -> Callable[[Path, pytest.MonkeyPatch], None]:
    """``os.access`` says no to ``modes`` for ``work/name``: the tests may run as root, who may do anything."""
    def setup(work: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        real_access = os.access
        denied = work / name
        monkeypatch.setattr(os, "access", lambda path, mode, **kw: (
            False if Path(path) == denied and mode & modes else real_access(path, mode, **kw)))
    return setup


def _generated_draft(work: Path) -> None:
    """A report the tool wrote, as ``work/draft.md`` (and its ``.json``)."""
    from pipeline.generate import generate_report
    from tests.conftest import make_request

    made = generate_report(make_request(), out_dir=work / "made").markdown_path
    made.rename(work / "draft.md")
    made.with_suffix(".json").rename(work / "draft.json")


def _no_keys(work: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("GEMINI_API_KEY", "GOOGLE_API_KEY", "GOOGLE_GENAI_USE_VERTEXAI"):
        monkeypatch.delenv(name, raising=False)


WATCHLIST = NVIDIA_WATCHLIST.replace('out_dir = "reports"', 'out_dir = "out"')
BROKEN_IF = "{% if report %}\nunclosed\n"
ESCAPE = '{{ cycler.__init__.__globals__.os.popen("touch {work}/escaped").read() }}\n'

CASES = [
    # The topic.
    Case("empty topic", generate(""), 1, "the topic is empty"),
    Case("blank topic", generate("   \t "), 1, "the topic is empty"),
    Case("topic of dots", generate(".."), 1, "has no letters"),
    Case("topic of emoji", generate("🚀🚀"), 1, "has no letters"),
    Case("topic of escape sequences", generate("\x1b[31m\x1b]0;title\x07"), 1, "the topic is empty"),
    Case("topic too long", generate("Cerebras " * 120), 1, "the limit is 1,000"),
    Case("request too long", generate("Cerebras vs NVIDIA?,hints,kw", "--keywords", "k" * 1999), 1, "longer than 2,000"),
    # Dates, windows, counts.
    Case("impossible date", ("generate", "Cerebras vs NVIDIA", "--out", "{work}/out", "--as-of", "2026-13-01"), 2, "is not a valid date"),
    Case("date in another format", ("generate", "Cerebras vs NVIDIA", "--out", "{work}/out", "--as-of", "24/11/2026"), 2, "use YYYY-MM-DD"),
    Case("far-future date", ("generate", "Cerebras vs NVIDIA", "--out", "{work}/out", "--as-of", "2099-01-01"), 2, "more than a year ahead"),
    Case("window of zero days", generate("Cerebras vs NVIDIA", "--window", "0d"), 2, "must be at least 1 day"),
    Case("window without a unit", generate("Cerebras vs NVIDIA", "--window", "3"), 2, "use a number and a unit"),
    Case("window in quarters", generate("Cerebras vs NVIDIA", "--window", "3q"), 2, "use a number and a unit"),
    Case("window before year 1", generate("Cerebras vs NVIDIA", "--window", "9999y"), 1, "reaches back before the year 1"),
    Case("no queries", generate("Cerebras vs NVIDIA", "--queries", "0"), 2, "--queries"),
    Case("too many queries", generate("Cerebras vs NVIDIA", "--queries", "61"), 2, "--queries"),
    # Models.
    Case("unknown model", generate("Cerebras vs NVIDIA", "--model", "gpt-9"), 1, "unknown model 'gpt-9'"),
    Case("Gemini without a key", generate("Cerebras vs NVIDIA", "--model", "gemini"), 1, "Set GEMINI_API_KEY", setup=_no_keys),
    Case("web search without a key", generate("Cerebras vs NVIDIA", "--search", "web"), 1, "Set GEMINI_API_KEY", setup=_no_keys),
    # The corpus.
    Case("missing corpus", generate("Cerebras vs NVIDIA", "--corpus", "{work}/nowhere"), 1, "nowhere"),
    Case("corpus is a file", generate("Cerebras vs NVIDIA", "--corpus", "{work}/corpus.md"), 1, "corpus.md",
         files={"corpus.md": GOOD_DOC}),
    Case("empty corpus", generate("Cerebras vs NVIDIA", "--corpus", "{work}/corpus"), 1, "has no readable",
         files={"corpus/notes.pdf": b"%PDF-1.4"}),
    Case("corpus of binary and non-UTF-8 files", generate("Cerebras vs NVIDIA", "--corpus", "{work}/corpus"), 1, "has no readable",
         files={"corpus/a.md": b"\x00\x01binary", "corpus/b.txt": b"caf\xe9 au lait"}),
    Case("unreadable corpus", generate("Cerebras vs NVIDIA", "--corpus", "{work}/corpus"), 1, "is not readable",
         files={"corpus/a.md": GOOD_DOC}, setup=_denied("corpus")),
    # The output folder.
    Case("output folder is a file", ("generate", "Cerebras vs NVIDIA", "--out", "{work}/out/" + REPORT + ".md"), 1,
         "can't create output folder"),
    Case("output folder not writable", generate("Cerebras vs NVIDIA"), 1, "is not writable", setup=_denied("out", os.W_OK)),
    # Report templates and prompts.
    Case("missing templates folder", generate("Cerebras vs NVIDIA", "--templates", "{work}/nowhere"), 1, "does not exist"),
    Case("templates folder without report.md.j2", generate("Cerebras vs NVIDIA", "--templates", "{work}/tpl"), 1,
         "has no report.md.j2", files={"tpl/other.md.j2": "x"}),
    Case("report template syntax error", generate("Cerebras vs NVIDIA", "--templates", "{work}/tpl"), 1,
         "report.md.j2, line 2", files={"tpl/report.md.j2": BROKEN_IF}),
    Case("report template undefined name", generate("Cerebras vs NVIDIA", "--templates", "{work}/tpl"), 1,
         "line 2: 'nope' is undefined", files={"tpl/report.md.j2": "ok\n{{ nope }}\n"}),
    Case("report template escaping the sandbox", generate("Cerebras vs NVIDIA", "--templates", "{work}/tpl"), 1,
         "is unsafe", files={"tpl/report.md.j2": ESCAPE}),
    Case("broken report template on a dry run", generate("Cerebras vs NVIDIA", "--dry-run", "--templates", "{work}/tpl"), 1,
         "report.md.j2, line 2", files={"tpl/report.md.j2": BROKEN_IF}),
    Case("report template dividing by zero", generate("Cerebras vs NVIDIA", "--templates", "{work}/tpl"), 1,
         "ZeroDivisionError", files={"tpl/report.md.j2": "{{ 1 / 0 }}\n"}),
    Case("missing prompts folder", generate("Cerebras vs NVIDIA", "--model", "gemini", "--dry-run", "--prompts", "{work}/nowhere"), 1,
         "does not exist"),
    Case("broken prompt on a dry run", generate("Cerebras vs NVIDIA", "--model", "gemini", "--dry-run", "--prompts", "{work}/p"), 1,
         "expand.md.j2, line 2", files={"p/expand.md.j2": BROKEN_IF}),
    Case("prompt escaping the sandbox", generate("Cerebras vs NVIDIA", "--model", "gemini", "--dry-run", "--prompts", "{work}/p"), 1,
         "is unsafe", files={"p/expand.md.j2": ESCAPE}),
    Case("broken prompt on a real run", generate("Cerebras vs NVIDIA", "--model", "ollama:qwen2.5:7b", "--prompts", "{work}/p"), 1,
         "assess.md.j2, line 2", files={"p/assess.md.j2": BROKEN_IF}),
    # The editors' commands.
    Case("check a missing draft", ("check", "{work}/out/nope.md"), 2, "no such file"),
    Case("check a folder", ("check", "{work}/out"), 2, "not a file"),
    Case("check a binary file", ("check", "{work}/draft.md"), 2, "a binary file", files={"draft.md": b"\x00\x01"}),
    Case("check a file that is not a report", ("check", "{work}/draft.md"), 2, "not a groundbrief report",
         files={"draft.md": "Just some notes.\n"}),
    Case("refresh a missing draft", ("refresh", "{work}/out/nope.md"), 1, "no such file"),
    Case("refresh a non-UTF-8 draft", ("refresh", "{work}/draft.md"), 1, "is not UTF-8", files={"draft.md": b"caf\xe9\n"}),
    Case("refresh with an empty window", ("refresh", "{work}/out/" + REPORT + ".md", "--window", "0d"), 2, "at least 1 day"),
    Case("refresh with a broken report template", ("refresh", "{work}/draft.md", "--templates", "{work}/tpl"), 1,
         "report.md.j2, line 2", setup=lambda work, monkeypatch: _generated_draft(work),
         files={"tpl/report.md.j2": BROKEN_IF}),
    Case("diff a missing draft", ("diff", "{work}/out/nope.md", "{work}/out/" + REPORT + ".md"), 1, "no such file"),
    # Scheduled runs.
    Case("missing watchlist", ("schedule", "{work}/nowhere.toml"), 1, "no such file"),
    Case("empty watchlist", ("schedule", "{work}/w.toml"), 1, "lists no companies", files={"w.toml": ""}),
    Case("watchlist TOML syntax", ("schedule", "{work}/w.toml"), 1, "invalid TOML", files={"w.toml": "x = ["}),
    Case("watchlist with an unknown model", ("schedule", "{work}/w.toml", "--as-of", "2026-11-24"), 1, "nothing was run",
         files={"w.toml": WATCHLIST.replace('out_dir = "out"', 'out_dir = "out"\nmodel = "gpt-9"')}),
    Case("watchlist with an empty window", ("schedule", "{work}/w.toml", "--as-of", "2026-11-24"), 1, "at least 1 day",
         files={"w.toml": WATCHLIST.replace('window = "3m"', 'window = "0d"')}),
    Case("schedule for a far-future date", ("schedule", "{work}/w.toml", "--as-of", "2099-01-01"), 2, "more than a year ahead",
         files={"w.toml": WATCHLIST}),
    # Batches.
    Case("missing CSV", ("batch", "{work}/nowhere.csv", "--out", "{work}/out"), 1, "no such file"),
    Case("CSV with only a header", ("batch", "{work}/r.csv", "--out", "{work}/out"), 1, "has no requests",
         files={"r.csv": "question\n"}),
    Case("';'-separated CSV", ("batch", "{work}/r.csv", "--out", "{work}/out"), 1, "looks ';'-separated",
         files={"r.csv": "question;source hints;keywords\nGroq vs NVIDIA;vendor blogs;Groq\n"}),
    Case("CSV with an unclosed quote", ("batch", "{work}/r.csv", "--out", "{work}/out"), 1, "this quote is never closed",
         files={"r.csv": 'Groq vs NVIDIA\n"unclosed,\n'}),
    Case("CSV row of dots", ("batch", "{work}/r.csv", "--out", "{work}/out"), 1, "has no letters", files={"r.csv": "..\n"}),
    Case("binary CSV", ("batch", "{work}/r.csv", "--out", "{work}/out"), 1, "a binary file", files={"r.csv": b"\x00\x01"}),
    Case("batch with an unknown model", ("batch", "{work}/r.csv", "--model", "gpt-9", "--out", "{work}/out"), 1,
         "unknown model", files={"r.csv": "Groq vs NVIDIA\n"}),
    Case("batch with a broken report template", ("batch", "{work}/r.csv", "--templates", "{work}/tpl", "--out", "{work}/out"), 1,
         "report.md.j2, line 2", files={"r.csv": "Groq vs NVIDIA\n", "tpl/report.md.j2": BROKEN_IF}),
    Case("batch with a broken prompt", ("batch", "{work}/r.csv", "--prompts", "{work}/p", "--out", "{work}/out"), 1,
         "synthesize.md.j2, line 2", files={"r.csv": "Groq vs NVIDIA\n", "p/synthesize.md.j2": BROKEN_IF}),
    Case("batch with an empty window", ("batch", "{work}/r.csv", "--window", "0d", "--out", "{work}/out"), 2,
         "at least 1 day", files={"r.csv": "Groq vs NVIDIA\n"}),
]


def snapshot(folder: Path) -> dict[str, str]:
    """Every file and folder under ``folder``, with a digest of each file's bytes."""
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "folder"
        for path in sorted(folder.rglob("*"))
    }


@pytest.fixture
def work(tmp_path: Path, tmp_path_factory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A work folder (also the current one) whose ``out`` already holds the report a run would name."""
    monkeypatch.setenv("GROUNDBRIEF_STATE_DIR", str(tmp_path_factory.mktemp("state")))
    monkeypatch.setenv("GROUNDBRIEF_LOG_DIR", str(tmp_path_factory.mktemp("log")))
    folder = tmp_path / "work"
    (folder / "out").mkdir(parents=True)
    (folder / "out" / f"{REPORT}.md").write_text(EXISTING_REPORT, encoding="utf-8")
    (folder / "out" / f"{REPORT}.json").write_text("{}", encoding="utf-8")
    monkeypatch.chdir(folder)
    return folder


EXISTING_REPORT = "# Research Query: Cerebras vs NVIDIA\n\nAn editor's draft that must survive every failure.\n"


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_a_bad_input_is_one_error_line_and_changes_nothing(case: Case, work: Path, monkeypatch):
    run_bad_input(case, work, monkeypatch)


def run_bad_input(case: Case, work: Path, monkeypatch: pytest.MonkeyPatch) -> Result:
    """Write the case's files, run it, and assert the promise: one error line, nothing changed."""
    for relative, content in case.files.items():
        path = work / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content.replace("{work}", str(work)), encoding="utf-8")
    if case.setup:
        case.setup(work, monkeypatch)
    before = snapshot(work)

    result = CliRunner().invoke(groundbrief, [arg.replace("{work}", str(work)) for arg in case.args])

    assert isinstance(result.exception, SystemExit), f"{result.exception!r}\n{result.stderr}"  # no traceback
    assert result.exit_code == case.status, result.stderr
    assert result.stdout == ""
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1, result.stderr
    assert case.message in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
    if case.status == 1:  # bad input: the error, and only lines that belong to it (one per problem in a file)
        rest = [line for line in result.stderr.splitlines() if line != errors[0] and not line.startswith("warning:")]
        assert all(line.startswith("  line ") for line in rest), result.stderr
    assert snapshot(work) == before
    return result


def test_there_are_at_least_forty_cases():
    assert len(CASES) >= 40 and len({case.name for case in CASES}) == len(CASES)
