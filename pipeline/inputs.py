"""Reading a file the user named (draft, watchlist, requests CSV): one clear error per way it fails."""

from __future__ import annotations

from pathlib import Path

from pipeline.errors import UsageError

MAX_INPUT_BYTES = 2 * 1024 * 1024


def read_text_file(path: Path, what: str, *, max_bytes: int = MAX_INPUT_BYTES) -> str:
    """``path`` as UTF-8 text (a BOM is dropped), or ``UsageError`` naming the file and the problem.

    ``what`` names the kind of file for messages, e.g. ``report draft`` or ``watchlist``.
    """
    if not path.exists():
        raise UsageError(f"{path}: no such file (expected a {what})")
    if not path.is_file():
        raise UsageError(f"{path}: not a file (expected a {what})")
    size = path.stat().st_size
    if size > max_bytes:
        raise UsageError(f"{path}: {size:,} bytes is too large for a {what} (the limit is {max_bytes:,})")
    try:
        data = path.read_bytes()
    except OSError as error:
        raise UsageError(f"{path}: can't be read ({error.strerror or error})") from None
    return decoded_text(data, str(path), what)


def decoded_text(data: bytes, name: str, what: str) -> str:
    """``data`` (of the file or download ``name``) as UTF-8 text, a BOM dropped; ``UsageError`` if it isn't."""
    if b"\x00" in data:
        raise UsageError(f"{name}: a binary file, not a {what}")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise UsageError(f"{name}: is not UTF-8 text (byte {error.start}); save the {what} as UTF-8") from None
