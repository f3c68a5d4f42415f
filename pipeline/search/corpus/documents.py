"""Reading corpus files: text plus the metadata a citation needs (url, title, date, publisher).

``.md`` and ``.txt`` carry YAML front matter; ``.html`` carries ``<title>`` and ``<meta>`` tags.
Files that can't be read as text are skipped with a reason instead of failing the run.
"""

from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass, field
from datetime import date, datetime
from html.parser import HTMLParser
from pathlib import Path

from pipeline.controls import one_line, printable
from pipeline.dates import dated
from pipeline.models import DateSource, is_safe_link

SUFFIXES = (".md", ".txt", ".html", ".htm")
MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_FIELD_CHARS = {"title": 300, "publisher": 200, "url": 2048, "date": 40}
_DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%B %d, %Y", "%b %d, %Y", "%d %B %Y", "%Y-%m")


class SkipFile(Exception):
    """The file is not indexable; the message says why, for the warning that names it."""


@dataclass
class Document:
    path: Path
    text: str
    title: str
    url: str
    publisher: str | None = None
    published: date | None = None
    date_source: DateSource | None = None
    warnings: list[str] = field(default_factory=list)


def load_document(path: Path) -> Document:
    """Read one corpus file, or raise ``SkipFile`` saying why it can't be indexed."""
    data = _read_regular_file(path)
    if b"\x00" in data[:8192]:
        raise SkipFile("binary content")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise SkipFile(f"not UTF-8 (byte {error.start})") from None
    text = printable(text.replace("\r\n", "\n"))
    html = path.suffix.lower() in (".html", ".htm")
    if html:
        try:
            meta, body = _parse_html(text)
        except Exception as error:  # the stdlib parser asserts on some malformed markup
            raise SkipFile(f"unreadable HTML ({type(error).__name__}: {error})") from None
        warnings: list[str] = []
    else:
        meta, body, warnings = _split_front_matter(text, path)
    meta, field_warnings = _scalar_fields(meta, path)
    warnings += field_warnings
    if not body.strip():
        raise SkipFile("no text")
    published, date_warning = _parse_date(meta.get("date"), path)
    url, url_warning = _safe_url(meta.get("url"), path)
    published, date_source = dated(published, url, text if html else None)
    return Document(
        path=path,
        text=body.strip("\n"),
        title=_clean(meta.get("title")) or path.stem,
        url=url,
        publisher=_clean(meta.get("publisher")) or None,
        published=published,
        date_source=date_source,
        warnings=[w for w in (*warnings, date_warning, url_warning) if w],
    )


def _read_regular_file(path: Path) -> bytes:
    """The bytes of ``path`` if it is a regular file of at most ``MAX_FILE_BYTES``.

    Opened without blocking and checked on the open descriptor: a file swapped for a named pipe
    after the folder was walked is refused instead of hanging the run.
    """
    descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    with os.fdopen(descriptor, "rb") as handle:
        status = os.fstat(descriptor)
        if not stat.S_ISREG(status.st_mode):
            raise SkipFile("not a regular file")
        if status.st_size > MAX_FILE_BYTES:
            raise SkipFile(f"larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB ({status.st_size:,} bytes)")
        return handle.read(MAX_FILE_BYTES + 1)


def _clean(value: object) -> str:
    return one_line(str(value)) if value is not None else ""


def _split_front_matter(text: str, path: Path) -> tuple[dict, str, list[str]]:
    if not text.startswith("---\n"):
        return {}, text, []
    end = re.search(r"^(?:---|\.\.\.)[ \t]*$", text[4:], re.MULTILINE)
    if end is None:
        return {}, text, [f"{path.name}: front matter has no closing '---'; indexed as plain text"]
    import yaml  # loaded when a document is read: a re-run over an unchanged corpus reads none

    raw, body = text[4 : 4 + end.start()], text[4 + end.end() :]
    try:
        # libyaml's parser when PyYAML has it: ten times faster, which a million files notice.
        meta = yaml.load(raw, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)) or {}
    except Exception as error:  # YAML syntax, impossible dates (2026-02-30), runaway nesting
        where = getattr(error, "problem_mark", None)
        line = f" (line {where.line + 2})" if where is not None else ""
        reason = "" if isinstance(error, yaml.YAMLError) else f": {error}"
        return {}, body, [f"{path.name}: malformed front matter{line}{reason}; indexed without metadata"]
    if not isinstance(meta, dict):
        return {}, body, [f"{path.name}: front matter is not a mapping; indexed without metadata"]
    return {str(k).lower(): v for k, v in meta.items()}, body, []


def _scalar_fields(meta: dict, path: Path) -> tuple[dict, list[str]]:
    """Only short scalar values count as citation metadata: a list, a mapping or a YAML alias
    bomb in ``title`` is ignored, not expanded into a megabyte-long heading."""
    kept: dict = {}
    warnings: list[str] = []
    for name, limit in MAX_FIELD_CHARS.items():
        value = meta.get(name)
        if value is None:
            continue
        if not isinstance(value, (str, int, float, date)):
            warnings.append(f"{path.name}: '{name}' is not a single value; ignored")
        elif len(str(value)) > limit:
            warnings.append(f"{path.name}: '{name}' is longer than {limit} characters; ignored")
        else:
            kept[name] = value
    return kept, warnings


def _parse_date(value: object, path: Path) -> tuple[date | None, str | None]:
    if value is None or value == "":
        return None, None
    if isinstance(value, datetime):
        return value.date(), None
    if isinstance(value, date):
        return value, None
    text = str(value).strip()
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).date(), None
    except ValueError:
        pass
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date(), None
        except ValueError:
            continue
    return None, f"{path.name}: unrecognised date {text[:40]!r}; treated as undated"


def _safe_url(value: object, path: Path) -> tuple[str, str | None]:
    """The document's URL if it is http(s); otherwise its own ``file://`` URI."""
    text = _clean(value)
    if text:
        scheme = text.split(":", 1)[0].lower() if ":" in text else ""
        if is_safe_link(text) and scheme != "file" and " " not in text:
            return text, None
        return path.resolve().as_uri(), f"{path.name}: ignored unsafe or malformed url {text[:60]!r}"
    return path.resolve().as_uri(), None


class _HtmlExtractor(HTMLParser):
    """Title, meta tags and visible block text of a page, using only the standard library."""

    _BLOCKS = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "blockquote", "td", "div", "br"}
    _HIDDEN = {"script", "style", "noscript", "template", "head"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.meta: dict[str, str] = {}
        self.title = ""
        self.blocks: list[str] = []
        self._current: list[str] = []
        self._hidden_depth = 0
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k.lower(): v or "" for k, v in attrs}
        if tag == "meta":
            name = (values.get("name") or values.get("property") or "").lower()
            if name and values.get("content"):
                self.meta.setdefault(name, values["content"])
        elif tag == "link" and values.get("rel", "").lower() == "canonical" and values.get("href"):
            self.meta.setdefault("canonical", values["href"])
        elif tag == "title":
            self._in_title = True
        elif tag in self._HIDDEN:
            self._hidden_depth += 1
        elif tag in self._BLOCKS:
            self._flush()

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False
        elif tag in self._HIDDEN:
            self._hidden_depth = max(0, self._hidden_depth - 1)
        elif tag in self._BLOCKS:
            self._flush()

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data
        elif not self._hidden_depth:
            self._current.append(data)

    def _flush(self) -> None:
        block = " ".join("".join(self._current).split())
        if block:
            self.blocks.append(block)
        self._current = []


def _parse_html(text: str) -> tuple[dict, str]:
    parser = _HtmlExtractor()
    parser.feed(text)
    parser.close()
    parser._flush()
    meta = parser.meta

    def first(*names: str) -> str | None:
        return next((meta[n] for n in names if meta.get(n)), None)

    return (
        {
            "title": first("og:title") or parser.title,
            "publisher": first("publisher", "og:site_name", "author"),
            "date": first("date", "article:published_time", "dc.date", "pubdate"),
            "url": first("og:url", "canonical", "url"),
        },
        "\n\n".join(parser.blocks),
    )
