"""``groundbrief diff``: what changed between two versions of a report, finding by finding.

Findings are paired by claim (same snippet, or a light edit of it); a pair whose fields differ is
"changed", with impact and consensus changes called out. Queries, sources (by URL) and gap titles
are compared as sets; the analysis as a whole.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pipeline.baseline import analysis_digest, fold, take_match
from pipeline.drafts.files import require_report
from pipeline.drafts.model import ParsedDraft
from pipeline.models import Finding, Report

#: Finding fields compared, with how a change is named; impact and consensus first, as they matter most.
COMPARED = {
    "impact": "impact",
    "consensus": "consensus",
    "snippet": "snippet",
    "date_label": "date",
    "source_label": "source",
    "impact_rationale": "impact rationale",
    "consensus_rationale": "consensus rationale",
    "status": "status",
}
CALLED_OUT = ("impact", "consensus")


@dataclass(frozen=True)
class Located:
    finding: Finding
    line: int | None  # None: a report model, not a file


@dataclass
class FindingChange:
    old: Located
    new: Located
    changes: dict[str, tuple[str, str]]


@dataclass
class ReportDiff:
    added: list[Located] = field(default_factory=list)
    removed: list[Located] = field(default_factory=list)
    changed: list[FindingChange] = field(default_factory=list)
    queries_added: list[str] = field(default_factory=list)
    queries_removed: list[str] = field(default_factory=list)
    sources_added: list[str] = field(default_factory=list)
    sources_removed: list[str] = field(default_factory=list)
    gaps_added: list[str] = field(default_factory=list)
    gaps_removed: list[str] = field(default_factory=list)
    analysis_changed: bool = False

    @property
    def empty(self) -> bool:
        return not any(getattr(self, name) for name in self.__dataclass_fields__)


def diff_drafts(old: ParsedDraft, new: ParsedDraft) -> ReportDiff:
    return diff_reports(require_report(old), require_report(new), _located(old), _located(new))


def diff_reports(
    old_report: Report,
    new_report: Report,
    old_findings: list[Located] | None = None,
    new_findings: list[Located] | None = None,
) -> ReportDiff:
    """The diff of two report models; the findings with their lines, when they were read from files."""
    result = ReportDiff()
    remaining = old_findings if old_findings is not None else _unlocated(old_report)
    for located in new_findings if new_findings is not None else _unlocated(new_report):
        previous = take_match(located.finding.snippet, remaining, lambda entry: entry.finding.snippet)
        if previous is None:
            result.added.append(located)
            continue
        changes = _changes(previous.finding, located.finding)
        if changes:
            result.changed.append(FindingChange(previous, located, changes))
    result.removed = remaining
    result.queries_added, result.queries_removed = _set_diff(old_report.queries, new_report.queries)
    result.sources_added, result.sources_removed = _set_diff(
        [s.url for s in old_report.sources], [s.url for s in new_report.sources]
    )
    result.gaps_added, result.gaps_removed = _set_diff(
        [g.title for g in old_report.gaps], [g.title for g in new_report.gaps]
    )
    result.analysis_changed = analysis_digest(old_report.analysis) != analysis_digest(new_report.analysis)
    return result


def _located(parsed: ParsedDraft) -> list[Located]:
    return [Located(f, block.line) for block, f in zip(parsed.draft.findings, parsed.findings) if f is not None]


def _unlocated(report: Report) -> list[Located]:
    return [Located(f, None) for f in report.findings]


def _changes(old: Finding, new: Finding) -> dict[str, tuple[str, str]]:
    changes = {}
    for name, label in COMPARED.items():
        before, after = _value(getattr(old, name)), _value(getattr(new, name))
        if fold(before) != fold(after):
            changes[label] = (before, after)
    return changes


def _value(value: Any) -> str:
    return "" if value is None else getattr(value, "value", value)


def _set_diff(old: list[str], new: list[str]) -> tuple[list[str], list[str]]:
    return [x for x in new if x not in old], [x for x in old if x not in new]


def format_text(diff: ReportDiff, old_name: str, new_name: str) -> str:
    """The diff for a terminal: ``+`` added, ``-`` removed, ``~`` changed, with file:line."""
    if diff.empty:
        return "No differences in findings, queries, sources, gaps or analysis."
    lines = [f"Findings: {len(diff.added)} added, {len(diff.removed)} removed, {len(diff.changed)} changed"]
    lines += [f"  + {_headline(e.finding)}  ({new_name}:{e.line})" for e in diff.added]
    lines += [f"  - {_headline(e.finding)}  ({old_name}:{e.line})" for e in diff.removed]
    for change in diff.changed:
        lines.append(f"  ~ {preview(change.new.finding.snippet)}  ({old_name}:{change.old.line} → {new_name}:{change.new.line})")
        for label, (before, after) in change.changes.items():
            if label in CALLED_OUT:
                lines.append(f"      {label.upper()}: {before or '(none)'} → {after or '(none)'}")
            else:
                lines.append(f"      {label} edited")
    for title, added, removed in (
        ("Queries", diff.queries_added, diff.queries_removed),
        ("Sources", diff.sources_added, diff.sources_removed),
        ("Gaps", diff.gaps_added, diff.gaps_removed),
    ):
        lines.append(f"{title}: {len(added)} added, {len(removed)} removed")
        lines += [f"  + {item}" for item in added] + [f"  - {item}" for item in removed]
    lines.append(f"Analysis: {'changed' if diff.analysis_changed else 'unchanged'}")
    return "\n".join(lines)


def preview(text: str, width: int = 90) -> str:
    """A snippet shortened for one terminal line."""
    text = fold(text)
    return f'"{text}"' if len(text) <= width else f'"{text[: width - 1].rstrip()}…"'


def _headline(finding: Finding) -> str:
    return f"[{finding.impact.value} · {finding.consensus or 'no consensus label'}] {preview(finding.snippet, 70)}"


def to_json(diff: ReportDiff, old_name: str, new_name: str) -> dict[str, Any]:
    def finding(entry: Located) -> dict[str, Any]:
        f = entry.finding
        return {"line": entry.line, "snippet": f.snippet, "impact": f.impact.value, "consensus": f.consensus}

    return {
        "old": old_name,
        "new": new_name,
        "findings": {
            "added": [finding(e) for e in diff.added],
            "removed": [finding(e) for e in diff.removed],
            "changed": [
                {
                    "old_line": c.old.line,
                    "new_line": c.new.line,
                    "snippet": c.new.finding.snippet,
                    "changes": {label: {"old": b, "new": a} for label, (b, a) in c.changes.items()},
                }
                for c in diff.changed
            ],
        },
        "queries": {"added": diff.queries_added, "removed": diff.queries_removed},
        "sources": {"added": diff.sources_added, "removed": diff.sources_removed},
        "gaps": {"added": diff.gaps_added, "removed": diff.gaps_removed},
        "analysis_changed": diff.analysis_changed,
    }
