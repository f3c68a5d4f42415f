"""Publication dates from a source's metadata, its page's date markup or its URL (htmldate), with
where each came from, so the Date label can say so (``January 16, 2026 (from the URL)``).
"""

from __future__ import annotations

import re
from datetime import date
from urllib.parse import urlsplit

from pipeline.models import DateSource

_EMPTY_PAGE = "<html><body></body></html>"
_FOUR_DIGITS = re.compile(r"\d{4}")


def date_from_url(url: str) -> date | None:
    """The date a web address carries (``/2026/01/16/``, ``/2026-01-16/``), as htmldate reads it.

    Only http(s) addresses: the folders of a file on disk say nothing about publication. An address
    without four digits in a row carries no date htmldate could read, so htmldate isn't loaded for it.
    """
    if urlsplit(url).scheme.lower() not in ("http", "https") or not _FOUR_DIGITS.search(url):
        return None
    return _iso(_find_date(_EMPTY_PAGE.encode(), url=url))


def date_from_markup(html: str | bytes) -> date | None:
    """The publication date a page's own markup gives (meta tags, ``<time>``, JSON-LD), not a date
    guessed from its running text: a wrong date is worse than none."""
    return _iso(_find_date(html.encode("utf-8") if isinstance(html, str) else html, url=None))


def dated(published: date | None, url: str, html: str | bytes | None = None) -> tuple[date | None, DateSource | None]:
    """A source's date and where it came from: its own metadata, else its URL, else its page's date markup."""
    if published is not None:
        return published, DateSource.METADATA
    from_url = date_from_url(url)
    if from_url is not None:
        return from_url, DateSource.URL
    from_page = date_from_markup(html) if html else None
    return (from_page, DateSource.METADATA) if from_page is not None else (None, None)


def _find_date(html: bytes, url: str | None) -> str | None:
    """htmldate on bytes only: given a string that looks like a URL, it would download it."""
    from htmldate import find_date

    try:
        return find_date(html, url=url, extensive_search=False, original_date=True)
    except Exception:  # a malformed page or address only costs the date
        return None


def _iso(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None
