"""Passages cut from a filing's own text, by section: Management's Discussion and Analysis, Risk
Factors, and an earnings release's results and outlook.

A filing is inline XBRL: its HTML carries the XBRL facts in a hidden ``ix:header`` and every figure
again in tables. Both are dropped: what remains is the prose a reader sees, split into paragraphs
(page numbers removed, paragraphs broken by a page joined again). A section runs from its heading
(``Item 2. Management's Discussion and Analysis…``, ``Item 1A. Risk Factors``, ``Risk Factors`` in
an S-1) to the next heading of an item; where a heading occurs more than once (a table of contents
in the text), the occurrence with the most prose is the section. An earnings release is read whole,
up to its forward-looking-statements notice.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pipeline.text import sentence_spans

SECTIONS = {
    "Management's Discussion and Analysis": re.compile(r"(?i)^(?:item\s*[27]\s*[.:]?\s*)?management['’]s\s+discussion\s+and\s+analysis"),
    "Risk Factors": re.compile(r"(?i)^(?:item\s*1a\s*[.:]?\s*)?risk\s+factors\s*$"),
}
RELEASE = "Earnings release"
_ITEM = re.compile(r"(?i)^item\s*\d+[a-z]?\s*[.:]")
_S1_HEADINGS = re.compile(
    r"(?i)^(?:prospectus summary|use of proceeds|dividend policy|capitalization|dilution|business|management|"
    r"executive compensation|principal stockholders|description of capital stock|underwriting|legal matters|experts|"
    r"index to (?:consolidated )?financial statements|special note regarding forward-looking statements)\s*$"
)
_BOILERPLATE = re.compile(r"(?i)^(?:certain statements in this|forward-looking statements|safe harbor|about [A-Z][\w.&-]*\s*$)")
_SENTENCE_END = re.compile(r"[.!?][\"”')\]]?$")
MIN_WORDS = 8
MAX_HEADING_CHARS = 160
MAX_PASSAGE_CHARS = 900
MAX_PASSAGES = 400  # per document: a long 10-K's sections, not its every paragraph


@dataclass(frozen=True)
class Passage:
    section: str
    text: str


def passages(body: bytes, *, release: bool) -> list[Passage]:
    """The prose passages of a filing document: an earnings release whole, a report by its sections.
    A document whose sections can't be found (an unusual layout) is read whole, so nothing is lost."""
    lines = document_lines(body)
    if release:
        first = next((i for i, line in enumerate(lines) if _is_prose(line)), len(lines))
        end = next((i for i, line in enumerate(lines) if i > first and _BOILERPLATE.match(line)), len(lines))
        found = [(RELEASE, lines[first:end])]
    else:
        found = sections(lines) or [("Filing text", lines)]
    out: list[Passage] = []
    for name, section in found:
        out += [Passage(name, text) for paragraph in section if _is_prose(paragraph) for text in _pieces(paragraph)]
    return out[:MAX_PASSAGES]


def sections(lines: list[str]) -> list[tuple[str, list[str]]]:
    """Each known section's paragraphs, in the order the document has them."""
    found: list[tuple[int, str, list[str]]] = []
    for name, heading in SECTIONS.items():
        starts = [i for i, line in enumerate(lines) if len(line) <= MAX_HEADING_CHARS and heading.match(line)]
        bodies = [(start, _section_body(lines, start)) for start in starts]
        if bodies:
            start, body = max(bodies, key=lambda item: sum(len(p) for p in item[1] if _is_prose(p)))
            if any(_is_prose(paragraph) for paragraph in body):
                found.append((start, name, body))
    return [(name, body) for _, name, body in sorted(found)]


def _section_body(lines: list[str], start: int) -> list[str]:
    body: list[str] = []
    for line in lines[start + 1 :]:
        if len(line) <= MAX_HEADING_CHARS and (_ITEM.match(line) or _S1_HEADINGS.match(line)
                                               or any(h.match(line) for h in SECTIONS.values())):
            break
        body.append(line)
    return body


def document_lines(body: bytes) -> list[str]:
    """The visible paragraphs of an HTML filing, without the XBRL header, hidden parts and tables."""
    from lxml import etree, html

    try:
        root = html.fromstring(body)
    except (etree.ParserError, ValueError):
        return []
    hidden = [*root.iter("ix:header", "script", "style", "table", "head"),
              *root.xpath('//*[contains(translate(@style, " ", ""), "display:none")]')]
    for element in hidden:
        if element.getparent() is not None:
            element.drop_tree()
    for element in root.iter("p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "center"):
        element.tail = "\n" + (element.tail or "")
    raw = [" ".join(line.split()) for line in root.text_content().split("\n")]
    return _joined([line for line in raw if line and not line.isdigit()])


def _joined(lines: list[str]) -> list[str]:
    """Paragraphs a page break cut in two, joined: a line that doesn't end a sentence, followed by one
    starting in lower case."""
    out: list[str] = []
    for line in lines:
        if out and line[:1].islower() and not _SENTENCE_END.search(out[-1]):
            out[-1] += " " + line
        else:
            out.append(line)
    return out


def _is_prose(paragraph: str) -> bool:
    return len(paragraph.split()) >= MIN_WORDS and _SENTENCE_END.search(paragraph) is not None


def _pieces(paragraph: str) -> list[str]:
    """A long paragraph as runs of whole sentences of at most ``MAX_PASSAGE_CHARS``, verbatim."""
    if len(paragraph) <= MAX_PASSAGE_CHARS:
        return [paragraph]
    pieces: list[str] = []
    start = end = None
    for span in sentence_spans(paragraph):
        if start is not None and end is not None and span.end - start > MAX_PASSAGE_CHARS:
            pieces.append(paragraph[start:end])
            start = None
        start = span.start if start is None else start
        end = span.end
    if start is not None and end is not None:
        pieces.append(paragraph[start:end])
    return pieces
