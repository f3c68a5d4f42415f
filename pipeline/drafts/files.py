"""Reading a draft file safely: refuse what isn't a text report, and find the ``.json`` beside it."""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError

from pipeline.drafts.assemble import build
from pipeline.drafts.check import structural_errors
from pipeline.drafts.model import ParsedDraft
from pipeline.errors import UsageError
from pipeline.inputs import MAX_INPUT_BYTES, load_json, read_text_file
from pipeline.models import SCHEMA_VERSION, Report
from pipeline.report.parse import parse_markdown
from pipeline.report.structure import DraftError, Issue

#: The largest ``.json`` read beside a draft: it holds every source and finding in full, about twice
#: the size of the markdown (whose limit is ``MAX_INPUT_BYTES``).
MAX_COMPANION_BYTES = 4 * MAX_INPUT_BYTES


def parse_text(text: str, companion: Report | None = None) -> ParsedDraft:
    """Parse markdown into a ``ParsedDraft``; raise ``DraftError`` if it isn't a report."""
    return build(parse_markdown(text), companion)


def parse_report(text: str) -> Report:
    """The report model of ``text``; ``DraftError`` naming the first problem if it has none."""
    parsed = parse_text(text)
    if parsed.report is None:
        raise DraftError(_problem_summary(parsed))
    return parsed.report


def read_draft(path: Path) -> ParsedDraft:
    """Read and parse ``path``; ``UsageError`` (one line, naming the file) if it can't be a report."""
    text = read_text_file(path, "report draft")
    companion, note = _companion(path.with_suffix(".json"))
    try:
        parsed = parse_text(text, companion)
    except DraftError as error:
        raise UsageError(f"{path}: {error}") from None
    if note:
        parsed.issues.append(note)
    parsed.path = path
    return parsed


def require_report(parsed: ParsedDraft) -> Report:
    """The draft's report, or ``UsageError`` naming the first problem if some of its text has no place
    in the model or the draft is damaged (truncated, sections missing or out of order, a finding
    without one of its fields): ``refresh`` and ``diff`` would otherwise work from a broken report."""
    errors = sorted(dict.fromkeys([*parsed.errors, *structural_errors(parsed)]), key=_first_cause)
    if parsed.report is None or errors:
        raise UsageError(f"{parsed.path}: {_problem_summary(parsed, errors)}")
    return parsed.report


def _problem_summary(parsed: ParsedDraft, errors: list[Issue] | None = None) -> str:
    errors = parsed.errors if errors is None else errors
    if not errors:
        return "it could not be read as a report"
    first = errors[0]
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    where = f"line {first.line}: " if first.line else ""
    return f"{where}{first.message}{more}; run 'groundbrief check' for the full list"


def _first_cause(issue: Issue) -> tuple[bool, bool, int]:
    """A truncated file explains the problems after it, so it is named first; then by line."""
    return issue.code != "truncated", issue.line is None, issue.line or 0


def _companion(path: Path) -> tuple[Report | None, Issue | None]:
    """The report JSON written beside the draft, if there is a readable one."""
    if not path.is_file():
        return None, None
    try:
        data = load_json(read_text_file(path, "report JSON", max_bytes=MAX_COMPANION_BYTES), max_chars=MAX_COMPANION_BYTES)
    except UsageError as error:
        return None, Issue(None, "warning", "companion", f"ignored {path.name}: {error}")
    except ValueError as error:
        return None, Issue(None, "warning", "companion", f"ignored {path.name}: it is damaged ({error})")
    version = data.get("metadata", {}).get("schema_version") if isinstance(data, dict) else None
    if isinstance(version, int) and version > SCHEMA_VERSION:
        raise UsageError(
            f"{path}: written by a newer groundbrief (report format {version}; this version reads format "
            f"{SCHEMA_VERSION}): upgrade groundbrief to read it"
        )
    try:
        return Report.model_validate(data), None
    except ValidationError as error:
        return None, Issue(None, "warning", "companion", f"ignored {path.name}: not a groundbrief report JSON ({error.error_count()} problems)")
