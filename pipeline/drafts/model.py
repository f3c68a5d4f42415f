"""What reading a draft yields: the line-level ``Draft`` (``pipeline.report.structure``) and the
report model built from it, which ``refresh`` and ``diff`` work on."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pipeline.models import Baseline, Finding, Report, Source
from pipeline.report.structure import Draft, Issue

RequestOrigin = Literal["metadata", "json", "inferred"]


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
