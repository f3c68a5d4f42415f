"""Figures in prose, read to values so the same figure matches in any of its written forms.

``$10bn``, ``$10 billion`` and ``$10,000 million`` are one value; so are ``2,522`` and ``2522``,
``21x``, ``21×`` and ``21 times``, ``87%`` and ``87 percent``; ``10-60%`` is two percentages; dates
are read to (year, month, day). Only figures written in digits are read ("three times" is not), and
not digits that are part of a name or a compound word (``H100``, ``gpt-oss-120B``, ``10-K``, ``5-year``).

A library would be preferable, but none measured serves: quantulum3 takes two seconds to load its
units and about 75 ms per 2 KB passage, reads ``$10bn`` as "dollar barn newton" and skips ``21x``;
price-parser ignores magnitude words (``$10 billion`` is 10). The audit needs all of this for every
passage of a report in a few milliseconds, so it is one regular expression per form.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Literal

Kind = Literal["money", "percent", "multiple", "number", "year", "date"]

_MONTHS = {
    name: number
    for number, names in enumerate(
        [("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"), ("may",), ("jun", "june"),
         ("jul", "july"), ("aug", "august"), ("sep", "sept", "september"), ("oct", "october"),
         ("nov", "november"), ("dec", "december")],
        1,
    )
    for name in names
}
# Capitalised month names only: "may" is a verb, and dates in prose are written with capitals.
_MONTH = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sep(?:t(?:ember)?)?"
    r"|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\b\.?"
)
_YEAR4 = r"(?:19|20)\d\d\b"
_DAY = r"[0-3]?\d(?:st|nd|rd|th)?\b"
_DATE = re.compile(
    rf"(?=[12JFMASOND0-3])(?:(?<!\d)(?P<iso>{_YEAR4[:-2]}-[01]\d-[0-3]\d)(?!\d)"                                   # 2025-05-28
    rf"|\b(?P<m1>{_MONTH})\s+(?:(?P<d1>{_DAY})(?:,?\s+(?P<y1>{_YEAR4}))?|(?P<y2>{_YEAR4}))"  # May 28, 2025; May 2025
    rf"|\b(?P<d2>{_DAY})\s+(?P<m2>{_MONTH})(?:,?\s+(?P<y3>{_YEAR4}))?)"                      # 28 May 2025
)

_MAGNITUDES = {
    "thousand": 1e3, "k": 1e3, "million": 1e6, "mn": 1e6, "mln": 1e6, "m": 1e6,
    "billion": 1e9, "bn": 1e9, "b": 1e9, "trillion": 1e12, "tn": 1e12, "t": 1e12,
}
_CURRENCIES = {"$": "USD", "us$": "USD", "usd": "USD", "dollars": "USD", "€": "EUR", "eur": "EUR", "euros": "EUR",
               "£": "GBP", "gbp": "GBP", "pounds": "GBP", "¥": "JPY"}
_NUMBER = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
_PREFIX = r"(?:US\$|[$€£¥]|(?:USD|EUR|GBP)\s)"
_FIGURE = re.compile(
    rf"""(?ix)
    (?=[\d$€£¥UEG])(?<![\w.\-/$€£¥])                    # not part of a name: H100, gpt-oss-120B, v2.1
    (?P<cur>{_PREFIX})?\s?(?P<num>{_NUMBER})
    (?:\s?(?:-|–|—|\bto\b)\s?(?P<cur2>{_PREFIX})?\s?(?P<num2>{_NUMBER}))?   # a range: 10-60%, $115-$125
    (?P<mag>\s?(?:trillion|billion|million|thousand)|(?:bn|mn|mln|tn|[kmbt]))?(?(mag)(?![\w/]))
    (?:\s?(?P<money>dollars|euros|pounds)\b)?
    (?P<tail>\s?(?:%|percent\b|per\s?cent\b|pct\b)|\s?(?:x|×)(?![\w])|\s?(?:times|-fold|fold)\b)?
    (?![\w]|-[A-Za-z])                                  # nor one that starts a name or word: 10-K, 5-year
    """
)
_YEAR = re.compile(r"^(?:19|20)\d\d$")


@dataclass(slots=True)
class Figure:
    """One figure as written and as read: ``$4.8 billion`` is money, 4.8e9, in USD."""

    text: str
    kind: Kind
    value: float = 0.0
    currency: str = ""
    date: tuple[int | None, int, int | None] | None = None  # (year, month, day) for a date
    start: int = 0

    def matches(self, other: Figure) -> bool:
        """Whether ``other`` states this figure: the same value in a compatible form.

        A bare number is compatible with any form of the same value (``87`` with ``87%``), a year with a
        date in that year, and a date with one that agrees on every part both state.
        """
        if self.kind == "date" or other.kind == "date":
            return _same_date(self, other)
        if "year" in (self.kind, other.kind):
            return self.kind == other.kind == "year" and self.value == other.value
        if self.kind != other.kind and "number" not in (self.kind, other.kind):
            return False
        if self.kind == other.kind == "money" and self.currency != other.currency:
            return False
        return math.isclose(self.value, other.value, rel_tol=1e-9)


def extract(text: str) -> list[Figure]:
    """Every figure in ``text``: dates first, then numbers outside the dates, in reading order."""
    matches = list(_DATE.finditer(text))
    masked, position = [], 0  # the text with its dates blanked, so "May 28, 2025" yields no 28 or 2025
    for match in matches:
        masked += [text[position : match.start()], " " * (match.end() - match.start())]
        position = match.end()
    masked.append(text[position:])
    dates = [_date(match) for match in matches]
    numbers = [figure for match in _FIGURE.finditer("".join(masked)) for figure in _figures(match)]
    return sorted(dates + numbers, key=lambda figure: figure.start)


def _date(match: re.Match) -> Figure:
    if match["iso"]:
        year, month, day = (int(part) for part in match["iso"].split("-"))
        return Figure(match.group(), "date", date=(year, month, day), start=match.start())
    month = _MONTHS[(match["m1"] or match["m2"]).rstrip(".").lower()]
    day = match["d1"] or match["d2"]
    year = match["y1"] or match["y2"] or match["y3"]
    return Figure(
        match.group().strip(), "date", date=(int(year) if year else None, month, int(day.rstrip("stndrh")) if day else None),
        start=match.start(),
    )


def _figures(match: re.Match) -> list[Figure]:
    """The one or two figures (a range) of a match; a range's unit and magnitude apply to both ends."""
    cur, number, cur2, second, magnitude, money, tail = match.group("cur", "num", "cur2", "num2", "mag", "money", "tail")
    text, start = match.group().strip(), match.start("num")
    if not (cur or cur2 or magnitude or money or tail):  # plain numbers or years ("2023-2025"): most figures
        ends = [(number, start)] + ([(second, match.start("num2"))] if second else [])
        return [
            Figure(text, "year", float(n), start=at) if _YEAR.match(n) else Figure(text, "number", float(n.replace(",", "")), start=at)
            for n, at in ends
        ]
    tail = (tail or "").strip().lower()
    kind: Kind = "percent" if tail[:1] in ("%", "p") else "multiple" if tail else "number"
    scale = _MAGNITUDES[magnitude.strip().lower()] if magnitude else 1.0
    currency = _CURRENCIES.get((cur or cur2 or money or "").strip().lower(), "")
    if currency and kind == "number":
        kind = "money"
    numbers = [(number, start)] + ([(second, match.start("num2"))] if second else [])
    return [Figure(text, kind, float(n.replace(",", "")) * scale, currency, start=at) for n, at in numbers]


def _same_date(a: Figure, b: Figure) -> bool:
    if a.kind == "year" or b.kind == "year":
        year, other = (a, b) if a.kind == "year" else (b, a)
        return other.date is not None and other.date[0] == int(year.value)
    if a.date is None or b.date is None:
        return False
    return all(x is None or y is None or x == y for x, y in zip(a.date, b.date, strict=True)) and a.date[1] == b.date[1]
