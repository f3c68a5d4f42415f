"""What reading a draft yields: each part of the report with the line it starts on, and issues.

The line-level ``Draft`` is what ``check`` reports against; ``ParsedDraft`` adds the report model
built from it, which ``refresh`` and ``diff`` work on.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pipeline.errors import UsageError
from pipeline.models import Baseline, Finding, Report, Source

Severity = Literal["error", "warning"]
RequestOrigin = Literal["metadata", "json", "inferred"]


class DraftError(UsageError):
    """The text can't be read as a report at all (not a report, or a newer format)."""


@dataclass(frozen=True)
class Issue:
    """One problem, at a 1-based line (None: the whole draft). Errors fail ``check``; warnings don't."""

    line: int | None
    severity: Severity
    code: str
    message: str

    def to_json(self) -> dict[str, Any]:
        return {"line": self.line, "severity": self.severity, "code": self.code, "message": self.message}


@dataclass
class Entry:
    """A value as written: raw markdown (escapes kept, wrapped lines joined) and its first line."""

    line: int
    text: str


@dataclass
class FindingBlock:
    """A finding as written: its fields by canonical label (``Snippet``, ``Date`` …)."""

    line: int
    fields: dict[str, Entry] = field(default_factory=dict)


@dataclass
class Draft:
    """A draft read line by line; nothing in it is interpreted beyond the report's structure."""

    lines: list[str]
    title: Entry | None = None
    generated: Entry | None = None
    model: Entry | None = None
    sections: list[Entry] = field(default_factory=list)
    queries: list[Entry] = field(default_factory=list)
    sources: list[Entry] = field(default_factory=list)
    analysis: list[Entry] = field(default_factory=list)
    offered_analysis: list[Entry] = field(default_factory=list)
    findings: list[FindingBlock] = field(default_factory=list)
    gaps: list[Entry] = field(default_factory=list)
    metadata: dict[str, Any] | None = None
    metadata_line: int | None = None
    issues: list[Issue] = field(default_factory=list)


@dataclass
class ParsedDraft:
    """A draft and the report model built from it.

    ``report`` is None when an error-level issue means some text has no place in the model;
    ``sources`` and ``findings`` (one per block, None where unreadable) are there regardless.
    """

    draft: Draft
    report: Report | None
    sources: list[Source]
    findings: list[Finding | None]
    issues: list[Issue]
    request_origin: RequestOrigin
    baseline: Baseline | None
    companion: Report | None = None
    path: Path | None = None

    @property
    def errors(self) -> list[Issue]:
        return [issue for issue in self.issues if issue.severity == "error"]
