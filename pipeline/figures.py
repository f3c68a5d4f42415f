"""Figures in prose, read to values so the same figure matches in any of its written forms.

``$10bn``, ``$10 billion`` and ``$10,000 million`` are one value; so are ``2,522`` and ``2522``,
``21x``, ``21×`` and ``21 times``, ``87%`` and ``87 percent``; ``10-60%`` is two percentages; dates
are read to (year, month, day). Only figures written in digits are read ("three times" is not), and
not digits that are part of a name or a compound word (``H100``, ``gpt-oss-120B``, ``10-K``, ``5-year``).

One reader serves two jobs. The prose audit asks whether each figure a sentence states is in the
evidence (:func:`extract`: a range is its two ends). The analysts and the claim reader ask what a
sentence measures (:func:`quantities`: a range is one quantity, with its unit and what a price is
per: ``$115-$125 per share``, ``2,522 tokens per second``, ``750 MW``).

A library would be preferable, but none measured serves: quantulum3 takes two seconds to load its
units (0.4 s with tricks) and about 75 ms per 2 KB passage, reads ``$10bn`` as "dollar barn newton",
and its reading of ``20x`` varies between processes; price-parser ignores magnitude words
(``$10 billion`` is 10). The audit needs all of this for every passage of a report in a few
milliseconds, so it is one regular expression per form.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace
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
               "£": "GBP", "gbp": "GBP", "pounds": "GBP", "¥": "JPY", "jpy": "JPY", "yen": "JPY", "dkk": "DKK",
               "kroner": "DKK", "danish kroner": "DKK", "sek": "SEK", "swedish kronor": "SEK", "nok": "NOK",
               "norwegian kroner": "NOK", "chf": "CHF", "swiss francs": "CHF", "francs": "CHF", "cny": "CNY", "yuan": "CNY",
               "inr": "INR", "rupees": "INR", "cad": "CAD", "aud": "AUD", "hkd": "HKD", "cents": "USD", "¢": "USD"}
# Money written in hundredths of its unit: "39 cents a share" is $0.39 a share.
_HUNDREDTHS = frozenset({"cents", "¢"})
#: Currency codes ("DKK"): a figure's unit, never a name narrowing what it measures.
CURRENCY_CODES = frozenset(_CURRENCIES.values())
# Thousands with commas (2,522), a decimal comma as much of Europe writes it (€16,7 billion), plain.
_NUMBER = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+,\d{1,2}(?![\d,])|\d+(?:\.\d+)?"


def _value(number: str) -> float:
    """A number as written: "2,522" is 2522, "16,7" (a decimal comma) 16.7."""
    if re.fullmatch(r"\d+,\d{1,2}", number):
        return float(number.replace(",", "."))
    return float(number.replace(",", ""))


_PREFIX = r"(?:US\$|[$€£¥]|(?:USD|EUR|GBP|DKK|SEK|NOK|CHF|JPY|CNY|INR|CAD|AUD|HKD)\s)"
# Units a measured quantity is stated in, written out or abbreviated, attached or spaced: the claim
# reader compares like with like (tokens/s with tokens/s), and a span of days is a horizon, not a measure.
_UNITS = {
    "tokens/s": r"tokens?\s?(?:per|/|a)\s?(?:second|sec|s)\b|tok/s\b|t/s(?!\w)",
    "TB/s": r"TB/s\b", "GB/s": r"GB/s\b",
    "GW": r"GW\b|gigawatts?\b", "MW": r"MW\b|megawatts?\b", "kW": r"kW\b|kilowatts?\b", "W": r"W\b|watts?\b",
    "TWh": r"TWh\b", "GWh": r"GWh\b", "MWh": r"MWh\b", "kWh": r"kWh\b",
    "PB": r"PB\b|petabytes?\b", "TB": r"TB\b|terabytes?\b", "GB": r"GB\b|gigabytes?\b", "MB": r"MB\b|megabytes?\b",
    "ms": r"ms\b|milliseconds?\b", "ns": r"ns\b|nanoseconds?\b", "µs": r"µs\b|microseconds?\b",
    "FLOPS": r"[TPE]?FLOPS\b|(?:tera|peta|exa)flops\b",
    "mg": r"mg\b|milligrams?\b", "kg": r"kg\b|kilograms?\b", "nm": r"nm\b",
    "days": r"days?\b", "weeks": r"weeks?\b", "months": r"months?\b", "quarters": r"quarters?\b",
    "years": r"years?\b", "decades": r"decades?\b",
}
CALENDAR_UNITS = frozenset({"days", "weeks", "months", "quarters", "years", "decades"})
_UNIT_NAMES = [re.compile(pattern) for pattern in _UNITS.values()]
_FIGURE = re.compile(
    rf"""(?ix)
    (?=[\d$€£¥UEGDSNCJIAH])(?:(?<![\w.\-/$€£¥])|(?<=\w-)(?=[$€£¥])|(?<=%-)(?=\d))  # not part of a name: H100, gpt-oss-120B, v2.1 ($58bn-$61bn, 5%-10% are ranges)
    (?P<cur>{_PREFIX})?\s?(?P<num>{_NUMBER})
    (?:\s?(?:-|–|—|\bto\b)\s?(?(cur)(?P<cur2>{_PREFIX})?)\s?(?P<num2>{_NUMBER}))?   # a range: 10-60%, $115-$125
    (?P<mag>\s?(?:trillion|billion|million|thousand)|(?:bn|mn|mln|tn|[kmbt]))?(?(mag)(?![\w/]))
    (?:\s?(?P<money>(?:dollars|euros|pounds|yen|yuan|rupees|(?:danish\s|norwegian\s)?kroner|swedish\skronor|(?:swiss\s)?francs|cents)\b|¢))?
    (?P<tail>\s?(?:%|percent\b|per\s?cent\b|pct\b)|\s?(?:x|×)(?![\w])|\s?(?:times|-fold|fold)\b)?
    (?P<unit>\s?(?-i:{"|".join(f"(?:{pattern})" for pattern in _UNITS.values())}))?
    (?![\w]|-[A-Za-z])                                  # nor one that starts a name or word: 10-K, 5-year
    """
)
_YEAR = re.compile(r"^(?:19|20)\d\d$")
# "$5.46 per share", "$50 million a day"; not "$526 million a year earlier", which dates the figure.
_PER = re.compile(r"(?i)^\s?(?:(?:per|a)\s+|/\s?)((?:million|thousand|1m|1k)\s+)?([a-z]+)\b(?![\s-]+(?:earlier|ago|before|prior|later)\b)")
_BETWEEN = re.compile(r"(?i)between\s+$")
_AND = re.compile(r"(?i)^\s+and\s+$")
_TO = re.compile(r"^\s+to\s+$|^\s*[-–—]\s*$")  # "$58 billion to $61 billion", "$58bn-$61bn": each end with its magnitude
_FROM = re.compile(r"(?i)\bfrom\s+$")  # "rose from $58 billion to $61 billion": a change, not a range
_SET_AGAINST = re.compile(r"(?i)^,?\s+(?:against|versus|vs\.?|compared (?:with|to))\s+(?:just\s+|only\s+)?$")


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


@dataclass(frozen=True, slots=True)
class Quantity:
    """One measured quantity as a claim states it: ``$115-$125 per share`` is one quantity (a range),
    money in USD per share; ``2,522 tokens per second`` is 2522 in tokens/s."""

    text: str
    kind: Kind
    low: float
    high: float
    unit: str  # "USD" (a currency), "%", "x", a unit such as "tokens/s" or "MW", or "" for a bare number
    start: int
    end: int
    per: str = ""  # what a price is per: "share", "million tokens"
    step: float = 1.0  # the precision it is written to: 0.1e9 for "$3.9 billion", 1e6 for "$3,861 million"

    @property
    def key(self) -> str:
        """The value whatever the notation: ``$4.8 billion`` = ``$4,800 million``, ``2,522`` = ``2522``."""
        return f"{self.low:.6g}" if self.low == self.high else f"{self.low:.6g}-{self.high:.6g}"

    @property
    def measure(self) -> str:
        """What the quantity is counted in, for like-for-like comparison: its unit and what it is per."""
        return f"{self.unit} per {self.per}" if self.per else self.unit

    @property
    def distinctive(self) -> bool:
        """Specific enough that the same value elsewhere is likely the same fact (``2,522``, ``$4.8 billion``),
        unlike ``10x`` or ``5%``."""
        digits = sum(ch.isdigit() for ch in self.text)
        return digits >= 3 or (digits >= 2 and self.unit not in ("", "x", "%"))

    @property
    def measured(self) -> bool:
        """A quantity that makes a claim measurable: not a year, not a span of days (a horizon), not a
        lone digit."""
        if self.kind == "year" or self.unit in CALENDAR_UNITS:
            return False
        return bool(self.unit) or sum(ch.isdigit() for ch in self.text) >= 2

    def same_value(self, other: Quantity) -> bool:
        """The same value in the same unit, in any written form; a bare number takes the other's unit.

        A rounded statement of the value is the same value ("$3.9 billion" for "$3,861 million") when it
        keeps two significant digits or more: "3%" states 3%, never 3.4%.
        """
        if self.unit != other.unit and "" not in (self.unit, other.unit):
            return False
        coarse, fine = (self, other) if self.step >= other.step else (other, self)
        if coarse.low < 10 * coarse.step:
            return math.isclose(self.low, other.low, rel_tol=1e-9) and math.isclose(self.high, other.high, rel_tol=1e-9)
        # the coarse value is the fine one rounded either way at a half: 2.15% is written 2.1% and 2.2%
        return all(
            abs(mine - theirs) <= coarse.step / 2 * (1 + 1e-9)
            for mine, theirs in ((coarse.low, fine.low), (coarse.high, fine.high))
        )


_WORDS_OF = ((1e12, "trillion", ("t", "tn")), (1e9, "billion", ("b", "bn")), (1e6, "million", ("m", "mn")), (1e3, "thousand", ("k",)))


def written_forms(quantity: Quantity) -> list[str]:
    """How else a text may write the quantity's value, for a search that must find every statement of it:
    ``$20 billion`` is also ``20bn``, ``20B`` and ``20,000 million``; ``2,522`` is also ``2522``.
    Ranges give their first end (a text may state either end in other words)."""
    value = quantity.low
    forms = [_plain(value), f"{value:,.0f}"] if value == int(value) and value < 1e6 else []
    for scale, word, short in _WORDS_OF:
        scaled = value / scale
        if 1 <= scaled < 100_000:
            for number in dict.fromkeys([_plain(scaled), _plain(round(scaled, 2)), _plain(round(scaled, 1))]):
                if float(number) >= 10 * 10 ** -max(len(number.partition(".")[2]), 0) or number == _plain(scaled):
                    forms += [f"{number} {word}", *(number + s for s in short)]
            if scaled >= 1000:
                forms.append(f"{scaled:,.0f} {word}")
    if not forms:
        forms.append(_plain(value))
    return list(dict.fromkeys(forms))


def _plain(value: float) -> str:
    return f"{value:.6f}".rstrip("0").rstrip(".")


def extract(text: str) -> list[Figure]:
    """Every figure in ``text``: dates first, then numbers outside the dates, in reading order."""
    dates, masked = _dates_masked(text)
    numbers = [figure for match in _FIGURE.finditer(masked) for figure in _figures(match)]
    return sorted(dates + numbers, key=lambda figure: figure.start)


def quantities(text: str) -> list[Quantity]:
    """The quantities ``text`` states, in reading order, a range as one: dates, years and names are not
    quantities (:attr:`Quantity.measured` tells a measure from a horizon or a lone digit)."""
    if not any(ch.isdigit() for ch in text):
        return []
    _, masked = _dates_masked(text)
    found: list[Quantity] = []
    for match in _FIGURE.finditer(masked):
        quantity = _quantity(text, match)
        if quantity.kind == "number" and not quantity.unit and _names_a_model(text, quantity):
            continue  # "Boeing 737", "737 Max", "Llama 4 Maverick": a product's name, not a figure
        if found and _BETWEEN.search(text[: found[-1].start]) and _AND.match(text[found[-1].end : quantity.start]):
            quantity = _between(text, found.pop(), quantity)  # "between $2 and $3 billion": one range
        elif (found and found[-1].unit and found[-1].unit == quantity.unit and found[-1].high < quantity.low
              and _TO.match(text[found[-1].end : quantity.start]) and not _FROM.search(text[: found[-1].start])):
            quantity = _between(text, found.pop(), quantity)  # "$58 billion to $61 billion": one range
        elif found and not quantity.unit and found[-1].unit and _SET_AGAINST.match(text[found[-1].end : quantity.start]):
            quantity = replace(quantity, unit=found[-1].unit, per=found[-1].per)  # "2,522 tokens/s against 1,038"
        found.append(quantity)
    return found


# Capitalised words that open a phrase before a number without naming anything: "About 348 planes".
_NOT_MODEL_NAMES = frozenset(
    "A An The In On Of For By At With From To Over Under About Around Roughly Nearly Almost Just Only Some All "
    "Some Its Their Our And Or But Nearly Another Total Up Down Another Top Last First Only".split()
)


# A list of three-digit numbers that holds a model's designation ("737, 767 and 777/777X", "the 737NG and
# 777"): models, not counts ("449, 671 and 912 vehicles", "between 300 and 400 jobs" are counts).
_MODEL_LIST = re.compile(r"(?<![\d,.$€£])\d{3}(?:[A-Z]{1,3}\b|-\d\b)?(?:(?:,\s?|\s(?:and|or)\s|/)\d{3}(?:[A-Z]{1,3}\b|-\d\b)?)+(?![\d,.])")
_MODEL_DESIGNATION = re.compile(r"\d{3}(?:[A-Z]{1,3}\b|-\d\b)")
_MODEL_LIST_REACH = 40  # characters a list of models reaches either side of one of its numbers


def _names_a_model(text: str, quantity: Quantity) -> bool:
    """A bare number written as part of a product's name: right after a capitalised name ("Boeing 737",
    "Windows 11") or right before one ("737 Max", "4 Maverick")."""
    before = re.search(r"([A-Z][\w-]*)(?:['’]s)?\s$", text[: quantity.start])
    after = re.match(r"\s([A-Z][a-z]*)\b", text[quantity.end :])
    if re.search(r"\d\s$", text[: quantity.start]):
        return True  # "delivering 33 737 jets": a count, then the model counted
    near = max(0, quantity.start - _MODEL_LIST_REACH)
    if re.fullmatch(r"\d{3}", quantity.text) and any(
            found.start() <= quantity.start < found.end() and _MODEL_DESIGNATION.search(found.group())
            for found in _MODEL_LIST.finditer(text, near, quantity.end + _MODEL_LIST_REACH)):
        return True  # "resumed production of 737, 767 and 777/777X": models listed, not counts
    if quantity.text.isdigit() and re.search(r"(?i)\b(?:one|two|three|four|five|six|seven|eight|nine|ten|a dozen)\s$", text[: quantity.start]):
        return True  # "delivered one 787 to KLM": a count in words, then the model counted
    if re.match(r"\([a-z]\)", text[quantity.end :]):
        return True  # "401(k)"
    if (re.search(r"(?i)\bthe\s$", text[: quantity.start]) and len(quantity.text) >= 3 and quantity.text.isdigit()
            and re.match(r"(?:\s(?:with|and|or|was|is|were|are|had|has)\b|[,.;:)])", text[quantity.end :])):
        return True  # "the 777 with 14 deliveries": the product, counting nothing
    if before and before.group(1) not in _NOT_MODEL_NAMES and before.group(1).rstrip(".") not in _MONTHS_TITLE:
        return True
    if "," in quantity.text or "." in quantity.text:
        return False  # "33,000 Boeing workers": a model number has no separators
    return bool(after and after.group(1).rstrip(".") not in _MONTHS_TITLE and after.group(1) not in _NOT_MODEL_NAMES)


_MONTHS_TITLE = frozenset(name.title() for name in _MONTHS)


def _dates_masked(text: str) -> tuple[list[Figure], str]:
    """The dates in ``text``, and the text with them blanked, so "May 28, 2025" yields no 28 or 2025."""
    matches = list(_DATE.finditer(text))
    masked, position = [], 0
    for match in matches:
        masked += [text[position : match.start()], " " * (match.end() - match.start())]
        position = match.end()
    masked.append(text[position:])
    return [_date(match) for match in matches], "".join(masked)


def _quantity(text: str, match: re.Match) -> Quantity:
    ends = _figures(match)
    first, last = ends[0], ends[-1]
    unit = _unit_of(match, first)
    start, end = match.start("cur") if match.group("cur") else match.start("num"), match.end()
    per = _PER.match(text[end:]) if first.kind == "money" else None
    number = match.group("num2") or match.group("num")
    decimals = len(number.split(".")[1]) if "." in number else 0
    scale = _scale(match.group("mag"), match.group("money"))
    return Quantity(
        text[start:end].strip(), first.kind, min(first.value, last.value), max(first.value, last.value), unit,
        start, end, per="".join(part for part in per.groups("") if part).strip().lower() if per else "",
        step=scale / 10**decimals,
    )


def _scale(magnitude: str | None, money: str | None) -> float:
    """What the written number is multiplied by: a billion for "$4.8 billion", a hundredth for "39 cents"."""
    scale = _MAGNITUDES[magnitude.strip().lower()] if magnitude else 1.0
    return scale / 100 if money and money.lower() in _HUNDREDTHS else scale


def _unit_of(match: re.Match, figure: Figure) -> str:
    if figure.kind == "money":
        return figure.currency
    if figure.kind in ("percent", "multiple"):
        return "%" if figure.kind == "percent" else "x"
    written = (match.group("unit") or "").strip()
    return next((name for name, pattern in zip(_UNITS, _UNIT_NAMES) if pattern.fullmatch(written)), "")


def _between(text: str, low: Quantity, high: Quantity) -> Quantity:
    """Two ends of "between A and B" (or "A to B") as one range; the second end's unit and magnitude
    apply to the first where it states none ("between $2 and $3 billion")."""
    low_value = low.low
    if low.unit == high.unit and low.high < high.low / 100:
        low_value = low.low * _magnitude_of(high.text)
    start = _BETWEEN.search(text[: low.start])
    begin = start.start() if start else low.start
    return replace(high, text=text[begin : high.end], low=min(low_value, high.low), start=begin, step=max(low.step, high.step),
                   unit=high.unit or low.unit, kind=high.kind if high.kind != "number" else low.kind)


def _magnitude_of(written: str) -> float:
    word = re.search(r"(?i)(trillion|billion|million|thousand|bn|mn|mln|tn)\b|\d([kmbt])\b", written)
    if not word:
        return 1.0
    return _MAGNITUDES[(word.group(1) or word.group(2)).lower()]


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
    # The figure as written, without a unit word after it: "1,345", not "1,345 tokens per second".
    text = match.group()[: (match.start("unit") if match.group("unit") else match.end()) - match.start()].strip()
    start = match.start("num")
    if not (cur or cur2 or magnitude or money or tail):  # plain numbers or years ("2023-2025"): most figures
        ends = [(number, start)] + ([(second, match.start("num2"))] if second else [])
        return [
            Figure(text, "year", float(n), start=at) if _YEAR.match(n) else Figure(text, "number", _value(n), start=at)
            for n, at in ends
        ]
    tail = (tail or "").strip().lower()
    kind: Kind = "percent" if tail[:1] in ("%", "p") else "multiple" if tail else "number"
    scale = _scale(magnitude, money)
    currency = _CURRENCIES.get((cur or cur2 or money or "").strip().lower(), "")
    if currency and kind == "number":
        kind = "money"
    numbers = [(number, start)] + ([(second, match.start("num2"))] if second else [])
    return [Figure(text, kind, _value(n) * scale, currency, start=at) for n, at in numbers]


def _same_date(a: Figure, b: Figure) -> bool:
    if a.kind == "year" or b.kind == "year":
        year, other = (a, b) if a.kind == "year" else (b, a)
        return other.date is not None and other.date[0] == int(year.value)
    if a.date is None or b.date is None:
        return False
    return all(x is None or y is None or x == y for x, y in zip(a.date, b.date, strict=True)) and a.date[1] == b.date[1]
