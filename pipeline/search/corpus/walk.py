"""Which files of a corpus folder are read: regular files inside the folder, found without blocking.

A corpus is a user's folder, so it holds what real folders hold: aliases to deleted files, links
into other folders, named pipes and sockets. Only regular files are yielded (opening a named pipe
waits for a writer forever), and a link is followed only to a file or folder inside the corpus
unless the user allows links out of it: a link to a system file must never reach the index.
Everything left out is named in a warning; nothing here raises for one odd entry.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ALLOW_LINKS_HINT = "set follow_corpus_links = true in config.toml to read it"


@dataclass(frozen=True)
class CorpusFile:
    """A regular file to index: ``key`` is its path relative to the corpus (a link keeps its own name)."""

    path: Path
    key: str
    stat: os.stat_result


@dataclass(frozen=True)
class Skipped:
    """An entry left out, and why, for a warning that names it."""

    key: str
    reason: str

    def __str__(self) -> str:
        return f"skipped {self.key}: {self.reason}"


def walk_corpus(root: Path, suffixes: tuple[str, ...], *, follow_links: bool = False) -> Iterator[CorpusFile | Skipped]:
    """Every document under ``root`` (resolved) named with one of ``suffixes``, in a stable order.

    Hidden files and folders are ignored; a folder reached twice (a link loop) is walked once.
    """
    root = root.resolve()
    yield from _walk(root, root, suffixes, follow_links, visited={_identity(os.stat(root))})


def _walk(
    root: Path, folder: Path, suffixes: tuple[str, ...], follow_links: bool, visited: set[tuple[int, int]]
) -> Iterator[CorpusFile | Skipped]:
    try:
        with os.scandir(folder) as entries:
            names = sorted(entry.name for entry in entries if not entry.name.startswith("."))
    except OSError as error:
        yield Skipped(_key(root, folder), f"folder can't be listed ({error.strerror or error})")
        return
    for name in names:
        path = folder / name
        is_document = name.lower().endswith(suffixes)
        found, refused = _follow(root, path, follow_links)
        if refused:
            if is_document or (found is not None and stat.S_ISDIR(found.st_mode)):
                yield Skipped(_key(root, path), refused)
            continue
        assert found is not None
        if stat.S_ISDIR(found.st_mode):
            if _identity(found) not in visited:
                visited.add(_identity(found))
                yield from _walk(root, path, suffixes, follow_links, visited)
        elif is_document:
            kind = _special_kind(found.st_mode)
            yield Skipped(_key(root, path), f"{kind}, not a regular file") if kind else CorpusFile(path, _key(root, path), found)


def _follow(root: Path, path: Path, follow_links: bool) -> tuple[os.stat_result | None, str | None]:
    """The status of what ``path`` names (through a link if it is one), and why it is left out, if it is."""
    try:
        status = os.lstat(path)
    except OSError as error:  # removed while the folder was being walked
        return None, f"can't be read ({error.strerror or error})"
    if not stat.S_ISLNK(status.st_mode):
        return status, None
    try:
        target = path.resolve(strict=True)
        status = os.stat(target)
    except (OSError, RuntimeError):  # RuntimeError: a link loop on older Pythons
        return None, "a broken link (its target does not exist or can't be reached)"
    if not follow_links and not target.is_relative_to(root):
        what = "folder" if stat.S_ISDIR(status.st_mode) else "file"
        return status, f"a link to a {what} outside the corpus; {ALLOW_LINKS_HINT}"
    return status, None


def _special_kind(mode: int) -> str | None:
    """What a non-regular file is, in words; ``None`` for a regular file."""
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "a special file"


def _identity(status: os.stat_result) -> tuple[int, int]:
    return status.st_dev, status.st_ino


def _key(root: Path, path: Path) -> str:
    """``path`` relative to ``root``, by cutting the string: ``Path.relative_to`` costs seconds a million files."""
    text, prefix = str(path), str(root)
    if text == prefix:
        return "."
    return text[len(prefix) + (not prefix.endswith(os.sep)) :]
