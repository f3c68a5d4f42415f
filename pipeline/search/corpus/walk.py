"""Which files of a corpus folder are read: regular files inside the folder, found without blocking.

A corpus is a user's folder, so it holds what real folders hold: aliases to deleted files, links
into other folders, named pipes and sockets. Only regular files are yielded (opening a named pipe
waits for a writer forever), and a link is followed only to a file or folder inside the corpus
unless the user allows links out of it: a link to a system file must never reach the index.
A name that isn't UTF-8 (a file copied from an old archive) can't be indexed, cited or written into
a report, so that file or folder is left out too, and named with its odd bytes escaped. Everything
left out is named in a warning; nothing here raises for one odd entry, and no depth of folders
exhausts the stack.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from pipeline.controls import escaped, has_undecodable

ALLOW_LINKS_HINT = "set follow_corpus_links = true in config.toml to read it"
#: How many levels of folders below the corpus are walked; deeper ones are named in a warning.
MAX_DEPTH = 64


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
        return f"skipped {escaped(self.key)}: {self.reason}"


def walk_corpus(root: Path, suffixes: tuple[str, ...], *, follow_links: bool = False) -> Iterator[CorpusFile | Skipped]:
    """Every document under ``root`` (resolved) named with one of ``suffixes``, in a stable order.

    Hidden files and folders are ignored; a folder reached twice (a link loop) is walked once. The
    walk keeps its own stack of folders, so no depth of nesting can exhaust Python's; folders more
    than ``MAX_DEPTH`` levels down are left out, each named in a warning.
    """
    walk = _Walk(root.resolve(), suffixes, follow_links)
    stack = [walk.listing(walk.root, 0)]
    while stack:
        found = next(stack[-1], None)
        if found is None:
            stack.pop()
        elif isinstance(found, _Folder):
            stack.append(walk.listing(found.path, found.depth))
        else:
            yield found


@dataclass(frozen=True)
class _Folder:
    """A folder to walk next, ``depth`` levels below the corpus."""

    path: Path
    depth: int


class _Walk:
    def __init__(self, root: Path, suffixes: tuple[str, ...], follow_links: bool):
        self.root, self.suffixes, self.follow_links = root, suffixes, follow_links
        self.visited = {_identity(os.stat(root))}

    def listing(self, folder: Path, depth: int) -> Iterator[CorpusFile | Skipped | _Folder]:
        """What ``folder`` holds, by name: its documents, what is skipped, and the folders to walk."""
        try:
            with os.scandir(folder) as entries:
                names = sorted(entry.name for entry in entries if not entry.name.startswith("."))
        except OSError as error:
            yield Skipped(self.key(folder), f"folder can't be listed ({error.strerror or error})")
            return
        for name in names:
            path = folder / name
            is_document = name.lower().endswith(self.suffixes)
            found, refused = _follow(self.root, path, self.follow_links)
            is_folder = found is not None and stat.S_ISDIR(found.st_mode)
            if refused is None and has_undecodable(name):
                refused = "its name is not UTF-8 text; rename it to read it"
            elif refused is None and is_folder and depth >= MAX_DEPTH:
                refused = f"folders more than {MAX_DEPTH} levels below the corpus are not read"
            if refused:
                if is_document or is_folder:
                    yield Skipped(self.key(path), refused)
            elif is_folder:
                assert found is not None
                if _identity(found) not in self.visited:
                    self.visited.add(_identity(found))
                    yield _Folder(path, depth + 1)
            elif is_document:
                assert found is not None
                kind = _special_kind(found.st_mode)
                yield Skipped(self.key(path), f"{kind}, not a regular file") if kind else CorpusFile(path, self.key(path), found)

    def key(self, path: Path) -> str:
        """``path`` relative to the root, by cutting the string: ``Path.relative_to`` costs seconds a million files."""
        text, prefix = str(path), str(self.root)
        if text == prefix:
            return "."
        return text[len(prefix) + (not prefix.endswith(os.sep)) :]


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
