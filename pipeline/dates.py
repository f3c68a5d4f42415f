"""Publication dates from a source's metadata, its page's date markup or its URL (htmldate), and
the Date label that says where a date came from.

A date the source states itself (front matter, meta tags, ``<time>`` markup) is shown as it is;
one read from the URL (``/2026/01/16/``) says so: ``January 16, 2026 (from the URL)``.
"""

from __future__ import annotations

from datetime import date
from urllib.parse import urlsplit

from pipeline.formatting import format_date
from pipeline.models import DateSource, Source

_EMPTY_PAGE = "<html><body></body></html>"
_LABELS = {DateSource.URL: "from the URL"}


def date_from_url(url: str) -> date | None:
    """The date a web address carries (``/2026/01/16/``, ``/2026-01-16/``), as htmldate reads it.

    Only http(s) addresses: the folders of a file on disk say nothing about publication.
    """
    if urlsplit(url).scheme.lower() not in ("http", "https"):
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


def date_label(source: Source) -> str | None:
    """The Date line for a dated source, naming where a date it did not state came from."""
    if source.published is None:
        return None
    where = _LABELS.get(source.date_source) if source.date_source else None
    return f"{format_date(source.published)} ({where})" if where else format_date(source.published)


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
