"""Markdown → ``Draft``: the report's structure, read the way editors leave it.

Tolerated: ``*``, ``-``, ``+`` or numbered bullets at any indentation, extra or missing blank
lines, CRLF, lines wrapped by hand, ``**Label**:`` for ``**Label:**``, sections in any order.
A section opens only at heading syntax: a ``#`` heading or a line that is all bold (``**Key
Findings:**``), naming a section in any case and spacing; a plain line that reads like a section
name ("Key findings:") is text, as the renderer escapes ``#`` and ``*`` in text.
Text that has no place in the format becomes an error-level issue with its line number; it is
never skipped, because re-rendering the draft would lose it.
"""

from __future__ import annotations

import json
import re

from pipeline.inputs import load_json
from pipeline.models import SCHEMA_VERSION
from pipeline.report.formatting import unescape_inline
from pipeline.report.labels import (
    ANALYSIS,
    FINDING_FIELDS,
    FINDINGS,
    GAPS,
    METADATA_MARKER,
    NO_FINDINGS,
    NO_FINDINGS_UNUSABLE,
    OFFER_LABEL,
    QUERIES,
    SECTIONS,
    SOURCES,
)
from pipeline.report.structure import Draft, DraftError, Entry, FindingBlock, Issue, Severity

_TITLE = re.compile(r"^\s*#{1,2}\s*Research Query:\s*(?P<value>.*)$", re.IGNORECASE)
_NAME = r"(?P<name>[A-Za-z][A-Za-z \t]*?)"
#: ``## Analysis``, ``### Key Findings:``, ``## **Analysis**`` …; or a line that is all bold: ``**Key Findings:**``, ``**Key Findings**:``.
_HEADING = re.compile(
    rf"^\s*(?:#{{1,6}}\s*(?:\*\*)?\s*{_NAME}\s*:?\s*(?:\*\*)?\s*:?\s*#*"
    rf"|\*\*\s*{_NAME.replace('name', 'bold')}\s*(?::\s*\*\*|\*\*\s*:?))\s*$"
)
_ANY_HEADING = re.compile(r"^\s*#{1,6}\s")
_RULE = re.compile(r"^\s*([-*_])(?:\s*\1){2,}\s*$")
_BULLET = re.compile(r"^[ \t]*(?:[*+-]|\d{1,3}[.)])(?:[ \t]+(?P<content>.*))?$")
FIELD = re.compile(r"^\*\*(?P<label>(?:\\.|[^*\\])*?)(?::\*\*|\*\*\s*:)\s*(?P<value>.*)$")
_METADATA = re.compile(rf"^<!--\s*{re.escape(METADATA_MARKER)}\b(?P<body>.*)$")
_COMMENT = re.compile(r"^<!--")
_BLOCK_MARKER = re.compile(r"^(?:[-+*>]\s|\d{1,3}[.)]\s|#)")


def parse_markdown(text: str) -> Draft:
    """Read ``text`` into a ``Draft``; raise ``DraftError`` if it is not a report this version reads."""
    lines = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n").split("\n")
    draft = _Reader(lines).read()
    version = (draft.metadata or {}).get("schema_version")
    if isinstance(version, int) and version > SCHEMA_VERSION:
        raise DraftError(
            f"it was written by a newer groundbrief (report format {version}; this version reads format "
            f"{SCHEMA_VERSION}): upgrade groundbrief to read it"
        )
    if draft.title is None and draft.metadata_line is None and len({s.text for s in draft.sections}) < 2:
        raise DraftError("it is not a groundbrief report: there is no '# Research Query:' title line and none of its sections")
    return draft


def section_of(line: str) -> str | None:
    """The section a heading line opens (``## Analysis``, ``**Key Findings:**``, ``### Analysis:`` …).

    Only heading syntax counts: "Key findings:" or "SOURCES REFERENCED" as a line of text is text.
    """
    match = _HEADING.match(line)
    if match is None:
        return None
    return SECTIONS.get(" ".join((match["name"] or match["bold"]).split()).casefold())


class _Reader:
    """One pass over the lines; ``open`` is the value that an indented or wrapped line continues."""

    def __init__(self, lines: list[str]):
        self.draft = Draft(lines=lines)
        self.lists = {QUERIES: self.draft.queries, SOURCES: self.draft.sources, GAPS: self.draft.gaps}
        self.section: str | None = None
        self.unknown_section = False
        self.offer = False
        self.open: Entry | None = None
        self.blank = False

    def read(self) -> Draft:
        for number, line in enumerate(self.draft.lines, 1):
            self._line(number, line.rstrip())
        return self.draft

    def _issue(self, line: int, message: str, code: str = "unreadable", severity: Severity = "error") -> None:
        self.draft.issues.append(Issue(line, severity, code, message))

    def _line(self, number: int, line: str) -> None:
        stripped = line.strip()
        if not stripped:
            self.blank = True
            return
        after_blank, self.blank = self.blank, False
        if metadata := _METADATA.match(stripped):
            self._metadata(number, metadata["body"].strip())
        elif _COMMENT.match(stripped):
            self._issue(number, "an HTML comment has no place in the report and would be dropped; move the note into the text")
        elif title := _TITLE.match(line):
            self._title(number, title["value"].strip())
        elif section := section_of(line):
            self._start(number, section)
        elif _RULE.match(line):
            self.open = None
        elif _ANY_HEADING.match(line):
            self._start_unknown(number, stripped)
        elif self.unknown_section:
            self._issue(number, "text under a heading that is not part of the report would be dropped; move it into the Analysis")
        elif self.section is None:
            self._header(number, stripped)
        elif self.section == ANALYSIS:
            self._analysis(number, stripped, after_blank)
        else:
            self._item(number, line, stripped, after_blank)

    def _metadata(self, number: int, body: str) -> None:
        if self.draft.metadata_line is not None:
            self._issue(number, f"a second groundbrief metadata comment (the first is on line {self.draft.metadata_line})")
            return
        self.draft.metadata_line = number
        if not body.endswith("-->"):
            self._issue(number, "the groundbrief metadata comment is cut off: the file looks truncated", "truncated")
            return
        try:
            data = load_json(body[:-3])
        except ValueError as error:
            reason = error.msg if isinstance(error, json.JSONDecodeError) else str(error)
            self._issue(number, f"the groundbrief metadata comment is damaged ({reason}); restore it from the .json beside the draft")
            return
        if isinstance(data, dict):
            self.draft.metadata = data
        else:
            self._issue(number, "the groundbrief metadata comment is damaged (not a JSON object)")

    def _title(self, number: int, value: str) -> None:
        if self.draft.title is not None:
            self._issue(number, f"a second '# Research Query:' title (the first is on line {self.draft.title.line})")
        else:
            self.draft.title = Entry(number, value)

    def _start(self, number: int, section: str) -> None:
        self.draft.sections.append(Entry(number, section))
        self.section, self.unknown_section, self.offer, self.open = section, False, False, None

    def _start_unknown(self, number: int, heading: str) -> None:
        self._issue(number, f"heading {heading[:60]!r} is not a section of the report; its text would be dropped")
        self.unknown_section, self.open = True, None

    def _header(self, number: int, line: str) -> None:
        field = FIELD.match(line)
        label = field["label"].strip().casefold() if field else ""
        if label in ("generated", "model") and getattr(self.draft, label) is None:
            setattr(self.draft, label, Entry(number, field["value"].strip()))  # type: ignore[index]
        else:
            self._issue(number, "text before the first section that is not the title, Generated or Model line")

    def _analysis(self, number: int, line: str, after_blank: bool) -> None:
        field = FIELD.match(line)
        if field and field["label"].strip().casefold() == OFFER_LABEL:
            self.offer, self.open = True, None
            return
        if self.offer and line.startswith(">"):
            line = line[1:].strip()
            if not line:
                self.open = None
                return
        elif self.offer:
            self.offer = False  # a plain paragraph after the offered block belongs to the analysis again
        if _BLOCK_MARKER.match(line):
            self._issue(number, "lists, quotes and headings in the Analysis are kept as plain text", "formatting", "warning")
        if self.open is not None and not after_blank:
            self.open.text += " " + line
            return
        self.open = Entry(number, line)
        (self.draft.offered_analysis if self.offer else self.draft.analysis).append(self.open)

    def _item(self, number: int, line: str, stripped: str, after_blank: bool) -> None:
        bullet = _BULLET.match(line)
        if bullet:
            content = (bullet["content"] or "").strip()
            if self.section == FINDINGS:
                self._finding_field(number, content)
            else:
                self.open = Entry(number, content)
                self.lists[self.section].append(self.open)  # type: ignore[index]
        elif self.open is not None and (not after_blank or line[:1] in " \t"):
            self.open.text += " " + stripped
        elif self.section == FINDINGS and not self.draft.findings and " ".join(unescape_inline(stripped).split()) in (NO_FINDINGS, NO_FINDINGS_UNUSABLE):
            self.open = None
        else:
            self._issue(number, f"text under {self.section} that is not one of its list items would be dropped")

    def _finding_field(self, number: int, content: str) -> None:
        field = FIELD.match(content)
        label = FINDING_FIELDS.get(field["label"].strip().casefold()) if field else None
        self.open = None
        if field is None or label is None:
            self._issue(number, "a bullet under Key Findings that is not a finding field (**Snippet:**, **Date:**, **Source:**, **Impact:**, **Consensus Check:**, **Status:**)")
            return
        entry = Entry(number, field["value"].strip())
        if label == "Snippet":
            self.draft.findings.append(FindingBlock(number, {"Snippet": entry}))
        elif not self.draft.findings:
            self._issue(number, f"**{label}:** is not under a finding's **Snippet:** line")
            return
        elif label in self.draft.findings[-1].fields:
            block = self.draft.findings[-1]
            self._issue(number, f"the finding on line {block.line} already has a **{label}:** (line {block.fields[label].line}); is a **Snippet:** line missing?")
            return
        else:
            self.draft.findings[-1].fields[label] = entry
        self.open = entry
