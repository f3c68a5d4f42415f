"""Writing reports: ``YYYY-MM-DD-<slug>.md`` and ``.json`` side by side, atomically, never overwriting."""

from __future__ import annotations

import os
import re
import tempfile
import unicodedata
from itertools import count
from pathlib import Path

from pipeline.errors import UsageError

MAX_SLUG = 60


def slugify(text: str) -> str:
    """A file-name-safe slug: ASCII letters, digits and dashes only, so no path or shell tricks."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    if len(slug) > MAX_SLUG:
        slug = slug[:MAX_SLUG].rsplit("-", 1)[0]
    return slug or "report"


def ensure_writable(out_dir: Path) -> None:
    """Fail before any research is done if the report could not be written."""
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise UsageError(f"can't create output folder {out_dir}: {error.strerror or error}") from None
    if not os.access(out_dir, os.W_OK | os.X_OK):
        raise UsageError(f"output folder {out_dir} is not writable")


def write_report(out_dir: Path, stem: str, markdown: str, json_text: str) -> Path:
    """Write ``stem.md`` and ``stem.json`` (or ``stem-2``…, whichever is free); return the ``.md`` path."""
    ensure_writable(out_dir)
    for number in count(1):
        name = stem if number == 1 else f"{stem}-{number}"
        markdown_path, json_path = out_dir / f"{name}.md", out_dir / f"{name}.json"
        if not _reserve(markdown_path):
            continue
        if not _reserve(json_path):
            markdown_path.unlink()
            continue
        try:
            _fill(json_path, json_text)
            _fill(markdown_path, markdown)
        except BaseException as error:
            markdown_path.unlink(missing_ok=True)
            json_path.unlink(missing_ok=True)
            if isinstance(error, OSError):  # disk full, quota, file size limit: nothing is left behind
                raise UsageError(f"can't write {markdown_path}: {error.strerror or error}") from None
            raise
        return markdown_path
    raise AssertionError("unreachable")


def _reserve(path: Path) -> bool:
    """Claim a file name atomically: False if it exists (a report is never overwritten)."""
    try:
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644))
        return True
    except FileExistsError:
        return False


def write_new(path: Path, content: str | bytes) -> Path:
    """Write ``path``, or ``<stem>-2<suffix>``… if it exists, atomically; return the path written.
    For renderings beside a report (``.html``, ``.pdf``): like the report, never overwritten."""
    ensure_writable(path.parent)
    for number in count(1):
        candidate = path if number == 1 else path.with_name(f"{path.stem}-{number}{path.suffix}")
        if not _reserve(candidate):
            continue
        try:
            _fill(candidate, content)
        except BaseException as error:
            candidate.unlink(missing_ok=True)
            if isinstance(error, OSError):
                raise UsageError(f"can't write {candidate}: {error.strerror or error}") from None
            raise
        return candidate
    raise AssertionError("unreachable")


def _fill(path: Path, content: str | bytes) -> None:
    """Replace our own placeholder with the full content in one rename: readers never see half a file."""
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(content.encode("utf-8") if isinstance(content, str) else content)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
