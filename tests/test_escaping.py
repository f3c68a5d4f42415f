"""Text from a topic, a document or a web page is shown as text: terminal escapes, control characters
and bidi overrides never reach a report or a terminal, and rich never reads it as markup."""

from __future__ import annotations

import io
import json

import pytest
from click.testing import CliRunner
from rich.console import Console

from pipeline.cli import groundbrief, print_warning
from pipeline.controls import printable
from pipeline.errors import UsageError
from pipeline.models import Source
from tests.conftest import write_doc

# Recolour, retitle the window, hyperlink, reverse the text that follows, ring the bell, return the carriage
# (left as a space), clear the screen.
HOSTILE = "\x1b[31m\x1b]0;PWNED\x07\x1b]8;;https://evil.example\x1b\\\u202e\u2066\x07\r\x9b2J"
UNSAFE = ["\x1b", "\x07", "\x9b", "\r", "\u202e", "\u2066"]


@pytest.mark.parametrize("text, shown", [
    ("\x1b[1;31mred\x1b[0m", "red"),
    ("a\x1b]0;window title\x07b", "ab"),
    ("\x1b]8;;https://x.example\x1b\\link\x1b]8;;\x1b\\", "link"),
    ("Evil\u202eserP", "EvilserP"),
    ("\u2067isolated\u2069 \u200fmark", "isolated mark"),
    ("a\rb\x0bc\x00d\x7fe\x85f", "a b cde f"),
    ("lines\nand\ttabs stay; 👩\u200d💻 and café too", "lines\nand\ttabs stay; 👩\u200d💻 and café too"),
])
def test_printable_removes_what_acts_on_a_terminal(text, shown):
    assert printable(text) == shown


def test_a_hostile_topic_and_document_leave_no_trace_in_the_report(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    write_doc(corpus, "a.md", f"Cerebras{HOSTILE} raised $1.1 billion, and NVIDIA customers compare its inference speed.",
              title=json.dumps(f"Cerebras {HOSTILE} title"), publisher=json.dumps(f"Evil{HOSTILE}Press"), date="2026-05-01",
              url="https://example.com/a")
    result = CliRunner().invoke(groundbrief, ["generate", f"Cerebras vs NVIDIA{HOSTILE}", "--corpus", str(corpus),
                                              "--out", str(tmp_path / "out"), "--as-of", "2026-11-24"])
    assert result.exit_code == 0, result.output
    written = [path.read_text(encoding="utf-8") for path in (tmp_path / "out").iterdir()]
    assert len(written) == 2 and all(char not in text for text in written for char in UNSAFE)
    markdown = next(text for text in written if text.startswith("# Research Query:"))
    assert markdown.startswith("# Research Query: Cerebras vs NVIDIA\n")
    assert "**Source:** Evil Press" in markdown
    assert json.loads(next(text for text in written if text.startswith("{")))["sources"][0]["title"] == "Cerebras title"


def test_document_text_that_looks_like_markup_is_printed_as_is(tmp_path):
    """A front-matter date of ``[/b] not a date`` crashed the run with rich's MarkupError."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    write_doc(corpus, "a.md", "Cerebras raised $1.1 billion, and NVIDIA customers compare its inference speed.",
              date='"[/b] not a date"', publisher='"[bold red]Wire[/]"')
    result = CliRunner().invoke(groundbrief, ["generate", "Cerebras vs NVIDIA", "--corpus", str(corpus),
                                              "--out", str(tmp_path / "out"), "--as-of", "2026-11-24"])
    assert result.exit_code == 0, result.output
    assert "warning: a.md: unrecognised date '[/b] not a date'; treated as undated" in result.stderr


def test_a_warning_keeps_its_brackets_and_loses_its_escapes():
    output = io.StringIO()
    print_warning(Console(file=output, width=300), f'add [prices."gemini-9"] to /home/me/.config/groundbrief/settings.toml{HOSTILE}')
    assert output.getvalue() == 'warning: add [prices."gemini-9"] to /home/me/.config/groundbrief/settings.toml \n'


def test_errors_and_names_are_printable():
    assert str(UsageError(f"can't read {HOSTILE}notes.md")) == "can't read  notes.md"
    source = Source(url="https://example.com/", title=f"A\x1b[2J\nB{HOSTILE}", publisher="\u202e-", label=HOSTILE)
    assert (source.title, source.publisher, source.label) == ("A B", None, None)


def test_a_batch_prints_and_logs_no_escapes(tmp_path, monkeypatch):
    monkeypatch.setenv("GROUNDBRIEF_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("GROUNDBRIEF_LOG_DIR", str(tmp_path / "log"))
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    write_doc(corpus, "a.md", "Groq raised $640 million, and NVIDIA customers compare its inference speed.",
              date=json.dumps("[/b] \x1b[31m\u202e"), title=json.dumps(f"Groq{HOSTILE}"))
    requests = tmp_path / "r.csv"
    requests.write_text(f"Groq vs NVIDIA{HOSTILE.replace(chr(13), '')}\n", encoding="utf-8")  # CSV reads \r as a line end
    result = CliRunner().invoke(groundbrief, ["batch", str(requests), "--corpus", str(corpus), "--out", str(tmp_path / "out"),
                                              "--as-of", "2026-11-24"])
    assert result.exit_code == 0, result.output
    log = (tmp_path / "log" / "schedule.log").read_text(encoding="utf-8")
    assert "unrecognised date '[/b]" in log and "Groq vs NVIDIA" in result.stdout
    assert not any(char in text for text in (result.stdout, result.stderr, log) for char in UNSAFE)
