"""Cited web pages: redirect links resolved, pages read with a timeout and a size cap, text and date extracted.

Grounded answers cite ``vertexaisearch.cloud.google.com/grounding-api-redirect/…`` links. Redirects
are followed one hop at a time: each hop is one request whose body is never read, and its
``Location`` is cached, so the publisher's URL is known even when the page itself can't be read.
Every hop goes through ``pipeline.net``: only http(s), no private, loopback or metadata address
(unless ``allow_private_network`` says so), and ``fetch_timeout_seconds`` for all the hops and the
page together. A refused hop is the page's problem, a warning, never the end of a search.
The page is read up to ``page_max_bytes`` and its main text is extracted with trafilatura; its
publication date comes from its URL (``/2026/01/16/``) or else its own date markup, and records which. Pages are cached under the user's cache folder (``web/``): a re-run fetches nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from pipeline import net
from pipeline.dates import date_from_url
from pipeline.models import DateSource
from pipeline.settings import Settings
from pipeline.version import __version__

if TYPE_CHECKING:
    import httpx

USER_AGENT = f"groundbrief/{__version__} (research briefings; checks quoted passages against their sources)"
MAX_HOPS = net.MAX_REDIRECTS
DAY = 24 * 3600
PAGE_TTL, MISSING_TTL, LOCATION_TTL = 7 * DAY, DAY, 30 * DAY
_READABLE = ("text/html", "application/xhtml+xml", "text/plain")
_SEARCH_PAGE = re.compile(r"^https?://(?:www\.)?google\.[a-z.]+/search\b", re.IGNORECASE)


class Page(BaseModel):
    """What a cited link led to; ``problem`` says why there is no text."""

    url: str
    final_url: str
    text: str = ""
    title: str = ""
    site: str = ""
    published: date | None = None
    date_source: DateSource | None = None
    problem: str | None = None


class PageFetcher:
    """``PageSource`` over HTTP (httpx), with a disk cache; use as a context manager."""

    def __init__(self, directory: Path, settings: Settings, warn: Callable[[str], None] = lambda message: None):
        self._directory = directory
        self._timeout = settings.fetch_timeout_seconds
        self._max_bytes = settings.page_max_bytes
        self._policy = settings.network_policy()
        self._warn = warn
        self._client: httpx.Client | None = None
        self._cache: Any = None

    def __enter__(self) -> PageFetcher:
        self._client = net.guarded_client(self._policy, timeout=self._timeout, headers={"User-Agent": USER_AGENT})
        self._cache = _open_cache(self._directory, self._warn)
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None) -> None:
        if self._client is not None:
            self._client.close()
        if self._cache is not None:
            self._cache.close()
        self._client = self._cache = None

    def fetch(self, url: str) -> Page:
        """The page behind ``url``, never raising: a page that can't be read says why in ``problem``.

        Any error, not only the HTTP client's (a malformed redirect, a page the extractor chokes on),
        becomes that page's problem, so one bad page can't end a whole search.
        """
        try:
            return self._fetch(url)
        except Exception as error:
            return Page(url=url, final_url=url, problem=f"could not be read ({type(error).__name__})")

    def _fetch(self, url: str) -> Page:
        if _SEARCH_PAGE.match(url):
            return Page(url=url, final_url=url, problem="a search results page, not a publication")
        with net.deadline(self._timeout):  # every hop and the page itself, together
            return self._follow(url)

    def _follow(self, url: str) -> Page:
        import httpx

        target = previous = url
        for _ in range(MAX_HOPS + 1):
            try:
                net.check_url(target, self._policy)
            except net.Refused as refused:
                return _refused(url, previous, refused)
            cached = self._cached_page(target)
            if cached is not None:
                return cached.model_copy(update={"url": url})
            location = self._get(f"location:{target}")
            if location is not None:
                target, previous = location, target
                continue
            assert self._client is not None, "fetch() is called inside the with block"
            try:
                with self._client.stream("GET", target) as response:
                    location = net.redirect_target(target, response)
                    if location is not None:
                        self._set(f"location:{target}", location, LOCATION_TTL)
                        target, previous = location, target
                        continue
                    page = self._read(url, target, response)
            except net.Refused as refused:
                return _refused(url, previous, refused)
            except httpx.TimeoutException:
                return Page(url=url, final_url=target, problem=f"timed out after {self._timeout:g} s")
            except httpx.HTTPError as error:
                return Page(url=url, final_url=target, problem=f"unreachable ({type(error).__name__})")
            except Exception as error:
                return Page(url=url, final_url=target, problem=f"could not be read ({type(error).__name__})")
            self._keep(target, page)
            return page
        return Page(url=url, final_url=target, problem=f"more than {MAX_HOPS} redirects")

    def _read(self, url: str, target: str, response) -> Page:
        if response.status_code >= 400:
            return Page(url=url, final_url=target, problem=f"HTTP {response.status_code}")
        kind = response.headers.get("content-type", "").split(";")[0].strip().lower()
        if kind and kind not in _READABLE:
            return Page(url=url, final_url=target, problem=f"not a web page ({kind})")
        body, _ = net.read_capped(response, self._max_bytes, truncate=True)  # a long page's start has its article
        return extract(url, target, body, plain=kind == "text/plain")

    def _keep(self, target: str, page: Page) -> None:
        """Readable pages for a week, missing ones (404, 410) for a day; timeouts and 5xx not at all."""
        if page.text:
            self._set(f"page:{target}", page.model_dump_json(), PAGE_TTL)
        elif page.problem in ("HTTP 404", "HTTP 410"):
            self._set(f"page:{target}", page.model_dump_json(), MISSING_TTL)

    def _cached_page(self, target: str) -> Page | None:
        cached = self._get(f"page:{target}")
        try:
            return Page.model_validate_json(cached) if cached is not None else None
        except ValueError:  # an entry this version can't read only costs a fetch
            return None

    def _get(self, key: str) -> str | None:
        try:
            return self._cache.get(key) if self._cache is not None else None
        except Exception:  # a corrupt or locked cache only costs a fetch
            return None

    def _set(self, key: str, value: str, ttl: int) -> None:
        try:
            if self._cache is not None:
                self._cache.set(key, value, expire=ttl)
        except Exception:
            pass


def extract(url: str, final_url: str, body: bytes, plain: bool = False) -> Page:
    """Main text, title, site name and publication date of a page (trafilatura); a wrong date is
    worse than none, so only its URL and the page's own date markup count, not dates guessed from its text."""
    if plain:
        text = body.decode("utf-8", errors="replace").strip()
        return Page(url=url, final_url=final_url, text=text, problem=None if text else "empty page",
                    **_publication_date(final_url, None))
    import trafilatura

    document = trafilatura.bare_extraction(
        body,
        url=final_url,
        with_metadata=True,
        include_comments=False,
        date_extraction_params={"original_date": True, "extensive_search": False},
    )
    if not isinstance(document, trafilatura.settings.Document) or not (document.text or "").strip():
        return Page(url=url, final_url=final_url, problem="no readable text")
    text = (document.text or "").strip()
    return Page(
        url=url,
        final_url=final_url,
        text=text,
        title=document.title or "",
        site=document.sitename or "",
        **_publication_date(final_url, document.date),
    )


def _publication_date(final_url: str, markup_date: str | None) -> dict:
    """The date in the page's address, else the one its markup gives, with where it came from."""
    from_url = date_from_url(final_url)
    if from_url is not None:
        return {"published": from_url, "date_source": DateSource.URL}
    from_page = _date(markup_date)
    return {"published": from_page, "date_source": DateSource.METADATA if from_page else None}


def _refused(url: str, last: str, refused: net.Refused) -> Page:
    """A hop ``pipeline.net`` refused: the page is named by the last address that was allowed, so the
    refused one (an intranet path, a metadata URL) never becomes a source in the report."""
    return Page(url=url, final_url=last, problem=f"refused: {refused}")


def _date(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


def _open_cache(directory: Path, warn: Callable[[str], None]):
    try:
        import diskcache

        return diskcache.Cache(str(directory), size_limit=2**29)
    except Exception as error:  # unwritable folder, corrupt database
        warn(f"page cache at {directory} is unusable ({error.__class__.__name__}: {error}); pages are fetched again")
        return None
