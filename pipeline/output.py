"""Writing reports: ``YYYY-MM-DD-<slug>.md`` and ``.json`` side by side, atomically, never overwriting."""

from __future__ import annotations

import os
import re
import stat
import tempfile
import unicodedata
from itertools import count
from pathlib import Path

from pipeline.errors import UsageError
from pipeline.providers.secrets import redact_keys
from pipeline.stopping import whole

MAX_SLUG = 60
#: Folders of the kernel and devices: writable by root, and no place for a report.
SYSTEM_FOLDERS = (Path("/proc"), Path("/sys"), Path("/dev"))


def slugify(text: str) -> str:
    """A file-name-safe slug: ASCII letters, digits and dashes only, so no path or shell tricks."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    if len(slug) > MAX_SLUG:
        slug = slug[:MAX_SLUG].rsplit("-", 1)[0]
    return slug or "report"


def ensure_writable(out_dir: Path, *, create: bool = True) -> None:
    """Fail before any research is done if the report could not be written: the folder is a file,
    a device or a FIFO, lies in a system folder, is read-only, or its disk is full (of data or of
    file entries). A probe file is created and removed, since only the file system knows for sure
    (``/proc`` says yes to root, and refuses the file). ``create=False`` checks a folder that is not
    there yet by its nearest existing parent, and leaves nothing behind."""
    _refuse_special(out_dir)
    if create:
        try:
            out_dir.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise UsageError(f"can't create output folder {out_dir}: {error.strerror or error}") from None
    folder = out_dir if create else next(parent for parent in (out_dir, *out_dir.parents) if parent.exists())
    if not folder.is_dir():
        raise UsageError(f"can't create output folder {out_dir}: {folder} is not a folder")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise UsageError(f"output folder {out_dir} is not writable")
    try:
        descriptor, probe = tempfile.mkstemp(dir=folder, prefix=".groundbrief-probe-")
        os.close(descriptor)
        os.unlink(probe)
        space = os.statvfs(folder)
    except OSError as error:
        raise UsageError(f"can't write to output folder {out_dir}: {error.strerror or error}") from None
    if space.f_bavail == 0 and space.f_blocks:
        raise UsageError(f"can't write to output folder {out_dir}: its disk is full")


def _refuse_special(out_dir: Path) -> None:
    """An ``--out`` that names something other than a folder, or a folder of the system's."""
    try:
        mode = out_dir.stat().st_mode
    except OSError:
        mode = None  # not there yet (made below), or unreachable (said below)
    if mode is not None and not stat.S_ISDIR(mode):
        raise UsageError(f"can't create output folder {out_dir}: it is {_kind(mode)}, not a folder")
    resolved = out_dir.resolve()
    system = next((root for root in SYSTEM_FOLDERS if resolved.is_relative_to(root)), None)
    if system is not None:
        raise UsageError(f"output folder {out_dir} is in {system}, a folder of the system's, not a place for reports")


def _kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "a file"


def write_report(out_dir: Path, stem: str, markdown: str, json_text: str) -> Path:
    """Write ``stem.md`` and ``stem.json`` (or ``stem-2``…, whichever is free); return the ``.md`` path.

    Both files are whole or absent: a failure (disk full, no file entries left) removes what was
    reserved, and a Ctrl-C or SIGTERM waits for the pair (``pipeline.stopping``). Credentials in the
    environment never reach either file."""
    ensure_writable(out_dir)
    markdown, json_text = redact_keys(markdown), redact_keys(json_text)
    with whole():
        for number in count(1):
            name = stem if number == 1 else f"{stem}-{number}"
            markdown_path, json_path = out_dir / f"{name}.md", out_dir / f"{name}.json"
            reserved: list[Path] = []
            try:
                if _reserve_all((markdown_path, json_path), reserved):
                    _fill(json_path, json_text)
                    _fill(markdown_path, markdown)
                    return markdown_path
            except BaseException as error:
                for path in reserved:
                    path.unlink(missing_ok=True)
                if isinstance(error, OSError):  # disk full, quota, file size limit: nothing is left behind
                    raise UsageError(f"can't write {markdown_path}: {error.strerror or error}") from None
                raise
            for path in reserved:  # the name is taken: try the next
                path.unlink()
    raise AssertionError("unreachable")


def _reserve_all(paths: tuple[Path, ...], reserved: list[Path]) -> bool:
    """Claim every name in ``paths``, adding each to ``reserved``; False at the first that is taken."""
    for path in paths:
        if not _reserve(path):
            return False
        reserved.append(path)
    return True


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
