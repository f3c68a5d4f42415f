"""``--search edgar``: the filings a pre-earnings briefing rests on, from SEC EDGAR.

For each company the request names, the SEC's ticker file gives its CIK and the submissions API its
filings; the latest 10-K, 10-Q, earnings 8-K (its EX-99.1 release) and S-1 (or amendment) filed in
the window are read. Full-text search finds filings that mention the company, including those of a
company the ticker file doesn't list (a challenger's S-1). Passages are cut from each document's
sections (``sections``) and ranked against each query's words; every filing read gives at least its
best passage, so a briefing cites every filing it read. A passage's source is the document on
sec.gov, dated by its filing date and published by "filer, form"; a company with no filings is a
gap, a refusal or an outage a failed search.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from pipeline.models import (
    DateSource,
    Evidence,
    Gap,
    GapKind,
    QueryFailure,
    ResearchRequest,
    SearchQuery,
    SearchResults,
    Source,
    TokenUsage,
)
from pipeline.resources import code_digest
from pipeline.search.edgar.client import DAY, HOUR, EdgarClient, EdgarError, TooLarge
from pipeline.search.edgar.filings import (
    FORMS,
    Company,
    Filing,
    MalformedIndex,
    Mention,
    earnings_release,
    find_company,
    latest_filings,
    mentions,
    normalized,
)
from pipeline.search.edgar.sections import Passage, passages
from pipeline.settings import Settings

PASSAGES_PER_QUERY = 4
MENTIONS_PER_COMPANY = 2
DOCUMENT_THREADS = 4
LISTS_TTL = 6 * HOUR  # a company's filings and search results change when it files
_STOPWORDS = frozenset(
    """a an and are as at be by did do does for from has have how in into is it its last of on or over the their this to
    vs versus was were what when which who why will with day days week weeks month months year years""".split()
)
_NAME = re.compile(r"\b[A-Z][A-Za-z0-9&.-]*[A-Za-z0-9]")
_NOT_NAMES = frozenset("are is how what why when which who will can does do did the a an in on vs versus".split())


@dataclass
class Document:
    """A filing document to read, and what it gave."""

    filing: Filing
    mentioned: str | None = None  # the company this filing was found for by full-text search, not its filer
    passages: list[Passage] = field(default_factory=list)


class EdgarSearcher:
    """``Searcher`` over SEC EDGAR's submissions, full-text search and archives."""

    usage = TokenUsage()  # no model calls

    def __init__(self, client: EdgarClient, progress: Callable[[str], None] = lambda text: None):
        self.client = client
        self.progress = progress

    @property
    def identity(self) -> str:
        settings = self.client.settings
        return f"edgar:{settings.sec_base_url or 'sec.gov'}:max{settings.sec_max_bytes}:{code_digest(Path(__file__).parent)}"

    @property
    def description(self) -> str:
        return "SEC EDGAR filings (10-K, 10-Q, earnings 8-K, S-1)"

    def search(self, request: ResearchRequest, queries: list[SearchQuery]) -> SearchResults:
        since, until = request.window_start, request.as_of
        results = SearchResults(executed_queries=[q.text for q in queries if q.text.strip()])
        with self.client as sec:
            try:
                tickers = sec.get("www", "/files/company_tickers.json", ttl=7 * DAY) or b"{}"
            except EdgarError as error:
                results.failures.append(QueryFailure(query="SEC EDGAR ticker file", error=str(error)))
                return results
            documents: list[Document] = []
            for name, required in _company_names(request, queries):
                try:
                    documents += self._company_documents(sec, name, required, tickers, since, until, results)
                except EdgarError as error:
                    results.failures.append(QueryFailure(query=f"SEC EDGAR filings of {name}", error=str(error)))
            self._read(sec, documents, results)
        results.evidence = _evidence([d for d in documents if d.passages], queries)
        return results

    def _company_documents(
        self, sec: EdgarClient, name: str, required: bool, tickers: bytes, since: date, until: date, results: SearchResults
    ) -> list[Document]:
        """The filings to read for ``name``: its own latest of each kind, and a few that mention it."""
        company = find_company(name, tickers)
        if company is None and not required:
            return []  # a capitalized word of the question that names no filer
        own: list[Filing] = []
        if company is not None:
            submissions = sec.get("data", f"/submissions/CIK{company.cik:010d}.json", ttl=LISTS_TTL)
            if submissions is not None:
                own = latest_filings(company, submissions, since, until)
        found = mentions(sec.get("efts", "/LATEST/search-index", params=_search(name, since, until), ttl=LISTS_TTL) or b'{"hits":{"hits":[]}}')
        if company is None:
            own = _own_filings(name, found)
        own = [read for filing in own if (read := self._readable(sec, filing, results)) is not None]
        if not own:
            results.gaps.append(_no_filings(name, company, since, until))
        owners = {filing.company.cik for filing in own} | ({company.cik} if company else set())
        others = _mentioning(found, owners, name)
        return [Document(filing) for filing in own] + [Document(filing, mentioned=name) for filing in others]

    @staticmethod
    def _readable(sec: EdgarClient, filing: Filing, results: SearchResults) -> Filing | None:
        """The filing with the document to read: an 8-K's earnings release (EX-99.1), found in its index."""
        if filing.kind != "8-K" or filing.document != filing.primary:
            return filing
        index = sec.get("www", f"{filing.folder}/{filing.accession}-index.html")
        try:
            release = earnings_release(index) if index is not None else None
        except MalformedIndex as error:
            results.failures.append(QueryFailure(query=f"SEC EDGAR: {_named(filing)}", error=str(error)))
            return None
        if release is None:
            results.warnings.append(f"{_named(filing)}: no earnings release (EX-99.1) in its filing index")
            return None
        return dataclasses.replace(filing, document=release)

    def _read(self, sec: EdgarClient, documents: list[Document], results: SearchResults) -> None:
        """Each document fetched (a few at a time, within the SEC's rate) and cut into passages."""
        done = 0

        def read(document: Document) -> None:
            nonlocal done
            filing = document.filing
            try:
                body = sec.get("www", f"{filing.folder}/{filing.document}", capped=True)
            except TooLarge as error:
                results.gaps.append(Gap(title="Filing not read", text=f"{_named(filing)} was not read: {error}.", kind=GapKind.COVERAGE))
            except EdgarError as error:
                results.failures.append(QueryFailure(query=f"SEC EDGAR: {_named(filing)}", error=str(error)))
            else:
                if body is None:
                    results.warnings.append(f"{_named(filing)} is listed but missing from the SEC's archive")
                else:
                    found = passages(body, release=filing.kind == "8-K")
                    document.passages = [p for p in found if document.mentioned is None or _mentions(p.text, document.mentioned)]
            done += 1
            self.progress(f"edgar {done}/{len(documents)} filings")

        with ThreadPoolExecutor(DOCUMENT_THREADS) as pool:
            list(pool.map(read, documents))


def edgar_searcher(cache_root: Path, warn: Callable[[str], None], progress: Callable[[str], None] = lambda text: None,
                   settings: Settings | None = None) -> EdgarSearcher:
    """The searcher for ``--search edgar``; refuses at once when the settings name no contact for the SEC."""
    from pipeline.settings import load_settings

    return EdgarSearcher(EdgarClient(settings or load_settings(), cache_root / "edgar", warn), progress)


def _company_names(request: ResearchRequest, queries: list[SearchQuery]) -> list[tuple[str, bool]]:
    """The companies to look up, each with whether the request names it as one (the queries' companies
    and the focus: their missing filings are a gap) or only capitalizes it in the question (looked up in
    the ticker file, silently skipped when no filer has that name)."""
    named = [q.entity for q in queries if q.entity] + ([request.focus] if request.focus else [])
    words = [w for w in _NAME.findall(request.question) if w.lower() not in _NOT_NAMES]
    out: dict[str, bool] = {}
    for name in named:
        out.setdefault(name.strip(), True)
    for word in words:
        if not any(normalized(word) == normalized(name) for name in out):
            out.setdefault(word, False)
    return list(out.items())


def _search(name: str, since: date, until: date) -> dict[str, str]:
    """Full-text search for the name as a phrase, in the forms a briefing reads, filed in the window."""
    return {"q": f'"{name}"', "forms": ",".join(FORMS), "dateRange": "custom", "startdt": since.isoformat(), "enddt": until.isoformat()}


def _own_filings(name: str, found: list[Mention]) -> list[Filing]:
    """For a company the ticker file doesn't list (not yet trading): its own filings among the search hits."""
    wanted = normalized(name)
    latest: dict[str, Filing] = {}
    for hit in sorted(found, key=lambda m: m.filed, reverse=True):
        if normalized(hit.filer).split()[:len(wanted.split())] != wanted.split() or hit.file_type not in (hit.form, "EX-99.1"):
            continue
        filing = _filing(hit, name)
        if filing.kind in ("10-K", "10-Q", "S-1") or hit.file_type == "EX-99.1":
            latest.setdefault(filing.kind, filing)
    return list(latest.values())


def _mentioning(found: list[Mention], owners: set[int], name: str) -> list[Filing]:
    """A few other filers' documents that mention ``name`` (best matches first), one per filing."""
    seen: set[str] = set()
    out: list[Filing] = []
    for hit in found:
        if hit.cik in owners or hit.accession in seen or hit.file_type not in (hit.form, "EX-99.1") or hit.form not in FORMS:
            continue
        seen.add(hit.accession)
        out.append(_filing(hit, name))
        if len(out) == MENTIONS_PER_COMPANY:
            break
    return out


def _filing(hit: Mention, asked_as: str) -> Filing:
    return Filing(Company(hit.cik, hit.filer, asked_as), hit.accession, hit.form, hit.filed, hit.document)


def _no_filings(name: str, company: Company | None, since: date, until: date) -> Gap:
    from pipeline.report.formatting import format_date

    span = f"between {format_date(since)} and {format_date(until)}"
    if company is None:
        return Gap(
            title="No SEC filings",
            text=f"{name} has no filings in SEC EDGAR: the SEC's list of listed companies does not name it, and full-text "
            f"search finds no 10-K, 10-Q, 8-K or S-1 it filed {span}. A private company files none, so what this "
            "report says of it comes from other sources.",
            kind=GapKind.COVERAGE,
        )
    return Gap(
        title="No SEC filings in the window",
        text=f"{company.display} filed no 10-K, 10-Q, earnings release (8-K) or S-1 {span}.",
        kind=GapKind.COVERAGE,
    )


def _named(filing: Filing) -> str:
    from pipeline.report.formatting import format_date

    return f"{filing.publisher} filed {format_date(filing.filed)}"


def _title(filing: Filing) -> str:
    what = "earnings release (EX-99.1)" if filing.kind == "8-K" else ""
    return " ".join(part for part in (_named(filing).replace(", ", " ", 1), what) if part)


def _evidence(documents: list[Document], queries: list[SearchQuery]) -> list[Evidence]:
    """The best passages for each query among the filings of the companies it names, then the best
    passage of any filing no query chose, so every filing read is cited."""
    chosen: list[Evidence] = []
    used: set[tuple[str, str]] = set()

    def take(document: Document, passage: Passage, query: SearchQuery, score: float) -> None:
        filing = document.filing
        source = Source(
            url=filing.link, title=_title(filing), publisher=filing.publisher, published=filing.filed,
            date_source=DateSource.METADATA, filer=str(filing.company.cik),
        )
        used.add((filing.link, passage.text))
        chosen.append(Evidence(text=passage.text, source=source, query=query.text, score=score))

    for query in queries:
        candidates = [(d, p) for d in documents if _about(d, query) for p in d.passages if (d.filing.link, p.text) not in used]
        ranked = sorted(candidates, key=lambda item: -_score(query, item[1]))
        for document, passage in ranked[:PASSAGES_PER_QUERY]:
            if _score(query, passage) > 0:
                take(document, passage, query, _score(query, passage))
    cited = {item.source.url for item in chosen}
    for document in documents:
        if document.filing.link in cited:
            continue
        asking = [q for q in queries if _about(document, q)] or queries[:1]
        if not asking:
            continue
        query, passage = max(((q, p) for q in asking for p in document.passages), key=lambda item: _score(*item))
        take(document, passage, query, _score(query, passage))
    return chosen


def _about(document: Document, query: SearchQuery) -> bool:
    """The query names the company the document is by, or was found for."""
    company = document.mentioned or document.filing.company.asked_as
    return query.entity == company or _mentions(query.text, company)


def _score(query: SearchQuery, passage: Passage) -> float:
    """Query words the passage has (company names aside), with a small preference for the outlook and results."""
    wanted = set(_words(query.text)) - set(_words(query.entity or ""))
    overlap = len(wanted & set(_words(passage.text)))
    return overlap + 0.5 if overlap and passage.section != "Risk Factors" else float(overlap)


def _words(text: str) -> list[str]:
    return [w for w in re.findall(r"[a-z0-9]+", text.lower()) if len(w) > 2 and w not in _STOPWORDS and not w.isdigit()]


def _mentions(text: str, name: str) -> bool:
    return re.search(rf"(?i)(?<!\w){re.escape(name)}(?!\w)", text) is not None
