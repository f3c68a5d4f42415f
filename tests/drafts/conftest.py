"""Drafts are generated from a private copy of the sample corpus, as of a fixed date, so each test
can edit the draft, add or remove documents, and refresh deterministically.

Tests pick findings by structure (their position, their source, their labels in the report model
saved beside the draft), never by the embedded analyst's wording, so better rules don't break them.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from pipeline.generate import generate_report
from pipeline.models import Finding, Report
from pipeline.resources import sample_corpus_dir
from tests.conftest import make_request

SNIPPET = "*   **Snippet:** "


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    return Path(shutil.copytree(sample_corpus_dir(), tmp_path / "corpus"))


@pytest.fixture
def draft(corpus: Path, tmp_path: Path) -> Path:
    """A freshly generated report (with its .json beside it), as an editor would open it."""
    return generate_report(make_request(), corpus=corpus, out_dir=tmp_path / "reports").markdown_path


def generated(draft: Path) -> Report:
    """The report model the draft was rendered from (the .json beside it)."""
    return Report.model_validate_json(draft.with_suffix(".json").read_text(encoding="utf-8"))


def first_finding(draft: Path, where: Callable[[Finding], bool] = lambda f: True) -> int:
    """The position of the first generated finding that satisfies ``where``."""
    return next(n for n, finding in enumerate(generated(draft).findings) if where(finding))


def edit(path: Path, old: str, new: str, count: int = 1) -> None:
    """Replace ``old`` in the file, insisting it occurs exactly ``count`` times (so a test can't edit nothing)."""
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == count, f"{old!r} occurs {text.count(old)} times"
    path.write_text(text.replace(old, new), encoding="utf-8")


def finding_blocks(markdown: str) -> list[str]:
    """Each finding's lines with the blank line after it, in report order."""
    blocks = markdown.split("\n" + SNIPPET)[1:]
    return [SNIPPET + block.split("\n\n", 1)[0].rstrip("\n") + "\n\n" for block in blocks]


def finding_block(markdown: str, which: int | str) -> str:
    """A finding's block: the ``which``-th, or the one whose snippet line contains ``which``."""
    blocks = finding_blocks(markdown)
    if isinstance(which, int):
        return blocks[which]
    (block,) = [b for b in blocks if which in b.split("\n", 1)[0]]
    return block


def field_line(markdown: str, which: int, label: str) -> int:
    """The 1-based line number of a finding's ``**label:**`` line (``Snippet`` for its first line)."""
    lines = markdown.split("\n")
    starts = [n for n, line in enumerate(lines) if line.startswith(SNIPPET)]
    start = starts[which]
    if label == "Snippet":
        return start + 1
    marker = f"*   **{label}:**"
    return next(n for n in range(start + 1, len(lines)) if lines[n].lstrip().startswith(marker)) + 1


def edit_field(path: Path, which: int, label: str, change: Callable[[str], str | None]) -> None:
    """Rewrite one line of the ``which``-th finding; ``change`` returning None deletes the line."""
    lines = path.read_text(encoding="utf-8").split("\n")
    number = field_line("\n".join(lines), which, label) - 1
    changed = change(lines[number])
    assert changed != lines[number], "the edit changed nothing"
    lines[number : number + 1] = [] if changed is None else [changed]
    path.write_text("\n".join(lines), encoding="utf-8")


def relabel_impact(line: str, label: str) -> str:
    """An Impact line with its level (``High.``) rewritten as ``label``."""
    return re.sub(r"(\*\*Impact:\*\* )\w+\.", lambda m: m.group(1) + label, line, count=1)


def as_older_version(draft: Path) -> dict:
    """Rewrite the draft's hidden comment as versions before it kept each link's page title and date (they kept
    its publisher): what an editor may still have. Returns the comment as rewritten."""
    markdown = draft.read_text(encoding="utf-8")
    start = markdown.rindex("<!-- groundbrief:report ") + len("<!-- groundbrief:report ")
    end = markdown.rindex(" -->")
    comment = json.loads(markdown[start:end])
    assert comment.pop("titles") and comment.pop("published"), "the draft records no title or date to remove"
    draft.write_text(markdown[:start] + json.dumps(comment, sort_keys=True) + markdown[end:], encoding="utf-8")
    return comment
