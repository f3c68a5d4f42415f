"""Drafts are generated from a private copy of the sample corpus, as of a fixed date, so each test
can edit the draft, add or remove documents, and refresh deterministically."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from pipeline.generate import generate_report
from pipeline.resources import sample_corpus_dir
from tests.conftest import make_request


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    return Path(shutil.copytree(sample_corpus_dir(), tmp_path / "corpus"))


@pytest.fixture
def draft(corpus: Path, tmp_path: Path) -> Path:
    """A freshly generated report (with its .json beside it), as an editor would open it."""
    return generate_report(make_request(), corpus=corpus, out_dir=tmp_path / "reports").markdown_path


def edit(path: Path, old: str, new: str, count: int = 1) -> None:
    """Replace ``old`` in the file, insisting it occurs exactly ``count`` times (so a test can't edit nothing)."""
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == count, f"{old!r} occurs {text.count(old)} times"
    path.write_text(text.replace(old, new), encoding="utf-8")


def finding_block(markdown: str, contains: str) -> str:
    """The lines of the finding whose snippet contains ``contains``, with the blank line after it."""
    blocks = markdown.split("\n*   **Snippet:** ")
    (block,) = [b for b in blocks[1:] if contains in b.split("\n", 1)[0]]
    return "*   **Snippet:** " + block.split("\n\n", 1)[0].rstrip("\n") + "\n\n"
