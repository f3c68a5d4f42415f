"""The one data model every stage, backend and renderer shares.

A report travels through the pipeline as these objects and is stored beside its markdown as
their JSON, so the models are the contract between stages, backends, the renderer, and the
tools that read reports back.
"""

from __future__ import annotations

import csv
import re
from datetime import date, datetime, timedelta
from enum import Enum
from typing import Literal
from urllib.parse import unquote, urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from pipeline.controls import escaped, has_text, has_undecodable, one_line, printable

#: Bumped when the JSON or the hidden markdown metadata changes incompatibly.
SCHEMA_VERSION = 1

MAX_QUESTION_CHARS = 1000
SAFE_URL_SCHEMES = ("http", "https", "file")
#: How a shipped sample document without a public URL is cited: relative to the repository's
#: reports/ folder, where the sample report lives, so no machine path enters a report.
SAMPLE_CORPUS_LINK = "../corpus/sample/"
_SAMPLE_CITATION = re.compile(r"^\.\./corpus/sample/[\w-][\w.-]*$")

_WINDOW_RE = re.compile(r"^\s*(\d{1,4})\s*([dwmy])\s*$", re.IGNORECASE)
_WINDOW_WORDS = {"d": "day", "w": "week", "m": "month", "y": "year"}


class Model(BaseModel):
    """Base for all models: unknown fields are errors, so typos in JSON don't pass silently."""

    model_config = ConfigDict(extra="forbid")


def is_safe_link(url: str) -> bool:
    """An http(s) or file: link, or a sample document's relative citation; never a script or data URL."""
    url = url.strip()
    return urlsplit(url).scheme.lower() in SAFE_URL_SCHEMES or _SAMPLE_CITATION.match(url) is not None


def _unset(value: object) -> bool:
    """Optional fields added for editors' drafts are left out of JSON when unset, so reports
    without them serialize exactly as before."""
    return value is None or value == []


class TimeWindow(Model):
    """How far back from the as-of date evidence may be dated, e.g. ``3m`` or ``90d``."""

    amount: int = Field(gt=0)
    unit: Literal["d", "w", "m", "y"]

    @classmethod
    def parse(cls, text: str) -> TimeWindow:
        match = _WINDOW_RE.match(text or "")
        if not match:
            raise ValueError(f"invalid window {text!r}: use a number and a unit, e.g. 90d, 6w, 3m or 1y")
        if int(match.group(1)) == 0:
            raise ValueError(f"the window {text.strip()!r} covers no time: it must be at least 1 day, e.g. 1d, 90d or 3m")
        return cls.model_validate({"amount": int(match.group(1)), "unit": match.group(2).lower()})

    def __str__(self) -> str:
        return f"{self.amount}{self.unit}"

    @property
    def phrase(self) -> str:
        """The window as the example report words it in queries: ``last 3 months``."""
        word = _WINDOW_WORDS[self.unit]
        return f"last {self.amount} {word}{'' if self.amount == 1 else 's'}"

    def start(self, as_of: date) -> date:
        """The earliest date inside the window ending at ``as_of``."""
        if self.unit == "d":
            return as_of - timedelta(days=self.amount)
        if self.unit == "w":
            return as_of - timedelta(weeks=self.amount)
        months = self.amount * (12 if self.unit == "y" else 1)
        year, month = divmod(as_of.year * 12 + as_of.month - 1 - months, 12)
        month += 1
        day = min(as_of.day, _days_in_month(year, month))
        return date(year, month, day)


def _days_in_month(year: int, month: int) -> int:
    following = date(year + month // 12, month % 12 + 1, 1)
    return (following - timedelta(days=1)).day


class EarningsEvent(Model):
    """An upcoming earnings report that a scheduled briefing is written for."""

    company: str
    quarter: str
    report_date: date


def _decodable(value: str, what: str) -> str:
    """``value`` if it is text: bytes that aren't UTF-8 (from the command line or a draft's metadata)
    are refused, not guessed at, naming the value with those bytes shown as ``\\xff``."""
    if has_undecodable(value):
        raise ValueError(f"the {what} '{escaped(value)}' is not UTF-8 text: check the encoding of the terminal or file it came from")
    return value


class ResearchRequest(Model):
    """What the analyst asked for; the example's title line is one such request."""

    question: str
    source_hints: list[str] = Field(default_factory=list)
    keywords: list[str] = Field(default_factory=list)
    focus: str | None = None
    as_of: date
    window: TimeWindow
    query_count: int = Field(default=12, ge=1, le=60)
    earnings: EarningsEvent | None = None
    rounds: int = Field(
        default=2, ge=1, le=2, exclude_if=lambda rounds: rounds == 2,
        description="2 (the default, left out of the JSON): a second round of searches checks the findings' claims",
    )

    @field_validator("question")
    @classmethod
    def _question_is_usable(cls, value: str) -> str:
        value = one_line(_decodable(value, "topic"))
        if not value:
            raise ValueError("the topic is empty: give a question, e.g. \"Cerebras vs NVIDIA\"")
        if not any(char.isalpha() for char in value):
            raise ValueError(f"the topic {value!r} has no letters: give a question, e.g. \"Cerebras vs NVIDIA\"")
        if len(value) > MAX_QUESTION_CHARS:
            raise ValueError(f"the topic is {len(value):,} characters long; the limit is {MAX_QUESTION_CHARS:,}")
        return value

    @field_validator("focus")
    @classmethod
    def _blank_focus_is_none(cls, value: str | None) -> str | None:
        return one_line(_decodable(value, "focus")) or None if value is not None else None

    @field_validator("source_hints", "keywords")
    @classmethod
    def _shown_as_text(cls, values: list[str]) -> list[str]:
        return [shown for value in values if (shown := one_line(_decodable(value, "source hint or keyword")))]

    @model_validator(mode="after")
    def _fits(self) -> ResearchRequest:
        if len(self.title_line) > 2 * MAX_QUESTION_CHARS:
            raise ValueError(f"the request (question, hints and keywords) is longer than {2 * MAX_QUESTION_CHARS:,} characters")
        try:
            self.window.start(self.as_of)
        except (ValueError, OverflowError):
            raise ValueError(f"the window {self.window} reaches back before the year 1 from {self.as_of}") from None
        return self

    @classmethod
    def from_title_line(cls, line: str, **fields) -> ResearchRequest:
        """Parse ``question,source hints,keywords`` (CSV, hints separated by ``;``).

        A line is a title line when it has exactly three CSV fields and looks like one: the question
        ends with ``?`` or the hints are ``;``-separated. Anything else, such as "How do Cerebras,
        Groq, and NVIDIA compare", is the question itself.
        """
        try:
            row = next(csv.reader([line], skipinitialspace=True), [])
        except csv.Error:  # a newline or stray quote: not a title line
            row = []
        if len(row) == 3 and all(part.strip() for part in row) and (row[0].rstrip().endswith("?") or ";" in row[1]):
            question, hints, keywords = row
            fields.setdefault("source_hints", [h.strip() for h in hints.split(";") if h.strip()])
            fields.setdefault("keywords", keywords.split())
            return cls(question=question, **fields)
        return cls(question=line, **fields)

    @property
    def title_line(self) -> str:
        """The request as the report's ``# Research Query:`` line shows it."""
        if not self.source_hints and not self.keywords:
            return self.question
        return ",".join([self.question, "; ".join(self.source_hints), " ".join(self.keywords)])

    @property
    def window_start(self) -> date:
        return self.window.start(self.as_of)


#: The angle of a second-round search aimed at a finding's claim (``pipeline.judgement``).
CORROBORATE = "corroborate"


class SearchQuery(Model):
    """One search the pipeline runs; ``entity`` and ``angle`` let synthesis name coverage gaps."""

    text: str
    entity: str | None = None
    angle: str | None = None
    anchors: list[str] = Field(
        default_factory=list, exclude_if=_unset,
        description="a targeted search: passages must state one of these, a figure in any written form or a word",
    )


class DateSource(str, Enum):
    """Where a source's publication date came from."""

    METADATA = "metadata"  # stated by the source: front matter, a date meta tag, the page's date markup
    URL = "url"  # read from its address, such as /2026/01/16/


class Source(Model):
    """A document or web page that evidence came from."""

    url: str
    title: str = ""
    publisher: str | None = None
    published: date | None = None
    date_source: DateSource | None = Field(default=None, exclude_if=_unset, description="where `published` came from")
    label: str | None = Field(
        default=None, exclude_if=_unset, description="link text when it is not the URL's domain (a search redirect)"
    )
    kind: str | None = Field(
        default=None, exclude_if=_unset, description="the searcher it came from (corpus, web, edgar…), when a report used several"
    )
    filer: str | None = Field(
        default=None, exclude_if=_unset,
        description="the SEC filer (CIK) of a filing: a company's 10-Q and 8-K are one publisher, not two",
    )

    @field_validator("title")
    @classmethod
    def _title_shows_as_text(cls, value: str) -> str:
        """Names come from documents and web pages: one line, no terminal escapes or bidi overrides."""
        return one_line(value)

    @field_validator("publisher", "label")
    @classmethod
    def _name_shows_as_text(cls, value: str | None) -> str | None:
        """A name without a letter or digit (``-``, ``?``) names nothing: the domain stands in."""
        return one_line(value) if value is not None and has_text(value) else None

    @field_validator("url")
    @classmethod
    def _url_is_safe(cls, value: str) -> str:
        if not is_safe_link(value):
            scheme = urlsplit(value.strip()).scheme.lower()
            raise ValueError(f"unsupported URL scheme {scheme or 'none'!r} in {value[:80]!r}")
        return value.strip()

    @property
    def domain(self) -> str:
        """The label the example uses for a link: ``businesswire.com``, or a file name."""
        parts = urlsplit(self.url)
        if parts.scheme == "file":
            return unquote(parts.path.rstrip("/").rsplit("/", 1)[-1]) or self.url
        if not parts.scheme:  # a sample document's citation: corpus/sample/<file>
            return self.url.removeprefix("../")
        host = (parts.hostname or self.url).lower()
        return host[4:] if host.startswith("www.") else host

    @property
    def publisher_key(self) -> str:
        """Identity used to decide whether two sources are independent of each other."""
        return f"sec-filer:{self.filer}" if self.filer else (self.publisher or self.domain).strip().lower()


class Evidence(Model):
    """A verbatim passage found by a search, with the source and the query that found it."""

    text: str
    source: Source
    query: str
    score: float = 0.0
    verified: bool = Field(default=True, description="text is verbatim from the source, not a model's summary of it")

    @field_validator("text")
    @classmethod
    def _text_is_printable(cls, value: str) -> str:
        """Documents and web pages are data: what would act on a terminal is removed as they enter."""
        return printable(value)


class Impact(str, Enum):
    HIGH = "High"
    MEDIUM = "Medium"
    LOW = "Low"


class Consensus(str, Enum):
    OVERLOOKED = "Overlooked"
    EMERGING = "Emerging"
    WIDELY_KNOWN = "Widely known"


class Finding(Model):
    """A key finding: a verbatim snippet, its provenance, and the analyst's two judgements."""

    snippet: str
    sources: list[Source]
    date_label: str = Field(default="", description="set for every backend by the orchestrator (pipeline.gaps)")
    source_label: str = Field(default="", description="set for every backend by the orchestrator (pipeline.gaps)")
    impact: Impact
    impact_rationale: str
    consensus: str
    consensus_rationale: str
    corroboration: int = Field(default=1, ge=0, description="independent publishers carrying the claim")
    event_date: date | None = Field(
        default=None, exclude_if=_unset, description="the day the snippet dates its event to, where it says"
    )
    linked: list[str] = Field(
        default_factory=list, exclude_if=_unset,
        description="URLs of passages a model said state this claim too; each counts only if checked to",
    )
    verified: bool = Field(default=True, description="the snippet is verbatim from a cited source")
    status: str | None = Field(
        default=None, exclude_if=_unset, description="set by refresh: new, or its source no longer found"
    )


class GapKind(str, Enum):
    CONTRADICTION = "contradiction"  # publishers disagree over a fact: its figure, or what the event was
    VIEWS = "views"  # publishers praise a company and others question it: a debate to weigh, not a fact in dispute
    COVERAGE = "coverage"
    SINGLE_SOURCE = "single-source"
    UNDATED = "undated"
    WINDOW = "window"
    FAILURE = "failure"
    OMISSION = "omission"
    WRITTEN = "written"  # by a model: the only kind whose prose the audit checks; the others are computed
    UNUSABLE = "unusable"  # the model's output could not be used
    UNVERIFIED = "unverified"  # no finding's quote could be found in its source
    AUDIT = "audit"  # the prose audit removed statements


class Gap(Model):
    """One entry under Contradictions and Gaps."""

    title: str
    text: str
    kind: GapKind = GapKind.COVERAGE


class QueryFailure(Model):
    """A search that failed after retries; the report is still written and says so."""

    query: str
    error: str

    def as_gap(self) -> Gap:
        return Gap(
            title="Failed search",
            text=f'The search "{self.query}" failed ({self.error}); its evidence is missing.',
            kind=GapKind.FAILURE,
        )


class SearchResults(Model):
    """What the search stage hands to assessment."""

    evidence: list[Evidence] = Field(default_factory=list)
    executed_queries: list[str] = Field(default_factory=list, description="queries the backend actually ran")
    failures: list[QueryFailure] = Field(default_factory=list)
    out_of_window: int = Field(default=0, description="documents that matched but were dated outside the window")
    out_of_window_at_least: bool = Field(
        default=False, description="the searcher stopped counting them at a limit: at least that many"
    )
    warnings: list[str] = Field(default_factory=list)
    gaps: list[Gap] = Field(default_factory=list, description="what the searcher knows is missing, e.g. a company with no filings")

    @property
    def sources(self) -> list[Source]:
        """Every source evidence was retrieved from, first appearance first, one per URL."""
        seen: dict[str, Source] = {}
        for item in self.evidence:
            seen.setdefault(item.source.url, item.source)
        return list(seen.values())


class Assessment(Model):
    """What the assess stage returns: the findings, and any evidence it had to leave out (as gaps)."""

    findings: list[Finding]
    omissions: list[Gap] = Field(default_factory=list)
    conflicts: list[Gap] = Field(
        default_factory=list, exclude_if=_unset, description="publishers that disagree, found by the judgement"
    )
    partial: bool = Field(default=False, description="a model call failed after retries; its evidence is missing")


class Synthesis(Model):
    """What the synthesize stage returns: the analysis and the contradictions and gaps."""

    analysis: list[str]
    gaps: list[Gap]
    model: str | None = Field(
        default=None, description="the model version that wrote it, kept so a cached re-run reports it too"
    )


#: Where in a report a sentence of its own prose is: the Analysis, a finding's rationale, a gap.
ProseSection = Literal["analysis", "impact", "consensus", "gap"]


class AuditedSentence(Model):
    """A sentence of the report's own prose, and whether the evidence supports what it states."""

    section: ProseSection
    item: int = Field(ge=0, description="the paragraph, finding or gap it belongs to, counted from 0")
    text: str
    checked: list[str] = Field(default_factory=list, description="the figures and publishers it states")
    unsupported: list[str] = Field(default_factory=list, description="those no evidence supports")
    supported: bool = True
    outcome: Literal["kept", "revised", "removed"] = "kept"
    original: str | None = Field(default=None, exclude_if=_unset, description="the sentence before the model revised it")


class ProseAudit(Model):
    """What the prose audit checked in a report and what it did about unsupported statements."""

    figures_checked: int = 0
    sentences: list[AuditedSentence] = Field(default_factory=list)
    revised: bool = Field(default=False, description="the model was asked once to rewrite unsupported sentences")

    @property
    def flagged(self) -> list[AuditedSentence]:
        return [sentence for sentence in self.sentences if not sentence.supported]

    @property
    def removed(self) -> int:
        return sum(sentence.outcome == "removed" for sentence in self.sentences)


class TokenUsage(Model):
    """Tokens spent by model calls; all zero for the rule-based analyst."""

    calls: int = 0
    prompt_tokens: int = 0
    output_tokens: int = 0
    thought_tokens: int = 0
    tool_tokens: int = 0
    cached_tokens: int = Field(default=0, description="prompt tokens served from the provider's cache (part of prompt_tokens)")
    searches: int = Field(default=0, description="Google searches billed (unique non-empty queries, or grounded prompts)")
    estimated_cost_usd: float = 0.0

    def __add__(self, other: TokenUsage) -> TokenUsage:
        return TokenUsage(**{name: getattr(self, name) + getattr(other, name) for name in TokenUsage.model_fields})


class StageRun(Model):
    """How one stage ran: wall time and whether its result came from the cache."""

    stage: str
    seconds: float
    cached: bool


class RunMetadata(Model):
    model: str = Field(description="the model version the Model line shows")
    search_backend: str
    generated_at: datetime
    tool_version: str
    schema_version: int = SCHEMA_VERSION
    usage: TokenUsage = Field(default_factory=TokenUsage)
    stages: list[StageRun] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)
    partial: bool = False
    requested_model: str | None = Field(default=None, description="the --model the report was made with")
    search: str | None = Field(default=None, description="the search kind: corpus, web or a plugin's")
    corpus: str | None = Field(default=None, description="the corpus folder searched; None: the sample corpus")
    templates: str | None = Field(default=None, description="the --templates folder the report was rendered with")
    priced_on: date | None = Field(
        default=None, description="the day whose list prices usage.estimated_cost_usd is at: the day the calls were made"
    )

    @property
    def cache_hits(self) -> int:
        return sum(stage.cached for stage in self.stages)


class Baseline(Model):
    """Digests of what groundbrief itself wrote into a report, so a refresh can tell an editor's
    changes (kept) from its own text (regenerated) and a deleted finding from a new one."""

    analysis: str
    gaps: str
    findings: list[str] = Field(description="keys of every finding groundbrief generated for this report")


class ImpactChange(Model):
    """A finding of the previous briefing whose impact is different now."""

    snippet: str
    before: str
    after: str


class SeriesChanges(Model):
    """What changed between two briefings of a series, finding by finding (snippets) and by source (URLs)."""

    new_findings: list[str] = Field(default_factory=list)
    dropped_findings: list[str] = Field(default_factory=list)
    impact_changes: list[ImpactChange] = Field(default_factory=list)
    new_sources: list[str] = Field(default_factory=list)
    dropped_sources: list[str] = Field(default_factory=list)


class SeriesLink(Model):
    """The briefing this one was compared with (a scheduled series, or ``--since``) and what changed.

    ``summary`` is the paragraph that opens the Analysis: computed from ``changes``, never written by a
    model, so a reader (or an audit) can tell it from the analyst's prose by this field.
    """

    previous_path: str
    previous_date: date = Field(description="the as-of date of the previous briefing")
    changes: SeriesChanges
    summary: str


class Report(Model):
    """A finished briefing: what was asked, what was found, what it means, and how it ran."""

    request: ResearchRequest
    queries: list[str]
    sources: list[Source]
    analysis: list[str]
    findings: list[Finding]
    gaps: list[Gap]
    metadata: RunMetadata
    offered_analysis: list[str] = Field(
        default_factory=list, exclude_if=_unset, description="a refresh's analysis, offered beside an edited one"
    )
    baseline: Baseline | None = Field(
        default=None, exclude_if=_unset, description="set by refresh; a generated report's is its own content"
    )
    audit: ProseAudit | None = Field(
        default=None, exclude_if=_unset, description="the prose audit of a generated report; None in older reports"
    )
    series: SeriesLink | None = Field(
        default=None, exclude_if=_unset, description="the previous briefing compared with, and what changed since"
    )
