"""A briefing as it goes out: read from its file as it stands (an editor's changes included), checked,
rendered to HTML, and put into a message with the ``.md`` attached.

A draft goes out only if ``groundbrief check`` finds no error in it; its warnings that concern the
reader (a figure no finding supports, a source not listed) are shown in the audit box, and so is
whether the text was edited after groundbrief wrote and audited it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from pipeline.delivery.send import Message
from pipeline.drafts.check import check_draft
from pipeline.drafts.files import read_draft, require_report
from pipeline.drafts.merge import recorded_templates
from pipeline.drafts.model import ParsedDraft
from pipeline.errors import UsageError
from pipeline.models import Report
from pipeline.report.html import Briefing, audit_status, markdown_templates, page_title, render_html
from pipeline.report.render import render_markdown

#: ``groundbrief check`` warnings a reader should see beside the briefing; the rest are about formatting.
READER_WARNINGS = ("unsupported-figure", "unlisted-source")
MAX_NOTES = 5


@dataclass(frozen=True)
class ReportFile:
    """A briefing read from ``path``, ready to render."""

    path: Path
    briefing: Briefing


def read_briefing(path: Path, templates: Path | None = None, warn: Callable[[str], None] = lambda message: None) -> ReportFile:
    """The briefing in ``path`` as it stands; ``UsageError`` if it can't be read or ``check`` finds errors.

    ``templates`` is a folder whose ``report.md.j2`` lays out the body; default: the one the report
    was made with, if it is still there."""
    parsed = read_draft(path)
    report = require_report(parsed)
    issues = check_draft(parsed)
    errors = [issue for issue in issues if issue.severity == "error"]
    if errors:
        first = errors[0]
        where = f"line {first.line}: " if first.line else ""
        raise UsageError(f"{path}: {where}{first.message}" + (f" (and {len(errors) - 1} more)" if len(errors) > 1 else "")
                         + "; fix what 'groundbrief check' lists before it goes out")
    recorded = recorded_templates(report.metadata, warn)
    folder = markdown_templates(templates) or recorded
    notes = [f"Check: {issue.message}" for issue in issues if issue.code in READER_WARNINGS]
    if len(notes) > MAX_NOTES:
        notes = [*notes[:MAX_NOTES], f"Check: and {len(notes) - MAX_NOTES} more warnings ('groundbrief check' lists them)."]
    audited = _as_audited(parsed, report, recorded)
    if audited is None:
        notes.insert(0, "Edited after groundbrief wrote it: the prose audit of the generated text no longer applies; "
                        "the checks below are of the text as edited." if parsed.companion else
                        "No record of what groundbrief wrote (the .json beside the report is missing): "
                        "the checks below are of the text as it stands.")
    status = audit_status(audited or report, notes=notes)
    return ReportFile(path=path, briefing=Briefing(report=report, audit=status, markdown_templates=folder))


def from_report(report: Report, path: Path, templates: Path | None = None) -> ReportFile:
    """A briefing just written from ``report`` (``generate-report --send``): its own audit applies."""
    return ReportFile(path=path, briefing=Briefing(report=report, audit=audit_status(report), markdown_templates=markdown_templates(templates)))


def compose(files: Sequence[ReportFile], templates: Path | None = None) -> Message:
    """One message holding ``files`` (one briefing, or a digest), each ``.md`` attached. The page is
    ``templates``' ``report.html.j2``, else that of the folder the first report was made with, if any."""
    briefings = [file.briefing for file in files]
    html = render_html(briefings, templates or briefings[0].markdown_templates)
    return Message(title=page_title(briefings[0].report, len(briefings)), html=html,
                   attachments=tuple(file.path for file in files))


def _as_audited(parsed: ParsedDraft, report: Report, templates: Path | None) -> Report | None:
    """The report with the audit of its generation, if the file is still what groundbrief wrote (with
    ``templates``, those it was made with); else None."""
    companion = parsed.companion
    if companion is None:
        return None
    if render_markdown(companion, templates) != "\n".join(parsed.draft.lines):
        return None
    return report.model_copy(update={"audit": companion.audit})
