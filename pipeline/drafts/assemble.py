"""``Draft`` → report model: unescape values, split judgements from rationales, restore metadata.

The request and run metadata come from the hidden ``groundbrief:report`` comment; without it,
from the ``.json`` beside the draft; without both, from the visible header, with the request
inferred (``request_origin == "inferred"``: refresh then asks for ``--topic``).
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import date, datetime, time
from functools import cached_property
from typing import Any
from urllib.parse import unquote

from pydantic import ValidationError

from pipeline.baseline import baseline_of, finding_key, fold
from pipeline.drafts.model import ParsedDraft, RequestOrigin
from pipeline.drafts.sources import SourceIndex
from pipeline.models import (
    SAMPLE_CORPUS_LINK,
    Baseline,
    Consensus,
    Finding,
    Gap,
    GapKind,
    Impact,
    Report,
    ResearchRequest,
    RunMetadata,
    Source,
    TimeWindow,
)
from pipeline.report import parse
from pipeline.report.formatting import format_timestamp, safe_url, unescape_inline
from pipeline.report.metadata import HiddenMetadata
from pipeline.report.structure import Draft, Entry, FindingBlock, Issue, Severity

UNVERIFIED = "*Unverified model statement:*"
GENERATED_FORMAT = "%A, %B %d, %Y at %I:%M:%S %p"
DEFAULT_WINDOW = TimeWindow(amount=12, unit="m")

_IMPACT = re.compile(r"^(?P<level>high|medium|low)\b\s*(?P<sep>[.:;,—–-]?)\s*(?P<rest>.*)$", re.IGNORECASE)
_CONSENSUS = re.compile(r"^(?P<label>.*?)\.(?:\s+|$)(?P<rest>.*)$", re.DOTALL)
#: A known label, then punctuation: "Emerging, e.g. SEC filings…" is Emerging, not "Emerging, e.g".
_KNOWN_CONSENSUS = re.compile(
    rf"^(?P<label>{'|'.join(re.escape(c.value) for c in Consensus)})(?:\s*[,;:—–]|\s+-)\s*(?P<rest>.*)$",
    re.DOTALL | re.IGNORECASE,
)
_QUOTED = re.compile(r'^["“„](?P<inner>.*)["”]$', re.DOTALL)
_LINK = re.compile(r"^\[(?P<label>(?:\\.|[^\]\\])*)\]\(\s*<?(?P<url>[^\s<>]*?)>?\s*\)$")
_BARE_URL = re.compile(r"^<?(?P<url>[A-Za-z][A-Za-z0-9+.-]*:[^\s<>]+?)>?$")
_ACTIVE_MARKDOWN = re.compile(r"(?<!\\)(\*\*?|`)\S(?:.*?\S)?(?<!\\)\1|(?<!\\)\[[^\]]*\]\(|(?<!\\)<[A-Za-z/!]")
_WINDOW_PHRASE = re.compile(r"\blast (\d{1,4}) (day|week|month|year)s?\b", re.IGNORECASE)


def build(draft: Draft, companion: Report | None = None) -> ParsedDraft:
    """The report model for ``draft``; ``companion`` is the report read from the ``.json`` beside it."""
    return _Builder(draft, companion).build()


class _Builder:
    def __init__(self, draft: Draft, companion: Report | None):
        self.draft = draft
        self.issues: list[Issue] = list(draft.issues)
        self.hidden = self._hidden()
        self.title = self._text(draft.title) if draft.title else None
        self.companion = self._own(companion)

    def build(self) -> ParsedDraft:
        request, origin = self._request()
        sources = [source for entry in self.draft.sources if (source := self._source(entry))]
        listed = SourceIndex(sources)
        parts: dict[str, Any] = dict(
            queries=[self._text(e) for e in self.draft.queries],
            sources=sources,
            analysis=[self._text(e) for e in self.draft.analysis],
            offered_analysis=[self._text(e) for e in self.draft.offered_analysis],
            findings=[self._finding(block, listed) for block in self.draft.findings],
            gaps=[gap for entry in self.draft.gaps if (gap := self._gap(entry))],
            metadata=self._metadata(),
            baseline=self._baseline(),
            series=self.companion.series if self.companion else None,
        )
        report = None
        if request is not None and not any(i.severity == "error" for i in self.issues):
            try:
                report = Report(request=request, **parts)
            except ValidationError as error:
                self._issue(None, f"the draft does not make a valid report: {_first(error)}")
        return ParsedDraft(
            draft=self.draft,
            report=report,
            sources=sources,
            findings=parts["findings"],
            issues=self.issues,
            request_origin=origin,
            baseline=parts["baseline"],
            companion=self.companion,
        )

    def _issue(self, line: int | None, message: str, code: str = "unreadable", severity: Severity = "error") -> None:
        self.issues.append(Issue(line, severity, code, message))

    def _text(self, entry: Entry, raw: str | None = None) -> str:
        """A value as plain text; markdown an editor typed is kept, as literal characters."""
        raw = entry.text if raw is None else raw
        if _ACTIVE_MARKDOWN.search(raw):
            self._issue(entry.line, "markdown formatting here will show as literal characters once groundbrief re-renders the draft", "formatting", "warning")
        return fold(unescape_inline(raw))

    # Request and run metadata

    def _hidden(self) -> HiddenMetadata | None:
        if self.draft.metadata is None:
            return None
        try:
            return HiddenMetadata.model_validate(self.draft.metadata)
        except ValidationError as error:
            self._issue(self.draft.metadata_line, f"the groundbrief metadata comment is damaged ({_first(error)}); restore it from the .json beside the draft")
            return None

    def _own(self, companion: Report | None) -> Report | None:
        """``companion`` if it is this draft's JSON: same request, or (no metadata) same title."""
        if companion is None:
            return None
        if self.hidden is not None:
            belongs = companion.request == self.hidden.request
        else:
            belongs = self.title is not None and fold(companion.request.title_line) == self.title
        if not belongs:
            self._issue(None, "ignored the .json beside the draft: it is for a different request", "companion", "warning")
        return companion if belongs else None

    def _request(self) -> tuple[ResearchRequest | None, RequestOrigin]:
        recorded = self.hidden.request if self.hidden else self.companion.request if self.companion else None
        origin: RequestOrigin = "metadata" if self.hidden else "json" if self.companion else "inferred"
        if recorded is not None and (self.title is None or self.title == fold(recorded.title_line)):
            if self.title is None:
                self._issue(None, "the '# Research Query:' title line is missing; it is restored from the metadata", "title", "warning")
            return recorded, origin
        if self.title is None:
            self._issue(1, "there is no '# Research Query:' title line, so the report's question is unknown", "title")
            return None, origin
        if recorded is not None:
            self._issue(self.draft.title.line, "the title line was edited: a refresh researches the edited question", "title", "warning")  # type: ignore[union-attr]
            fields = recorded.model_dump(exclude={"question", "source_hints", "keywords"})
        else:
            fields = {"as_of": self._generated_at.date(), "window": self._window_from_queries()}
            self._issue(None, f"no groundbrief metadata (hidden comment or .json beside the draft): the request is inferred "
                        f"from the title line (as of {fields['as_of']}, window {fields['window']}); refresh needs --topic", "no-metadata", "warning")
        try:
            return ResearchRequest.from_title_line(self.title, **fields), origin
        except ValidationError as error:
            self._issue(self.draft.title.line, f"the title line is not a usable request: {_first(error)}", "title")  # type: ignore[union-attr]
            return None, origin

    def _window_from_queries(self) -> TimeWindow:
        """The window the queries name (``last 3 months``), as the example's queries do; else 12 months."""
        phrases = Counter(
            (int(m[1]), m[2][0].lower()) for e in self.draft.queries if (m := _WINDOW_PHRASE.search(e.text))
        )
        if not phrases:
            return DEFAULT_WINDOW
        (amount, unit), _ = phrases.most_common(1)[0]
        return TimeWindow.model_validate({"amount": amount, "unit": unit}) if amount else DEFAULT_WINDOW

    @cached_property
    def _generated_at(self) -> datetime:
        """The visible Generated time, for drafts without metadata."""
        entry = self.draft.generated
        if entry is not None:
            try:
                return datetime.strptime(fold(unescape_inline(entry.text)), GENERATED_FORMAT)
            except ValueError:
                pass
        line = entry.line if entry else None
        self._issue(line, "the **Generated:** line is missing or unreadable (e.g. 'Wednesday, August 27, 2025 at 11:58:35 AM'); today is used", "header", "warning")
        return datetime.combine(date.today(), time())

    def _metadata(self) -> RunMetadata:
        if self.hidden is None and self.companion is None:
            model = fold(unescape_inline(self.draft.model.text)) if self.draft.model else "unknown"
            return RunMetadata(
                model=model, search_backend="unknown (no metadata in the draft)",
                generated_at=self._generated_at, tool_version="unknown",
            )
        recorded = self.companion.metadata if self.companion else None
        if self.hidden is not None:
            fields = self.hidden.model_dump(include={
                "model", "search_backend", "generated_at", "tool_version", "schema_version",
                "requested_model", "search", "corpus", "templates",
            })
            extra = recorded.model_dump(include={"usage", "stages", "warnings", "partial"}) if recorded else {}
            metadata = RunMetadata(**fields, **extra)
        else:
            metadata = recorded  # type: ignore[assignment]
        self._compare_header(self.draft.generated, format_timestamp(metadata.generated_at), "Generated")
        self._compare_header(self.draft.model, fold(metadata.model), "Model")
        return metadata

    def _compare_header(self, entry: Entry | None, recorded: str, name: str) -> None:
        if entry is not None and fold(unescape_inline(entry.text)) != recorded:
            self._issue(entry.line, f"the **{name}:** line differs from the report's metadata; re-rendering writes {recorded!r}", "header", "warning")

    def _baseline(self) -> Baseline | None:
        if self.hidden is not None and self.hidden.baseline is not None:
            return self.hidden.baseline
        return baseline_of(self.companion) if self.companion else None

    # Sources, findings and gaps

    def _source(self, entry: Entry) -> Source | None:
        link = _LINK.match(entry.text) or _BARE_URL.match(entry.text)
        if link is None:
            self._issue(entry.line, "a source must be a link, e.g. - [example.com](https://example.com/page)")
            return None
        url = link["url"]
        label = fold(unescape_inline(link.groupdict().get("label") or "")) or None
        try:
            written = Source(url=url)
        except ValidationError:
            self._issue(entry.line, f"link {url[:80]!r} is not http(s), file:// or a sample document's {SAMPLE_CORPUS_LINK} path", "link-scheme")
            return None
        renders = [s for s in self._url_readings(url) if safe_url(s.url) == url] or [written]
        best = min(renders, key=lambda s: (label is not None and s.domain != label, not self._known(s.url)))
        hidden = self._hidden_source(best.url) or Source(url=best.url)
        recorded = self._recorded_source(best.url) or Source(url=best.url)
        return best.model_copy(update={
            "title": hidden.title or recorded.title,
            "publisher": hidden.publisher or recorded.publisher,
            "published": hidden.published or recorded.published,
            "label": label if label and label != best.domain else None,
        })

    def _url_readings(self, url: str) -> list[Source]:
        """The link as written and percent-decoded: the renderer encodes a URL, so either can be the original."""
        readings = []
        for candidate in dict.fromkeys([url, unquote(url)]):
            try:
                readings.append(Source(url=candidate))
            except ValidationError:
                continue
        return readings

    def _known(self, url: str) -> bool:
        return self._hidden_source(url) is not None or self._recorded_source(url) is not None

    def _hidden_source(self, url: str) -> Source | None:
        """What the hidden comment records of the link: its publisher, and its page's title and date (which
        say whose claim "the drug maker posted…" is without the ``.json``; drafts of older versions lack them)."""
        hidden = self.hidden
        if hidden is None or not any(url in links for links in (hidden.publishers, hidden.titles, hidden.published)):
            return None
        return Source(url=url, title=hidden.titles.get(url, ""), publisher=hidden.publishers.get(url), published=hidden.published.get(url))

    def _recorded_source(self, url: str) -> Source | None:
        return self._recorded_sources.get(url)

    @cached_property
    def _recorded_sources(self) -> dict[str, Source]:
        """The companion's sources by link (the first, if one is listed twice)."""
        return {source.url: source for source in reversed(self.companion.sources)} if self.companion else {}

    def _finding(self, block: FindingBlock, listed: SourceIndex) -> Finding | None:
        fields = block.fields
        impact = self._impact(block)
        if impact is None:
            return None
        snippet, verified = self._snippet(fields["Snippet"])
        consensus, consensus_rationale = self._consensus(fields.get("Consensus Check"))
        source_label = self._text(fields["Source"]) if "Source" in fields else ""
        recorded = self._recorded_finding(snippet)
        return Finding(
            snippet=snippet,
            date_label=self._text(fields["Date"]) if "Date" in fields else "",
            source_label=source_label,
            sources=recorded.sources if recorded else listed.named(source_label),
            impact=impact[0],
            impact_rationale=impact[1],
            consensus=consensus,
            consensus_rationale=consensus_rationale,
            corroboration=recorded.corroboration if recorded else 1,
            verified=verified,
            status=(self._text(fields["Status"]) or None) if "Status" in fields else None,
        )

    def _recorded_finding(self, snippet: str) -> Finding | None:
        return self._recorded_findings.get(finding_key(snippet))

    @cached_property
    def _recorded_findings(self) -> dict[str, Finding]:
        """The companion's findings by key (the first, if two share one), computed once for the draft."""
        return {finding_key(f.snippet): f for f in reversed(self.companion.findings)} if self.companion else {}

    def _snippet(self, entry: Entry) -> tuple[str, bool]:
        raw = entry.text
        if raw.startswith(UNVERIFIED):
            return self._text(entry, raw[len(UNVERIFIED):]), False
        quoted = _QUOTED.match(raw)
        if quoted is None:
            self._issue(entry.line, "the snippet is not in quotes; quotes are added when the draft is re-rendered", "normalized", "warning")
        return self._text(entry, quoted["inner"] if quoted else raw), True

    def _impact(self, block: FindingBlock) -> tuple[Impact, str] | None:
        entry = block.fields.get("Impact")
        if entry is None:
            self._issue(block.line, "the finding has no **Impact:** line (High, Medium or Low, then why)", "missing-field")
            return None
        match = _IMPACT.match(entry.text)
        if match is None:
            self._issue(entry.line, "**Impact:** must start with High, Medium or Low", "impact-level")
            return None
        impact = Impact(match["level"].capitalize())
        if match["level"] != impact.value or match["sep"] != ".":
            self._issue(entry.line, f"the impact is written as '{impact.value}.' when the draft is re-rendered", "normalized", "warning")
        return impact, self._text(entry, match["rest"])

    def _consensus(self, entry: Entry | None) -> tuple[str, str]:
        """Label and rationale: a known label followed by punctuation, else the text before the first
        '. ', else a leading known label."""
        if entry is None or not entry.text:
            return "", ""
        known = _KNOWN_CONSENSUS.match(entry.text)
        if known:
            label, rest = self._text(entry, known["label"]), self._text(entry, known["rest"])
            self._issue(entry.line, f"the consensus label is read as {label!r}; re-rendering writes '{label}.' before the rest", "normalized", "warning")
            return label, rest
        match = _CONSENSUS.match(entry.text)
        if match:
            return self._text(entry, match["label"]), self._text(entry, match["rest"])
        prefix = next((c.value for c in Consensus if entry.text.casefold().startswith(c.value.casefold())), None)
        label = entry.text[: len(prefix)] if prefix else entry.text
        self._issue(entry.line, f"a period is added after the consensus label {label!r} when the draft is re-rendered", "normalized", "warning")
        return self._text(entry, label), self._text(entry, entry.text[len(label):].lstrip(" ,;:—–-"))

    def _gap(self, entry: Entry) -> Gap | None:
        field = parse.FIELD.match(entry.text)
        if field is None:
            self._issue(entry.line, "a gap needs a bold title: *   **Title:** text")
            return None
        title = self._text(entry, field["label"])
        recorded = next((g for g in self.companion.gaps if fold(g.title) == title), None) if self.companion else None
        return Gap(title=title, text=self._text(entry, field["value"]), kind=recorded.kind if recorded else GapKind.COVERAGE)


def _first(error: ValidationError) -> str:
    detail = error.errors()[0]
    where = ".".join(str(part) for part in detail.get("loc", ()))
    message = str(detail.get("msg", error)).removeprefix("Value error, ")
    return f"{where}: {message}" if where else message
