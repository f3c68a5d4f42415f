"""Which line of a TOML file each key, table and array element is on, for validation messages.

``tomllib`` reports syntax errors by line and column but returns plain dicts, so a validation error
at ``companies[1].earnings[0].date`` would have no line. This scanner walks the text once (after
``tomllib`` has accepted it, so it may be lenient) and records the line every key, table header and
array element starts on, keyed by the same path pydantic reports errors at.
"""

from __future__ import annotations

import tomllib

Location = tuple[str | int, ...]

_SPACE = " \t"
_BLANK = " \t\r\n"
_SCALAR_END = ",]}\r\n#"


def key_lines(text: str) -> dict[Location, int]:
    """``{("companies", 0, "ticker"): 7, …}`` for every key, table and array element in ``text``."""
    return _Scanner(text).scan()


def line_of(lines: dict[Location, int], location: Location) -> int:
    """The line of ``location``, or of its nearest ancestor (a missing key is reported at its table)."""
    for end in range(len(location), 0, -1):
        if location[:end] in lines:
            return lines[location[:end]]
    return 1


class _Scanner:
    def __init__(self, text: str):
        self.text = text
        self.pos = 0
        self.line = 1
        self.lines: dict[Location, int] = {}
        self.table: Location = ()
        self.table_arrays: dict[Location, int] = {}  # ``[[path]]`` → how many elements so far

    def scan(self) -> dict[Location, int]:
        while self._skip(_BLANK) < len(self.text):
            if self._peek() == "[":
                self._header()
            else:
                self._value(self._key(self.table))
        return self.lines

    # -- characters ------------------------------------------------------------------------------

    def _peek(self, offset: int = 0) -> str:
        index = self.pos + offset
        return self.text[index] if index < len(self.text) else ""

    def _advance(self, count: int = 1) -> None:
        self.line += self.text.count("\n", self.pos, self.pos + count)
        self.pos += count

    def _skip(self, characters: str) -> int:
        """Skip ``characters`` and comments; return the new position."""
        while self.pos < len(self.text):
            if self._peek() == "#":
                end = self.text.find("\n", self.pos)
                self._advance((len(self.text) if end < 0 else end) - self.pos)
            elif self._peek() in characters:
                self._advance()
            else:
                break
        return self.pos

    def _string(self) -> str:
        """Consume a string of any of TOML's four kinds; return its raw text, quotes included."""
        start, quote = self.pos, self._peek()
        delimiter = quote * 3 if self.text.startswith(quote * 3, self.pos) else quote
        index = self.pos + len(delimiter)
        while not self.text.startswith(delimiter, index):
            index += 2 if quote == '"' and self.text[index] == "\\" else 1
        index += len(delimiter)
        while len(delimiter) == 3 and self.text.startswith(quote, index):  # """a"""" ends with a quote
            index += 1
        self._advance(index - start)
        return self.text[start:index]

    # -- structure -------------------------------------------------------------------------------

    def _dotted_key(self, terminator: str) -> tuple[str, ...]:
        """The parts of a dotted key, read up to ``terminator`` (``=`` or ``]``), which is left unread."""
        parts: tuple[str, ...] = ()
        while True:
            self._skip(_SPACE)
            if self._peek() in "\"'":
                parts += (tomllib.loads(f"k = {self._string()}")["k"],)
            else:
                start = self.pos
                while self._peek() not in f"{_BLANK}.{terminator}":
                    self._advance()
                parts += (self.text[start : self.pos],)
            self._skip(_SPACE)
            if self._peek() != ".":
                return parts
            self._advance()

    def _key(self, base: Location) -> Location:
        """Read ``a.b =`` and record the line of ``base + (a,)`` and ``base + (a, b)``."""
        path = base
        for part in self._dotted_key("="):
            path += (part,)
            self.lines.setdefault(path, self.line)
        self._advance()
        return path

    def _header(self) -> None:
        """``[table]`` or ``[[array.of.tables]]``: the keys that follow belong to it."""
        is_array = self._peek(1) == "["
        self._advance(2 if is_array else 1)
        parts = self._dotted_key("]")
        self._advance(2 if is_array else 1)
        path: Location = ()
        for part in parts[:-1]:
            path += (part,)
            if path in self.table_arrays:
                path += (self.table_arrays[path] - 1,)
        path += (parts[-1],)
        if is_array:
            self.lines.setdefault(path, self.line)
            count = self.table_arrays.get(path, 0)
            self.table_arrays[path] = count + 1
            path += (count,)
        self.lines[path] = self.line
        self.table = path

    def _value(self, path: Location) -> None:
        self._skip(_SPACE)
        opener = self._peek()
        if opener in "\"'":
            self._string()
        elif opener == "[":
            self._advance()
            self._elements(path, "]", self._array_element)
        elif opener == "{":
            self._advance()
            self._elements(path, "}", lambda path, index: self._value(self._key(path)))
        else:
            while self._peek() not in _SCALAR_END:
                self._advance()

    def _array_element(self, path: Location, index: int) -> None:
        self.lines.setdefault(path + (index,), self.line)
        self._value(path + (index,))

    def _elements(self, path: Location, closer: str, element) -> None:
        """Comma-separated elements up to ``closer``; ``element(path, index)`` reads each."""
        index = 0
        while self._skip(_BLANK) < len(self.text) and self._peek() != closer:
            element(path, index)
            if self._skip(_BLANK) < len(self.text) and self._peek() == ",":
                self._advance()
                index += 1
        self._advance()
