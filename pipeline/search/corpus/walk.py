"""Which files of a corpus folder are read: regular files inside the folder, found without blocking.

A corpus is a user's folder, so it holds what real folders hold: aliases to deleted files, links
into other folders, named pipes and sockets. Only regular files are yielded (opening a named pipe
waits for a writer forever), and a link is followed only to a file or folder inside the corpus
unless the user allows links out of it: a link to a system file must never reach the index.
A name that isn't UTF-8 (a file copied from an old archive) can't be indexed, cited or written into
a report, so that file or folder is left out too, and named with its odd bytes escaped. Everything
left out is named in a warning; nothing here raises for one odd entry, and no depth of folders
exhausts the stack.

Every run of the tool walks the whole corpus to find what changed, so the walk is cheap per file:
paths stay strings (a ``pathlib`` path per file cost most of a second at 100,000 files), the
folder listing's own file types decide what needs a status, a document costs one ``lstat``, and
documents come a batch at a time as lists of names, times and sizes, not as an object a file.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import partial
from itertools import repeat
from operator import attrgetter
from pathlib import Path
from stat import S_IFMT, S_IFREG
from typing import NamedTuple

from pipeline.controls import escaped, has_undecodable

ALLOW_LINKS_HINT = "set follow_corpus_links = true in config.toml to read it"
#: How many levels of folders below the corpus are walked; deeper ones are named in a warning.
MAX_DEPTH = 64
_BATCH = 500  # names whose status is asked for at a time
_MODE, _MTIME, _SIZE = attrgetter("st_mode"), attrgetter("st_mtime_ns"), attrgetter("st_size")
#: The modification times the index can store (SQLite's 64-bit integers of nanoseconds: 1677 to 2262).
_EARLIEST_NS, _LATEST_NS = -(2**63), 2**63 - 1


class CorpusFile(NamedTuple):
    """A regular file to index: ``key`` is its path relative to the corpus (a link keeps its own name),
    with the modification time and size it had when walked.

    A named tuple of strings and numbers, as the walk makes one for every document on every run."""

    location: str
    key: str
    mtime_ns: int
    size: int

    @property
    def path(self) -> Path:
        return Path(self.location)


class Documents(NamedTuple):
    """Documents of one folder found together: the ``names`` in it (links keep their own), and each
    one's modification time and size, in the same order. ``within`` is the folder's location and
    ``prefix`` its key, each ending in a separator (the corpus itself has the key "")."""

    within: str
    prefix: str
    names: list[str]
    mtimes: list[int]
    sizes: list[int]


@dataclass(frozen=True)
class Skipped:
    """An entry left out, and why, for a warning that names it."""

    key: str
    reason: str

    def __str__(self) -> str:
        return f"skipped {escaped(self.key)}: {self.reason}"


def walk_corpus(root: Path, suffixes: tuple[str, ...], *, follow_links: bool = False) -> Iterator[Documents | Skipped]:
    """Every document under ``root`` (resolved) named with one of ``suffixes``, in a stable order, a
    batch at a time, and every entry left out: a batch of plain documents is taken in whole, with no
    call in Python a file.

    Hidden files and folders are ignored; a folder reached twice (a link loop) is walked once. The
    walk keeps its own stack of folders, so no depth of nesting can exhaust Python's; folders more
    than ``MAX_DEPTH`` levels down are left out, each named in a warning.
    """
    walk = _Walk(str(root.resolve()), suffixes, follow_links)
    stack = [walk.listing(_Folder(walk.root, "", 0))]
    while stack:
        for found in stack[-1]:
            if isinstance(found, _Folder):
                stack.append(walk.listing(found))
                break
            yield found
        else:
            stack.pop()


def files_again(root: Path, walked: Iterable[tuple[str, int, int]]) -> Iterator[CorpusFile]:
    """The documents a walk of ``root`` yielded, from what was kept of each: its key, time and size."""
    within = str(root.resolve()).rstrip(os.sep) + os.sep
    return (CorpusFile(within + key, key, mtime_ns, size) for key, mtime_ns, size in walked)


@dataclass(frozen=True)
class _Folder:
    """A folder to walk next: where it is, its key with a trailing separator ("" for the corpus
    itself), and how many levels below the corpus it is."""

    location: str
    prefix: str
    depth: int


class _Walk:
    def __init__(self, root: str, suffixes: tuple[str, ...], follow_links: bool):
        self.root, self.suffixes, self.follow_links = root, suffixes, follow_links
        self.visited = {_identity(os.stat(root))}

    def listing(self, folder: _Folder) -> Iterator[Documents | Skipped | _Folder]:
        """What ``folder`` holds, by name: batches of its documents, what is skipped, and the folders
        to walk, each where it comes in the folder's order.

        Only documents, folders and links get their status asked for (the listing's own file types
        tell which), each of the open folder: one ``lstat`` of a name, not of a whole path. Names are
        taken a batch at a time; a batch of plain documents with plain names (the usual case) is
        checked and kept whole, and any other batch is looked at one name at a time."""
        try:
            handle = os.open(folder.location, os.O_RDONLY | os.O_DIRECTORY)
        except OSError as error:
            yield self.unlisted(folder, error)
            return
        try:
            try:
                names, documents = self.entries(handle)
            except OSError as error:
                yield self.unlisted(folder, error)
                return
            within, prefix = folder.location.rstrip(os.sep) + os.sep, folder.prefix
            status_of = partial(os.stat, dir_fd=handle, follow_symlinks=False)
            for start in range(0, len(names), _BATCH):
                batch, are_documents = names[start : start + _BATCH], documents[start : start + _BATCH]
                if all(are_documents) and "".join(batch).isascii():
                    statuses = _regular_statuses(status_of, batch)
                    if statuses is not None:
                        yield Documents(within, prefix, batch, list(map(_MTIME, statuses)), list(map(_SIZE, statuses)))
                        continue
                found = Documents(within, prefix, [], [], [])
                for name, is_document, status in zip(batch, are_documents, _statuses(status_of, batch)):
                    entry = self.entry(folder, within + name, name, is_document, status)
                    if isinstance(entry, CorpusFile):
                        found.names.append(name)
                        found.mtimes.append(entry.mtime_ns)
                        found.sizes.append(entry.size)
                    elif entry is not None:
                        if isinstance(entry, _Folder) and found.names:
                            yield found
                            found = Documents(within, prefix, [], [], [])
                        yield entry
                if found.names:
                    yield found
        finally:
            os.close(handle)

    def entry(
        self, folder: _Folder, location: str, name: str, is_document: bool, status: os.stat_result | OSError,
    ) -> CorpusFile | Skipped | _Folder | None:
        """What one name in ``folder`` is to the walk, given its status (``lstat``): a document, a
        folder to walk, an entry left out and named, or nothing to read or to name."""
        found: os.stat_result | None
        refused: str | None
        if isinstance(status, OSError):  # removed while the folder was being walked
            found, refused = None, f"can't be read ({status.strerror or status})"
        elif stat.S_ISLNK(status.st_mode):
            found, refused = self.through_link(location)
        else:
            found, refused = status, None
        is_folder = found is not None and stat.S_ISDIR(found.st_mode)
        if refused is None and has_undecodable(name):
            refused = "its name is not UTF-8 text; rename it to read it"
        elif refused is None and is_folder and folder.depth >= MAX_DEPTH:
            refused = f"folders more than {MAX_DEPTH} levels below the corpus are not read"
        key = folder.prefix + name
        if refused:
            return Skipped(key, refused) if is_document or is_folder else None
        if found is None:
            return None
        if is_folder:
            if _identity(found) in self.visited:
                return None
            self.visited.add(_identity(found))
            return _Folder(location, key + os.sep, folder.depth + 1)
        if not is_document:
            return None
        kind = _special_kind(found.st_mode)
        if kind:
            return Skipped(key, f"{kind}, not a regular file")
        if not _EARLIEST_NS <= found.st_mtime_ns <= _LATEST_NS:
            return Skipped(key, "its modification time is before 1677 or after 2262; set it with touch to read it")
        return CorpusFile(location, key, found.st_mtime_ns, found.st_size)

    def entries(self, handle: int) -> tuple[list[str], list[bool]]:
        """The names in the open folder worth a status, in order, and whether each names a document:
        documents, and folders and links (which may lead to documents); hidden ones are left out.

        The names are listed first; only a folder that holds other names than documents' is listed
        again with file types, to tell its folders and links from its other files."""
        suffixes = self.suffixes
        names = [name for name in sorted(os.listdir(handle)) if not name.startswith(".")]
        documents = list(map(str.endswith, map(str.lower, names), repeat(suffixes)))  # no call in Python a name
        if not all(documents):
            with os.scandir(handle) as listed:
                leads_on = {entry.name for entry in listed if _folder_or_link(entry)}
            kept = [n for n, (name, is_document) in enumerate(zip(names, documents)) if is_document or name in leads_on]
            names, documents = [names[n] for n in kept], [documents[n] for n in kept]
        return names, documents

    @staticmethod
    def unlisted(folder: _Folder, error: OSError) -> Skipped:
        return Skipped(folder.prefix[:-1] or ".", f"folder can't be listed ({error.strerror or error})")

    def through_link(self, location: str) -> tuple[os.stat_result | None, str | None]:
        """The status of what the link at ``location`` leads to, and why it is left out, if it is."""
        try:
            target = Path(location).resolve(strict=True)
            status = os.stat(target)
        except (OSError, RuntimeError):  # RuntimeError: a link loop on older Pythons
            return None, "a broken link (its target does not exist or can't be reached)"
        if not self.follow_links and not target.is_relative_to(self.root):
            what = "folder" if stat.S_ISDIR(status.st_mode) else "file"
            return status, f"a link to a {what} outside the corpus; {ALLOW_LINKS_HINT}"
        return status, None


def _statuses(status_of: Callable[[str], os.stat_result], names: list[str]) -> list[os.stat_result | OSError]:
    """The status of each name, or the error asking for it raised (say, it was removed meanwhile)."""
    try:
        return list(map(status_of, names))
    except OSError:
        return [_status_or_error(status_of, name) for name in names]


def _regular_statuses(status_of: Callable[[str], os.stat_result], names: list[str]) -> list[os.stat_result] | None:
    """The status of each name if every one is a regular file; ``None`` if one is not, or can't be had."""
    try:
        statuses = list(map(status_of, names))
    except OSError:
        return None
    if set(map(S_IFMT, map(_MODE, statuses))) != {S_IFREG}:
        return None
    times = list(map(_MTIME, statuses))
    return statuses if min(times) >= _EARLIEST_NS and max(times) <= _LATEST_NS else None


def _status_or_error(status_of: Callable[[str], os.stat_result], name: str) -> os.stat_result | OSError:
    try:
        return status_of(name)
    except OSError as error:
        return error


def _folder_or_link(entry: os.DirEntry[str]) -> bool:
    """Whether the listing's own file type says ``entry`` is a folder or a link (where the file
    system gives no type, this asks for its status); if that fails, its status says why."""
    try:
        return entry.is_symlink() or entry.is_dir(follow_symlinks=False)
    except OSError:
        return True


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
