"""The prose audit: every figure and publisher the report's own words state must be in its evidence.

Quotes are verified verbatim when findings are made; this checks the rest, for every backend, after
synthesis and before rendering: the Analysis, each finding's Impact and Consensus rationales, and the
gaps a model wrote (computed gaps state the tool's own counts and are not checked). A figure is
supported when a verified passage or snippet states the same value (in any written form, see
``pipeline.figures``) or when it is the report's own data: a source's or the request's date, or a
count of the report's documents, publishers, searches or findings. An Impact rationale is held to
its own snippet. A publisher is supported when the report cites it or a passage names it.

What it cannot check: the meaning of words. "Cerebras leads" passes whatever the evidence says; a
figure written in words ("three times") is not read.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date

from pipeline.controls import has_text, printable
from pipeline.figures import Figure, extract
from pipeline.models import AuditedSentence, Finding, Gap, GapKind, ProseAudit, ProseSection, Report, SearchResults
from pipeline.text import sentence_spans

#: A bare count of the report's own things ("3 signals", "1 of 6 key findings"): the tool's arithmetic,
#: not a claim about the world.
_COUNT = re.compile(
    r"(?i)(?<![\w.,$])\d{1,3}(?:\s+of\s+\d{1,3})?\s+(?!(?:thousand|million|billion|trillion)\b)"
    r"(?:(?:key|retrieved|matching|grounded|cited|independent|distinct|undated|single-source|failed)\s+){0,2}"
    r"(?:documents?|publishers?|search(?:es)?|quer(?:y|ies)|findings?|signals?|passages?|sources?|"
    r"attempts?|sentences?|angles?|pages?)\b"
)
_NAME = r"(?:The\s+)?[A-Z][\w&'’.\-]*(?:\s+(?:[A-Z][\w&'’.\-]*|of|&))*"
_ATTRIBUTION = re.compile(
    rf"\b(?i:according to|reported by|as reported by|cited by|published by|estimated by)\s+(?P<after>{_NAME})"
    rf"|(?P<before>{_NAME})\s+(?:reports?|reported|says|said|wrote|writes|estimates?|estimated|notes|noted|"
    r"claims?|claimed|argues|argued|states|stated|announced|published|found|finds)\b"
)
#: Words that open a sentence like a name but name no one.
_NOT_NAMES = frozenset({
    "it", "this", "that", "they", "we", "he", "she", "these", "those", "some", "one", "both", "each", "many", "most",
    "analysts", "others", "investors", "critics", "sources", "reports", "observers", "experts", "commentators",
    "management", "company", "report", "model", "evidence", "source", "customers", "users", "developers", "executives",
    "engineers", "researchers", "economists", "officials", "insiders", "people", "vendors", "suppliers", "partners",
    "rivals", "competitors", "buyers", "operators", "hyperscalers", "skeptics", "bulls", "bears", "press", "media",
})

#: What replaces a prose item the audit emptied.
REMOVED_ANALYSIS = (
    "The analysis was removed: every sentence of it stated figures or named publishers that the retrieved "
    "evidence does not support (see Contradictions and Gaps)."
)
REMOVED_RATIONALE = "The rationale was removed: it stated figures or publishers its evidence does not support."


@dataclass(frozen=True)
class Prose:
    """One piece of the report's own prose and what may support it."""

    section: ProseSection
    item: int
    text: str
    finding: Finding | None = None  # an Impact rationale is held to its finding's snippet


class Support:
    """Everything a report's prose may rest on, indexed so each figure is looked up, not searched for."""

    def __init__(self, report: Report, passages: Iterable[str], counts: Iterable[int] = ()):
        texts = list(dict.fromkeys([*passages, *(f.snippet for f in report.findings if f.verified)]))  # each read once
        self.context = _Index(_context_figures(report, counts))
        self.evidence = _Index(figure for text in texts for figure in extract(text))
        self.names = [_key(n) for s in report.sources for n in (s.publisher, s.domain, s.title) if n]
        self.text = "\n".join(texts)
        self._snippets: dict[str, _Index] = {}

    def for_finding(self, finding: Finding) -> _Index:
        """The figures of the finding's own snippet; none when the snippet is the model's, unverified."""
        snippet = finding.snippet if finding.verified else ""
        if snippet not in self._snippets:
            self._snippets[snippet] = _Index(extract(snippet))
        return self._snippets[snippet]

    def names_publisher(self, name: str) -> bool:
        """Whether the report cites ``name`` (publisher, domain or title) or a passage names it."""
        wanted = _key(name)
        close = any(wanted in known or known in wanted for known in self.names if min(len(known), len(wanted)) >= 4)
        return close or wanted in self.names or name in self.text


class _Index:
    """Figures filed for lookup: a value under its whole part (looked up with its neighbours, so rounding
    in 4.8 × 10⁹ can't hide it), a date under its month and its year, a year under itself."""

    def __init__(self, figures: Iterable[Figure]):
        self.filed: dict[object, list[Figure]] = defaultdict(list)
        for figure in figures:
            if figure.date is not None:
                self.filed["month", figure.date[1]].append(figure)
                if figure.date[0]:
                    self.filed["year", figure.date[0]].append(figure)
            elif figure.kind == "year":
                self.filed["year", int(figure.value)].append(figure)
            else:
                self.filed[int(figure.value)].append(figure)

    def supports(self, figure: Figure) -> bool:
        if figure.date is not None:
            keys: list[object] = [("month", figure.date[1])]
        elif figure.kind == "year":
            keys = [("year", int(figure.value))]
        else:
            keys = [int(figure.value) + step for step in (-1, 0, 1)]
        return any(figure.matches(known) for key in keys for known in self.filed.get(key, ()))


def audit(
    report: Report, support: Support, sections: tuple[ProseSection, ...] = ("analysis", "impact", "consensus", "gap")
) -> ProseAudit:
    """Every sentence of the report's own prose in ``sections``, with what it states and what lacks support."""
    sentences, checked = [], 0
    for prose in _prose(report, sections):
        for span in sentence_spans(prose.text):
            text = prose.text[span.start : span.end]
            stated, unsupported = _check(text, prose, support)
            checked += len(stated)
            sentences.append(AuditedSentence(
                section=prose.section, item=prose.item, text=text, checked=stated, unsupported=unsupported,
                supported=not unsupported,
            ))
    return ProseAudit(figures_checked=checked, sentences=sentences)


def audited_report(
    report: Report,
    results: SearchResults,
    revise: Callable[[list[AuditedSentence]], list[str]] | None = None,
) -> Report:
    """``report`` with its prose audited: unsupported sentences revised once by ``revise`` (the model),
    if given, and what is still unsupported removed; the audit is recorded on the report."""
    support = Support(report, (e.text for e in results.evidence if e.verified), _counts(results))
    first = audit(report, support)
    if not first.flagged or revise is None:
        return _enforce(report, first)
    rewrites = revise(first.flagged)  # one per flagged sentence; none when the call failed
    replacements = dict(zip((s.text for s in first.flagged), rewrites, strict=False))
    revised = _rewrite(report, {(s.section, s.item, s.text): replacements.get(s.text, s.text) for s in first.flagged})
    second = audit(revised, support)
    originals = {replacements[s.text]: s.text for s in first.flagged if replacements.get(s.text, s.text) != s.text}
    dropped = [s.model_copy(update={"outcome": "removed"}) for s in first.flagged if replacements.get(s.text) == ""]
    sentences = [s.model_copy(update={"original": originals.get(s.text)}) for s in second.sentences]
    sentences = [s.model_copy(update={"outcome": "revised"}) if s.original and s.supported else s for s in sentences]
    return _enforce(revised, second.model_copy(update={"sentences": sentences + dropped, "revised": True}))


def _enforce(report: Report, result: ProseAudit) -> Report:
    """Remove what is still unsupported, say so under Contradictions and Gaps, and record the audit."""
    flagged = [s for s in result.sentences if not s.supported and s.outcome != "removed"]
    result = result.model_copy(update={"sentences": [
        s.model_copy(update={"outcome": "removed"}) if not s.supported else s for s in result.sentences
    ]})
    if flagged:
        report = _rewrite(report, {(s.section, s.item, s.text): "" for s in flagged})
    removed = result.removed
    if removed:
        report = report.model_copy(update={"gaps": [*report.gaps, Gap(
            title="Unsupported statements removed",
            text=f"{removed} sentence{'s' if removed > 1 else ''} of the prose stated figures or named publishers that "
            f"no retrieved evidence supports and {'were' if removed > 1 else 'was'} removed"
            f"{' after one request to the model to revise them' if result.revised else ''}; the .json beside "
            "the report lists them.",
            kind=GapKind.AUDIT,
        )]})
    return report.model_copy(update={"audit": result})


def _rewrite(report: Report, replacements: dict[tuple[ProseSection, int, str], str]) -> Report:
    """``report`` with sentences replaced (an empty replacement removes the sentence); emptied items
    are dropped (gaps, paragraphs) or given a note saying why (rationales, the whole analysis)."""
    def touched(section: str, item: int) -> bool:
        return any(key[:2] == (section, item) for key in replacements)

    def edit(section: str, item: int, text: str) -> str:
        """``text`` with its replacements made, or as it was when the audit left it alone; an edited text
        that no longer says anything is empty."""
        if not touched(section, item):
            return text
        for (where, index, old), new in replacements.items():
            if (where, index) == (section, item):
                text = text.replace(old, new, 1)
        text = " ".join(printable(text).split())
        return text if has_text(text) else ""

    def rationale(section: str, item: int, text: str) -> str:
        return edit(section, item, text) or REMOVED_RATIONALE if touched(section, item) else text

    analysis = [kept for i, p in enumerate(report.analysis) if (kept := edit("analysis", i, p)) or not touched("analysis", i)]
    findings = [
        f.model_copy(update={
            "impact_rationale": rationale("impact", i, f.impact_rationale),
            "consensus_rationale": rationale("consensus", i, f.consensus_rationale),
        })
        for i, f in enumerate(report.findings)
    ]
    gaps = [
        g.model_copy(update={"text": text})
        for i, g in enumerate(report.gaps)
        if (text := edit("gap", i, g.text)) or not touched("gap", i)
    ]
    return report.model_copy(update={
        "analysis": analysis or ([REMOVED_ANALYSIS] if report.analysis else []),
        "findings": findings,
        "gaps": gaps,
    })


def _prose(report: Report, sections: tuple[ProseSection, ...]) -> Iterator[Prose]:
    if "analysis" in sections:
        # What changed since the previous briefing is the tool's own account of two reports, not a claim.
        computed = " ".join(report.series.summary.split()) if report.series else None
        yield from (Prose("analysis", i, text) for i, text in enumerate(report.analysis) if " ".join(text.split()) != computed)
    for i, finding in enumerate(report.findings):
        if "impact" in sections:
            yield Prose("impact", i, finding.impact_rationale, finding)
        if "consensus" in sections:
            yield Prose("consensus", i, finding.consensus_rationale)
    if "gap" in sections:
        yield from (Prose("gap", i, g.text) for i, g in enumerate(report.gaps) if g.kind == GapKind.WRITTEN)


def _check(sentence: str, prose: Prose, support: Support) -> tuple[list[str], list[str]]:
    """The figures and publishers ``sentence`` states, and those its support lacks."""
    counts = [m.span() for m in _COUNT.finditer(sentence)]
    stated, unsupported = [], []
    for figure in extract(sentence):
        if figure.kind == "number" and any(start <= figure.start < end for start, end in counts):
            continue
        stated.append(figure.text)
        held = support.for_finding(prose.finding) if prose.finding is not None else support.evidence
        own_data = figure.kind in ("number", "year", "date") and support.context.supports(figure)
        if not (held.supports(figure) or own_data):
            unsupported.append(figure.text)
    for name in _publishers(sentence):
        stated.append(name)
        if not support.names_publisher(name):
            unsupported.append(name)
    return list(dict.fromkeys(stated)), list(dict.fromkeys(unsupported))


def _publishers(sentence: str) -> list[str]:
    """Names the sentence attributes a statement to: "according to Reuters", "Business Wire reported"."""
    names = []
    for match in _ATTRIBUTION.finditer(sentence):
        name = (match["after"] or match["before"]).strip().rstrip(".")
        name = re.sub(r"['’]s?$", "", name)
        if name.casefold().removeprefix("the ") not in _NOT_NAMES:
            names.append(name)
    return names


def _context_figures(report: Report, counts: Iterable[int]) -> list[Figure]:
    """The report's own data as figures: dates of the request and the sources, days between them and the
    as-of date, the window, and counts of what the report holds."""
    request = report.request
    days: list[date] = [request.as_of, request.window_start, report.metadata.generated_at.date()]
    days += [s.published for s in report.sources if s.published]
    days += [s.published for f in report.findings for s in f.sources if s.published]
    if request.earnings:
        days.append(request.earnings.report_date)
    for finding in report.findings:  # a draft read back knows its findings' dates only from their labels
        for label in extract(finding.date_label):
            if label.date is not None and label.date[0] is not None and label.date[2] is not None:
                try:
                    days.append(date(label.date[0], label.date[1], label.date[2]))
                except ValueError:  # "June 31" typed by an editor: no date of the report's own
                    continue
    figures = [Figure(str(d), "date", date=(d.year, d.month, d.day)) for d in days]
    numbers = {abs((request.as_of - d).days) for d in days} | set(counts)
    numbers |= {request.window.amount, request.query_count, len(report.queries), len(report.sources), len(report.findings)}
    numbers |= {len({s.publisher_key for s in report.sources})} | {f.corroboration for f in report.findings}
    return figures + [Figure(str(n), "number", float(n)) for n in numbers]


def _counts(results: SearchResults) -> set[int]:
    """How many documents, publishers, searches and passages the research saw, and what it left out."""
    return {
        len({(e.source.url, e.source.title) for e in results.evidence}),
        len({e.source.publisher_key for e in results.evidence}),
        len(results.evidence),
        len(results.executed_queries),
        len(set(results.executed_queries)),
        len(results.failures),
        results.out_of_window,
    }


def _key(name: str) -> str:
    """A name compared across forms: "The Next Platform", "nextplatform.com" → ``nextplatform``."""
    name = re.sub(r"(?i)^the\s+|\.(?:com|net|org|ai|io|co)$|^www\.", "", name.strip())
    return re.sub(r"[^a-z0-9]", "", name.casefold())

