"""Web search through grounded model calls, with every quoted passage checked against its page.

Each query is one grounded call (Gemini with Google Search). Its grounding supports name the
statements the answer makes and the pages behind each; every cited page is fetched and the page's
own sentences that support the statement become the evidence, marked verified. A statement that no
page confirms (unreachable, no matching sentence) stays in as the model's statement, unverified.

All grounded calls start at once, up to ``concurrency`` (the model backs off when rate limited),
and a call's pages are fetched as soon as it answers, ``fetch_concurrency`` at a time, while the
other calls are still running: with no more queries than ``concurrency`` (12 at the defaults) a
search takes one round of grounded calls, plus the page fetches of the last answers to arrive.
``progress`` hears the count of searches and page fetches done as they finish.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Protocol

from pipeline.errors import ModelCallError
from pipeline.models import CORROBORATE, Evidence, QueryFailure, ResearchRequest, SearchQuery, SearchResults, Source, TokenUsage
from pipeline.prompts import PromptBook
from pipeline.quotes import locate_quote
from pipeline.search.grounding import GroundedAnswer, GroundedStatement, GroundingModel, WebChunk
from pipeline.text import sentence_spans

if TYPE_CHECKING:
    from pipeline.search.pages import Page

#: Bumped when the evidence a grounded answer turns into changes, so cached searches are redone.
EVIDENCE_VERSION = 1
MIN_SIMILARITY = 70.0
MIN_COVERAGE = 0.6
_WORD = re.compile(r"[^\W_]+")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_YEAR = re.compile(r"(?:19|20)\d\d")
_STOPWORDS = frozenset(["a", "an", "and", "are", "as", "at", "be", "by", "for", "from", "has", "have", "in", "is", "it", "its", "of", "on", "or", "that", "the", "to", "was", "were", "with"])


class PageSource(Protocol):
    """Cited pages, opened for one search and closed after it."""

    def __enter__(self) -> PageSource: ...

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None) -> None: ...

    def fetch(self, url: str) -> Page: ...


class GroundedSearcher:
    """``Searcher`` over the live web: grounded calls, cited pages fetched, statements verified."""

    def __init__(
        self,
        model: GroundingModel,
        pages: PageSource,
        prompts: PromptBook,
        *,
        concurrency: int,
        fetch_concurrency: int,
        progress: Callable[[str], None] = lambda text: None,
    ):
        self.model = model
        self.pages = pages
        self.prompts = prompts
        self.concurrency = concurrency
        self.fetch_concurrency = fetch_concurrency
        self.progress = progress

    @property
    def identity(self) -> str:
        return f"web:{self.model.identity}|prompts:{self.prompts.digest}|evidence:v{EVIDENCE_VERSION}"

    @property
    def description(self) -> str:
        return f"web search (Google Search grounding, {self.model.identity})"

    @property
    def usage(self) -> TokenUsage:
        return self.model.usage

    def search(self, request: ResearchRequest, queries: list[SearchQuery]) -> SearchResults:
        queries = one_check([query for query in queries if query.text.strip()])
        counts = _Progress(len(queries), self.progress)
        with self.pages as pages, ThreadPoolExecutor(self.fetch_concurrency) as fetcher:
            visits = _Once(fetcher, counts.counted_fetch(pages.fetch), counts.page_started)

            @counts.counted_search
            def research(query: SearchQuery) -> GroundedAnswer:
                prompt = "check.md.j2" if query.angle == CORROBORATE else "search.md.j2"
                answer = self.model.ground(self.prompts.render(prompt, query=query.text, request=request))
                for chunk in answer.cited():
                    visits.start(chunk.uri)
                return answer

            with ThreadPoolExecutor(max(1, min(self.concurrency, len(queries)))) as caller:
                outcomes = _outcomes(caller, research, queries)
            pages_read = visits.results()
        return _results(request, outcomes, pages_read)


def one_check(queries: list[SearchQuery]) -> list[SearchQuery]:
    """On the web every search is billed, so the claims a second round checks go out as one grounded
    call that names them all (``prompts/check.md.j2``)."""
    checks = [query for query in queries if query.angle == CORROBORATE]
    if len(checks) <= 1:
        return queries
    merged = SearchQuery(text="\n".join(query.text for query in checks), entity=checks[0].entity, angle=CORROBORATE)
    return [query for query in queries if query.angle != CORROBORATE] + [merged]


def web_searcher(
    gemini_model: str | None,
    cache_root: Path,
    prompts: Path | None,
    warn: Callable[[str], None],
    progress: Callable[[str], None] = lambda text: None,
) -> GroundedSearcher:
    """The searcher for ``--search web``: Gemini (``gemini_model``, default: the one in settings) with
    its own token ledger, so the orchestrator can add search tokens to any analyst's."""
    from pipeline.providers.gemini import GeminiChat
    from pipeline.search.grounding import GeminiGrounding
    from pipeline.search.pages import PageFetcher
    from pipeline.settings import load_settings

    settings = load_settings()
    return GroundedSearcher(
        GeminiGrounding(GeminiChat(gemini_model, settings, warn)),
        PageFetcher(cache_root / "web", settings, warn),
        PromptBook(prompts),
        concurrency=settings.concurrency,
        fetch_concurrency=settings.fetch_concurrency,
        progress=progress,
    )


class _Progress:
    """Searches and page fetches finished so far, told as ``search 7/12, pages 10/31`` when either moves."""

    def __init__(self, searches: int, tell: Callable[[str], None]):
        self._tell = tell
        self._searches, self._done, self._pages, self._fetched = searches, 0, 0, 0
        self._lock = threading.Lock()

    def counted_search(self, research: Callable[[SearchQuery], GroundedAnswer]) -> Callable[[SearchQuery], GroundedAnswer]:
        return self._counted(research, "_done")

    def counted_fetch(self, fetch: Callable[[str], Page]) -> Callable[[str], Page]:
        return self._counted(fetch, "_fetched")

    def _counted(self, work: Callable, counter: str) -> Callable:
        """``work``, counted under ``counter`` when it finishes, however it finishes."""

        def counted(item):
            try:
                return work(item)
            finally:
                self._moved(counter)

        return counted

    def page_started(self) -> None:
        self._moved("_pages")

    def _moved(self, counter: str) -> None:
        with self._lock:
            setattr(self, counter, getattr(self, counter) + 1)
            text = f"search {self._done}/{self._searches}" + (f", pages {self._fetched}/{self._pages}" if self._pages else "")
        self._tell(text)


class _Once:
    """Each URL fetched once per search, on the fetch pool, whichever answer cites it first."""

    def __init__(self, pool: ThreadPoolExecutor, fetch: Callable[[str], Page], started: Callable[[], None]):
        self._pool, self._fetch, self._started = pool, fetch, started
        self._futures: dict[str, Future[Page]] = {}
        self._lock = threading.Lock()

    def start(self, url: str) -> None:
        with self._lock:
            if url not in self._futures:
                self._started()  # counted before the fetch can finish
                self._futures[url] = self._pool.submit(self._fetch, url)

    def results(self) -> dict[str, Page]:
        with self._lock:
            futures = dict(self._futures)
        return {url: future.result() for url, future in futures.items()}


def _outcomes(
    pool: ThreadPoolExecutor, research: Callable[[SearchQuery], GroundedAnswer], queries: list[SearchQuery]
) -> list[tuple[SearchQuery, GroundedAnswer | ModelCallError]]:
    """Each query's answer, or the error its call still failed with after retries.

    Any other error (a bad key, an unknown model) ends the search: the remaining calls are cancelled.
    """
    futures = [(query, pool.submit(research, query)) for query in queries]
    outcomes: list[tuple[SearchQuery, GroundedAnswer | ModelCallError]] = []
    try:
        for query, future in futures:
            try:
                outcomes.append((query, future.result()))
            except ModelCallError as error:
                outcomes.append((query, error))
    except BaseException:
        for _, future in futures:
            future.cancel()
        raise
    return outcomes


def _results(
    request: ResearchRequest, outcomes: list[tuple[SearchQuery, GroundedAnswer | ModelCallError]], pages: dict[str, Page]
) -> SearchResults:
    evidence: list[Evidence] = []
    failures: list[QueryFailure] = []
    searches: list[str] = []
    warnings: list[str] = []
    out_of_window = unsourced = 0
    for query, outcome in outcomes:
        if isinstance(outcome, ModelCallError):
            failures.append(QueryFailure(query=query.text, error=str(outcome)))
            continue
        searches.extend(outcome.searches)
        if not outcome.searched:
            warnings.append(f'the model answered "{query.text}" without searching the web; nothing from it is used')
        for statement in outcome.statements:
            found = _evidence(statement, outcome.chunks, pages, query.text)
            unsourced += not found
            for item in found:
                published = item.source.published
                if published and not request.window_start <= published <= request.as_of:
                    out_of_window += 1
                else:
                    evidence.append(item)
    if unsourced:
        warnings.append(f"{unsourced} grounded statement(s) cited no web page and were left out")
    warnings.extend(_unread(pages))
    evidence.sort(key=lambda item: item.source.label or item.source.domain)  # sources listed by domain
    return SearchResults(
        evidence=evidence,
        executed_queries=list(dict.fromkeys(searches)),
        failures=failures,
        out_of_window=out_of_window,
        warnings=warnings,
    )


def _evidence(
    statement: GroundedStatement, chunks: tuple[WebChunk | None, ...], pages: dict[str, Page], query: str
) -> list[Evidence]:
    """The cited pages' own supporting sentences (verified), else the statement itself (unverified)."""
    cited = [chunk for i in statement.chunks if 0 <= i < len(chunks) and (chunk := chunks[i]) is not None]
    confidence = statement.confidence or 0.0
    verified = []
    for chunk in cited:
        page = pages[chunk.uri]
        passage = supporting_passage(statement.text, page.text) if page.text else None
        if passage:
            source = _source(chunk, page)
            verified.append(Evidence(text=passage, source=source, query=query, score=1 + confidence, verified=True))
    if verified or not cited:
        return verified
    source = _source(cited[0], pages[cited[0].uri])
    return [Evidence(text=statement.text, source=source, query=query, score=confidence, verified=False)]


def _source(chunk: WebChunk, page: Page) -> Source:
    """The publisher's URL when the redirect resolved; else the redirect, labelled with the API's title."""
    resolved = page.final_url != chunk.uri
    return Source(
        url=page.final_url,
        title=page.title or chunk.title,
        publisher=page.site or chunk.title or None,
        published=page.published,
        date_source=page.date_source,
        label=None if resolved else chunk.title or None,
    )


def _unread(pages: dict[str, Page]) -> list[str]:
    problems = [f"{page.final_url} ({page.problem})" for page in pages.values() if page.problem]
    if not problems:
        return []
    return [f"{len(problems)} cited page(s) could not be checked, so their statements are unverified: " + "; ".join(problems)]


def supporting_passage(statement: str, page_text: str) -> str | None:
    """The page's own sentence(s) that support ``statement``, verbatim, or ``None``.

    A quote the model copied is found as such; a paraphrase is matched to the shortest run of one
    to three sentences that carries its figures and most of its words, if similar enough (rapidfuzz).
    """
    verbatim = locate_quote(statement, page_text)
    if verbatim:
        return verbatim
    from rapidfuzz import fuzz, utils

    wanted, numbers = _words(statement), _numbers(statement)
    if not wanted:
        return None
    spans = sentence_spans(page_text)
    words = [_words(page_text[span.start : span.end]) for span in spans]
    for size in (1, 2, 3):
        best, best_score = None, MIN_SIMILARITY
        for start in range(len(spans) - size + 1):
            covered = set().union(*words[start : start + size]) & wanted
            if len(covered) < MIN_COVERAGE * len(wanted):
                continue
            candidate = page_text[spans[start].start : spans[start + size - 1].end]
            if not numbers <= _numbers(candidate):
                continue
            score = fuzz.token_set_ratio(statement, candidate, processor=utils.default_process)
            if score >= best_score:
                best, best_score = candidate, score
        if best is not None:
            return best
    return None


def _words(text: str) -> set[str]:
    return {word for word in _WORD.findall(text.lower()) if word not in _STOPWORDS}


def _numbers(text: str) -> set[str]:
    """Figures a supporting sentence must repeat; years are left out (the page may say "today")."""
    return {n.replace(",", "") for n in _NUMBER.findall(text) if not _YEAR.fullmatch(n)}
