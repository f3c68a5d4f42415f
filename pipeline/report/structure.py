"""A report read line by line: each part with the line it starts on, and the issues found.

Nothing here is interpreted beyond the report's structure; ``pipeline.drafts`` builds the report
model from it, and ``check`` reports against its line numbers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from pipeline.errors import UsageError

Severity = Literal["error", "warning"]


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
