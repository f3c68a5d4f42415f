r"""Characters that act on a terminal instead of showing: what no value groundbrief writes or prints may carry.

A topic, a document's title or a web page can hold escape sequences (``cat report.md`` would recolour
the terminal or retitle its window), other control characters, bidi overrides that make text read
differently from what it is, or invisible format characters (a zero-width space pasted into
"Cere\u200bbras" would make the tool research "Cere" under a title that looks right). ``printable``
removes them where text enters (the request, sources, documents) and again where it leaves (the
report template's filters, warnings and errors).

A name from the file system or the command line may also hold bytes that aren't UTF-8 (Python keeps
them as lone surrogates): text shows them as ``\xff`` so it can always be written, and ``escaped``
shows a file's or topic's name with every such character visible, so the user can find it again.
"""

from __future__ import annotations

import re

# Terminal escape sequences (CSI such as colours, OSC such as window titles, and the other ESC forms),
# removed whole so no "[31m" is left behind.
_ESCAPE_SEQUENCE = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x9b[0-?]*[ -/]*[@-~]|[\x1b\x9d][\]P^_X][^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?|\x1b[ -~]?")
# Control characters but line break and tab (C0, DEL, C1); the invisible format characters (Unicode
# category Cf, as of Unicode 15: soft hyphen, zero-width spaces and joiners, the bidi embeddings,
# overrides, isolates and marks, word joiner, BOM, interlinear annotations, tags); lone surrogates.
# A zero-width joiner between two emoji stays: it draws them as one (👩‍💻), and splits no word.
_FORMAT = (
    "\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u180e\u200b\u200c\u200e\u200f\u202a-\u202e"
    "\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb\U000110bd\U000110cd\U00013430-\U0001343f"
    "\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0001\U000e0020-\U000e007f\ud800-\udfff"
)
_EMOJI = "\u00a9\u00ae\u203c\u2049\u2122\u2190-\u21ff\u2300-\u23ff\u2460-\u27bf\u2900-\u297f\u2b00-\u2bff\U0001f000-\U0001faff"
_LONE_JOINER = f"(?<![{_EMOJI}\ufe0f])\u200d|\u200d(?![{_EMOJI}])"
_UNSAFE = re.compile(f"[\x00-\x08\x0b-\x1f\x7f-\x9f{_FORMAT}]|{_LONE_JOINER}")
# The characters a match of _UNSAFE starts at: one plain scan for them tells most text apart, several
# times faster than _UNSAFE's own scan, which tries the joiner's lookbehind at every character.
_SUSPECT = re.compile(f"[\x00-\x08\x0b-\x1f\x7f-\x9f{_FORMAT}\u200d]")
_UNSAFE_IN_NAME = re.compile(f"[\x00-\x1f\x7f-\x9f{_FORMAT}]|{_LONE_JOINER}")
_SURROGATE = re.compile("[\ud800-\udfff]")


def printable(text: str) -> str:
    r"""``text`` without what would act on a terminal, reorder what it shows or hide in it: escape
    sequences, control characters (a line break or tab stays; other spacing controls become a space),
    bidi controls and the other invisible format characters; a byte that wasn't UTF-8 shows as ``\xff``.
    Applied to every value written to a report or printed, and to text where it enters."""
    text = str(text)
    if _SUSPECT.search(text) is None:  # escape sequences start with a character it finds
        return text
    return _UNSAFE.sub(_drop, _ESCAPE_SEQUENCE.sub("", text))


def escaped(name: object) -> str:
    r"""A file's, folder's or topic's ``name`` on one line, with every character that would not show as
    itself written as an escape (``\n``, ``\x1b``, ``\u200b``; ``\xff`` for a byte that wasn't UTF-8):
    what a warning or error shows, so the user can tell which name is meant and find it."""
    name = str(name)
    return _UNSAFE_IN_NAME.sub(lambda match: _escape(match[0]), name) if _UNSAFE_IN_NAME.search(name) else name


def has_undecodable(text: str) -> bool:
    """Whether ``text`` holds bytes that weren't UTF-8 (or a lone surrogate): it can't be written as text."""
    return _SURROGATE.search(text) is not None


def _drop(match: re.Match[str]) -> str:
    char = match[0]
    if _SURROGATE.match(char):
        return _escape(char)
    return " " if char.isspace() else ""


def _escape(char: str) -> str:
    if "\udc80" <= char <= "\udcff":  # how Python keeps a byte that wasn't UTF-8 (surrogateescape)
        return f"\\x{ord(char) - 0xDC00:02x}"
    return char.encode("unicode_escape").decode("ascii")


def one_line(text: str) -> str:
    """``printable`` text with its whitespace folded to single spaces: a title, a name, a topic."""
    return " ".join(printable(text).split())


def has_text(text: str) -> bool:
    """Whether ``text`` shows a letter or digit: what a name, a quote or a rationale needs to say anything."""
    return any(char.isalnum() for char in printable(text))
