"""Every request to the SEC, in one place: the SEC's fair-access rules, retries, a size cap, a cache.

The SEC asks automated tools to name a contact in the User-Agent and to stay under 10 requests a
second; it answers others with 403. Every request here goes through ``open_http_client`` (the one
place that makes an HTTP client, so a network guard can be put in front of it) and one rate limiter
shared by the whole process, however many threads fetch. Every answer is cached under the user's
cache folder: filings never change, so documents are kept for good; the ticker file, a company's
list of filings and full-text search results for hours.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from pipeline.errors import UsageError
from pipeline.settings import Settings

if TYPE_CHECKING:
    import httpx

#: The SEC's hosts by what they serve; ``sec_base_url`` replaces all three, paths kept.
HOSTS = {"www": "https://www.sec.gov", "data": "https://data.sec.gov", "efts": "https://efts.sec.gov"}
HOUR, DAY = 3600, 24 * 3600
RETRIED = frozenset({429, 500, 502, 503, 504})


class EdgarError(Exception):
    """A request the SEC refused or that failed after retries; the message says which and why."""


class TooLarge(EdgarError):
    """A document over ``sec_max_bytes``: skipped, and the report says so."""


class RateLimiter:
    """At most ``per_second`` requests started per second, across every thread of the process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._next = 0.0

    def wait(self, per_second: float) -> None:
        with self._lock:
            now = time.monotonic()
            start = max(now, self._next)
            self._next = start + 1.0 / per_second
        if start > now:
            time.sleep(start - now)


#: One limiter for the process: several searchers, threads or reports never add up past the SEC's limit.
LIMITER = RateLimiter()


def user_agent(settings: Settings) -> str:
    if not settings.sec_user_agent:
        raise UsageError(
            'SEC EDGAR needs your contact: add sec_user_agent = "Your Name you@example.com" to the settings file '
            "(the SEC refuses automated requests that don't name one; see docs/sec.md)"
        )
    return settings.sec_user_agent


def open_http_client(settings: Settings) -> httpx.Client:
    """The HTTP client every SEC request uses: the User-Agent the SEC requires, no redirects followed."""
    import httpx

    return httpx.Client(
        timeout=settings.fetch_timeout_seconds,
        headers={"User-Agent": user_agent(settings), "Accept-Encoding": "gzip, deflate"},
        follow_redirects=False,
    )


class EdgarClient:
    """GETs to the SEC's hosts (or ``sec_base_url``), rate limited, retried and cached; use as a context manager."""

    def __init__(
        self,
        settings: Settings,
        cache_directory: Path | None,
        warn: Callable[[str], None] = lambda message: None,
        *,
        limiter: RateLimiter = LIMITER,
    ):
        user_agent(settings)  # refused before anything runs
        self.settings = settings
        self._cache_directory = cache_directory
        self._warn = warn
        self._limiter = limiter
        self._http: httpx.Client | None = None
        self._cache: Any = None
        self.requests = 0  # sent over the network, not served from the cache

    def __enter__(self) -> EdgarClient:
        self._http = open_http_client(self.settings)
        self._cache = _open_cache(self._cache_directory, self._warn)
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._http is not None:
            self._http.close()
        if self._cache is not None:
            self._cache.close()
        self._http = self._cache = None

    def url(self, host: str, path: str, params: dict[str, str] | None = None) -> str:
        base = self.settings.sec_base_url or HOSTS[host]
        return base + path + (f"?{urlencode(params)}" if params else "")

    def get(
        self, host: str, path: str, *, params: dict[str, str] | None = None, ttl: int | None = None, capped: bool = False
    ) -> bytes | None:
        """The body at ``path`` on ``host`` (``www``, ``data``, ``efts``), or ``None`` when it doesn't exist (404).

        ``ttl`` is how long the answer is cached (``None``: for good, as for filed documents); a ``capped``
        answer (a filing document) is refused past ``sec_max_bytes`` with ``TooLarge``.
        Raises ``EdgarError`` when the SEC refuses (403), keeps rate limiting (429) or fails (5xx) after retries.
        """
        url = self.url(host, path, params)
        cached = self._cached(url)
        if cached is not None:
            status, body = cached
            return body if status == 200 else None
        status, body = self._fetch(url, self.settings.sec_max_bytes if capped else None)
        self._keep(url, status, body, ttl if status == 200 else DAY)
        return body if status == 200 else None

    def _fetch(self, url: str, limit: int | None) -> tuple[int, bytes]:
        import httpx

        assert self._http is not None, "get() is called inside the with block"
        settings, delay = self.settings, self.settings.retry_initial_delay
        for attempt in range(settings.max_retries + 1):
            self._limiter.wait(settings.sec_requests_per_second)
            self.requests += 1
            try:
                with self._http.stream("GET", url) as response:
                    status = response.status_code
                    if status == 200:
                        return status, self._read(url, response, limit)
                    wait = _retry_after(response.headers.get("retry-after"), settings.retry_max_delay)
            except httpx.TimeoutException:
                status, wait = 0, None
                problem = f"timed out after {settings.fetch_timeout_seconds:g} s"
            except httpx.HTTPError as error:
                raise EdgarError(f"SEC EDGAR is unreachable ({type(error).__name__}: {_where(url)})") from None
            else:
                problem = f"HTTP {status}"
            if status == 404:
                return status, b""
            if status == 403:
                raise EdgarError(
                    "SEC EDGAR refused the request (HTTP 403): the SEC blocks tools whose User-Agent names no "
                    "contact or that ask too fast; check sec_user_agent in the settings file"
                )
            if status and status not in RETRIED:
                raise EdgarError(f"SEC EDGAR answered HTTP {status} for {_where(url)}")
            if attempt < settings.max_retries:
                time.sleep(min(wait if wait is not None else delay, settings.retry_max_delay))
                delay *= 2
        reason = "kept rate limiting (HTTP 429)" if status == 429 else problem
        raise EdgarError(f"SEC EDGAR {reason} after {settings.max_retries + 1} tries ({_where(url)})")

    def _read(self, url: str, response: httpx.Response, limit: int | None) -> bytes:
        if limit is None:
            return response.read()
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            raise TooLarge(f"{_where(url)} is {_megabytes(int(declared))}, over the sec_max_bytes limit of {_megabytes(limit)}")
        body = bytearray()
        for chunk in response.iter_bytes():
            body += chunk
            if len(body) > limit:
                raise TooLarge(f"{_where(url)} is over the sec_max_bytes limit of {_megabytes(limit)}")
        return bytes(body)

    def _cached(self, url: str) -> tuple[int, bytes] | None:
        try:
            value = self._cache.get(url) if self._cache is not None else None
        except Exception:  # a corrupt or locked cache only costs a request
            return None
        return value if isinstance(value, tuple) and len(value) == 2 else None

    def _keep(self, url: str, status: int, body: bytes, ttl: int | None) -> None:
        try:
            if self._cache is not None:
                self._cache.set(url, (status, body), expire=ttl)
        except Exception:
            pass


def _retry_after(value: str | None, longest: float) -> float | None:
    """A 429's ``Retry-After`` in seconds, honoured up to ``longest``."""
    try:
        return min(float(value), longest) if value else None
    except ValueError:
        return None


def _where(url: str) -> str:
    """The path of a request, for a message: no host (it may be a mirror's) and no query string."""
    from urllib.parse import urlsplit

    return urlsplit(url).path or url


def _megabytes(size: int) -> str:
    return f"{size / 1_000_000:.1f} MB"


def _open_cache(directory: Path | None, warn: Callable[[str], None]) -> Any:
    if directory is None:
        return None
    try:
        import diskcache

        return diskcache.Cache(str(directory), size_limit=2**30)
    except Exception as error:  # unwritable folder, corrupt database
        warn(f"SEC EDGAR cache at {directory} is unusable ({error.__class__.__name__}: {error}); filings are fetched again")
        return None
