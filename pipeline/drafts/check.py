"""``groundbrief check``: what an editor must fix before a draft is a well-formed report.

Errors (exit 1): text the parser can't place; a finding without Snippet, Date, Source, Impact
(``High``/``Medium``/``Low`` then text) or Consensus Check; sections missing, repeated or out of
order; a link that is not http(s), file:// or a sample document's relative path; a source a finding names that Sources Referenced
doesn't list (a warning when the draft has no metadata: which link a publisher name stands for is
then unknown); the same finding twice. Warnings (exit 0) say what re-rendering will normalize, and
name figures and publishers in the Analysis or a rationale that no finding supports (editors add
knowledge, so these are for a second look, not errors).
"""

from __future__ import annotations

import re

from pipeline.audit import Support, audit
from pipeline.baseline import ClaimIndex, analysis_digest
from pipeline.drafts.model import ParsedDraft
from pipeline.drafts.sources import SourceIndex
from pipeline.models import SAMPLE_CORPUS_LINK, ProseSection, is_safe_link
from pipeline.report.labels import SECTIONS
from pipeline.report.structure import FindingBlock, Issue

REQUIRED_FIELDS = ("Snippet", "Date", "Source", "Impact", "Consensus Check")
SECTION_ORDER = list(SECTIONS.values())

_LINK_TARGET = re.compile(r"(?<!\\)\]\(\s*<?([^\s)>]*)|(?<!\\)<([A-Za-z][A-Za-z0-9+.-]*:[^\s>]*)>")


def check_draft(parsed: ParsedDraft) -> list[Issue]:
    """Every problem in the draft, by line; the parser's own issues included."""
    issues = [
        *parsed.issues,
        *_title(parsed),
        *_sections(parsed),
        *_missing_fields(parsed),
        *_finding_fields(parsed),
        *_links(parsed),
        *_unlisted_sources(parsed),
        *_duplicates(parsed),
        *_unsupported(parsed),
    ]
    return sorted(dict.fromkeys(issues), key=lambda i: (i.line or 0, i.severity != "error"))


def _error(line: int | None, code: str, message: str) -> Issue:
    return Issue(line, "error", code, message)


def structural_errors(parsed: ParsedDraft) -> list[Issue]:
    """What makes a draft damaged or incomplete, so that ``refresh`` and ``diff`` refuse it: sections
    missing, repeated or out of order (or the file truncated), a finding without one of its fields."""
    return [*_sections(parsed), *_missing_fields(parsed)]


def _title(parsed: ParsedDraft) -> list[Issue]:
    if parsed.draft.title is None:
        return [_error(1, "section", "the first line must be the '# Research Query:' title")]
    return []


def _sections(parsed: ParsedDraft) -> list[Issue]:
    draft = parsed.draft
    found: dict[str, int] = {}
    issues = []
    for entry in draft.sections:
        if entry.text in found:
            issues.append(_error(entry.line, "section", f"{entry.text} appears again (first on line {found[entry.text]})"))
        else:
            found[entry.text] = entry.line
    present = [name for name in SECTION_ORDER if name in found]
    for index, name in enumerate(present):
        ahead = [later for later in present[index + 1 :] if found[later] < found[name]]
        if ahead:
            issues.append(_error(found[name], "section-order", f"{name} is out of order: it belongs before {ahead[0]} (line {found[ahead[0]]})"))
    missing = [name for name in SECTION_ORDER if name not in found]
    if missing and missing == SECTION_ORDER[len(SECTION_ORDER) - len(missing):] and draft.metadata_line is None:
        last = len(draft.lines) - (draft.lines[-1] == "")
        issues.append(_error(last, "truncated", f"the report ends at line {last} without {', '.join(missing)}: the file looks truncated"))
    else:
        issues += [_error(None, "section", f"section {name} is missing") for name in missing]
    return issues


def _missing_fields(parsed: ParsedDraft) -> list[Issue]:
    return [
        _error(block.line, "missing-field", f"the finding has no **{name}:** line")
        for block in parsed.draft.findings
        for name in REQUIRED_FIELDS
        if name not in block.fields and name != "Impact"  # a missing Impact is already a parse error
    ]


def _finding_fields(parsed: ParsedDraft) -> list[Issue]:
    issues = []
    for block, finding in zip(parsed.draft.findings, parsed.findings):
        for name in REQUIRED_FIELDS:
            entry = block.fields.get(name)
            if entry is not None and not entry.text.strip('"“” '):
                issues.append(_error(entry.line, "missing-field", f"**{name}:** is empty"))
        if finding is None:
            continue
        if not finding.impact_rationale:
            issues.append(_error(block.fields["Impact"].line, "missing-field", f"**Impact:** needs text after '{finding.impact.value}.' saying why"))
        consensus = block.fields.get("Consensus Check")
        if consensus is not None and consensus.text and not finding.consensus:
            issues.append(_error(consensus.line, "missing-field", "**Consensus Check:** needs a label (e.g. Overlooked) before the first period"))
    return issues


def _links(parsed: ParsedDraft) -> list[Issue]:
    """Every markdown link and autolink, wherever it is; source lines the parser rejected are skipped."""
    skip = {parsed.draft.metadata_line} | {i.line for i in parsed.issues if i.code == "link-scheme"}
    issues = []
    for number, line in enumerate(parsed.draft.lines, 1):
        if number in skip:
            continue
        for match in _LINK_TARGET.finditer(line):
            target = match[1] if match[1] is not None else match[2]
            if not is_safe_link(target):
                issues.append(_error(number, "link-scheme", f"links must be http(s), file:// or a sample document's {SAMPLE_CORPUS_LINK} path, not {target[:60]!r}"))
    return issues


def _unlisted_sources(parsed: ParsedDraft) -> list[Issue]:
    """A name in a Source line that no listed source answers to: an error when the draft records its
    sources' publishers (hidden metadata or the .json beside it); without them, links shown by domain
    or file name can't be told apart from publishers (``SEC filing (as cited)``), so only a warning."""
    known = parsed.request_origin != "inferred"
    listed = SourceIndex(parsed.sources)
    issues = []
    for block, finding in zip(parsed.draft.findings, parsed.findings):
        entry = block.fields.get("Source")
        if finding is None or entry is None:
            continue
        for name in listed.unmatched(finding.source_label):
            message = f"source {name!r} is not listed under {SECTIONS['sources referenced']}"
            if known:
                issues.append(_error(entry.line, "unlisted-source", message))
            else:
                issues.append(Issue(entry.line, "warning", "unlisted-source", f"{message}, as far as can be told: without "
                                    "groundbrief metadata, which link a publisher stands for is unknown"))
    return issues


def _duplicates(parsed: ParsedDraft) -> list[Issue]:
    issues = []
    claims: ClaimIndex[FindingBlock] = ClaimIndex()
    for block, finding in zip(parsed.draft.findings, parsed.findings):
        if finding is not None and (earlier := claims.add(finding.snippet, block)) is not None:
            issues.append(_error(block.line, "duplicate-finding", f"this finding repeats the one on line {earlier.line}"))
    return issues


def _unsupported(parsed: ParsedDraft) -> list[Issue]:
    """Figures and publishers in the Analysis and the rationales that no finding's snippet (nor the report's
    own dates and counts) supports. What the generating run's audit checked against its full evidence is
    trusted while it is unchanged: an unedited Analysis, and sentences the ``.json`` records as supported."""
    report = parsed.report
    if report is None:
        return []
    edited = parsed.baseline is None or analysis_digest(report.analysis) != parsed.baseline.analysis
    sections: tuple[ProseSection, ...] = ("analysis", "impact", "consensus") if edited else ("impact", "consensus")
    trusted = {s.text for s in parsed.companion.audit.sentences if s.supported} if parsed.companion and parsed.companion.audit else set()
    lines = {("analysis", i): entry.line for i, entry in enumerate(parsed.draft.analysis)}
    for i, block in enumerate(parsed.draft.findings):
        lines |= {(section, i): block.fields[label].line for section, label in (("impact", "Impact"), ("consensus", "Consensus Check")) if label in block.fields}
    where = {"analysis": "the Analysis", "impact": "an Impact rationale", "consensus": "a Consensus rationale"}
    return [
        Issue(lines.get((sentence.section, sentence.item)), "warning", "unsupported-figure",
              f"{stated!r} in {where[sentence.section]}: no finding supports it (check it, or add the finding that does)")
        for sentence in audit(report, Support(report, []), sections).flagged
        if sentence.text not in trusted
        for stated in sentence.unsupported
    ]


def counts(issues: list[Issue]) -> tuple[int, int]:
    errors = sum(issue.severity == "error" for issue in issues)
    return errors, len(issues) - errors

